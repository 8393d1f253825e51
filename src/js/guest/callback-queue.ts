/**
 * How the runtime calls back into guest code on a later microtask (fs, crypto, stdio and
 * child-process callbacks): as Node calls back from C++ (MakeCallback), in the async context
 * the call was made in. Unlike a guest's own queueMicrotask, whose AsyncResource scope is left
 * before its exception is dispatched, a callback that throws is still in its context (and
 * so in its domain) when the runtime dispatches the uncaught exception (runtime.ts).
 */
import { capture } from './async-context.js';

let schedule: (fn: () => void) => void = (fn) => queueMicrotask(fn);

export function configureCallbackQueue(scheduler: (fn: () => void) => void): void {
  schedule = scheduler;
}

export function queueCallback(fn: () => void): void {
  schedule(capture(fn, 'Microtask'));
}
