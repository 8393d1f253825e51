import type { UserInfo } from '../../wasm/runner/contract.js';
import { createFs, fsPromises } from './fs.js';
import { bufferModule } from './node/buffer.js';
import { nodeRequire } from './node/internal.js';
import { lazyBuffer, lazyEvents, lazyPath } from './lazy.js';
import { createDiagnosticsChannel } from './node/diagnostics-channel.js';
import { createOs } from './node/os.js';
import { createPerfHooks } from './node/perf-hooks.js';
import { createTty } from './node/tty.js';
import { createVm } from './node/vm.js';
import { createWorkerThreads } from './node/worker-threads.js';
import { makeFileStreams } from './streams.js';
import { timerGlobals } from './timers.js';
import { createChildProcessModule } from './node/child_process.js';
import { createCryptoModule } from './node/crypto.js';
import { createZlibModule } from './node/zlib.js';
import { createAsyncHooks } from './node/async-hooks.js';
import { createV8 } from './node/v8.js';

/** The builtin modules guest code can `require` or `import`, with or without `node:`. */
export const BUILTIN_NAMES = ['fs', 'fs/promises', 'path', 'path/posix', 'events', 'buffer', 'util', 'util/types', 'assert', 'assert/strict', 'os', 'timers', 'timers/promises', 'process', 'crypto', 'child_process', 'zlib', 'tty', 'diagnostics_channel', 'perf_hooks', 'vm', 'worker_threads', 'async_hooks', 'v8'] as const;

export function createBuiltins(proc: unknown, user: () => UserInfo, _textCodecs: { TextEncoder: unknown; TextDecoder: unknown }, crypto: Record<string, unknown>) {
  const fs = createFs({});
  Object.assign(fs, makeFileStreams(fs as never));

  const os = createOs(proc as { env: Record<string, string> }, user);

  const modules: Record<string, unknown> = {
    fs,
    'fs/promises': fsPromises,
    os,
    timers: timerGlobals,
    'timers/promises': {
      setTimeout: (ms: number, value?: unknown) => new Promise((resolve) => timerGlobals.setTimeout(() => resolve(value), ms)),
      setImmediate: (value?: unknown) => new Promise((resolve) => timerGlobals.setImmediate(() => resolve(value))),
    },
    process: proc,
  };
  void crypto;
  // Loaded on first require: most programs never touch them.
  const lazy: Record<string, () => unknown> = {
    path: () => Object.assign(lazyPath(), { posix: lazyPath() }),
    'path/posix': lazyPath,
    events: () => {
      const { EventEmitter } = lazyEvents() as { EventEmitter: { once?: unknown } & object };
      return Object.assign(EventEmitter, { EventEmitter });
    },
    util: () => {
      // As in Node, util.promisify(setTimeout) and (setImmediate) are timers/promises'.
      const custom = Symbol.for('nodejs.util.promisify.custom');
      const promises = modules['timers/promises'] as Record<string, unknown>;
      for (const name of ['setTimeout', 'setImmediate'] as const) {
        Object.defineProperty(timerGlobals[name], custom, { value: promises[name], configurable: true });
      }
      return nodeRequire('util');
    },
    'util/types': () => nodeRequire('internal/util/types'),
    assert: () => nodeRequire('assert'),
    'assert/strict': () => nodeRequire('assert').strict,
    buffer: () => bufferModule(lazyBuffer() as never),
    child_process: createChildProcessModule,
    crypto: createCryptoModule,
    zlib: createZlibModule,
    tty: createTty,
    diagnostics_channel: createDiagnosticsChannel,
    perf_hooks: createPerfHooks,
    vm: createVm,
    worker_threads: createWorkerThreads,
    async_hooks: createAsyncHooks,
    v8: createV8,
  };
  for (const [name, load] of Object.entries(lazy)) {
    Object.defineProperty(modules, name, {
      get: () => {
        const value = load();
        Object.defineProperty(modules, name, { value, enumerable: true });
        return value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  return modules;
}
