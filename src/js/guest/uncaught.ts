/**
 * Node's uncaught-exception capture callback (lib/internal/process/execution.js):
 * `process.setUncaughtExceptionCaptureCallback(fn)` makes `fn` receive every exception
 * nothing caught instead of `uncaughtException` listeners (the process goes on, its exit code
 * untouched); `domain` claims it for itself. The runtime's guard (runtime.ts) asks `captured`.
 */
import { nodeRequire } from './node/internal.js';

let captureFn: ((err: unknown) => unknown) | null = null;

export function setUncaughtExceptionCaptureCallback(fn: unknown): void {
  if (fn === null) {
    captureFn = null;
    return;
  }
  const { ERR_INVALID_ARG_TYPE, ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET } = nodeRequire('internal/errors').codes;
  if (typeof fn !== 'function') throw new ERR_INVALID_ARG_TYPE('fn', ['Function', 'null'], fn);
  if (captureFn !== null) throw new ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET();
  captureFn = fn as (err: unknown) => unknown;
}

export function hasUncaughtExceptionCaptureCallback(): boolean {
  return captureFn !== null;
}

/** Gives `err` to the capture callback if one is set (true); it may throw, as Node's may. */
export function captured(err: unknown): boolean {
  if (captureFn === null) return false;
  captureFn(err);
  return true;
}
