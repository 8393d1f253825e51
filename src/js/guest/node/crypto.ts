/**
 * node:crypto. Hashes, HMACs, ciphers and key derivation are the daemon's own node:crypto
 * (src/js/node-host/crypto-calls.ts): exact, every algorithm it has, Node's errors. Data
 * crosses in pieces of at most the daemon's call size; the state stays in the daemon, so
 * a streaming update copies only its own piece. Randomness is the runtime's (random.ts).
 */
import type { Buffer } from 'buffer';
import { Emitter } from '../emitter.js';
import { lazyBuffer } from '../lazy.js';
import { getRandomValues, randomBytes as randomBytesSync } from '../random.js';
import { timerGlobals } from '../timers.js';
import { nodeCall, nodeJob } from './bridge.js';
import { CryptoKey, SubtleCrypto, createSubtle } from './subtle.js';
import { KeyObject, kcall, keyExports } from './crypto-keys.js';
import { queueCallback } from '../callback-queue.js';

type Callback<T> = (err: Error | null, value?: T) => void;

let lists: { hashes: string[]; ciphers: string[]; curves: string[]; callMaxBytes: number } | undefined;
const info = () => (lists ??= nodeCall<NonNullable<typeof lists>>('lists', []));

function typeError(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') return `Received an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  const shown = typeof value === 'string' ? `'${value.length > 25 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  return `Received type ${typeof value} (${shown})`;
}

/** Bytes of a string (in `encoding`), Buffer, TypedArray, DataView or ArrayBuffer, as Node takes them. */
export function toBytes(data: unknown, encoding: unknown, name: string, what = 'string or an instance of Buffer, TypedArray, or DataView'): Uint8Array {
  if (typeof data === 'string') {
    const b = (lazyBuffer().from as (s: string, e?: string) => Buffer)(data, typeof encoding === 'string' && encoding !== 'buffer' ? encoding : 'utf8');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) return new Uint8Array(data);
  if (data instanceof KeyObject) return (data as unknown as { export(): Uint8Array }).export();
  throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type ${what}. ${received(data)}`);
}

const asBuffer = (bytes: Uint8Array): Buffer => lazyBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const encoded = (bytes: Uint8Array, encoding: unknown): Buffer | string =>
  typeof encoding === 'string' && encoding !== 'buffer' ? asBuffer(bytes).toString(encoding as BufferEncoding) : asBuffer(bytes);

/** Sends `bytes` in pieces of at most the daemon's call size. */
function inPieces(bytes: Uint8Array, send: (piece: Uint8Array) => void): void {
  const max = info().callMaxBytes;
  if (bytes.byteLength <= max) return send(bytes.slice());
  for (let at = 0; at < bytes.byteLength; at += max) send(bytes.slice(at, at + max));
}

// Daemon-side state a guest object dropped without finishing is freed when it is collected.
const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<number>((id) => { try { nodeCall('free', [id]); } catch { /* the process is ending */ } }) : undefined;

/** The stream face of Hash, Hmac and ciphers (write/end/read, 'data', 'finish'), on the runtime's emitter. */
class LazyTransform extends Emitter {
  private out: Array<Buffer | string> = [];
  protected pushOut(chunk: Buffer | string): void {
    if (this.listenerCount('data') > 0) this.emit('data', chunk);
    else this.out.push(chunk);
  }
  read(): Buffer | string | null {
    if (this.out.length === 0) return null;
    const all = this.out.splice(0);
    return typeof all[0] === 'string' ? all.join('') : lazyBuffer().concat(all as Buffer[]);
  }
  setEncoding(encoding: string): this {
    (this as unknown as { encoding: string }).encoding = encoding;
    return this;
  }
  protected streamWrite(chunk: unknown, encoding: unknown, cb: unknown, update: (c: unknown, e: unknown) => void): boolean {
    if (typeof encoding === 'function') cb = encoding;
    update(chunk, typeof encoding === 'string' ? encoding : undefined);
    if (typeof cb === 'function') queueCallback(cb as () => void);
    return true;
  }
  protected streamEnd(finish: () => void): void {
    queueCallback(() => {
      finish();
      this.emit('finish');
      this.emit('end');
      this.emit('close');
    });
  }
  pipe<T extends { write(c: unknown): unknown; end(): unknown }>(dest: T): T {
    this.on('data', (c: unknown) => dest.write(c));
    this.on('end', () => dest.end());
    return dest;
  }
}

export class Hash extends LazyTransform {
  private id: number;
  private finalized = false;
  private cached: Uint8Array | undefined;

  constructor(algorithm: unknown, options?: unknown, key?: Uint8Array | null, fromId?: number) {
    super();
    if (fromId !== undefined) this.id = fromId;
    else {
      if (typeof algorithm !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "${key ? 'hmac' : 'algorithm'}" argument must be of type string. ${received(algorithm)}`);
      const outputLength = options && typeof options === 'object' ? (options as { outputLength?: unknown }).outputLength : undefined;
      if (outputLength !== undefined && (typeof outputLength !== 'number' || !Number.isInteger(outputLength) || outputLength < 0)) {
        throw typeError('ERR_INVALID_ARG_TYPE', `The "options.outputLength" property must be of type number. ${received(outputLength)}`);
      }
      this.id = nodeCall<number>('hash.new', [algorithm, key ?? null, outputLength]);
    }
    finalizer?.register(this, this.id, this);
  }

  update(data: unknown, encoding?: unknown): this {
    if (this.finalized) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    if (typeof data !== 'string' && !ArrayBuffer.isView(data)) throw typeError('ERR_INVALID_ARG_TYPE', `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. ${received(data)}`);
    inPieces(toBytes(data, encoding, 'data'), (piece) => nodeCall('hash.update', [this.id, piece]));
    return this;
  }

  digest(encoding?: unknown): Buffer | string {
    if (this.finalized) {
      // Node: an Hmac digests again to an empty value; a Hash throws.
      if (this instanceof Hmac) return encoded(new Uint8Array(0), encoding);
      throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    }
    this.finalized = true;
    finalizer?.unregister(this);
    this.cached = nodeCall<Uint8Array>('hash.digest', [this.id]);
    return encoded(this.cached, encoding);
  }

  copy(options?: unknown): Hash {
    if (this.finalized) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    const outputLength = options && typeof options === 'object' ? (options as { outputLength?: number }).outputLength : undefined;
    return new Hash(undefined, undefined, undefined, nodeCall<number>('hash.copy', [this.id, outputLength]));
  }

  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    return this.streamWrite(chunk, encoding, cb, (c, e) => this.update(c, e));
  }

  end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk === 'function') cb = chunk;
    else if (chunk !== undefined && chunk !== null) this.update(chunk, encoding);
    this.streamEnd(() => {
      const enc = (this as unknown as { encoding?: string }).encoding;
      this.pushOut(this.digest(enc));
      if (typeof cb === 'function') (cb as () => void)();
    });
    return this;
  }
}

export class Hmac extends Hash {
  constructor(algorithm: unknown, key: unknown, options?: unknown) {
    if (typeof algorithm !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "hmac" argument must be of type string. ${received(algorithm)}`);
    super(algorithm, options, keyBytes(key, 'key'));
  }
}

function keyBytes(key: unknown, name: string): Uint8Array {
  if (key instanceof KeyObject) return (key as unknown as { export(): Uint8Array }).export();
  return toBytes(key, 'utf8', name, 'string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey').slice();
}

/** Keeps a partial group or character between updates so joined string outputs are right (Node uses a StringDecoder). */
class OutputDecoder {
  private rest = new Uint8Array(0);
  constructor(private readonly encoding: string) {}
  write(bytes: Uint8Array): string {
    const all = this.rest.byteLength ? concat(this.rest, bytes) : bytes;
    const keep = this.encoding === 'base64' || this.encoding === 'base64url' ? all.byteLength % 3
      : this.encoding === 'utf8' || this.encoding === 'utf-8' ? utf8Tail(all)
      : this.encoding === 'utf16le' || this.encoding === 'ucs2' ? all.byteLength % 2 : 0;
    this.rest = all.slice(all.byteLength - keep);
    return asBuffer(all.subarray(0, all.byteLength - keep)).toString(this.encoding as BufferEncoding);
  }
  end(bytes: Uint8Array): string {
    const all = this.rest.byteLength ? concat(this.rest, bytes) : bytes;
    this.rest = new Uint8Array(0);
    return asBuffer(all).toString(this.encoding as BufferEncoding);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** Bytes at the end that start a UTF-8 character not yet complete. */
function utf8Tail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.byteLength); back++) {
    const b = bytes[bytes.byteLength - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export class Cipheriv extends LazyTransform {
  private id: number;
  private done = false;
  private tag: Uint8Array | undefined;
  private decoder: OutputDecoder | undefined;

  constructor(algorithm: unknown, key: unknown, iv: unknown, options: unknown, private readonly decipher = false) {
    super();
    if (typeof algorithm !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "cipher" argument must be of type string. ${received(algorithm)}`);
    const ivBytes = iv === null ? null : toBytes(iv, 'utf8', 'iv', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
    const authTagLength = options && typeof options === 'object' ? (options as { authTagLength?: number }).authTagLength : undefined;
    this.id = nodeCall<number>('cipher.new', [algorithm, keyBytes(key, 'key'), ivBytes?.slice() ?? null, decipher, authTagLength]);
    finalizer?.register(this, this.id, this);
  }

  private output(bytes: Uint8Array, encoding: unknown, last: boolean): Buffer | string {
    if (typeof encoding !== 'string' || encoding === 'buffer') return asBuffer(bytes);
    this.decoder ??= new OutputDecoder(encoding.toLowerCase());
    return last ? this.decoder.end(bytes) : this.decoder.write(bytes);
  }

  update(data: unknown, inputEncoding?: unknown, outputEncoding?: unknown): Buffer | string {
    if (this.done) throw Object.assign(new Error('Unsupported state'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    if (typeof data !== 'string' && !ArrayBuffer.isView(data)) throw typeError('ERR_INVALID_ARG_TYPE', `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. ${received(data)}`);
    const parts: Uint8Array[] = [];
    inPieces(toBytes(data, inputEncoding, 'data'), (piece) => parts.push(nodeCall<Uint8Array>('cipher.update', [this.id, piece])));
    return this.output(parts.length === 1 ? parts[0]! : lazyBuffer().concat(parts), outputEncoding, false);
  }

  final(outputEncoding?: unknown): Buffer | string {
    if (this.done) throw Object.assign(new Error('Unsupported state'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    this.done = true;
    finalizer?.unregister(this);
    const { final, tag } = nodeCall<{ final: Uint8Array; tag: Uint8Array | null }>('cipher.final', [this.id]);
    if (tag) this.tag = tag;
    return this.output(final, outputEncoding, true);
  }

  setAAD(buffer: unknown, options?: unknown): this {
    const plaintextLength = options && typeof options === 'object' ? (options as { plaintextLength?: number }).plaintextLength : undefined;
    nodeCall('cipher.setAAD', [this.id, toBytes(buffer, 'utf8', 'buffer').slice(), plaintextLength]);
    return this;
  }

  setAuthTag(tag: unknown, encoding?: unknown): this {
    if (!this.decipher || this.done) throw Object.assign(new Error('Invalid state for operation setAuthTag'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    nodeCall('cipher.setAuthTag', [this.id, toBytes(tag, encoding, 'buffer').slice()]);
    return this;
  }

  getAuthTag(): Buffer {
    if (this.decipher || !this.tag) throw Object.assign(new Error('Invalid state for operation getAuthTag'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return asBuffer(this.tag);
  }

  setAutoPadding(autoPadding?: boolean): this {
    nodeCall('cipher.setAutoPadding', [this.id, autoPadding !== false]);
    return this;
  }

  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    return this.streamWrite(chunk, encoding, cb, (c, e) => {
      const out = this.update(c, e);
      if (out.length) this.pushOut(out);
    });
  }

  end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    if (typeof chunk === 'function') cb = chunk;
    else if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    this.streamEnd(() => {
      const out = this.final();
      if (out.length) this.pushOut(out);
      if (typeof cb === 'function') (cb as () => void)();
    });
    return this;
  }
}

function callbackOf(cb: unknown): Callback<unknown> {
  if (typeof cb !== 'function') throw typeError('ERR_INVALID_ARG_TYPE', `The "callback" argument must be of type function. ${received(cb)}`);
  return cb as Callback<unknown>;
}

/** A callback form: the work runs now (the guest waits for it), the callback on a later turn, as Node's would. */
function later<T>(cb: Callback<T>, work: () => T): void {
  let value: T;
  try {
    value = work();
  } catch (err) {
    timerGlobals.setImmediate(() => cb(err as Error));
    return;
  }
  timerGlobals.setImmediate(() => cb(null, value));
}

function checkInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. ${received(value)}`);
  if (!Number.isInteger(value)) throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be an integer. Received ${value}`), { code: 'ERR_OUT_OF_RANGE' });
  if (value < min || value > max) throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be >= ${min} && <= ${max}. Received ${value}`), { code: 'ERR_OUT_OF_RANGE' });
  return value;
}

export function pbkdf2Sync(password: unknown, salt: unknown, iterations: unknown, keylen: unknown, digest: unknown): Buffer {
  const pw = toBytes(password, 'utf8', 'password', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  const s = toBytes(salt, 'utf8', 'salt', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  checkInt(iterations, 'iterations', 1, 2147483647);
  checkInt(keylen, 'keylen', 0, 2147483647);
  if (typeof digest !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "digest" argument must be of type string. ${received(digest)}`);
  return asBuffer(nodeJob<Uint8Array>('pbkdf2', [pw.slice(), s.slice(), iterations, keylen, digest]));
}

export function pbkdf2(password: unknown, salt: unknown, iterations: unknown, keylen: unknown, digest: unknown, callback?: unknown): void {
  const cb = callbackOf(callback);
  // Argument errors throw now, as Node's do; the derivation's own come through the callback.
  toBytes(password, 'utf8', 'password', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  toBytes(salt, 'utf8', 'salt', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  checkInt(iterations, 'iterations', 1, 2147483647);
  checkInt(keylen, 'keylen', 0, 2147483647);
  if (typeof digest !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "digest" argument must be of type string. ${received(digest)}`);
  later(cb, () => pbkdf2Sync(password, salt, iterations, keylen, digest));
}

export function scryptSync(password: unknown, salt: unknown, keylen: unknown, options?: unknown): Buffer {
  const pw = toBytes(password, 'utf8', 'password', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  const s = toBytes(salt, 'utf8', 'salt', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  checkInt(keylen, 'keylen', 0, 2147483647);
  const o: Record<string, number> = {};
  if (options && typeof options === 'object') {
    for (const k of ['N', 'r', 'p', 'cost', 'blockSize', 'parallelization', 'maxmem']) {
      const v = (options as Record<string, unknown>)[k];
      if (v !== undefined) o[k] = v as number;
    }
  }
  return asBuffer(nodeJob<Uint8Array>('scrypt', [pw.slice(), s.slice(), keylen, o]));
}

export function scrypt(password: unknown, salt: unknown, keylen: unknown, options?: unknown, callback?: unknown): void {
  if (typeof options === 'function') [callback, options] = [options, undefined];
  const cb = callbackOf(callback);
  later(cb, () => scryptSync(password, salt, keylen, options));
}

export function timingSafeEqual(a: unknown, b: unknown): boolean {
  const what = 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView';
  if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer)) throw typeError('ERR_INVALID_ARG_TYPE', `The "buf1" argument must be ${what}. ${received(a)}`);
  if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) throw typeError('ERR_INVALID_ARG_TYPE', `The "buf2" argument must be ${what}. ${received(b)}`);
  const x = toBytes(a, undefined, 'buf1');
  const y = toBytes(b, undefined, 'buf2');
  if (x.byteLength !== y.byteLength) throw Object.assign(new RangeError('Input buffers must have the same byte length'), { code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH' });
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** The largest range randomInt draws from (Node's own bound: 2^48 - 1). */
const RANDOM_INT_RANGE = 2 ** 48 - 1;

export function randomInt(min: unknown, max?: unknown, callback?: unknown): number | undefined {
  if (typeof max === 'undefined' || typeof max === 'function') [callback, max, min] = [max, min, 0];
  const cb = callback === undefined ? undefined : callbackOf(callback);
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (!Number.isSafeInteger(v)) throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a safe integer. ${received(v)}`);
  }
  const lo = min as number;
  const hi = max as number;
  if (hi <= lo) throw Object.assign(new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${lo}). Received ${hi}`), { code: 'ERR_OUT_OF_RANGE' });
  const range = hi - lo;
  if (range > RANDOM_INT_RANGE) throw Object.assign(new RangeError(`The value of "max - min" is out of range. It must be <= ${RANDOM_INT_RANGE}. Received ${range}`), { code: 'ERR_OUT_OF_RANGE' });
  // Rejection sampling over 48 bits, so every value in range is equally likely.
  const limit = RANDOM_INT_RANGE + 1 - ((RANDOM_INT_RANGE + 1) % range);
  let n: number;
  do {
    const b = randomBytesSync(6);
    n = b[0]! * 2 ** 40 + b[1]! * 2 ** 32 + ((b[2]! << 24) >>> 0) + (b[3]! << 16) + (b[4]! << 8) + b[5]!;
  }
  while (n >= limit);
  const value = lo + (n % range);
  if (!cb) return value;
  // Node calls randomInt's callback with `undefined` for no error (randomBytes' with null).
  timerGlobals.setImmediate(() => (cb as unknown as (err: undefined, n: number) => void)(undefined, value));
  return undefined;
}

export function randomBytes(size: unknown, callback?: unknown): Buffer | undefined {
  const cb = callback === undefined ? undefined : callbackOf(callback);
  const bytes = randomBytesSync(size);
  if (!cb) return bytes;
  timerGlobals.setImmediate(() => cb(null, bytes));
  return undefined;
}

export function randomFillSync<T extends ArrayBufferView | ArrayBuffer>(buf: T, offset = 0, size?: number): T {
  if (!ArrayBuffer.isView(buf) && !(buf instanceof ArrayBuffer)) throw typeError('ERR_INVALID_ARG_TYPE', `The "buf" argument must be an instance of ArrayBuffer or ArrayBufferView. ${received(buf)}`);
  const view = toBytes(buf, undefined, 'buf');
  const elem = ArrayBuffer.isView(buf) && 'BYTES_PER_ELEMENT' in buf ? (buf as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
  const start = offset * elem;
  const length = size === undefined ? view.byteLength - start : size * elem;
  if (start < 0 || start > view.byteLength) throw Object.assign(new RangeError(`The value of "offset" is out of range. It must be >= 0 && <= ${view.byteLength / elem}. Received ${offset}`), { code: 'ERR_OUT_OF_RANGE' });
  if (length < 0 || start + length > view.byteLength) throw Object.assign(new RangeError(`The value of "size + offset" is out of range. It must be <= ${view.byteLength / elem}. Received ${(start + length) / elem}`), { code: 'ERR_OUT_OF_RANGE' });
  view.set(randomBytesSync(length), start);
  return buf;
}

export function randomFill(buf: ArrayBufferView | ArrayBuffer, offset?: unknown, size?: unknown, callback?: unknown): void {
  if (typeof offset === 'function') [callback, offset, size] = [offset, 0, undefined];
  else if (typeof size === 'function') [callback, size] = [size, undefined];
  const cb = callbackOf(callback);
  later(cb, () => randomFillSync(buf, offset as number, size as number | undefined));
}

export function randomUUID(): string {
  const b = randomBytesSync(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

let warnedLegacy = false;

/**
 * createCipher/createDecipher (deprecated, still in Node 20): key and IV from the password
 * by OpenSSL's EVP_BytesToKey with MD5 and one round, then the cipher with that IV.
 */
function legacyCipher(algorithm: unknown, password: unknown, options: unknown, decipher: boolean): Cipheriv {
  if (!warnedLegacy) {
    warnedLegacy = true;
    (globalThis as { process?: { emitWarning?(m: string, t: string, c: string): void } }).process?.emitWarning?.(`crypto.create${decipher ? 'Decipher' : 'Cipher'} is deprecated.`, 'DeprecationWarning', 'DEP0106');
  }
  if (typeof algorithm !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "cipher" argument must be of type string. ${received(algorithm)}`);
  const pw = toBytes(password, 'utf8', 'password', 'string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView');
  const cipherInfo = nodeCall<{ keyLength: number; ivLength?: number; mode?: string } | null>('cipher.info', [algorithm, undefined, undefined]);
  if (!cipherInfo) throw Object.assign(new Error('Invalid cipher type'), { code: 'ERR_CRYPTO_UNKNOWN_CIPHER' });
  const need = cipherInfo.keyLength + (cipherInfo.ivLength ?? 0);
  const parts: Uint8Array[] = [];
  let have = 0;
  let prev: Uint8Array = new Uint8Array(0);
  while (have < need) {
    prev = new Hash('md5').update(concat(prev, pw)).digest() as unknown as Uint8Array;
    parts.push(prev);
    have += prev.byteLength;
  }
  const all = lazyBuffer().concat(parts);
  const key = all.subarray(0, cipherInfo.keyLength);
  const iv = cipherInfo.ivLength ? all.subarray(cipherInfo.keyLength, need) : null;
  return new Cipheriv(algorithm, key, iv, options, decipher);
}

export function createCryptoModule(): Record<string, unknown> {
  const createCipheriv = (algorithm: unknown, key: unknown, iv: unknown, options?: unknown) => new Cipheriv(algorithm, key, iv, options, false);
  const createDecipheriv = (algorithm: unknown, key: unknown, iv: unknown, options?: unknown) => new Cipheriv(algorithm, key, iv, options, true);
  const subtle = createSubtle();
  const webcrypto = { getRandomValues, randomUUID, subtle, CryptoKey, SubtleCrypto };
  const mod: Record<string, unknown> = {
    createHash: (algorithm: unknown, options?: unknown) => new Hash(algorithm, options),
    createHmac: (algorithm: unknown, key: unknown, options?: unknown) => new Hmac(algorithm, key, options),
    hash: (algorithm: unknown, data: unknown, encoding: unknown = 'hex') => new Hash(algorithm).update(data).digest(encoding),
    Hash,
    Hmac,
    createCipheriv,
    createDecipheriv,
    Cipheriv,
    Decipheriv: Cipheriv,
    getCipherInfo: (name: unknown, options?: { keyLength?: number; ivLength?: number }) => nodeCall('cipher.info', [name, options?.keyLength, options?.ivLength]) ?? undefined,
    pbkdf2, pbkdf2Sync, scrypt, scryptSync,
    randomBytes, pseudoRandomBytes: randomBytes, randomFill, randomFillSync, randomInt, randomUUID, getRandomValues,
    timingSafeEqual,
    getHashes: () => [...info().hashes],
    getCiphers: () => [...info().ciphers],
    getCurves: () => [...info().curves],
    ...keyExports(),
    webcrypto,
    CryptoKey,
    subtle,
    createCipher: (algorithm: unknown, password: unknown, options?: unknown) => legacyCipher(algorithm, password, options, false),
    createDecipher: (algorithm: unknown, password: unknown, options?: unknown) => legacyCipher(algorithm, password, options, true),
    getFips: () => 0,
    setFips: () => undefined,
  };
  // OpenSSL's option and padding numbers, as the daemon's node:crypto knows them; asked on
  // first use (the runtime lists the module's names before any process runs).
  let constants: Record<string, unknown> | undefined;
  Object.defineProperty(mod, 'constants', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (constants) return constants;
      try {
        return (constants = kcall('constants', []) as Record<string, unknown>);
      } catch {
        return {};
      }
    },
  });
  return mod;
}
