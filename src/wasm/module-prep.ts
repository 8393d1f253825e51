/**
 * Preparing a module: its hash, the caps (memory-cap.ts), the checks of its code
 * (code-bounds.ts), the bounds (instrument.ts) and the compile. All of it is proportional to the module's size (up to
 * AGENTOS_WASM_MODULE_MAX_BYTES), so it runs on a worker thread, never on the daemon's: a
 * bystander's request is answered while a hostile module is being checked. Even the copy
 * handed to the worker is made in slices between turns of the daemon's event loop (60 MB
 * in one go stalled it 200 ms). One worker, started on first use; jobs queue on it in
 * order. The compiled module comes back shared, not copied.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../package-root.js';
import { checkCode } from './code-bounds.js';
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

export interface Compiled extends Omit<Prepared, 'bytes'> {
  module: WebAssembly.Module;
}

/** Bytes copied per turn of the daemon's event loop when handing a module to the worker. */
const COPY_SLICE_BYTES = 1024 * 1024;

/** A copy of `bytes` of its own, made a slice per turn so no request waits long behind it. */
export async function copyInSlices(bytes: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(bytes.byteLength);
  for (let at = 0; at < bytes.byteLength; at += COPY_SLICE_BYTES) {
    out.set(bytes.subarray(at, Math.min(at + COPY_SLICE_BYTES, bytes.byteLength)), at);
    if (at + COPY_SLICE_BYTES < bytes.byteLength) await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/** A refusal as it crosses back from the worker. */
export interface PrepFailure {
  message: string;
  limit?: Pick<WasmLimitError, 'code' | 'limit' | 'observed' | 'capacity' | 'env'>;
  /** The engine refused it (not one of our checks). */
  compile?: boolean;
}

export function hashModule(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The work itself (on the worker; in-thread only where no worker can run). */
export function prepare(job: PrepJob): Prepared {
  const capped = capMemory(job.bytes, job.module);
  checkCode(job.bytes, job.module);
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
  private readonly pending = new Map<number, { resolve: (p: Compiled) => void; reject: (f: PrepFailure) => void }>();

  /** Prepares and compiles `job.bytes` (which stay the caller's: the worker gets a copy). */
  async run(job: PrepJob): Promise<Compiled> {
    const bytes = await copyInSlices(job.bytes);
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<Compiled>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job: { ...job, bytes } }, [bytes.buffer as ArrayBuffer]);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(PACKAGE_ROOT, 'dist', 'wasm-prep-worker.mjs'));
    worker.unref();
    worker.on('message', (m: { id: number; ok?: Compiled; err?: PrepFailure }) => {
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
