import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { IsolatePool } from '../process/isolate-pool.js';
import { WasmMemoryMeter } from './memory-meter.js';
import { ModuleCache } from './module-cache.js';
import { RunnerIsolate } from './runner-isolate.js';

export interface CommandModule {
  name: string;
  bytes: Uint8Array;
  hash: string;
  /** Where it came from: a file of the commands directory, or wasm/register. */
  source: string;
}

/** The `\0asm` magic: how a command file is recognised, whatever its name. */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/**
 * What every WASM process shares: the runner-isolate pool, the compiled-module cache,
 * and the daemon-wide command set (from AGENTOS_COMMANDS_DIR, and wasm/register without
 * a VM).
 */
export class WasmEngine {
  readonly runners: IsolatePool<RunnerIsolate>;
  readonly modules: ModuleCache;
  readonly commands = new Map<string, CommandModule>();
  readonly memoryMeter: WasmMemoryMeter;

  constructor(
    private readonly log: Logger,
    readonly runnerHeapMb: number,
    poolSize: number,
    cacheEntries: number,
    onCatastrophicError: (message: string) => void,
    meter: ConstructorParameters<typeof WasmMemoryMeter>[0],
    moduleBounds: ConstructorParameters<typeof ModuleCache>[1],
  ) {
    this.memoryMeter = new WasmMemoryMeter(meter);
    this.runners = new IsolatePool(runnerHeapMb, poolSize, (heapMb) => RunnerIsolate.create(heapMb, onCatastrophicError));
    this.modules = new ModuleCache(cacheEntries, moduleBounds);
  }

  register(name: string, bytes: Uint8Array, source: string): CommandModule {
    const command = { name, bytes, hash: ModuleCache.hash(bytes), source };
    this.commands.set(name, command);
    return command;
  }

  /**
   * Registers every WebAssembly file of a directory under its file name (sans `.wasm`);
   * a name already registered keeps its first module. Files are only checked here (size,
   * magic); their bytes are read and hashed on first use, so a large command set (the
   * agentOS one is 105 MB) costs nothing until a command runs.
   */
  loadDirectory(dir: string, maxBytes: number): number {
    let count = 0;
    for (const file of readdirSync(dir).sort()) {
      const path = join(dir, file);
      const name = file.replace(/\.wasm$/, '');
      if (this.commands.has(name)) continue;
      try {
        const st = statSync(path);
        if (!st.isFile() || st.size > maxBytes || !hasWasmMagic(path)) continue;
        this.commands.set(name, new CommandFile(name, path));
        count++;
      } catch (err) {
        this.log.warn({ err, path }, 'skipped an unreadable command file');
      }
    }
    this.log.info({ dir, commands: count }, 'loaded WASM commands');
    return count;
  }

  close(): void {
    this.runners.close();
    this.modules.close();
  }
}

function hasWasmMagic(path: string): boolean {
  const head = new Uint8Array(8);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 8, 0) === 8 && isWasm(head);
  } finally {
    closeSync(fd);
  }
}

/** A command of a commands directory: read and hashed when first run. */
class CommandFile implements CommandModule {
  private data: Uint8Array | undefined;
  private digest: string | undefined;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {}

  get bytes(): Uint8Array {
    return (this.data ??= readFileSync(this.source));
  }

  get hash(): string {
    return (this.digest ??= ModuleCache.hash(this.bytes));
  }
}
