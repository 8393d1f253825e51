/**
 * The guest runtime: runs first in every guest isolate, before any guest code. It takes
 * the host's hooks off the global object, builds Node's globals and builtin modules on
 * top of them, and hands the host its entry points (then removes those from the global
 * object too).
 */
import { realNow } from './clock.js';
import { atob, btoa } from './base64-globals.js';
import { BUILTIN_NAMES, createBuiltins, LISTED_EXPORTS } from './builtins.js';
import { configureRandom, DOMException, getRandomValues, randomBytes } from './random.js';
import { createGlobalConsole } from './console.js';
import { BUILTIN_SYMBOL, REQUIRE_SYMBOL, type MainProgram, type ProcessInfo, type RuntimeEntries } from './contract.js';
import { ExitSignal, hooks, meter, unwrap } from './hooks.js';
import { trimStack } from '../guest-stack.js';
import { inspect } from './inspect.js';
import { lazyBuffer } from './lazy.js';
import { createHostObject, settleCall } from './host-calls.js';
import { dispatchChildEvent } from './node/child-events.js';
import { setupParentChannel } from './node/ipc-child.js';
import { announceOnline, reportUncaught, setupWorkerSelf } from './node/worker-self.js';
import { dispatchNetEvent } from './node/net-broker-transport.js';
import { configureTextCodecs, TextDecoder, TextEncoder } from './text-codecs.js';
import { WEB_STREAM_GLOBALS } from './web-stream-names.js';
import { createModuleSystem } from './modules.js';
import { trackPromises } from './node/bindings.js';
import { configureNodeInternals, nodeRequire } from './node/internal.js';
import { defineWebGlobals } from './node/web-globals.js';
import { defineFetchGlobals } from './fetch-globals.js';
import { dynamicImport, importMeta, settleImport } from './esm-hooks.js';
import { bindModuleSystem } from './node/module.js';
import { configureOutput, writeOut } from './output.js';
import { nodeFsError } from './fs-errors.js';
import { createProcess, drainTicks, setTickDrainScheduler } from './process.js';
import { terminalResized } from './terminal.js';
import { configureTimers, fireDue, timerGlobals } from './timers.js';
import { capture, settleUnwound } from './async-context.js';
import { captured } from './uncaught.js';
import { ModuleEvaluationFailed } from './require-esm.js';
import { configureCallbackQueue } from './callback-queue.js';

const g = globalThis as unknown as Record<string | symbol, unknown>;

// Guest JS may not create WebAssembly memories: isolated-vm does not count them against
// the heap limit, so one `new WebAssembly.Memory` could take gigabytes from the daemon.
delete g.WebAssembly;

const crypto = {
  getRandomValues,
  randomUUID(): string {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  randomBytes,
  randomInt(min: number, max?: number): number {
    if (max === undefined) [min, max] = [0, min];
    return min + (randomBytes(4).readUInt32LE(0) % (max - min));
  },
};

const { proc, stdin, setup: setupProcess, user } = createProcess();
const consoleObject = createGlobalConsole(proc as never);
// Built on first use: compiling the builtins costs more than many programs' whole run.
let created: Record<string, unknown> | undefined;
const builtins: Record<string, unknown> = {};
for (const name of BUILTIN_NAMES) {
  Object.defineProperty(builtins, name, {
    get: () => (created ??= createBuiltins(proc, user, { TextEncoder, TextDecoder }, crypto))[name],
    enumerable: true,
  });
}
const modules = createModuleSystem(builtins);
configureNodeInternals(proc, (name) => builtins[name]);
defineWebGlobals();
// As Node 20 (V8 11 has neither): `using` disposers of timers, addAbortListener, node:test.
for (const [name, key] of [['dispose', 'nodejs.dispose'], ['asyncDispose', 'nodejs.asyncDispose']] as const) {
  if (!Object.hasOwn(Symbol, name)) Object.defineProperty(Symbol, name, { value: Symbol.for(key), writable: false, enumerable: false, configurable: false });
}
defineFetchGlobals();
trackPromises();
// Web Crypto's subtle lives in the crypto module, built on first use.
Object.defineProperty(crypto, 'subtle', { get: () => (builtins.crypto as { subtle: unknown }).subtle, enumerable: true });
for (const name of ['CryptoKey', 'SubtleCrypto'] as const) {
  Object.defineProperty(g, name, { get: () => (builtins.crypto as { webcrypto: Record<string, unknown> }).webcrypto[name], configurable: true });
}
bindModuleSystem(modules, BUILTIN_NAMES);
const origin = realNow();

Object.defineProperty(g, 'Buffer', {
  get: () => {
    Object.defineProperty(g, 'Buffer', { value: lazyBuffer(), writable: true, configurable: true });
    return g.Buffer;
  },
  set: (value: unknown) => Object.defineProperty(g, 'Buffer', { value, writable: true, configurable: true }),
  configurable: true,
});
// Globals Node 20 has that come from builtins loaded on first touch.
const lazyGlobals: Record<string, () => unknown> = {
  URL: () => (builtins.url as { URL: unknown }).URL,
  URLSearchParams: () => (builtins.url as { URLSearchParams: unknown }).URLSearchParams,
};
for (const name of WEB_STREAM_GLOBALS) lazyGlobals[name] = () => (builtins['stream/web'] as Record<string, unknown>)[name];
for (const [name, load] of Object.entries(lazyGlobals)) {
  Object.defineProperty(g, name, {
    get: () => {
      Object.defineProperty(g, name, { value: load(), writable: true, configurable: true });
      return g[name];
    },
    set: (value: unknown) => Object.defineProperty(g, name, { value, writable: true, configurable: true }),
    configurable: true,
  });
}
Object.assign(g, {
  global: globalThis,
  process: proc,
  console: consoleObject,
  TextEncoder,
  TextDecoder,
  crypto,
  DOMException,
  performance: { now: () => realNow() - origin, timeOrigin: origin },
  atob,
  btoa,
  ...timerGlobals,
});
{
  // One function for the process's life (test/common compares globals by value); it carries
  // the async context once async_hooks is loaded (capture is a no-op before).
  // Promise.prototype.then as it is now: async_hooks replaces it (a microtask is no promise resource).
  const { then } = Promise.prototype;
  const settled = Promise.resolve();
  const native = typeof g.queueMicrotask === 'function' ? (g.queueMicrotask as (fn: () => void) => void) : (fn: () => void) => void Reflect.apply(then, settled, [fn]);
  // The tick queue drains from a microtask of its own, which is no async resource.
  setTickDrainScheduler((drain) => native(guardMicrotask(drain, false)));
  configureCallbackQueue((fn) => native(guardMicrotask(fn, false)));
  g.queueMicrotask = function queueMicrotask(fn: () => void) {
    native(typeof fn === 'function' ? guardMicrotask(capture(fn, 'Microtask'), true) : fn);
  };
}
// ESM glue modules reach builtins and CommonJS through these (see src/js/esm-linker.ts).
// The daemon's resolver has already checked the `node:` prefix (node:test); the name comes without it.
g[Symbol.for(BUILTIN_SYMBOL)] = (name: string) => modules.builtin(`node:${name}`);
g[Symbol.for(REQUIRE_SYMBOL)] = (path: string) => modules.makeRequire('/', null)(path);
// What the host rewrites `import(...)` and `import.meta` into (src/js/module-source.ts).
Object.defineProperty(g, '__agentos_import', { value: dynamicImport, writable: true, configurable: true });
Object.defineProperty(g, '__agentos_meta', { value: importMeta, writable: true, configurable: true });

/**
 * Node's behaviour for an exception nothing caught (`origin` says whether it came from a
 * rejected promise), as its process._fatalException: `uncaughtExceptionMonitor` listeners,
 * then the capture callback (uncaught.ts) if one is set, else `uncaughtException` listeners,
 * else print it, run the `exit` listeners with code 1 and end. Once handled, the ticks left
 * (and those the handler queued) run, and a tick that throws comes back here.
 */
function guard(run: () => void, origin = 'uncaughtException'): void {
  settleUnwound();
  let step = run;
  for (;;) {
    try {
      step();
      drainTicks();
      return;
    } catch (err) {
      // A required ES module that threw: its own error follows, as this entry's rejection.
      if (err instanceof ExitSignal || err instanceof ModuleEvaluationFailed || !fatalException(err, origin)) return;
    }
    step = () => {};
    origin = 'uncaughtException';
  }
}

/** False when the process ends (or is ending) because of `err`. */
function fatalException(err: unknown, origin: string): boolean {
  try {
    proc.emit('uncaughtExceptionMonitor', err, origin);
    if (!captured(err)) {
      if (proc.listenerCount('uncaughtException') === 0) {
        // In a worker, the parent's 'error' event reports it (Node's worker prints nothing).
        if (!reportUncaught(err)) writeOut(2, `${describeUncaught(err)}\n`);
        exitFromUncaught();
        return false;
      }
      proc.emit('uncaughtException', err, origin);
    }
  } catch (again) {
    if (again instanceof ExitSignal) return false;
    // A handler that throws ends the process with 7, as Node's does (no `exit` listeners);
    // a worker's goes to its parent's 'error' event, and the worker ends with 1.
    const reported = reportUncaught(again);
    if (!reported) writeOut(2, `${describeUncaught(again)}\n`);
    hooks.exit(reported ? 1 : 7);
    return false;
  }
  settleUnwound();
  return true;
}

/**
 * An uncaught exception from a callback the runtime runs as a microtask (queueMicrotask, the
 * tick queue's drain) goes the same way. A queueMicrotask callback's context is left before
 * (`settleFirst`): Node runs it in an AsyncResource scope, whose `after` hooks (and so a
 * domain's exit) come before the exception is dispatched.
 */
function guardMicrotask(fn: () => void, settleFirst: boolean): () => void {
  return () => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ExitSignal) throw err;
      if (settleFirst) settleUnwound();
      if (fatalException(err, 'uncaughtException')) guard(() => {});
    }
  };
}

/** Node exits with 1 after an uncaught exception, once the `exit` listeners have run (7 if one of them throws). */
function exitFromUncaught(): void {
  try {
    (proc.exit as (code: number) => void)(1);
  } catch (err) {
    if (err instanceof ExitSignal) return;
    writeOut(2, `${describeUncaught(err)}\n`);
    hooks.exit(7);
  }
}

/**
 * As Node prints an exception nothing caught: the error inspected (its stack, then its own
 * properties such as `code`), or the thrown value with Node's hint, then the version line.
 * (Node also quotes the source line first; this does not.) The runtime's own frames are left out.
 */
function describeUncaught(err: unknown): string {
  const version = `\n\nNode.js ${String(proc.version)}`;
  if (err instanceof Error) {
    let stack: unknown;
    try {
      stack = err.stack;
      if (typeof stack === 'string') {
        const trimmed = trimStack(stack);
        // An error the daemon raised (a module that cannot load) has no frames of the guest's:
        // its own line, where Node would show its loader's frames.
        if (!trimmed.includes('\n    at ')) return `${trimmed}${version}`;
        Object.defineProperty(err, 'stack', { value: trimmed, writable: true, configurable: true, enumerable: false });
      }
      return `${inspect(err)}${version}`;
    } catch {
      // A getter of its own threw while it was inspected: its stack alone, as far as it can be read.
      return `${typeof stack === 'string' ? trimStack(stack) : 'Error'}${version}`;
    }
  }
  let shown: string;
  try {
    shown = inspect(err);
  } catch {
    shown = '[value that cannot be inspected]';
  }
  return `${shown}\n(Use \`node --trace-uncaught ...\` to show where the exception was thrown)${version}`;
}

function runEval(code: string, print: boolean): void {
  const module = modules.evalModule();
  Object.assign(g, { require: module.require, module, exports: module.exports, __filename: '[eval]', __dirname: '.' });
  const result = (0, eval)(`${code}\n//# sourceURL=[eval]`);
  if (print) consoleObject.log(typeof result === 'string' ? result : inspect(result));
}

/**
 * The globals Node makes enumerable; every other global the runtime defines (process,
 * console, Buffer, TextEncoder, ...) is non-enumerable there, and programs (Node's own
 * test/common among them, which fails a test that "leaks" a global) look at `for (k in globalThis)`.
 */
const NODE_ENUMERABLE_GLOBALS = new Set(['global', 'clearImmediate', 'setImmediate', 'clearInterval', 'clearTimeout', 'setInterval', 'setTimeout', 'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'performance', 'fetch', 'crypto']);
function hideRuntimeGlobals(): void {
  for (const key of Object.keys(g)) {
    if (NODE_ENUMERABLE_GLOBALS.has(key)) continue;
    const desc = Object.getOwnPropertyDescriptor(g, key);
    if (desc?.configurable) Object.defineProperty(g, key, { ...desc, enumerable: false });
  }
}

const entries: RuntimeEntries = {
  setup(info: ProcessInfo) {
    setupProcess(info, (dir) => {
      try {
        return unwrap<{ type: string }>(hooks.fs('stat', [dir, true])).type === 'directory';
      } catch {
        return false;
      }
    });
    meter.configure(info.callWindow);
    configureTimers(info.maxTimers, info.maxTimerDelayMs);
    configureOutput(info.outputWindowBytes);
    configureRandom(info.randomChunkBytes);
    configureTextCodecs(info.textChunkBytes);
    if (info.bindings.length > 0) g.host = createHostObject(info.bindings, info.maxHostCalls, info.hostCallPayloadBytes);
    // A worker_threads Worker's process has the channel as its parentPort, not process.send.
    if (info.ipc && !setupWorkerSelf(proc)) setupParentChannel(proc);
    hideRuntimeGlobals();
  },
  runMain(program: MainProgram) {
    guard(() => {
      if (program.kind === 'eval') runEval(program.code, program.print);
      else modules.load({ path: program.path, format: 'commonjs', source: program.source }, null, true);
    });
  },
  fireTimers(immediates: boolean) {
    void fireDue(immediates, guard);
  },
  pushStdin(chunk: Uint8Array | null) {
    guard(() => stdin.push(chunk));
  },
  settleCall(callId: number, ok: boolean, value: unknown) {
    guard(() => settleCall(callId, ok, value));
  },
  settleImport(callId: number, ok: boolean, value: unknown) {
    guard(() => settleImport(callId, ok, value));
  },
  signal(name: string) {
    if (name === 'SIGWINCH') guard(() => terminalResized());
    if (proc.listenerCount(name) === 0) return false;
    guard(() => proc.emit(name, name));
    return true;
  },
  childEvent(pid: number, kind: string, data: unknown) {
    guard(() => dispatchChildEvent(pid, kind, data));
  },
  netEvent(id: number, kind: string, data: unknown) {
    guard(() => dispatchNetEvent(id, kind, data));
  },
  lifecycle(event, value) {
    if (event === 'rejection') {
      // A rejection nobody handled: Node's default mode (throw) gives it to `unhandledRejection`
      // listeners, else raises it as an uncaught exception. isolated-vm hands over a copy of
      // the reason (not the same object) and no promise, so the promise passed is a stand-in.
      guard(() => {
        if (proc.listenerCount('unhandledRejection') === 0) throw value;
        const standIn = Promise.reject(value);
        standIn.catch(() => {});
        proc.emit('unhandledRejection', value, standIn);
      }, 'unhandledRejection');
    } else if (event === 'preMain') {
      // A cluster worker (Node's initializeClusterIPC) joins its primary before its main
      // program runs: an entry of its own, since joining sends a message (setup may not call out).
      guard(() => {
        announceOnline();
        const env = proc.env as Record<string, string | undefined>;
        if (!(proc.argv as string[])[1] || !env.NODE_UNIQUE_ID) return;
        nodeRequire('cluster')._setupWorker();
        delete env.NODE_UNIQUE_ID;
      });
    } else if (event === 'outputError') {
      // The daemon could not write what stdout or stderr sent into its file (the VM's
      // filesystem full), once per stream (JsProcess.outputFailed): the stream errors as
      // Node's does, unhandled ending the process. Node's file stdout throws from that
      // write() itself; here the error comes just after it.
      const { fd, code, message } = value as { fd: 1 | 2; code: string; message: string };
      const err = nodeFsError(Object.assign(new Error(message), { code, syscall: 'write' }), []) as Error;
      guard(() => (proc[fd === 1 ? 'stdout' : 'stderr'] as { emit(event: string, e: Error): boolean }).emit('error', err));
    } else if (event === 'beforeExit') {
      guard(() => proc.emit('beforeExit', proc.exitCode ?? 0));
    } else {
      guard(() => (proc.exit as (code?: number) => void)());
    }
  },
  builtinExports() {
    const out: Record<string, string[]> = {};
    for (const name of Object.keys(builtins)) {
      const listed = LISTED_EXPORTS[name];
      if (listed) {
        out[name] = [...listed];
        continue;
      }
      const value = builtins[name];
      out[name] = value && (typeof value === 'object' || typeof value === 'function') ? Object.keys(value).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k)) : [];
    }
    return out;
  },
};

g.__agentos_entries = entries;
