import { AgentosError } from '../errors.js';
import type { Bounds } from './instrument.js';
import type { ImportedMemory, ModuleBounds } from './memory-cap.js';
import { hashModule, PrepWorker, type PrepFailure, type Prepared } from './module-prep.js';

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
   * `hash`: the module's, when known (a registered command's). Without one (a VM file's),
   * the bytes are handed over to the worker (the caller gives up its copy), which hashes
   * and prepares them in one trip; the cache is looked up by that hash afterwards.
   * `bounds`: fuel and call depth, each only when set (non-zero).
   */
  get(bytes: Uint8Array, memoryCapBytes: number, hash?: string, bounds: Bounds = {}): Promise<CompiledModule> {
    const caps = { ...this.moduleBounds, memoryBytes: memoryCapBytes };
    if (!hash) {
      return this.worker.run({ bytes, hash: '', module: caps, bounds }, true).then(
        (prepared) => this.lookup(caps, prepared.hash, bounds, () => this.compile(Promise.resolve(prepared), prepared.hash)),
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

  private async compile(preparing: Promise<Prepared>, hash: string): Promise<CompiledModule> {
    this.compiles++;
    let prepared;
    try {
      prepared = await preparing;
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
