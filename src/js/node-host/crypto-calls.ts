/**
 * node:crypto for guests, done by the daemon's own node:crypto: exact (OpenSSL's
 * algorithms and Node's errors), and each call small (its input at most NODE_CALL_MAX_BYTES,
 * charged to the guest as daemon time). Stateful objects (hash, hmac, cipher) live in the
 * process's handle table, so a streaming update copies only its own chunk. Key derivation
 * that can run long (pbkdf2, scrypt) runs on the libuv pool, bounded, never on the
 * daemon's thread.
 */
import * as crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Handles } from './handles.js';
import { CryptoKeys, type KeyBounds, type KeyState } from './crypto-keys.js';

export type CryptoState =
  | { kind: 'hash'; hash: crypto.Hash | crypto.Hmac }
  | { kind: 'cipher'; cipher: crypto.CipherGCM | crypto.DecipherGCM; decipher: boolean; aead: boolean }
  | KeyState;

export type CryptoBounds = KeyBounds;

/** Bytes from the guest, at most one call's worth. */
export function bytes(value: unknown, what: string, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw Object.assign(new TypeError(`The "${what}" argument must be bytes`), { code: 'ERR_INVALID_ARG_TYPE' });
  if (value.byteLength > max) throw Object.assign(new RangeError(`The "${what}" argument holds ${value.byteLength} bytes; one call takes at most ${max} (AGENTOS_NODE_CALL_MAX_BYTES)`), { code: 'ERR_OUT_OF_RANGE' });
  return value;
}

const AEAD = /-(gcm|ccm|ocb)$|^chacha20-poly1305$/i;
const out = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function optionalInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function cryptoCall(op: string, args: unknown[], handles: Handles<CryptoState>, b: CryptoBounds): unknown {
  const max = b.callMaxBytes;
  switch (op) {
    case 'lists':
      return { hashes: crypto.getHashes(), ciphers: crypto.getCiphers(), curves: crypto.getCurves(), callMaxBytes: max };
    case 'hash.new': {
      const [algorithm, key, outputLength] = args;
      if (typeof algorithm !== 'string') throw Object.assign(new TypeError('The "algorithm" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
      const hash = key === null || key === undefined
        ? crypto.createHash(algorithm, optionalInt(outputLength) === undefined ? undefined : { outputLength: optionalInt(outputLength) })
        : crypto.createHmac(algorithm, bytes(key, 'key', max));
      return handles.add({ kind: 'hash', hash });
    }
    case 'hash.update':
      hashOf(handles, args[0]).update(bytes(args[1], 'data', max));
      return null;
    case 'hash.digest': {
      const hash = hashOf(handles, args[0]);
      handles.delete(args[0]);
      return out(hash.digest());
    }
    case 'hash.copy': {
      const hash = hashOf(handles, args[0]);
      if (!('copy' in hash)) throw Object.assign(new Error('Hmac has no copy'), { code: 'ERR_INVALID_STATE' });
      return handles.add({ kind: 'hash', hash: (hash as crypto.Hash).copy(optionalInt(args[1]) === undefined ? undefined : { outputLength: optionalInt(args[1]) }) });
    }
    case 'cipher.new': {
      const [algorithm, key, iv, decipher, authTagLength] = args;
      if (typeof algorithm !== 'string') throw Object.assign(new TypeError('The "cipher" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
      const ivBytes = iv === null ? null : bytes(iv, 'iv', max);
      const options = optionalInt(authTagLength) === undefined ? undefined : { authTagLength: optionalInt(authTagLength)! };
      const cipher = (decipher === true
        ? crypto.createDecipheriv(algorithm, bytes(key, 'key', max), ivBytes, options as crypto.CipherGCMOptions)
        : crypto.createCipheriv(algorithm, bytes(key, 'key', max), ivBytes, options as crypto.CipherGCMOptions)) as crypto.CipherGCM | crypto.DecipherGCM;
      return handles.add({ kind: 'cipher', cipher, decipher: decipher === true, aead: AEAD.test(algorithm) });
    }
    case 'cipher.update':
      return out(cipherOf(handles, args[0]).cipher.update(bytes(args[1], 'data', max)));
    case 'cipher.final': {
      const state = cipherOf(handles, args[0]);
      handles.delete(args[0]);
      const final = out(state.cipher.final());
      // An encrypting AEAD cipher's tag is only known now: it goes back with the last bytes.
      const tag = state.aead && !state.decipher ? out((state.cipher as crypto.CipherGCM).getAuthTag()) : null;
      return { final, tag };
    }
    case 'cipher.setAAD': {
      const plaintextLength = optionalInt(args[2]);
      (cipherOf(handles, args[0]).cipher as crypto.CipherGCM).setAAD(bytes(args[1], 'buffer', max), plaintextLength === undefined ? undefined : { plaintextLength });
      return null;
    }
    case 'cipher.setAuthTag':
      (cipherOf(handles, args[0]).cipher as crypto.DecipherGCM).setAuthTag(bytes(args[1], 'buffer', max));
      return null;
    case 'cipher.setAutoPadding':
      cipherOf(handles, args[0]).cipher.setAutoPadding(args[1] !== false);
      return null;
    case 'cipher.info': {
      if (typeof args[0] !== 'string' && typeof args[0] !== 'number') return null;
      const info = crypto.getCipherInfo(args[0] as string, { keyLength: optionalInt(args[1]), ivLength: optionalInt(args[2]) } as { keyLength: number; ivLength: number });
      return info ?? null;
    }
    case 'free': {
      const gone = handles.delete(args[0]);
      if (gone) CryptoKeys.release(gone, b);
      return null;
    }
    case 'hkdf': {
      const [digest, ikm, salt, info, keylen] = args;
      return new Uint8Array(crypto.hkdfSync(digest as string, bytes(ikm, 'ikm', max), bytes(salt, 'salt', max), bytes(info, 'info', max), keylen as number));
    }
    default:
      throw Object.assign(new Error(`unknown crypto call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

function hashOf(handles: Handles<CryptoState>, id: unknown): crypto.Hash | crypto.Hmac {
  const state = handles.get(id);
  if (state.kind !== 'hash') throw Object.assign(new Error('not a hash'), { code: 'ERR_INVALID_STATE' });
  return state.hash;
}

function cipherOf(handles: Handles<CryptoState>, id: unknown): Extract<CryptoState, { kind: 'cipher' }> {
  const state = handles.get(id);
  if (state.kind !== 'cipher') throw Object.assign(new Error('not a cipher'), { code: 'ERR_INVALID_STATE' });
  return state;
}

const pbkdf2 = promisify(crypto.pbkdf2);
const scrypt = promisify(crypto.scrypt) as (p: Uint8Array, s: Uint8Array, n: number, o: crypto.ScryptOptions) => Promise<Buffer>;

/**
 * A key derivation, checked and run on the libuv pool (Node's own async forms), so the
 * daemon's thread never runs it. The guest waits on it (block 'job'); its time is charged.
 */
export function cryptoJob(kind: string, args: unknown[], b: CryptoBounds): () => Promise<unknown> {
  const max = b.callMaxBytes;
  if (kind === 'pbkdf2') {
    const [password, salt, iterations, keylen, digest] = args;
    const pw = bytes(password, 'password', max);
    const s = bytes(salt, 'salt', max);
    if (typeof iterations === 'number' && iterations > b.pbkdf2MaxIterations) {
      b.onLimit('crypto_pbkdf2_max_iterations', iterations, b.pbkdf2MaxIterations, 'AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS');
      throw Object.assign(new RangeError(`The value of "iterations" is out of range. It must be >= 1 && <= ${b.pbkdf2MaxIterations} in this sandbox (AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS). Received ${iterations}`), { code: 'ERR_OUT_OF_RANGE' });
    }
    if (typeof keylen === 'number' && keylen > max) throw Object.assign(new RangeError(`The value of "keylen" is out of range. It must be <= ${max} in this sandbox (AGENTOS_NODE_CALL_MAX_BYTES). Received ${keylen}`), { code: 'ERR_OUT_OF_RANGE' });
    return async () => new Uint8Array(await pbkdf2(pw, s, iterations as number, keylen as number, digest as string));
  }
  if (kind === 'scrypt') {
    const [password, salt, keylen, options] = args;
    const o: crypto.ScryptOptions & { maxMem?: number } = { ...(typeof options === 'object' && options !== null ? options as crypto.ScryptOptions : {}) };
    const asked = o.maxmem ?? o.maxMem ?? 32 * 1024 * 1024;
    if (asked > b.scryptMaxMemoryBytes) {
      o.maxmem = b.scryptMaxMemoryBytes;
      delete o.maxMem;
    }
    const pw = bytes(password, 'password', max);
    const s = bytes(salt, 'salt', max);
    if (typeof keylen === 'number' && keylen > max) throw Object.assign(new RangeError(`The value of "keylen" is out of range. It must be <= ${max} in this sandbox (AGENTOS_NODE_CALL_MAX_BYTES). Received ${keylen}`), { code: 'ERR_OUT_OF_RANGE' });
    const N = o.N ?? o.cost ?? 16384;
    const r = o.r ?? o.blockSize ?? 8;
    const need = 128 * N * r;
    return async () => {
      try {
        return new Uint8Array(await scrypt(pw, s, keylen as number, o));
      } catch (err) {
        if (need > b.scryptMaxMemoryBytes && asked >= need) b.onLimit('crypto_scrypt_max_memory_bytes', need, b.scryptMaxMemoryBytes, 'AGENTOS_CRYPTO_SCRYPT_MAX_MEMORY_BYTES');
        throw err;
      }
    };
  }
  throw Object.assign(new Error(`unknown crypto job '${kind}'`), { code: 'ERR_INVALID_ARG_VALUE' });
}
