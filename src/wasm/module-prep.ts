/**
 * Preparing a module to compile: its hash, the caps (memory-cap.ts) and the bounds
 * (instrument.ts). The work is proportional to the module's size (up to
 * AGENTOS_WASM_MODULE_MAX_BYTES), so it runs on a worker thread, never on the daemon's:
 * a bystander's request is answered while a hostile module is being checked. One worker,
 * started on first use; jobs queue on it in order.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../package-root.js';
import { instrument, type Bounds } from './instrument.js';
import { capMemory, WasmLimitError, type ImportedMemory, type ModuleBounds } from './memory-cap.js';

export interface PrepJob {
  bytes: Uint8Array;
  /** Known already (a registered command's); empty: hash it here. */
  hash: string;
  module: ModuleBounds;
  bounds: Bounds;
}

export interface Prepared {
  hash: string;
  bytes: Uint8Array;
  importedMemory: ImportedMemory | null;
  tableBytes: number;
}

/** A refusal as it crosses back from the worker. */
export interface PrepFailure {
  message: string;
  limit?: Pick<WasmLimitError, 'code' | 'limit' | 'observed' | 'capacity' | 'env'>;
}

export function hashModule(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The work itself (on the worker; in-thread only where no worker can run). */
export function prepare(job: PrepJob): Prepared {
  const capped = capMemory(job.bytes, job.module);
  return { hash: job.hash || hashModule(job.bytes), bytes: instrument(capped.bytes, job.bounds), importedMemory: capped.importedMemory, tableBytes: capped.tableBytes };
}

export function failureOf(err: unknown): PrepFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof WasmLimitError)) return { message };
  return { message, limit: { code: err.code, limit: err.limit, observed: err.observed, capacity: err.capacity, env: err.env } };
}

/** The worker thread that prepares modules (dist/wasm-prep-worker.mjs). */
export class PrepWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (p: Prepared) => void; reject: (f: PrepFailure) => void }>();

  /** `handOver`: the caller gives up `job.bytes` (moved, not copied: no copy on the daemon's thread). */
  run(job: PrepJob, handOver = false): Promise<Prepared> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<Prepared>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Otherwise copied: a registered command's bytes stay its own.
      worker.postMessage({ id, job }, handOver ? [job.bytes.buffer as ArrayBuffer] : []);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(PACKAGE_ROOT, 'dist', 'wasm-prep-worker.mjs'));
    worker.unref();
    worker.on('message', (m: { id: number; ok?: Prepared; err?: PrepFailure }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.ok);
      else p?.reject(m.err ?? { message: 'the module could not be prepared' });
    });
    const fail = (message: string) => {
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject({ message });
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`the module preparation worker failed: ${err.message}`));
    worker.on('exit', (code) => fail(`the module preparation worker exited (${code})`));
    this.worker = worker;
    return worker;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
