import { AgentosError } from '../errors.js';
import type { Bounds } from './instrument.js';
import type { ImportedMemory, ModuleBounds } from './memory-cap.js';
import { hashModule, PrepWorker, type PrepFailure } from './module-prep.js';

export interface CompiledModule {
  module: WebAssembly.Module;
  importedMemory: ImportedMemory | null;
  /** The most bytes its tables can hold (counted with linear memory; see memory-meter.ts). */
  tableBytes: number;
  hash: string;
}

/** A module refused while being prepared, with the bound it hit when there was one (in the error's data). */
function refusal(f: PrepFailure): AgentosError {
  const l = f.limit;
  return new AgentosError(l?.code ?? 'ERR_AGENTOS_WASM_COMPILE', `cannot load the module: ${f.message}`, l ? { limit: l.limit, capacity: l.capacity, observed: l.observed, env: l.env } : {});
}

/**
 * Compiled modules, keyed by content hash and caps, shared by every VM. Preparing a module
 * (hash, caps, bounds) happens on a worker thread (module-prep.ts), compiling in the
 * daemon with the asynchronous API (off its thread; inside isolates that API hangs), and
 * concurrent first runs of one module share one compile. Bounded: the least recently
 * used entry goes first.
 */
export class ModuleCache {
  private readonly entries = new Map<string, Promise<CompiledModule>>();
  private readonly worker = new PrepWorker();
  compiles = 0;
  hits = 0;

  /** `moduleBounds`: the inventory's bounds on what a module may declare (memory-cap.ts). */
  constructor(
    private readonly capacity: number,
    private readonly moduleBounds: Omit<ModuleBounds, 'memoryBytes'>,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  static hash(bytes: Uint8Array): string {
    return hashModule(bytes);
  }

  /**
   * `hash`: the module's, when known (a registered command's); a VM file's is taken on the
   * worker first. `bounds`: fuel and call depth, each only when set (non-zero).
   */
  get(bytes: Uint8Array, memoryCapBytes: number, hash?: string, bounds: Bounds = {}): Promise<CompiledModule> {
    if (!hash) {
      return this.worker.run({ bytes, hash: '', module: { ...this.moduleBounds, memoryBytes: memoryCapBytes }, bounds, hashOnly: true }).then(
        (p) => this.get(bytes, memoryCapBytes, p.hash, bounds),
        (failure: PrepFailure) => Promise.reject(refusal(failure)),
      );
    }
    const key = `${hash}:${memoryCapBytes}:${bounds.fuel ?? 0}:${bounds.maxDepth ?? 0}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const compiling = this.compile(bytes, { ...this.moduleBounds, memoryBytes: memoryCapBytes }, hash, bounds);
    this.entries.set(key, compiling);
    compiling.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return compiling;
  }

  private async compile(bytes: Uint8Array, caps: ModuleBounds, hash: string, bounds: Bounds): Promise<CompiledModule> {
    this.compiles++;
    let prepared;
    try {
      prepared = await this.worker.run({ bytes, hash, module: caps, bounds });
    } catch (failure) {
      throw refusal(failure as PrepFailure);
    }
    try {
      const module = await WebAssembly.compile(prepared.bytes as Uint8Array<ArrayBuffer>);
      return { module, importedMemory: prepared.importedMemory, tableBytes: prepared.tableBytes, hash };
    } catch (err) {
      throw new AgentosError('ERR_AGENTOS_WASM_COMPILE', `cannot load the module: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  close(): void {
    this.worker.close();
  }
}
