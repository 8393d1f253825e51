/**
 * Node's errors, with Node's codes and exact messages, for every guest builtin: Node's own
 * lib/internal/errors.js and lib/internal/validators.js (vendored), loaded on first use.
 *
 *   throw nodeError('ERR_INVALID_ARG_TYPE', 'path', ['string', 'Buffer', 'URL'], value);
 *   // TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string or an
 *   //   instance of Buffer or URL. Received type number (1)
 *   validators().validateString(value, 'name');   // throws the same error itself
 *
 * Any code of Node 20's lib/internal/errors.js works, with that code's arguments.
 */
import { nodeRequire } from './internal.js';

type ErrorClass = new (...args: unknown[]) => Error & { code: string };

/** Node's `codes` table: the error class for each `ERR_*` code. */
export const errorCodes = (): Record<string, ErrorClass> => nodeRequire('internal/errors').codes;

/** A new error of Node's class for `code`, its message built from `args` as Node builds it. */
export function nodeError(code: string, ...args: unknown[]): Error & { code: string } {
  const Class = errorCodes()[code];
  if (!Class) throw new Error(`unknown Node error code ${code}`);
  return new Class(...args);
}

/** Node's argument validators (validateString, validateNumber, validateObject, validateFunction, validateAbortSignal, ...). */
export const validators = (): Record<string, (...args: any[]) => void> => nodeRequire('internal/validators');

/** Node's AbortError (`name` 'AbortError', `code` 'ABORT_ERR'). */
export const AbortError = (): new (message?: string, options?: { cause?: unknown }) => Error => nodeRequire('internal/errors').AbortError;
