/**
 * `buffer` as Node 20 has it, on top of the `buffer` package (feross's, the browser port of
 * Node's Buffer): what that package lacks is added here: the 'base64url' encoding, Node's
 * argument validation and error messages, Node's `inspect` output (`<Buffer 68 69>` with
 * `... N more bytes` and extra properties), the internal `*Slice` methods Node's own code
 * calls (`hexSlice` ...), and the module's other exports (atob/btoa, isUtf8, isAscii,
 * constants, kMaxLength, transcode).
 */
import type { Buffer as BufferType } from 'buffer';
import { atob, btoa } from '../base64-globals.js';
import { nodeError, validators } from './errors.js';
import { internalBinding } from './bindings.js';
import { nodeRequire } from './internal.js';

type AnyBuffer = typeof BufferType & Record<string, any>;
// Node 20's own values (what `require('buffer')` reports), not bounds of this runtime.
const NODE_K_LENGTH = 2 ** 32;
const NODE_K_STRING_LENGTH = 2 ** 29 - 24;
const NODE_INSPECT_BYTES = 50;

const isBase64url = (encoding: unknown) => typeof encoding === 'string' && encoding.toLowerCase() === 'base64url';
const toBase64 = (s: string) => s.replace(/-/g, '+').replace(/_/g, '/');
const toBase64url = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Adds to the package's Buffer class, once, what Node's has (see above). */
export function patchBuffer(Buffer: AnyBuffer): AnyBuffer {
  const proto = Buffer.prototype as any;
  // The bundler may rename the package's `function Buffer` (it printed as Buffer2).
  Object.defineProperty(Buffer, 'name', { value: 'Buffer' });
  const { from, alloc, allocUnsafe, allocUnsafeSlow, byteLength, isEncoding } = Buffer as Record<string, any>;
  const { toString, write, fill, indexOf, lastIndexOf, includes } = proto;

  Buffer.from = function fromNode(this: unknown, value: unknown, encodingOrOffset?: unknown, length?: unknown) {
    if (typeof value === 'string') {
      if (isBase64url(encodingOrOffset)) return from.call(this, toBase64(value), 'base64');
      if (encodingOrOffset !== undefined && typeof encodingOrOffset === 'string' && !Buffer.isEncoding(encodingOrOffset)) throw nodeError('ERR_UNKNOWN_ENCODING', encodingOrOffset);
      return from.call(this, value, encodingOrOffset as string);
    }
    if (typeof value === 'object' && value !== null) return from.call(this, value as never, encodingOrOffset as never, length as never);
    throw nodeError('ERR_INVALID_ARG_TYPE', 'first argument', ['string', 'Buffer', 'ArrayBuffer', 'Array', 'Array-like Object'], value);
  } as never;
  const sized = (make: (size: number, ...rest: any[]) => unknown) =>
    function sizedNode(this: unknown, size: unknown, ...rest: unknown[]) {
      validators().validateNumber!(size, 'size', 0, NODE_K_LENGTH);
      return make.call(this, size as number, ...rest);
    };
  Buffer.alloc = sized((size, fillWith, encoding) => (isBase64url(encoding) ? alloc.call(Buffer, size, from.call(Buffer, toBase64(fillWith), 'base64')) : alloc.call(Buffer, size, fillWith, encoding))) as never;
  Buffer.allocUnsafe = sized((size) => allocUnsafe.call(Buffer, size)) as never;
  Buffer.allocUnsafeSlow = sized((size) => allocUnsafeSlow.call(Buffer, size)) as never;
  Buffer.byteLength = function byteLengthNode(value: unknown, encoding?: unknown) {
    if (typeof value !== 'string' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
      throw nodeError('ERR_INVALID_ARG_TYPE', 'string', ['string', 'Buffer', 'ArrayBuffer'], value);
    }
    if (typeof value === 'string' && isBase64url(encoding)) return byteLength.call(Buffer, toBase64(value), 'base64');
    return byteLength.call(Buffer, value as string, encoding as never);
  } as never;
  Buffer.isEncoding = function isEncodingNode(encoding: unknown) {
    return isBase64url(encoding) || isEncoding.call(Buffer, encoding as string);
  } as never;
  proto.toString = function toStringNode(this: BufferType, encoding?: unknown, start?: number, end?: number) {
    if (isBase64url(encoding)) return toBase64url(toString.call(this, 'base64', start, end));
    if (encoding !== undefined && typeof encoding === 'string' && !Buffer.isEncoding(encoding)) throw nodeError('ERR_UNKNOWN_ENCODING', encoding);
    return toString.call(this, encoding, start, end);
  };
  proto.toLocaleString = proto.toString;
  proto.write = function writeNode(this: BufferType, string: string, ...rest: unknown[]) {
    const i = rest.findIndex((r) => typeof r === 'string');
    if (i >= 0 && isBase64url(rest[i])) {
      rest[i] = 'base64';
      return write.call(this, toBase64(string), ...rest);
    }
    return write.call(this, string, ...rest);
  };
  proto.fill = function fillNode(this: BufferType, value: unknown, ...rest: unknown[]) {
    const i = rest.findIndex((r) => typeof r === 'string');
    if (typeof value === 'string' && i >= 0 && isBase64url(rest[i])) return fill.call(this, from.call(Buffer, toBase64(value), 'base64'), ...rest.slice(0, i));
    return fill.call(this, value, ...rest);
  };
  for (const [name, original] of [['indexOf', indexOf], ['lastIndexOf', lastIndexOf], ['includes', includes]] as const) {
    proto[name] = function searchNode(this: BufferType, value: unknown, byteOffset?: unknown, encoding?: unknown) {
      if (typeof value === 'string' && (isBase64url(encoding) || isBase64url(byteOffset))) {
        return original.call(this, from.call(Buffer, toBase64(value), 'base64'), isBase64url(byteOffset) ? undefined : byteOffset);
      }
      return original.call(this, value, byteOffset, encoding);
    };
  }
  // The internal per-encoding methods Node's own lib/ (and some packages) call.
  for (const enc of ['hex', 'utf8', 'latin1', 'ascii', 'ucs2', 'base64', 'base64url'] as const) {
    proto[`${enc}Slice`] = function slice(this: BufferType, start = 0, end = this.length) {
      return proto.toString.call(this, enc, start, end);
    };
    proto[`${enc}Write`] = function writeEnc(this: BufferType, string: string, offset = 0, length = this.length - offset) {
      return proto.write.call(this, string, offset, length, enc);
    };
  }
  const custom = Symbol.for('nodejs.util.inspect.custom');
  proto[custom] = function inspect(this: BufferType, _recurseTimes: number, ctx?: Record<string, unknown>) {
    const remaining = this.length - NODE_INSPECT_BYTES;
    let str = proto.hexSlice.call(this, 0, Math.min(NODE_INSPECT_BYTES, this.length)).replace(/(.{2})/g, '$1 ').trim();
    if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
    if (ctx) {
      const { getOwnNonIndexProperties, constants } = internalBinding('util');
      const obj: Record<PropertyKey, unknown> = Object.create(null);
      let extras = false;
      for (const key of getOwnNonIndexProperties(this, ctx.showHidden ? constants.ALL_PROPERTIES : constants.ONLY_ENUMERABLE)) {
        extras = true;
        obj[key] = (this as unknown as Record<PropertyKey, unknown>)[key];
      }
      if (extras) {
        if (this.length !== 0) str += ', ';
        // '[Object: null prototype] {'.length === 26
        str += nodeRequire('internal/util/inspect').inspect(obj, { ...ctx, breakLength: Infinity, compact: true }).slice(27, -2);
      }
    }
    return `<${this.constructor.name} ${str}>`;
  };
  proto.inspect = proto[custom];
  return Buffer;
}


/** The `buffer` module's exports around the (patched) Buffer class. */
export function bufferModule(Buffer: AnyBuffer): Record<string, unknown> {
  function SlowBuffer(size: number) {
    return Buffer.allocUnsafeSlow(size);
  }
  const bytesOf = (input: unknown): Uint8Array => {
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
    throw nodeError('ERR_INVALID_ARG_TYPE', 'input', ['ArrayBuffer', 'Buffer', 'TypedArray'], input);
  };
  const mod: Record<string, unknown> = {
    Buffer,
    SlowBuffer,
    transcode(source: unknown, fromEnc: string, toEnc: string) {
      if (!(source instanceof Uint8Array)) throw nodeError('ERR_INVALID_ARG_TYPE', 'source', ['Buffer', 'Uint8Array'], source);
      const norm = (e: string) => String(e).toLowerCase().replace('-', '').replace('ucs2', 'utf16le').replace('binary', 'latin1');
      const supported = ['ascii', 'latin1', 'utf8', 'utf16le'];
      if (!supported.includes(norm(fromEnc)) || !supported.includes(norm(toEnc))) {
        const err = new Error(`Unable to transcode Buffer [U_ILLEGAL_ARGUMENT_ERROR]`) as Error & { code: string; errno: number };
        err.code = 'U_ILLEGAL_ARGUMENT_ERROR';
        err.errno = 1;
        throw err;
      }
      const text = Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString(norm(fromEnc) as never);
      const ascii = norm(toEnc) === 'ascii' || norm(toEnc) === 'latin1';
      return Buffer.from(ascii ? text.replace(/[^\x00-\xff]/gu, '?') : text, norm(toEnc) as never);
    },
    isUtf8: (input: unknown) => isWellFormedUtf8(bytesOf(input)),
    isAscii: (input: unknown) => bytesOf(input).every((b) => b < 0x80),
    kMaxLength: NODE_K_LENGTH,
    kStringMaxLength: NODE_K_STRING_LENGTH,
    btoa,
    atob,
    constants: Object.defineProperties({}, {
      MAX_LENGTH: { value: NODE_K_LENGTH, writable: false, enumerable: true },
      MAX_STRING_LENGTH: { value: NODE_K_STRING_LENGTH, writable: false, enumerable: true },
    }),
    INSPECT_MAX_BYTES: NODE_INSPECT_BYTES,
  };
  // Node's own Blob and File (internal/blob.js, internal/file.js), loaded on first touch.
  const blob = () => nodeRequire('internal/blob') as Record<string, unknown>;
  for (const [name, load] of [['Blob', () => blob().Blob], ['resolveObjectURL', () => blob().resolveObjectURL], ['File', () => (nodeRequire('internal/file') as Record<string, unknown>).File]] as const) {
    Object.defineProperty(mod, name, {
      get: () => {
        const value = load();
        // Undefined only while internal/blob is still loading (a require cycle): ask again later.
        if (value !== undefined) Object.defineProperty(mod, name, { value, writable: true, enumerable: true, configurable: true });
        return value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  return mod;
}

/** UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
function isWellFormedUtf8(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return false;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined) return false;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}
