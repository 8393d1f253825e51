import { FsError } from './errors.js';

/**
 * The one check every file size, offset and length passes before the VM filesystem uses
 * it, whoever sent it (guest JS, a WASI or host-ABI call, the protocol): a whole number
 * of bytes from 0 to Number.MAX_SAFE_INTEGER. Anything else (negative, fractional, NaN,
 * Infinity, a bigint past 2^53 that became an inexact number, not a number at all) is
 * EINVAL, so no caller can drive the quota negative or land a write at an offset it did
 * not name. Whether the value fits the VM is the filesystem's next question (EFBIG/ENOSPC).
 */
export function byteCount(value: unknown, what: string, syscall: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new FsError('EINVAL', syscall, undefined, `invalid argument: ${what} must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER} (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 32));
  return value === null ? 'null' : typeof value;
}
