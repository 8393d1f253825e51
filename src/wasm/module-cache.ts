import { createHash } from 'node:crypto';
import { AgentosError } from '../errors.js';
import { instrument, type Bounds } from './instrument.js';
import { capMemory, WasmFormatError, type ImportedMemory } from './memory-cap.js';

export interface CompiledModule {
  module: WebAssembly.Module;
  importedMemory: ImportedMemory | null;
  hash: string;
}

/**
 * Compiled modules, keyed by content hash and memory cap, shared by every VM. Compiling
 * happens in the daemon with the asynchronous API (off its thread; inside isolates that
 * API hangs), and concurrent first runs of one module share one compile. Bounded: the
 * least recently used entry goes first.
 */
export class ModuleCache {
  private readonly entries = new Map<string, Promise<CompiledModule>>();
  compiles = 0;
  hits = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  static hash(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** `bounds`: fuel and call depth, each only when set (non-zero). */
  get(bytes: Uint8Array, memoryCapBytes: number, hash = ModuleCache.hash(bytes), bounds: Bounds = {}): Promise<CompiledModule> {
    const key = `${hash}:${memoryCapBytes}:${bounds.fuel ?? 0}:${bounds.maxDepth ?? 0}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const compiling = this.compile(bytes, memoryCapBytes, hash, bounds);
    this.entries.set(key, compiling);
    compiling.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return compiling;
  }

  private async compile(bytes: Uint8Array, memoryCapBytes: number, hash: string, bounds: Bounds): Promise<CompiledModule> {
    this.compiles++;
    try {
      const capped = capMemory(bytes, memoryCapBytes);
      const final = instrument(capped.bytes, bounds);
      const module = await WebAssembly.compile(final as Uint8Array<ArrayBuffer>);
      return { module, importedMemory: capped.importedMemory, hash };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new AgentosError(err instanceof WasmFormatError && /more than the cap/.test(message) ? 'ERR_AGENTOS_WASM_MEMORY_LIMIT' : 'ERR_AGENTOS_WASM_COMPILE', `cannot load the module: ${message}`);
    }
  }
}
