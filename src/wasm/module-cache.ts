import { AgentosError } from '../errors.js';
import type { Bounds } from './instrument.js';
import type { ImportedMemory, ModuleBounds } from './memory-cap.js';
import { hashModule, PrepWorker, type Compiled, type PrepFailure } from './module-prep.js';

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
 * Compiled modules, keyed by content hash and caps, shared by every VM. Preparing and
 * compiling a module (hash, caps, bounds, WebAssembly.compile) happen on a worker thread
 * (module-prep.ts; inside isolates the async compile hangs), and concurrent first runs
 * of one module share one compile. Bounded: the least recently
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
   * `hash`: the module's, when known (a registered command's). Without one (a VM file's),
   * the bytes are handed over to the worker (the caller gives up its copy), which hashes
   * and prepares them in one trip; the cache is looked up by that hash afterwards.
   * `bounds`: fuel and call depth, each only when set (non-zero).
   */
  get(bytes: Uint8Array, memoryCapBytes: number, hash?: string, bounds: Bounds = {}): Promise<CompiledModule> {
    const caps = { ...this.moduleBounds, memoryBytes: memoryCapBytes };
    if (!hash) {
      return this.worker.run({ bytes, hash: '', module: caps, bounds }).then(
        (compiled) => this.lookup(caps, compiled.hash, bounds, () => this.compile(Promise.resolve(compiled), compiled.hash)),
        (failure: PrepFailure) => Promise.reject(refusal(failure)),
      );
    }
    return this.lookup(caps, hash, bounds, () => this.compile(this.worker.run({ bytes, hash, module: caps, bounds }), hash));
  }

  /** The cached compile for this module and these bounds, or `compile()` (then cached). */
  private lookup(caps: ModuleBounds, hash: string, bounds: Bounds, compile: () => Promise<CompiledModule>): Promise<CompiledModule> {
    const key = `${hash}:${caps.memoryBytes}:${bounds.fuel ?? 0}:${bounds.maxDepth ?? 0}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const compiling = compile();
    this.entries.set(key, compiling);
    compiling.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return compiling;
  }

  private async compile(compiling: Promise<Compiled>, hash: string): Promise<CompiledModule> {
    this.compiles++;
    try {
      const { module, importedMemory, tableBytes } = await compiling;
      return { module, importedMemory, tableBytes, hash };
    } catch (failure) {
      throw refusal(failure as PrepFailure);
    }
  }

  close(): void {
    this.worker.close();
  }
}
