import type { UserInfo } from '../../wasm/runner/contract.js';
import { createFs, fsPromises } from './fs.js';
import { bufferModule } from './node/buffer.js';
import { nodeRequire, provideNodeInternal } from './node/internal.js';
import { globalConsole } from './console.js';
import { internalBinding } from './node/bindings.js';
import { configureLazyTransform, transformLoaded } from './node/lazy-transform.js';
import { lazyBuffer, lazyPath } from './lazy.js';
import { nodeLibBundle, onNodeLibLoad } from './node-lib-loader.js';
import { withObjectUrls } from './node/object-urls.js';
import { createDiagnosticsChannel } from './node/diagnostics-channel.js';
import { createOs } from './node/os.js';
import { createPerfHooks } from './node/perf-hooks.js';
import { createTty } from './node/tty.js';
import { createVm } from './node/vm.js';
import { createWorkerThreads } from './node/worker-threads.js';
import { createModuleBuiltin } from './node/module.js';
import { installFileStreams } from './fs-streams.js';
import { kRef, kUnref, makeFileHandle } from './fs-handle.js';
import { makeWatchFile } from './fs-watch-file.js';
import { timerGlobals } from './timers.js';
import { createChildProcessModule } from './node/child_process.js';
import { createCryptoModule } from './node/crypto.js';
import { createAsyncHooks } from './node/async-hooks.js';
import { createV8 } from './node/v8.js';
import { netLibBundle } from './net-lib-loader.js';
import { zlibLibBundle } from './zlib-lib-loader.js';
import { testLibBundle } from './test-lib-loader.js';
import { brokerTransport } from './node/net-broker-transport.js';

/** The builtin modules guest code can `require` or `import`, with or without `node:`. */
export const BUILTIN_NAMES = ['fs', 'fs/promises', 'path', 'path/posix', 'path/win32', 'events', 'buffer', 'util', 'util/types', 'assert', 'assert/strict', 'os', 'timers', 'timers/promises', 'process', 'crypto', 'child_process', 'zlib', 'tty', 'diagnostics_channel', 'perf_hooks', 'vm', 'worker_threads', 'module',
  'stream', 'stream/promises', 'stream/web', 'string_decoder', 'url', 'querystring', 'readline', 'readline/promises', 'net', 'async_hooks', 'v8', 'cluster',
  'http', 'http2', 'https', 'tls', 'dns', 'dns/promises', 'dgram', '_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server',
  'test', 'test/reporters', 'constants', 'sys', 'console', 'punycode', 'stream/consumers', 'domain',
  '_stream_duplex', '_stream_passthrough', '_stream_readable', '_stream_transform', '_stream_writable',
  'inspector', 'inspector/promises', 'trace_events'] as const;

function unavailableBuiltin(code: 'ERR_INSPECTOR_NOT_AVAILABLE' | 'ERR_TRACE_EVENTS_UNAVAILABLE'): never {
  const { codes } = nodeRequire('internal/errors') as { codes: Record<string, new () => Error> };
  throw new codes[code]!();
}

function timersPromises() {
  const setTimeout = (ms: number, value?: unknown) => new Promise((resolve) => timerGlobals.setTimeout(() => resolve(value), ms));
  const setImmediate = (value?: unknown) => new Promise((resolve) => timerGlobals.setImmediate(() => resolve(value)));
  // Node's experimental scheduler (what node:test's mock timers replace, too).
  const scheduler = { wait: (delay: number) => setTimeout(delay), yield: () => setImmediate() };
  return { setTimeout, setImmediate, scheduler };
}

/**
 * Named exports of builtins the engine lists without loading them (runtime.ts builtinExports):
 * node:test reads the process's argv and env as it loads, which the engine's probe isolate has
 * not, and would compile its bundle at every daemon start. As Node 20.19's.
 */
export const LISTED_EXPORTS: Readonly<Record<string, readonly string[] | undefined>> = {
  // They fail as they load (see createBuiltins): nothing to list.
  inspector: [],
  'inspector/promises': [],
  trace_events: [],
  test: ['skip', 'todo', 'only', 'after', 'afterEach', 'before', 'beforeEach', 'describe', 'it', 'run', 'suite', 'test', 'mock'],
  'test/reporters': ['dot', 'junit', 'spec', 'tap', 'lcov'],
};

export function createBuiltins(proc: unknown, user: () => UserInfo, _textCodecs: { TextEncoder: unknown; TextDecoder: unknown }, crypto: Record<string, unknown>) {
  const fs = createFs({});
  const handles = makeFileHandle(fs as never, { events: () => modules.events as never, streams: () => fs as never, readline: () => modules.readline as never });
  handles.install(fsPromises);
  // ReadStream/WriteStream are getters that load Node's streams (and `stream`) on first use.
  installFileStreams(fs);
  provideNodeInternal('internal/fs/promises', () => ({ FileHandle: handles.FileHandle(), kRef, kUnref }));
  Object.assign(fs, makeWatchFile(fs.statSync as never, () => modules.events as never));

  const os = createOs(proc as { env: Record<string, string> }, user);

  const modules: Record<string, unknown> = {
    fs,
    'fs/promises': fsPromises,
    os,
    timers: timerGlobals,
    'timers/promises': timersPromises(),
    process: proc,
  };
  void crypto;
  // Loaded on first require: most programs never touch them.
  const lazy: Record<string, () => unknown> = {
    path: lazyPath,
    'path/posix': () => lazyPath().posix,
    'path/win32': () => lazyPath().win32,
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
    zlib: () => zlibLibBundle().loadZlib(),
    tty: () => createTty(() => proc as { stdin: unknown; stdout: unknown; stderr: unknown }),
    diagnostics_channel: createDiagnosticsChannel,
    perf_hooks: createPerfHooks,
    vm: createVm,
    worker_threads: createWorkerThreads,
    module: createModuleBuiltin,
    // A VM's node is a Node built without the inspector and without tracing: loading them
    // fails with the error such a Node's own lib/inspector.js and trace_events.js throw.
    inspector: () => unavailableBuiltin('ERR_INSPECTOR_NOT_AVAILABLE'),
    'inspector/promises': () => unavailableBuiltin('ERR_INSPECTOR_NOT_AVAILABLE'),
    trace_events: () => unavailableBuiltin('ERR_TRACE_EVENTS_UNAVAILABLE'),
    events: () => nodeLibBundle().nodeLib('events'),
    stream: () => {
      const stream = nodeLibBundle().loadStream();
      transformLoaded(stream as never);
      return stream;
    },
    'stream/promises': () => nodeLibBundle().loadStreamPromises(),
    'stream/web': () => nodeLibBundle().loadStreamWeb(),
    string_decoder: () => nodeLibBundle().loadStringDecoder(),
    url: () => withObjectUrls(nodeLibBundle().nodeLib('url')),
    querystring: () => nodeLibBundle().nodeLib('querystring'),
    readline: () => nodeLibBundle().nodeLib('readline'),
    'readline/promises': () => nodeLibBundle().nodeLib('readline/promises'),
    net: () => nodeLibBundle().loadNet(),
    async_hooks: createAsyncHooks,
    v8: createV8,
    http: () => netLibBundle().loadHttp(),
    https: () => netLibBundle().loadHttps(),
    tls: () => netLibBundle().loadTls(),
    dns: () => netLibBundle().loadDns(false),
    'dns/promises': () => netLibBundle().loadDns(true),
    dgram: () => netLibBundle().loadDgram(),
    http2: () => netLibBundle().loadHttp2(),
    ...Object.fromEntries(['_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server'].map((name) => [name, () => netLibBundle().loadHttpInternal(name)])),
    // Node's own constants.js: os, fs and crypto constants in one frozen object (crypto's come from the daemon).
    constants: () => {
      // As the binding has them: defaultCoreCipherList is there, defaultCipherList is added by lib/crypto.js.
      const { defaultCipherList: _l, ...crypto } = (modules.crypto as { constants: Record<string, unknown> }).constants;
      internalBinding('constants').crypto = crypto;
      return nodeRequire('constants');
    },
    sys: () => modules.util,
    // As Node's: the console the process started with, even once a program replaced the global.
    console: () => globalConsole(),
    punycode: () => nodeRequire('punycode'),
    'stream/consumers': () => nodeRequire('stream/consumers'),
    domain: () => nodeRequire('domain'),
    ...Object.fromEntries((['Duplex', 'PassThrough', 'Readable', 'Transform', 'Writable'] as const).map((name) => [`_stream_${name.toLowerCase()}`, () => (modules.stream as Record<string, unknown>)[name]])),
    // node:test only, as Node 20 gives it: modules.ts refuses 'test' without the prefix.
    test: () => testLibBundle().loadTest('test'),
    'test/reporters': () => testLibBundle().loadTest('test/reporters'),
    // Node's own: a worker when forked by a primary (NODE_UNIQUE_ID), else the primary.
    cluster: () => {
      const p = proc as { env?: object };
      if (p.env) return nodeRequire('cluster');
      // The daemon lists export names in an isolate that runs no process (no env yet).
      p.env = {};
      try {
        return nodeRequire('cluster');
      } finally {
        delete p.env;
      }
    },
  };
  configureLazyTransform(() => modules.stream as never);
  onNodeLibLoad((lib) => {
    lib.configureNodeLib(proc, (name) => modules[name]);
    lib.setNetTransport(brokerTransport);
  });
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
