import type { Buffer } from 'buffer';
import { hooks, unwrap } from './hooks.js';
import { lazyBuffer } from './lazy.js';

/**
 * Randomness from the host (an isolate has no entropy of its own), with Node 20's own
 * bounds and errors: `randomBytes` returns every byte asked for (fetched in calls of at
 * most `randomChunkBytes`; the guest's heap bounds the total), `getRandomValues` refuses
 * more than Web Crypto's 65,536 bytes.
 */
let chunkBytes = 0; // set by setup from the inventory (RANDOM_CALL_MAX_BYTES)

export function configureRandom(randomChunkBytes: number): void {
  chunkBytes = randomChunkBytes;
}

/** The largest size Node 20 accepts for randomBytes (its own API constant, not a sidecar bound). */
const NODE_RANDOM_SIZE_END = 2 ** 31 - 1;
/** The most one getRandomValues call may ask for (the Web Crypto API constant, not a sidecar bound). */
const WEB_CRYPTO_ENTROPY_BYTES = 65536;

/** The DOMException guests see from Web APIs (V8 has none of its own). */
export class DOMException extends Error {
  // WebIDL's legacy codes, by name.
  static readonly codes: Record<string, number> = { IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25 };
  readonly code: number;
  constructor(message = '', name = 'Error') {
    super(message);
    Object.defineProperty(this, 'name', { value: name, configurable: true, writable: true });
    this.code = DOMException.codes[name] ?? 0;
  }
  get [Symbol.toStringTag](): string {
    return 'DOMException';
  }
}
// The bundler may rename the class (`_DOMException`); guests read its name.
Object.defineProperty(DOMException, 'name', { value: 'DOMException' });

function described(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : 'Received [object Object]';
  }
  const shown = typeof value === 'string' ? `'${value.length > 25 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  return `Received type ${typeof value} (${shown})`;
}

/** Node's rendering of a number in ERR_OUT_OF_RANGE: separators past 2 ** 32. */
function numberShown(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) <= 2 ** 32) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = digits.length; i > 0; i -= 3) out = `${digits.slice(Math.max(0, i - 3), i)}${out ? `_${out}` : ''}`;
  return `${n < 0 ? '-' : ''}${out}`;
}

export function randomBytes(size: unknown): Buffer {
  if (typeof size !== 'number') {
    throw Object.assign(new TypeError(`The "size" argument must be of type number. ${described(size)}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (!(size >= 0 && size <= NODE_RANDOM_SIZE_END)) {
    throw Object.assign(new RangeError(`The value of "size" is out of range. It must be >= 0 && <= ${NODE_RANDOM_SIZE_END}. Received ${numberShown(size)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  const bytes = new Uint8Array(Math.floor(size));
  const out = lazyBuffer().from(bytes.buffer, 0, bytes.byteLength);
  for (let at = 0; at < out.length; at += chunkBytes) {
    out.set(unwrap<Uint8Array>(hooks.random(Math.min(chunkBytes, out.length - at))), at);
  }
  return out;
}

const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

export function getRandomValues<T>(array: T): T {
  const tag = ArrayBuffer.isView(array) ? Object.prototype.toString.call(array).slice(8, -1) : '';
  if (!INTEGER_ARRAYS.includes(tag)) throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
  const view = array as unknown as ArrayBufferView;
  if (view.byteLength > WEB_CRYPTO_ENTROPY_BYTES) throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError');
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(randomBytes(view.byteLength));
  return array;
}
