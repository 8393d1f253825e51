import type { UserInfo } from '../../wasm/runner/contract.js';
import { createFs, fsPromises } from './fs.js';
import { format, inspect } from './inspect.js';
import { lazyBuffer, lazyPath } from './lazy.js';
import { nodeLibBundle, onNodeLibLoad } from './node-lib-loader.js';
import { makeFileStreams } from './streams.js';
import { timerGlobals } from './timers.js';

/** The builtin modules guest code can `require` or `import`, with or without `node:`. */
export const BUILTIN_NAMES = ['fs', 'fs/promises', 'path', 'path/posix', 'events', 'buffer', 'util', 'assert', 'assert/strict', 'os', 'timers', 'timers/promises', 'process', 'crypto',
  'stream', 'stream/promises', 'stream/web', 'string_decoder', 'url', 'querystring', 'readline', 'readline/promises', 'net'] as const;

export function createBuiltins(proc: unknown, user: () => UserInfo, textCodecs: { TextEncoder: unknown; TextDecoder: unknown }, crypto: Record<string, unknown>) {
  const fs = createFs({});
  Object.assign(fs, makeFileStreams(fs as never));

  const util = {
    format,
    inspect,
    inherits(ctor: { prototype: object; super_?: unknown }, superCtor: { prototype: object }) {
      ctor.super_ = superCtor;
      Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
    },
    promisify(fn: (...args: unknown[]) => void) {
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => fn(...args, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value))));
    },
    deprecate: <T>(fn: T) => fn,
    isDeepStrictEqual: (a: unknown, b: unknown) => deepEqual(a, b),
    types: {
      isPromise: (v: unknown) => v instanceof Promise,
      isDate: (v: unknown) => v instanceof Date,
      isRegExp: (v: unknown) => v instanceof RegExp,
      isUint8Array: (v: unknown) => v instanceof Uint8Array,
    },
    ...textCodecs,
  };

  class AssertionError extends Error {
    code = 'ERR_ASSERTION';
    constructor(message: string) {
      super(message);
      this.name = 'AssertionError';
    }
  }
  const fail = (message: unknown, fallback: string): never => {
    if (message instanceof Error) throw message;
    throw new AssertionError(message === undefined ? fallback : String(message));
  };
  const assert = Object.assign(
    (value: unknown, message?: unknown) => { if (!value) fail(message, 'The expression evaluated to a falsy value'); },
    {
      AssertionError,
      ok: (value: unknown, message?: unknown) => { if (!value) fail(message, 'The expression evaluated to a falsy value'); },
      equal: (a: unknown, b: unknown, m?: unknown) => { if (a != b) fail(m, `${inspect(a)} == ${inspect(b)}`); },
      notEqual: (a: unknown, b: unknown, m?: unknown) => { if (a == b) fail(m, `${inspect(a)} != ${inspect(b)}`); },
      strictEqual: (a: unknown, b: unknown, m?: unknown) => { if (!Object.is(a, b)) fail(m, `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n`); },
      notStrictEqual: (a: unknown, b: unknown, m?: unknown) => { if (Object.is(a, b)) fail(m, `Expected "actual" to be strictly unequal to: ${inspect(b)}`); },
      deepEqual: (a: unknown, b: unknown, m?: unknown) => { if (!deepEqual(a, b)) fail(m, `Expected values to be loosely deep-equal:\n\n${inspect(a)}\n\nshould loosely deep-equal\n\n${inspect(b)}`); },
      deepStrictEqual: (a: unknown, b: unknown, m?: unknown) => { if (!deepEqual(a, b)) fail(m, `Expected values to be strictly deep-equal:\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`); },
      throws: (fn: () => void, _expected?: unknown, m?: unknown) => {
        try { fn(); } catch { return; }
        fail(m, 'Missing expected exception.');
      },
      fail: (m?: unknown) => fail(m, 'Failed'),
    },
  );
  (assert as unknown as Record<string, unknown>).strict = assert;

  const os = {
    EOL: '\n',
    platform: () => 'linux',
    type: () => 'Linux',
    arch: () => 'x64',
    release: () => 'agentos',
    hostname: () => 'agentos',
    homedir: () => (proc as { env: Record<string, string> }).env.HOME ?? user().home,
    tmpdir: () => '/tmp',
    endianness: () => 'LE',
    cpus: () => [],
    availableParallelism: () => 1,
    totalmem: () => 0,
    freemem: () => 0,
    uptime: () => 0,
    loadavg: () => [0, 0, 0],
    networkInterfaces: () => ({}),
    // As /etc/passwd has the user for WASM commands (src/wasm/runner/host-user.ts).
    userInfo: () => ({ uid: user().uid, gid: user().gid, username: user().name, homedir: user().home, shell: '/bin/sh' }),
    constants: { signals: {}, errno: {} },
  };

  const modules: Record<string, unknown> = {
    fs,
    'fs/promises': fsPromises,
    util,
    assert,
    'assert/strict': assert,
    os,
    timers: timerGlobals,
    'timers/promises': {
      setTimeout: (ms: number, value?: unknown) => new Promise((resolve) => timerGlobals.setTimeout(() => resolve(value), ms)),
      setImmediate: (value?: unknown) => new Promise((resolve) => timerGlobals.setImmediate(() => resolve(value))),
    },
    process: proc,
    crypto,
  };
  // Loaded on first require: most programs never touch them.
  const lazy: Record<string, () => unknown> = {
    path: () => Object.assign(lazyPath(), { posix: lazyPath() }),
    'path/posix': lazyPath,
    events: () => nodeLibBundle().nodeLib('events'),
    stream: () => nodeLibBundle().loadStream(),
    'stream/promises': () => nodeLibBundle().loadStreamPromises(),
    'stream/web': () => nodeLibBundle().loadStreamWeb(),
    string_decoder: () => nodeLibBundle().loadStringDecoder(),
    url: () => nodeLibBundle().nodeLib('url'),
    querystring: () => nodeLibBundle().nodeLib('querystring'),
    readline: () => nodeLibBundle().nodeLib('readline'),
    'readline/promises': () => nodeLibBundle().nodeLib('readline/promises'),
    net: () => nodeLibBundle().loadNet(),
    buffer: () => ({ Buffer: lazyBuffer(), constants: { MAX_LENGTH: 2 ** 31 - 1 } }),
  };
  onNodeLibLoad((lib) => lib.configureNodeLib(proc, (name) => modules[name]));
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

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Map || a instanceof Set) return deepEqual([...a], [...(b as Map<unknown, unknown>)]);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
