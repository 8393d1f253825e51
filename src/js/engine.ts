import type { Logger } from '../log.js';
import { CpuWatchdog } from '../process/watchdog.js';
import { IsolatePool } from '../process/isolate-pool.js';
import { CodeCache, type CodeCacheBounds } from './code-cache.js';
import { lexersReady } from './module-source.js';
import { PreparedIsolate } from './prepared-isolate.js';

/** What every guest JS process shares: the isolate pool, the CPU watchdog, builtin names. */
export class JsEngine {
  readonly pool: IsolatePool<PreparedIsolate>;
  readonly watchdog = new CpuWatchdog();
  /** Builtin module names and the names each exports (for ESM linking), read from a runtime. */
  builtinExports: Record<string, string[]> = {};
  builtinNames: ReadonlySet<string> = new Set();
  readonly nodeVersion = process.version;
  catastrophicErrors = 0;
  /** V8's code cache of guest modules, shared by every process and VM. */
  readonly codeCache: CodeCache;

  private constructor(
    readonly log: Logger,
    defaultHeapMb: number,
    poolSize: number,
    cacheBounds: Omit<CodeCacheBounds, 'heapMb'>,
  ) {
    this.pool = new IsolatePool(defaultHeapMb, poolSize, (heapMb) => PreparedIsolate.create(heapMb, this.onCatastrophicError));
    this.codeCache = new CodeCache({ ...cacheBounds, heapMb: defaultHeapMb }, log);
  }

  /** Reads the builtins' export names from one runtime and fills the pool. */
  static async start(log: Logger, defaultHeapMb: number, poolSize: number, cacheBounds: Omit<CodeCacheBounds, 'heapMb'>): Promise<JsEngine> {
    await lexersReady;
    const engine = new JsEngine(log, defaultHeapMb, poolSize, cacheBounds);
    const probe = await engine.pool.take(defaultHeapMb);
    try {
      engine.builtinExports = await probe.builtinExports();
      await probe.warmRuntimeCache();
    } finally {
      engine.pool.release(probe);
    }
    engine.builtinNames = new Set(Object.keys(engine.builtinExports));
    await engine.pool.warm();
    return engine;
  }

  /** isolated-vm says an isolate is unrecoverable; it is disposed with its process. */
  readonly onCatastrophicError = (message: string): void => {
    this.catastrophicErrors++;
    this.log.fatal({ reason: message }, 'isolated-vm reported a catastrophic isolate error');
  };

  close(): void {
    this.pool.close();
    this.codeCache.close();
  }
}
