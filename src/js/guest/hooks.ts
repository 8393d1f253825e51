import type { BlockingHook, BlockingOp, GuestErrorShape, HookResult, IgnoredHooks, SyncHooks } from './contract.js';
import { askingCall, bytesOf, CallMeter } from '../../process/guest-calls.js';

/**
 * The host's callbacks, taken off the global object before any guest code runs so the
 * guest can only reach them through the runtime's own wrappers. Each goes through the
 * call meter: fire-and-forget calls count against the process's window, calls with an
 * answer wait out a daemon turn that is spent (src/process/guest-calls.ts).
 */
type Hooks = IgnoredHooks & SyncHooks & { block: BlockingHook };
const ignoredNames = ['write', 'timer', 'setExitCode', 'wantStdin', 'hostCall', 'signalListeners', 'importModule'] as const;
const answeredNames = ['fs', 'load', 'resolve', 'random', 'node', 'text'] as const;
const g = globalThis as unknown as Record<string, unknown>;
const raw = {} as Record<string, (...args: unknown[]) => unknown>;
for (const name of [...ignoredNames, ...answeredNames, 'exit', 'block']) {
  const key = `__agentos_hook_${name}`;
  raw[name] = g[key] as (...args: unknown[]) => unknown;
  delete g[key];
}
const rawBlock = raw.block as unknown as BlockingHook;

/**
 * The guest's own isolate and context (isolated-vm handles): the runtime compiles CommonJS
 * with them, in this isolate, with the code cache the host gives. Only the runtime holds them.
 */
interface CompiledScript {
  runSync(context: unknown, options: object): { deref(): unknown };
  release(): void;
}
/** An ES module as isolated-vm's handle: linked and evaluated on this thread by `require()` (require-esm.ts). */
export interface ModuleHandle {
  instantiateSync(context: unknown, resolve: (specifier: string, referrer: ModuleHandle) => ModuleHandle): void;
  evaluateSync(): unknown;
  readonly namespace: { deref(): Record<string, unknown> };
}
/** An isolated-vm handle on a context of this isolate: it keeps the context alive until released. */
export interface ContextHandle {
  release(): void;
}
const ownIsolate = g.__agentos_hook_isolate as {
  compileScriptSync(code: string, options: object): CompiledScript;
  compileModuleSync(code: string, options: object): ModuleHandle;
  createContextSync(): ContextHandle;
};
const ownContext = g.__agentos_hook_context;
delete g.__agentos_hook_isolate;
delete g.__agentos_hook_context;

/**
 * isolated-vm reports a compile error as an object of its own making, `message [file:line:col]`:
 * rebuilt here as this realm's SyntaxError, with Node's `file:line` heading.
 */
function compileError(err: unknown, filename: string): Error {
  const e = err as { name?: unknown; message?: unknown } | null;
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  const at = / \[[^\]]*:(\d+):\d+\]$/.exec(raw);
  const message = at ? raw.slice(0, at.index) : raw;
  const out = e?.name === 'SyntaxError' ? new SyntaxError(message) : new Error(message);
  out.stack = `${at ? `${filename}:${at[1]}\n\n` : ''}${out.name}: ${message}`;
  return out;
}

/** Compiles and runs a script in this isolate, with cached data when there is some; its completion value. */
export function compileScript(code: string, filename: string, cachedData: unknown, columnOffset = 0): unknown {
  // Null-prototype options: guest code may have put getters on Object.prototype.
  const options = Object.create(null) as Record<string, unknown>;
  options.filename = filename;
  if (columnOffset !== 0) options.columnOffset = columnOffset;
  if (cachedData !== undefined) options.cachedData = cachedData;
  let script: CompiledScript;
  try {
    script = ownIsolate.compileScriptSync(code, options);
  } catch (err) {
    throw compileError(err, filename);
  }
  const runOptions = Object.create(null) as Record<string, unknown>;
  runOptions.reference = true;
  try {
    return script.runSync(ownContext, runOptions).deref();
  } finally {
    script.release();
  }
}

/** Compiles an ES module in this isolate (with the host's code cache when it has one). */
export function compileModule(code: string, filename: string, cachedData: unknown): ModuleHandle {
  const options = Object.create(null) as Record<string, unknown>;
  options.filename = filename;
  if (cachedData !== undefined) options.cachedData = cachedData;
  try {
    return ownIsolate.compileModuleSync(code, options);
  } catch (err) {
    throw compileError(err, filename);
  }
}

/** Links a module graph in this isolate's context; `resolve` answers each import with a module. */
export function linkModule(module: ModuleHandle, resolve: (specifier: string, referrer: ModuleHandle) => ModuleHandle): void {
  module.instantiateSync(ownContext, resolve);
}

/** Where a script's text sits in its file, for stack traces (Node's vm options). */
export interface ScriptOrigin { filename: string; lineOffset: number; columnOffset: number }

/** A script compiled once in this isolate and bound to a context at each run (vm.Script). */
export class UnboundScript {
  readonly #script: CompiledScript;
  constructor(code: string, origin: ScriptOrigin) {
    const options = Object.create(null) as Record<string, unknown>;
    options.filename = origin.filename;
    if (origin.lineOffset !== 0) options.lineOffset = origin.lineOffset;
    if (origin.columnOffset !== 0) options.columnOffset = origin.columnOffset;
    try {
      this.#script = ownIsolate.compileScriptSync(code, options);
    } catch (err) {
      throw compileError(err, origin.filename);
    }
  }

  /**
   * Runs the script in `context` (this process's own when undefined); a timeout ends it with
   * isolated-vm's own Error ('Script execution timed out.'), which the caller names.
   */
  run(context: ContextHandle | undefined, timeout: number | undefined): unknown {
    const options = Object.create(null) as Record<string, unknown>;
    options.reference = true;
    // isolated-vm takes an int32 of ms; Node allows a uint32: past 24.8 days is no different.
    if (timeout !== undefined) options.timeout = Math.min(timeout, 2 ** 31 - 1);
    return this.#script.runSync(context ?? ownContext, options).deref();
  }
}

/** A fresh context (its own realm and builtins) in this isolate, on this isolate's heap. */
export function newContextHandle(): ContextHandle {
  return ownIsolate.createContextSync();
}

export const meter = new CallMeter(() => rawBlock.applySyncPromise(undefined, ['turn']));
export const hooks = { block: rawBlock, exit: raw.exit } as unknown as Hooks;
const table = hooks as unknown as Record<string, unknown>;
for (const name of ignoredNames) {
  const call = raw[name]!;
  // Fixed arity, no spread: guest code may have replaced Array.prototype[Symbol.iterator].
  table[name] = (a: unknown, b: unknown, c: unknown, d: unknown) => {
    call(a, b, c, d);
    meter.sent(bytesOf(a) + bytesOf(b) + bytesOf(c) + bytesOf(d));
  };
}
/** Calls the VM's permissions may make wait for the host's answer (`ask`). */
const askingNames: ReadonlySet<string> = new Set(['fs', 'load', 'resolve', 'node']);
const waitForAnswer = (id: number) => rawBlock.applySyncPromise(undefined, ['permission', id]);
for (const name of answeredNames) {
  const call = raw[name]!;
  table[name] = askingNames.has(name)
    ? (a: unknown, b: unknown) => askingCall(() => meter.answered(() => call(a, b)), waitForAnswer)
    : (a: unknown, b: unknown) => meter.answered(() => call(a, b));
}

export function block<T>(op: BlockingOp, arg?: number): T {
  return hooks.block.applySyncPromise(undefined, [op, arg]) as T;
}

/** Thrown to unwind the guest's stack after `process.exit`; entries swallow it. */
export class ExitSignal {
  /** Set once the process has begun to exit: nothing more of the guest's should run. */
  static raised = false;
  constructor(readonly code: number) {
    ExitSignal.raised = true;
  }
}

/** An Error shaped like Node's system errors (`err.code === 'ENOENT'`). */
export function guestError(shape: GuestErrorShape): Error {
  const Ctor = shape.name === 'TypeError' ? TypeError : shape.name === 'SyntaxError' ? SyntaxError : shape.name === 'RangeError' ? RangeError : shape.name === 'ReferenceError' ? ReferenceError : Error;
  const err = new Ctor(shape.message) as Error & Record<string, unknown>;
  if (shape.stack !== undefined) err.stack = shape.stack;
  if (shape.code !== undefined) err.code = shape.code;
  if (shape.syscall !== undefined) err.syscall = shape.syscall;
  if (shape.path !== undefined) err.path = shape.path;
  if (shape.errno !== undefined) err.errno = shape.errno;
  return err;
}

export function unwrap<T>(result: HookResult): T {
  if ('err' in result) throw guestError(result.err);
  return result.ok as T;
}
