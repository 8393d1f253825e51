import { testHost } from './test-host.js';

/**
 * `node:test` and `node:test/reporters`: Node 20.19.2's own lib/test.js and
 * lib/internal/test_runner/*, vendored whole under vendor/node/lib (MIT), run as Node runs
 * its builtins. Their internal requires go to the runtime's loader (./internal.ts: Node's own
 * internal/errors, validators, util, assert, abort_controller) and to the guest's builtins
 * (async_hooks, stream, fs, path, timers); the few internals neither has are small
 * stand-ins here. `run()` (test files in child processes) and coverage are not offered.
 */
type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: (name: string) => unknown, primordials: object) => void;
declare function require(id: string): ModuleFn;

const vendored: Record<string, () => ModuleFn> = {
  test: () => require('../../../../vendor/node/lib/test.js'),
  'test/reporters': () => require('../../../../vendor/node/lib/test/reporters.js'),
  'internal/test_runner/harness': () => require('../../../../vendor/node/lib/internal/test_runner/harness.js'),
  'internal/test_runner/test': () => require('../../../../vendor/node/lib/internal/test_runner/test.js'),
  'internal/test_runner/utils': () => require('../../../../vendor/node/lib/internal/test_runner/utils.js'),
  'internal/test_runner/tests_stream': () => require('../../../../vendor/node/lib/internal/test_runner/tests_stream.js'),
  'internal/test_runner/mock/mock': () => require('../../../../vendor/node/lib/internal/test_runner/mock/mock.js'),
  'internal/test_runner/mock/mock_timers': () => require('../../../../vendor/node/lib/internal/test_runner/mock/mock_timers.js'),
  'internal/test_runner/reporter/tap': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/tap.js'),
  'internal/test_runner/reporter/spec': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/spec.js'),
  'internal/test_runner/reporter/dot': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/dot.js'),
  'internal/test_runner/reporter/junit': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/junit.js'),
  'internal/test_runner/reporter/lcov': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/lcov.js'),
  'internal/test_runner/reporter/utils': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/utils.js'),
  'internal/test_runner/reporter/v8-serializer': () => require('../../../../vendor/node/lib/internal/test_runner/reporter/v8-serializer.js'),
  // Node's own, over the runtime's internal/util: its disposer is keyed by that file's SymbolDispose.
  'internal/events/abort_listener': () => require('../../../../vendor/node/lib/internal/events/abort_listener.js'),
  'internal/priority_queue': () => require('../../../../vendor/node/lib/internal/priority_queue.js'),
  'internal/error_serdes': () => require('../../../../vendor/node/lib/internal/error_serdes.js'),
};

const g = globalThis as Record<string, any>;
const builtin = (name: string) => testHost.nodeRequire(name);
const unavailable = (what: string) => () => {
  throw Object.assign(new Error(`${what} is not available in this sandbox`), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
};

const shims: Record<string, () => unknown> = {
  'internal/options': () => ({ getOptionValue: optionValue }),
  'internal/timers': () => ({ TIMEOUT_MAX: 2 ** 31 - 1 }),
  'internal/url': () => ({ ...testHost.nodeRequire('internal/url'), URL: g.URL }),
  'internal/process/task_queues': () => ({ queueMicrotask: g.queueMicrotask }),
  'internal/streams/readable': () => (builtin('stream') as { Readable: unknown }).Readable,
  'internal/streams/transform': () => (builtin('stream') as { Transform: unknown }).Transform,
  // Module mocking (--experimental-test-module-mocks) needs Node's ESM loader hooks: not offered.
  'internal/modules/esm/loader': () => ({}),
  'internal/modules/cjs/loader': () => ({ Module: (builtin('module') as { Module: unknown }).Module }),
  'internal/test_runner/coverage': () => ({ setupCoverage: unavailable('Code coverage (--experimental-test-coverage)') }),
  // run() starts test files as child processes with Node's `--test` IPC: not offered.
  'internal/test_runner/runner': () => ({ run: unavailable('node:test run()') }),
};

/** Node's command-line options the runner reads, from the process's execArgv (`// Flags:` lines). */
function optionValue(name: string): unknown {
  const argv: string[] = g.process?.execArgv ?? [];
  const values: string[] = [];
  let present = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === name) {
      present = true;
      if (i + 1 < argv.length) values.push(argv[++i]);
    } else if (arg.startsWith(`${name}=`)) {
      present = true;
      values.push(arg.slice(name.length + 1));
    }
  }
  switch (name) {
    case '--test-reporter':
    case '--test-reporter-destination':
    case '--test-name-pattern':
    case '--test-skip-pattern':
      return values;
    case '--test-concurrency':
    case '--test-timeout':
    case '--test-shard':
      return values.length ? Number(values[values.length - 1]) : name === '--test-shard' ? '' : 0;
    default:
      return present;
  }
}

/** [line, column, file] of whoever called the function that calls this one, as Node's C++ `getCallerLocation`. */
function getCallerLocation(): [number, number, string] | undefined {
  const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number; captureStackTrace(o: object, f?: unknown): void };
  const prepare = E.prepareStackTrace;
  const limit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    E.stackTraceLimit = 2;
    E.prepareStackTrace = (_err: unknown, frames: unknown) => frames;
    E.captureStackTrace(holder, getCallerLocation);
    const frames = holder.stack as Array<{ getLineNumber(): number; getColumnNumber(): number; getScriptNameOrSourceURL(): string; getFileName(): string }>;
    const frame = Array.isArray(frames) ? frames[1] : undefined;
    if (!frame) return undefined;
    return [frame.getLineNumber(), frame.getColumnNumber(), frame.getScriptNameOrSourceURL() ?? frame.getFileName()];
  } finally {
    E.prepareStackTrace = prepare;
    E.stackTraceLimit = limit;
  }
}

function binding(name: string): unknown {
  const found = testHost.internalBinding(name) as Record<string, unknown>;
  if (name === 'util') return { ...found, getCallerLocation };
  return found;
}

const cache = new Map<string, { exports: unknown }>();

/** `require` as the runner's files see it: their own files first, then the runtime's loader. */
function testRequire(id: string): any {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const shim = shims[id];
  const load = vendored[id];
  if (!shim && !load) return testHost.nodeRequire(id);
  const module = { exports: {} as unknown };
  cache.set(id, module);
  try {
    if (shim) module.exports = shim();
    else load!()(module.exports as object, testRequire, module, g.process, binding, testHost.primordials());
  } catch (err) {
    cache.delete(id);
    throw err;
  }
  return module.exports;
}

/** `node:test` or `node:test/reporters`. */
export function loadTest(name: 'test' | 'test/reporters'): unknown {
  return testRequire(name);
}
