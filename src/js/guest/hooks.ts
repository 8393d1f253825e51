import type { BlockingHook, BlockingOp, GuestErrorShape, HookResult, IgnoredHooks, SyncHooks } from './contract.js';

/**
 * The host's callbacks, taken off the global object before any guest code runs so the
 * guest can only reach them through the runtime's own wrappers.
 */
type Hooks = IgnoredHooks & SyncHooks & { block: BlockingHook };
const names: Array<keyof Hooks> = ['write', 'timer', 'setExitCode', 'wantStdin', 'hostCall', 'signalListeners', 'fs', 'load', 'exit', 'random', 'block'];
const g = globalThis as unknown as Record<string, unknown>;

export const hooks = {} as Hooks;
for (const name of names) {
  const key = `__agentos_hook_${name}`;
  (hooks as unknown as Record<string, unknown>)[name] = g[key];
  delete g[key];
}

export function block<T>(op: BlockingOp, arg?: number): T {
  return hooks.block.applySyncPromise(undefined, [op, arg]) as T;
}

/** Thrown to unwind the guest's stack after `process.exit`; entries swallow it. */
export class ExitSignal {
  constructor(readonly code: number) {}
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
