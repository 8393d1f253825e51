import type { HookResult } from './contract.js';
import { hooks } from './hooks.js';
import { lazyBuffer } from './lazy.js';
import { describeReceived, nodeError } from './node-error.js';

/**
 * TextEncoder and TextDecoder as Node 20 has them. Decoding goes to the daemon's own
 * TextDecoder (src/js/text-decoders.ts): Node's over ICU, so every encoding it supports
 * (windows-125x, shift_jis, gbk, big5, euc-kr, iso-2022-jp ...) decodes to the same string,
 * `fatal` and `ignoreBOM` included, and a streamed decode keeps its state there. Whole UTF-8
 * input that is valid, the common case, stays in the isolate (Buffer's decoder gives the same
 * string for it); so do Node's own shortcut for the windows-1252 labels, which Node 20 reads
 * as ISO-8859-1 unless streaming.
 */
const kEncoding = Symbol('encoding');
const kFatal = Symbol('fatal');
const kIgnoreBOM = Symbol('ignoreBOM');
const kId = Symbol('id');
const kStreaming = Symbol('streaming');

let chunkBytes = Number.POSITIVE_INFINITY;
let nextId = 1;
// A decoder dropped in the middle of a stream frees its state in the daemon when collected.
const dropped = new FinalizationRegistry<number>((id) => {
  hooks.text('free', [id]);
});

/** One `text` call's bound (TEXT_DECODE_CALL_MAX_BYTES): larger input goes as several streamed calls. */
export function configureTextCodecs(maxBytes: number): void {
  chunkBytes = maxBytes;
}

function textCall<T>(op: string, args: unknown[]): T {
  const result: HookResult = hooks.text(op, args);
  if ('ok' in result) return result.ok as T;
  const { code = 'EINVAL', message } = result.err;
  if (code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw nodeError(TypeError, code, message);
  if (code === 'ERR_ENCODING_NOT_SUPPORTED') throw nodeError(RangeError, code, message);
  throw Object.assign(new Error(message), { code });
}

function bytesOf(input: unknown): Uint8Array {
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "input" argument must be an instance of ArrayBuffer or ArrayBufferView.${describeReceived(input)}`);
}

/** Labels answered without asking the daemon (its answer for them is known). */
const KNOWN: Record<string, string> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'unicode-1-1-utf-8': 'utf-8', 'utf-16le': 'utf-16le', 'utf-16': 'utf-16le', latin1: 'windows-1252', 'iso-8859-1': 'windows-1252', ascii: 'windows-1252', 'windows-1252': 'windows-1252' };

export class TextDecoder {
  declare [kEncoding]: string;
  declare [kFatal]: boolean;
  declare [kIgnoreBOM]: boolean;
  declare [kId]: number;
  /** Whether the daemon holds this decoder's state from a `stream: true` call. */
  declare [kStreaming]: boolean;

  constructor(label: unknown = 'utf-8', options: unknown = {}) {
    const text = `${label}`;
    if (options !== null && options !== undefined && typeof options !== 'object' && typeof options !== 'function') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "options" argument must be of type object.${describeReceived(options)}`);
    }
    const encoding = KNOWN[text] ?? textCall<string | null>('probe', [text]);
    if (encoding === null) throw nodeError(RangeError, 'ERR_ENCODING_NOT_SUPPORTED', `The "${text}" encoding is not supported`);
    const o = (options ?? {}) as { fatal?: unknown; ignoreBOM?: unknown };
    this[kEncoding] = encoding;
    this[kFatal] = Boolean(o.fatal);
    this[kIgnoreBOM] = Boolean(o.ignoreBOM);
    this[kId] = nextId++;
    this[kStreaming] = false;
  }

  get encoding(): string { return this[kEncoding]; }
  get fatal(): boolean { return this[kFatal]; }
  get ignoreBOM(): boolean { return this[kIgnoreBOM]; }

  decode(input: unknown = new Uint8Array(0), options: unknown = {}): string {
    if (!(kEncoding in (this as object))) throw nodeError(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type TextDecoder');
    const bytes = bytesOf(input);
    const stream = Boolean((options as { stream?: unknown } | null)?.stream);
    if (!stream && !this[kStreaming]) {
      const local = this.decodeHere(bytes);
      if (local !== undefined) return local;
    }
    let out = '';
    for (let at = 0; ; at += chunkBytes) {
      const last = at + chunkBytes >= bytes.byteLength;
      const more = !last || stream;
      try {
        out += textCall<string>('decode', [this[kId], this[kEncoding], this[kFatal], this[kIgnoreBOM], bytes.slice(at, at + chunkBytes), more]);
      } catch (err) {
        if (this[kStreaming]) dropped.unregister(this);
        this[kStreaming] = false;
        throw err;
      }
      if (more && !this[kStreaming]) dropped.register(this, this[kId], this);
      if (!more && this[kStreaming]) dropped.unregister(this);
      this[kStreaming] = more;
      if (last) return out;
    }
  }

  /** Node's fast paths for a whole input: valid UTF-8, and windows-1252 read as latin1. */
  private decodeHere(bytes: Uint8Array): string | undefined {
    const Buffer = lazyBuffer();
    if (this[kEncoding] === 'windows-1252') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (this[kEncoding] !== 'utf-8') return undefined;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    // Buffer replaces bad sequences byte by byte where ICU takes maximal subparts: ask the daemon.
    if (text.includes('\uFFFD')) return undefined;
    return !this[kIgnoreBOM] && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  get [Symbol.toStringTag](): string { return 'TextDecoder'; }
}

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }

  encode(input: unknown = ''): Uint8Array {
    const b = lazyBuffer().from(`${input}`, 'utf8');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Writes whole UTF-8 sequences only, as many as fit; `read` counts UTF-16 code units. */
  encodeInto(src: unknown, dest: unknown): { read: number; written: number } {
    if (typeof src !== 'string') throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "src" argument must be of type string.${describeReceived(src)}`);
    if (!(dest instanceof Uint8Array)) throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "dest" argument must be an instance of Uint8Array.${describeReceived(dest)}`);
    let read = 0;
    let written = 0;
    while (read < src.length) {
      let cp = src.charCodeAt(read);
      let units = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && read + 1 < src.length) {
        const low = src.charCodeAt(read + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          units = 2;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (written + size > dest.length) break;
      if (size === 1) dest[written] = cp;
      else if (size === 2) {
        dest[written] = 0xc0 | (cp >> 6);
        dest[written + 1] = 0x80 | (cp & 0x3f);
      } else if (size === 3) {
        dest[written] = 0xe0 | (cp >> 12);
        dest[written + 1] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written + 2] = 0x80 | (cp & 0x3f);
      } else {
        dest[written] = 0xf0 | (cp >> 18);
        dest[written + 1] = 0x80 | ((cp >> 12) & 0x3f);
        dest[written + 2] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written + 3] = 0x80 | (cp & 0x3f);
      }
      written += size;
      read += units;
    }
    return { read, written };
  }

  get [Symbol.toStringTag](): string { return 'TextEncoder'; }
}
