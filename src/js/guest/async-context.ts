/**
 * The async context that `async_hooks` (AsyncLocalStorage, AsyncResource, createHook) reads.
 * isolated-vm gives no V8 promise hooks, so the context travels by wrapping the runtime's own
 * schedulers (timers, immediates, nextTick, queueMicrotask — fs callbacks go through it) and
 * Promise.prototype.then. Nothing is wrapped until `async_hooks` is first required: before
 * that no store or hook can exist, so a trivial program pays nothing.
 * Limit: `await` of a native promise resumes through V8's internal PerformPromiseThen, which a
 * script cannot intercept; code after such an `await` sees the context that was current when
 * its microtask ran (the outermost one), not the context of the `await`.
 */
export interface Frame {
  id: number;
  trigger: number;
  resource: object;
  stores: Map<object, unknown> | undefined;
}

export interface HookSet {
  init?(id: number, type: string, trigger: number, resource: object): void;
  before?(id: number): void;
  after?(id: number): void;
  destroy?(id: number): void;
  promiseResolve?(id: number): void;
}

const top: Frame = { id: 1, trigger: 0, resource: {}, stores: undefined };
let current: Frame = top;
let nextId = 2;
export const activeHooks = new Set<HookSet>();
export const asyncContext = { enabled: false };

export const currentFrame = (): Frame => current;
export const newAsyncId = (): number => nextId++;

/** Replaces the current frame (enterWith, exit): undone when the callback that runs it ends. */
export function setFrame(frame: Frame): void {
  current = frame;
}

function emit(kind: 'before' | 'after' | 'destroy' | 'promiseResolve', id: number): void {
  for (const hook of activeHooks) hook[kind]?.(id);
}

export function emitInit(id: number, type: string, trigger: number, resource: object): void {
  for (const hook of activeHooks) hook.init?.(id, type, trigger, resource);
}

/** Runs `fn` in `frame`, with the before/after hooks around it; the previous frame comes back after. */
export function runInFrame<T>(frame: Frame, fn: (...a: unknown[]) => T, thisArg: unknown, args: unknown[]): T {
  const prev = current;
  current = frame;
  if (activeHooks.size) emit('before', frame.id);
  try {
    return fn.apply(thisArg, args);
  } finally {
    if (activeHooks.size) emit('after', frame.id);
    current = prev;
  }
}

/**
 * A new async resource of `type` made now: its frame carries the current stores, and `init`
 * fires. Returns the frame, to run callbacks in later.
 */
export function newFrame(type: string, resource: object = {}): Frame {
  const frame: Frame = { id: nextId++, trigger: current.id, resource, stores: current.stores };
  if (activeHooks.size) emitInit(frame.id, type, frame.trigger, resource);
  return frame;
}

/**
 * `fn` bound to the context current now; `once` callbacks fire `destroy` after they ran. As
 * Node's timers and tick queue do, a callback that throws keeps its context, and its `after`
 * hooks wait, until the uncaught exception has been handled (`settleUnwound`): the handler
 * (a domain's, through its `before` hook) runs in the context of the callback that threw.
 */
export function capture<F extends (...a: any[]) => any>(fn: F, type: string, once = true, resource?: object): F {
  if (!asyncContext.enabled) return fn;
  const frame = newFrame(type, resource);
  return function (this: unknown, ...args: unknown[]) {
    const prev = current;
    current = frame;
    if (activeHooks.size) emit('before', frame.id);
    let threw = true;
    try {
      const result = fn.apply(this, args);
      threw = false;
      return result;
    } finally {
      if (threw) unwound.push({ id: frame.id, prev });
      else {
        if (activeHooks.size) emit('after', frame.id);
        current = prev;
      }
      if (once) emitDestroy(frame.id);
    }
  } as F;
}

/** Callbacks that threw, innermost first, with the context each one was entered from. */
const unwound: Array<{ id: number; prev: Frame }> = [];

/** The uncaught exception was handled: the `after` hooks of the callbacks it unwound run now, as Node runs them. */
export function settleUnwound(): void {
  while (unwound.length > 0) {
    const { id, prev } = unwound.shift()!;
    if (activeHooks.size) emit('after', id);
    current = prev;
  }
}

/** As Node does, destroy hooks run later, from a queue drained in an immediate. */
const destroyed: number[] = [];
let destroyScheduler: ((fn: () => void) => void) | undefined;
export function setDestroyScheduler(fn: (cb: () => void) => void): void {
  destroyScheduler = fn;
}

export function emitDestroy(id: number): void {
  if (!activeHooks.size || !destroyScheduler) return;
  destroyed.push(id);
  if (destroyed.length > 1) return;
  const enabled = asyncContext.enabled;
  asyncContext.enabled = false; // the drain is not itself a resource
  try {
    destroyScheduler(() => {
      for (const done of destroyed.splice(0)) emit('destroy', done);
    });
  } finally {
    asyncContext.enabled = enabled;
  }
}

export function emitPromiseResolve(id: number): void {
  if (activeHooks.size) emit('promiseResolve', id);
}
