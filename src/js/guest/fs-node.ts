import { nodeRequire } from './node/internal.js';

/**
 * Node's own argument handling for `fs` (vendor/node/lib/internal/fs/utils.js and
 * internal/validators.js, Node 20.19.2), loaded on the first fs call that checks an
 * argument, so the guest's fs throws exactly Node's errors (code, class, message) in
 * Node's order before a call reaches the VM.
 */
type Fn = (...args: any[]) => any;
export interface NodeFsUtils {
  getValidatedPath: Fn; getValidatedFd: Fn; getOptions: Fn; stringToFlags: Fn; stringToSymlinkType: Fn; toUnixTimestamp: Fn;
  validateOffsetLengthRead: Fn; validateOffsetLengthWrite: Fn; validatePosition: Fn; validateBufferArray: Fn;
  validateRmOptionsSync: Fn; validateRmdirOptions: Fn; validateStringAfterArrayBufferView: Fn; warnOnNonPortableTemplate: Fn;
  getStatsFromBinding: Fn; validateCpOptions: Fn; getStatFsFromBinding: Fn; emitRecursiveRmdirWarning: Fn; copyObject: Fn; assertEncoding: Fn;
  Stats: Fn; Dirent: Fn; constants: { kMaxUserId: number };
  validateInteger: Fn; validateInt32: Fn; validateUint32: Fn; validateBoolean: Fn; validateFunction: Fn; validateObject: Fn; validateBuffer: Fn;
  validateEncoding: Fn; validateString: Fn; validateAbortSignal: Fn; parseFileMode: Fn; isInt32: Fn; isUint32: Fn;
  kValidateObjectAllowNullable: number;
  codes: Record<string, new (...args: any[]) => Error>;
}

let loaded: NodeFsUtils | undefined;

export function nodeFs(): NodeFsUtils {
  return (loaded ??= { ...nodeRequire('internal/validators'), ...nodeRequire('internal/fs/utils'), codes: nodeRequire('internal/errors').codes });
}

/**
 * The access/copyFile mode as Node 20.19's C++ binding checks it (GetValidFileMode): a
 * number, truncated, from 0 to 7; its messages are the binding's, not validators.js's.
 */
export function validMode(mode: unknown): number {
  if (mode === undefined || mode === null) return 0;
  const coded = <E extends Error>(err: E) => Object.assign(err, { code: err instanceof RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE' });
  if (typeof mode !== 'number') throw coded(new TypeError('mode must be int32 or null/undefined'));
  if (Number.isNaN(mode)) throw coded(new RangeError('mode is out of range'));
  const m = Math.trunc(mode);
  if (m < 0 || m > 7) throw coded(new RangeError('mode is out of range: >= 0 && <= 7'));
  return m;
}

/*
 * Fast paths: the valid arguments nearly every call passes are recognised here without
 * loading Node's modules (they cost a first fs call tens of milliseconds); anything else goes
 * to Node's own check, which accepts it or throws Node's error.
 */
// The largest fd Node's validator takes (an int32), not a bound of ours.
const INT32_TOP = 2 ** 31 - 1;
const COMMON_FLAGS: Record<string, number> = { r: 0, 'r+': 2, w: 0o1101, 'w+': 0o1102, a: 0o2101, 'a+': 0o2102 };
const COMMON_ENCODINGS = new Set(['utf8', 'utf-8', 'buffer', 'latin1', 'binary', 'base64', 'hex', 'ascii', 'ucs2', 'utf16le', 'base64url']);

/** getValidatedPath's result for a string without NUL bytes is the string itself. */
export function validPath(p: unknown, name: string): string | Uint8Array {
  if (typeof p === 'string' && p.length > 0 && !p.includes('\u0000')) return p;
  return nodeFs().getValidatedPath(p, name);
}

export function validFd(fd: unknown): number {
  if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 && fd <= INT32_TOP) return fd;
  return nodeFs().getValidatedFd(fd);
}

export function isInt32(v: unknown): v is number {
  return typeof v === 'number' && v === (v | 0);
}

export function openFlags(flags: unknown): number {
  if (flags === undefined || flags === null) return 0;
  if (typeof flags === 'string' && flags in COMMON_FLAGS) return COMMON_FLAGS[flags]!;
  return nodeFs().stringToFlags(flags);
}

export function fileMode(mode: unknown, def?: number): number {
  if (mode === undefined && def !== undefined) return def;
  if (typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0xffffffff) return mode;
  return nodeFs().parseFileMode(mode, 'mode', def);
}

export function validBoolean(v: unknown, name: string): void {
  if (typeof v !== 'boolean') nodeFs().validateBoolean(v, name);
}

/** getOptions: a copy of the defaults, the defaults with an encoding, or the caller's object, each with a known encoding. */
export function fsOptions<T extends object>(options: unknown, defaults: T): any {
  if (options === undefined || options === null || typeof options === 'function') return defaults;
  if (typeof options === 'string' && COMMON_ENCODINGS.has(options)) return { ...defaults, encoding: options };
  if (typeof options === 'object') {
    const o = options as { encoding?: unknown; signal?: unknown };
    if ((o.encoding === undefined || o.encoding === null || (typeof o.encoding === 'string' && COMMON_ENCODINGS.has(o.encoding))) && o.signal === undefined) return options;
  }
  return nodeFs().getOptions(options, defaults);
}
