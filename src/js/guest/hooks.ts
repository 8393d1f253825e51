import type { BlockingHook, BlockingOp, GuestErrorShape, HookResult, IgnoredHooks, SyncHooks } from './contract.js';
import { bytesOf, CallMeter } from '../../process/guest-calls.js';

/**
 * The host's callbacks, taken off the global object before any guest code runs so the
 * guest can only reach them through the runtime's own wrappers. Each goes through the
 * call meter: fire-and-forget calls count against the process's window, calls with an
 * answer wait out a daemon turn that is spent (src/process/guest-calls.ts).
 */
type Hooks = IgnoredHooks & SyncHooks & { block: BlockingHook };
const ignoredNames = ['write', 'timer', 'setExitCode', 'wantStdin', 'hostCall', 'signalListeners'] as const;
const answeredNames = ['fs', 'load', 'random', 'text'] as const;
const g = globalThis as unknown as Record<string, unknown>;
const raw = {} as Record<string, (...args: unknown[]) => unknown>;
for (const name of [...ignoredNames, ...answeredNames, 'exit', 'block']) {
  const key = `__agentos_hook_${name}`;
  raw[name] = g[key] as (...args: unknown[]) => unknown;
  delete g[key];
}
const rawBlock = raw.block as unknown as BlockingHook;

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
for (const name of answeredNames) {
  const call = raw[name]!;
  table[name] = (a: unknown, b: unknown) => meter.answered(() => call(a, b));
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
  const err = new Error(shape.message) as Error & Record<string, unknown>;
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
