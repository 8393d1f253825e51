/**
 * Web Crypto's `subtle`: every algorithm of the daemon's own Node (RSA, ECDSA, ECDH,
 * Ed25519/X25519, AES, HMAC, PBKDF2, HKDF), its validation and its DOMExceptions. A
 * CryptoKey here is a handle to the daemon's (src/js/node-host/crypto-keys.ts); each
 * operation runs there as a job off its thread, the guest waiting for it, and answers
 * through a promise as Web Crypto's methods do.
 */
import { nodeError } from './errors.js';
import { kjob, kKeyObject } from './crypto-keys.js';
import { keyIds, wrapKey } from './crypto-wire.js';
import { Hash } from './crypto.js';

const kMeta = Symbol('kMeta');
let constructing = false;

export class CryptoKey {
  declare [kMeta]: { type: string; extractable: boolean; algorithm: unknown; usages: string[] };
  declare [kKeyObject]: unknown;
  constructor() {
    if (!constructing) throw nodeError('ERR_ILLEGAL_CONSTRUCTOR');
  }
  get type(): string {
    return meta(this).type;
  }
  get extractable(): boolean {
    return meta(this).extractable;
  }
  get algorithm(): unknown {
    return meta(this).algorithm;
  }
  get usages(): string[] {
    return meta(this).usages;
  }
}
for (const name of ['type', 'extractable', 'algorithm', 'usages']) Object.defineProperty(CryptoKey.prototype, name, { enumerable: true });
Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { configurable: true, value: 'CryptoKey' });
Object.defineProperty(CryptoKey.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: CryptoKey, depth: number, options: { depth?: number | null }, inspect: (v: unknown, o: unknown) => string) {
    if (depth < 0) return this;
    const m = meta(this);
    return `CryptoKey ${inspect({ type: m.type, extractable: m.extractable, algorithm: m.algorithm, usages: m.usages }, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`;
  },
});

function meta(key: unknown): CryptoKey[typeof kMeta] {
  if (!(key instanceof CryptoKey)) throw nodeError('ERR_INVALID_THIS', 'CryptoKey');
  return key[kMeta];
}

const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<number>(() => undefined) : undefined;

wrapKey.cryptoKey = (id, m) => {
  constructing = true;
  let key: CryptoKey;
  try {
    key = new CryptoKey();
  } finally {
    constructing = false;
  }
  Object.defineProperty(key, kMeta, { value: m });
  keyIds.set(key, { t: 'ck', id });
  finalizer?.register(key, id);
  return key;
};

const DIGESTS: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** digest: SHA-* of bytes streams through node:crypto's Hash (the same digest, any size); anything else is the daemon's subtle's to answer. */
function digest(args: unknown[]): unknown {
  const [algorithm, data] = args;
  const name = typeof algorithm === 'string' ? algorithm : typeof algorithm === 'object' && algorithm !== null ? (algorithm as { name?: unknown }).name : undefined;
  const hash = typeof name === 'string' ? DIGESTS[name.toUpperCase()] : undefined;
  if (!hash || !(ArrayBuffer.isView(data) || data instanceof ArrayBuffer)) return kjob('subtle', ['digest', ...args]);
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data as ArrayBuffer);
  const out = new Hash(hash).update(bytes).digest() as unknown as Uint8Array;
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
}

export class SubtleCrypto {
  constructor() {
    throw nodeError('ERR_ILLEGAL_CONSTRUCTOR');
  }
}

const METHODS = ['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey'] as const;

/** The `subtle` object: each method a promise of the daemon's answer. */
export function createSubtle(): SubtleCrypto {
  const subtle = Object.create(SubtleCrypto.prototype) as Record<string, unknown>;
  for (const name of METHODS) {
    Object.defineProperty(SubtleCrypto.prototype, name, {
      configurable: true,
      writable: true,
      value: {
        [name](this: unknown, ...args: unknown[]) {
          return new Promise((resolve) => {
            if (!(this instanceof SubtleCrypto)) throw nodeError('ERR_INVALID_THIS', 'SubtleCrypto');
            resolve(name === 'digest' ? digest(args) : kjob('subtle', [name, ...args]));
          });
        },
      }[name],
    });
  }
  Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { configurable: true, value: 'SubtleCrypto' });
  return subtle as unknown as SubtleCrypto;
}
