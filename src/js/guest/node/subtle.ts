/**
 * Web Crypto's `subtle` for secret-key algorithms (digest, HMAC, AES-GCM/CBC/CTR, PBKDF2,
 * HKDF), on top of node:crypto's daemon-backed primitives (crypto.ts). Asymmetric keys
 * are not offered: their operations reject with NotSupportedError.
 */
import { lazyBuffer } from '../lazy.js';
import { DOMException, getRandomValues } from '../random.js';
import { Cipheriv, Hash, Hmac, hkdfSync, pbkdf2Sync, toBytes } from './crypto.js';

type Algorithm = string | ({ name: string } & Record<string, unknown>);
const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_BITS: Record<string, number> = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };
const SECRET = new Set(['HMAC', 'AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW', 'PBKDF2', 'HKDF']);

const keys = new WeakMap<object, Uint8Array>();

export class CryptoKey {
  readonly type = 'secret';
  constructor(readonly algorithm: Record<string, unknown>, readonly extractable: boolean, readonly usages: string[]) {}
  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }
}

function normalize(algorithm: Algorithm): { name: string } & Record<string, unknown> {
  const a = typeof algorithm === 'string' ? { name: algorithm } : { ...algorithm };
  const upper = String(a.name).toUpperCase();
  const known = [...SECRET, ...Object.keys(HASHES)].find((n) => n === upper);
  if (!known) throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
  a.name = known;
  return a;
}

function hashName(hash: unknown): string {
  const name = normalize((hash ?? '') as Algorithm).name;
  if (!HASHES[name]) throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
  return name;
}

function bytesOf(data: unknown): Uint8Array {
  if (!ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) throw Object.assign(new TypeError('Failed to execute: argument is not a BufferSource'), { code: 'ERR_INVALID_ARG_TYPE' });
  return toBytes(data, undefined, 'data').slice();
}

const arrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function secret(key: unknown, usage: string, name?: string): Uint8Array {
  const bytes = typeof key === 'object' && key !== null ? keys.get(key) : undefined;
  if (!bytes) throw Object.assign(new TypeError('The "key" argument must be an instance of CryptoKey'), { code: 'ERR_INVALID_ARG_TYPE' });
  const k = key as CryptoKey;
  if (!k.usages.includes(usage)) throw new DOMException(`Unable to use this key to ${usage}`, 'InvalidAccessError');
  if (name && k.algorithm.name !== name) throw new DOMException('The requested operation is not valid for the provided key', 'InvalidAccessError');
  return bytes;
}

function makeKey(bytes: Uint8Array, algorithm: Record<string, unknown>, extractable: boolean, usages: string[]): CryptoKey {
  const key = new CryptoKey(algorithm, extractable, [...usages]);
  keys.set(key, bytes);
  return key;
}

function aesName(name: string, bytes: number, mode: string): string {
  if (![16, 24, 32].includes(bytes)) throw new DOMException('Invalid key length', 'DataError');
  return `aes-${bytes * 8}-${mode}`;
}

function cipher(algorithm: Algorithm, key: unknown, data: unknown, decrypt: boolean): ArrayBuffer {
  const a = normalize(algorithm);
  const k = secret(key, decrypt ? 'decrypt' : 'encrypt', a.name);
  const input = bytesOf(data);
  if (a.name === 'AES-GCM') {
    const tagBytes = ((a.tagLength as number | undefined) ?? 128) / 8;
    const c = new Cipheriv(aesName(a.name, k.byteLength, 'gcm'), k, bytesOf(a.iv), { authTagLength: tagBytes }, decrypt);
    if (a.additionalData !== undefined) c.setAAD(bytesOf(a.additionalData));
    if (decrypt) {
      if (input.byteLength < tagBytes) throw new DOMException('The provided data is too small.', 'OperationError');
      c.setAuthTag(input.subarray(input.byteLength - tagBytes));
      try {
        return arrayBuffer(concatAll([c.update(input.subarray(0, input.byteLength - tagBytes)) as Uint8Array, c.final() as Uint8Array]));
      } catch {
        throw new DOMException('The operation failed for an operation-specific reason', 'OperationError');
      }
    }
    return arrayBuffer(concatAll([c.update(input) as Uint8Array, c.final() as Uint8Array, c.getAuthTag()]));
  }
  if (a.name === 'AES-CBC' || a.name === 'AES-CTR') {
    const iv = bytesOf(a.name === 'AES-CBC' ? a.iv : a.counter);
    const c = new Cipheriv(aesName(a.name, k.byteLength, a.name === 'AES-CBC' ? 'cbc' : 'ctr'), k, iv, undefined, decrypt);
    try {
      return arrayBuffer(concatAll([c.update(input) as Uint8Array, c.final() as Uint8Array]));
    } catch {
      throw new DOMException('The operation failed for an operation-specific reason', 'OperationError');
    }
  }
  throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function deriveBits(algorithm: Algorithm, key: unknown, length: number): ArrayBuffer {
  const a = normalize(algorithm);
  const k = secret(key, 'deriveBits', a.name);
  if (length % 8 !== 0) throw new DOMException('length must be a multiple of 8', 'OperationError');
  if (a.name === 'PBKDF2') return arrayBuffer(pbkdf2Sync(k, bytesOf(a.salt), a.iterations as number, length / 8, HASHES[hashName(a.hash)]!));
  if (a.name === 'HKDF') return hkdfSync(HASHES[hashName(a.hash)]!, k, bytesOf(a.salt), bytesOf(a.info), length / 8);
  throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
}

function importAlgorithm(a: { name: string } & Record<string, unknown>, bytes: Uint8Array): Record<string, unknown> {
  if (a.name === 'HMAC') return { name: 'HMAC', length: (a.length as number | undefined) ?? bytes.byteLength * 8, hash: { name: hashName(a.hash) } };
  if (a.name.startsWith('AES-')) {
    aesName(a.name, bytes.byteLength, 'x');
    return { name: a.name, length: bytes.byteLength * 8 };
  }
  return { name: a.name };
}

/** Runs `work` as a promise: a throw becomes a rejection, as Web Crypto's methods do. */
const async = <T>(work: () => T): Promise<T> => new Promise((resolve) => resolve(work()));

export function createSubtle(): Record<string, (...args: any[]) => Promise<unknown>> {
  return {
    digest: (algorithm: Algorithm, data: unknown) => async(() => arrayBuffer(new Hash(HASHES[hashName(algorithm)]).update(bytesOf(data)).digest() as Uint8Array)),
    importKey: (format: string, keyData: unknown, algorithm: Algorithm, extractable: boolean, usages: string[]) => async(() => {
      const a = normalize(algorithm);
      let bytes: Uint8Array;
      if (format === 'raw') bytes = bytesOf(keyData);
      else if (format === 'jwk' && typeof keyData === 'object' && keyData !== null && (keyData as { kty?: string }).kty === 'oct') bytes = toBytes(String((keyData as { k: string }).k).replace(/-/g, '+').replace(/_/g, '/'), 'base64', 'k').slice();
      else throw new DOMException(`Unable to import ${a.name} key with format ${format}`, 'NotSupportedError');
      return makeKey(bytes, importAlgorithm(a, bytes), a.name === 'PBKDF2' || a.name === 'HKDF' ? false : extractable, usages);
    }),
    exportKey: (format: string, key: CryptoKey) => async(() => {
      const bytes = keys.get(key);
      if (!bytes) throw Object.assign(new TypeError('The "key" argument must be an instance of CryptoKey'), { code: 'ERR_INVALID_ARG_TYPE' });
      if (!key.extractable) throw new DOMException('key is not extractable', 'InvalidAccessError');
      if (format === 'raw') return arrayBuffer(bytes);
      if (format === 'jwk') return { kty: 'oct', k: toBase64url(bytes), ext: true, key_ops: key.usages };
      throw new DOMException(`Unable to export a raw ${String(key.algorithm.name)} key`, 'NotSupportedError');
    }),
    generateKey: (algorithm: Algorithm, extractable: boolean, usages: string[]) => async(() => {
      const a = normalize(algorithm);
      const bits = a.name === 'HMAC' ? ((a.length as number | undefined) ?? HASH_BITS[hashName(a.hash)]!) : (a.length as number);
      if (!SECRET.has(a.name) || !Number.isInteger(bits) || bits <= 0) throw new DOMException('Unsupported algorithm or key length', 'NotSupportedError');
      const bytes = getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
      return makeKey(bytes, importAlgorithm(a, bytes), extractable, usages);
    }),
    sign: (algorithm: Algorithm, key: unknown, data: unknown) => async(() => {
      const k = secret(key, 'sign', 'HMAC');
      const hash = ((key as CryptoKey).algorithm.hash as { name: string }).name;
      return arrayBuffer(new Hmac(HASHES[hash], k).update(bytesOf(data)).digest() as Uint8Array);
    }),
    verify: (algorithm: Algorithm, key: unknown, signature: unknown, data: unknown) => async(() => {
      const k = secret(key, 'verify', 'HMAC');
      const hash = ((key as CryptoKey).algorithm.hash as { name: string }).name;
      const mac = new Hmac(HASHES[hash], k).update(bytesOf(data)).digest() as Uint8Array;
      const sig = bytesOf(signature);
      return sig.byteLength === mac.byteLength && sig.every((b, i) => b === mac[i]);
    }),
    encrypt: (algorithm: Algorithm, key: unknown, data: unknown) => async(() => cipher(algorithm, key, data, false)),
    decrypt: (algorithm: Algorithm, key: unknown, data: unknown) => async(() => cipher(algorithm, key, data, true)),
    deriveBits: (algorithm: Algorithm, key: unknown, length: number) => async(() => deriveBits(algorithm, key, length)),
    deriveKey: (algorithm: Algorithm, key: unknown, derived: Algorithm, extractable: boolean, usages: string[]) => async(() => {
      const d = normalize(derived);
      const bits = d.name === 'HMAC' ? ((d.length as number | undefined) ?? HASH_BITS[hashName(d.hash)]!) : (d.length as number);
      const bytes = new Uint8Array(deriveBits(algorithm, key, bits));
      return makeKey(bytes, importAlgorithm(d, bytes), extractable, usages);
    }),
  };
}

function toBase64url(bytes: Uint8Array): string {
  // By hand: the runtime's Buffer has no 'base64url' yet.
  return lazyBuffer().from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
