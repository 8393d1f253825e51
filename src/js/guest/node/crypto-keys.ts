/**
 * node:crypto's keys and public-key operations: KeyObject, key and prime generation,
 * sign/verify, RSA encryption, Diffie-Hellman, ECDH, X509Certificate, Certificate. The
 * keys live in the daemon (src/js/node-host/crypto-keys.ts) and its own node:crypto does
 * the work and the validation (its errors are Node's); a KeyObject here is a thin wrapper
 * around a handle. Generation runs off the daemon's thread; the guest waits for it, and
 * the callback forms call back on a later turn, as Node's do.
 */
import { lazyBuffer } from '../lazy.js';
import { timerGlobals } from '../timers.js';
import { callMaxBytes, nodeCall, nodeJob } from './bridge.js';
import { keyIds, unwireResult, wireArgs, wrapKey } from './crypto-wire.js';
import { nodeError } from './errors.js';
import { queueCallback } from '../callback-queue.js';

type Callback = (err: Error | null, ...values: unknown[]) => void;

export const kcall = (name: string, args: unknown[]): unknown => unwireResult(nodeCall('k.fn', [name, wireArgs(args)]));
export const kjob = (name: string, args: unknown[]): unknown => unwireResult(nodeJob('k.job', [name, wireArgs(args)]));

/**
 * An async form: an argument's error throws now (the daemon checks it before starting the
 * work); the work's own error, or its values, reach the callback on a later turn.
 */
function kjobThen(name: string, args: unknown[], cb: Callback, spread: boolean, primeJob = false): void {
  const noError = primeJob ? undefined : null;
  const raw = nodeJob('k.job', [name, wireArgs(args)]);
  let value: unknown;
  try {
    value = unwireResult(raw);
  } catch (err) {
    // Node checks the arguments before the job starts: those errors throw, the job's reach cb.
    if (isArgumentError(err)) throw err;
    timerGlobals.setImmediate(() => cb(err as Error));
    return;
  }
  // Node's key generation calls back with null for no error, its prime jobs with undefined.
  timerGlobals.setImmediate(() => (spread ? cb(noError as null, ...(value as unknown[])) : cb(noError as null, value)));
}
const knew = (cls: string, args: unknown[]): { t: 'h'; id: number; verifyError?: number } => unwireResult(nodeCall('k.new', [cls, wireArgs(args)])) as { t: 'h'; id: number };
const kmethod = (id: number, name: string, args: unknown[]): unknown => unwireResult(nodeCall('k.method', [id, null, name, wireArgs(args)]));
const kget = (id: number, name: string): unknown => unwireResult(nodeCall('k.get', [id, [], name]));

// Daemon-side objects the guest dropped are freed when collected; the rest when the process ends.
const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<number>((id) => { try { nodeCall('free', [id]); } catch { /* the process is ending */ } }) : undefined;
function own(obj: object, t: 'k' | 'ck' | 'h', id: number): void {
  keyIds.set(obj, { t: t as 'k', id });
  finalizer?.register(obj, id);
}

const validateFunction = (cb: unknown, name = 'callback'): Callback => {
  if (typeof cb !== 'function') throw nodeError('ERR_INVALID_ARG_TYPE', name, 'Function', cb);
  return cb as Callback;
};

/** An argument's error, which Node's async forms throw at once (the others reach the callback). */
const isArgumentError = (err: unknown): boolean => /^ERR_(INVALID_ARG|MISSING_ARGS|OUT_OF_RANGE|CRYPTO_SIGN_KEY_REQUIRED|CRYPTO_INVALID_DIGEST|CRYPTO_INVALID_KEY_OBJECT_TYPE|CRYPTO_INCOMPATIBLE_KEY)/.test(String((err as { code?: unknown })?.code));

/** Runs `work` now and calls back on a later turn with its values (or its error). */
function later(cb: Callback, work: () => unknown[]): void {
  let values: unknown[];
  try {
    values = work();
  } catch (err) {
    if (isArgumentError(err)) throw err;
    timerGlobals.setImmediate(() => cb(err as Error));
    return;
  }
  timerGlobals.setImmediate(() => cb(null, ...values));
}

// ---- KeyObject ----

class KeyHandle {
  constructor(readonly id: number, readonly meta: Record<string, unknown>) {}
}

const kHandle = Symbol('kHandle');
const kType = Symbol('kKeyType');

export class KeyObject {
  declare [kHandle]: KeyHandle;
  declare [kType]: string;
  constructor(type: unknown, handle: unknown) {
    if (type !== 'secret' && type !== 'public' && type !== 'private') throw nodeError('ERR_INVALID_ARG_VALUE', 'type', type);
    if (typeof handle !== 'object' || !(handle instanceof KeyHandle)) throw nodeError('ERR_INVALID_ARG_TYPE', 'handle', 'object', handle);
    Object.defineProperty(this, kType, { value: type });
    Object.defineProperty(this, kHandle, { value: handle });
    own(this, 'k', handle.id);
  }

  get type(): string {
    return this[kType];
  }

  static from(key: unknown): KeyObject {
    if (typeof key !== 'object' || key === null || keyIds.get(key)?.t !== 'ck') throw nodeError('ERR_INVALID_ARG_TYPE', 'key', 'CryptoKey', key);
    return (key as { [kKeyObject]?: KeyObject })[kKeyObject] ??= kcall('KeyObject.from', [key]) as KeyObject;
  }

  equals(otherKeyObject: unknown): boolean {
    if (!(otherKeyObject instanceof KeyObject)) throw nodeError('ERR_INVALID_ARG_TYPE', 'otherKeyObject', 'KeyObject', otherKeyObject);
    return otherKeyObject.type === this.type && kmethod(this[kHandle].id, 'equals', [otherKeyObject]) === true;
  }
}
Object.defineProperty(KeyObject.prototype, Symbol.toStringTag, { configurable: true, value: 'KeyObject' });

/** The KeyObject a CryptoKey wraps (KeyObject.from), kept on it once made. */
export const kKeyObject = Symbol('kKeyObject');

class SecretKeyObject extends KeyObject {
  constructor(handle: KeyHandle) {
    super('secret', handle);
  }
  get symmetricKeySize(): number {
    return this[kHandle].meta.symmetricKeySize as number;
  }
  export(options?: unknown): unknown {
    return kmethod(this[kHandle].id, 'export', options === undefined ? [] : [options]);
  }
}

class AsymmetricKeyObject extends KeyObject {
  get asymmetricKeyType(): string | undefined {
    return this[kHandle].meta.asymmetricKeyType as string | undefined;
  }
  get asymmetricKeyDetails(): Record<string, unknown> | undefined {
    const d = this[kHandle].meta.asymmetricKeyDetails as Record<string, unknown> | undefined;
    switch (this.asymmetricKeyType) {
      case 'rsa': case 'rsa-pss': case 'dsa': case 'ec':
        return { ...d };
      default:
        return {};
    }
  }
  export(options?: unknown): unknown {
    return kmethod(this[kHandle].id, 'export', options === undefined ? [] : [options]);
  }
}

class PublicKeyObject extends AsymmetricKeyObject {
  constructor(handle: KeyHandle) {
    super('public', handle);
  }
}

class PrivateKeyObject extends AsymmetricKeyObject {
  constructor(handle: KeyHandle) {
    super('private', handle);
  }
}

wrapKey.key = (id, meta) => {
  const h = new KeyHandle(id, meta);
  return meta.type === 'secret' ? new SecretKeyObject(h) : meta.type === 'public' ? new PublicKeyObject(h) : new PrivateKeyObject(h);
};

/** The bytes of a secret KeyObject (for HMAC and ciphers that take one). */
export function secretBytes(key: KeyObject): Uint8Array {
  return (key as unknown as { export(): Uint8Array }).export();
}

// ---- generation ----

/**
 * RSA-PSS's deprecated option names (DEP0154): warned here, in the guest, as Node does,
 * and renamed, so the daemon's node never warns on its own stderr.
 */
function deprecatedPss(type: unknown, options: unknown): unknown {
  if (type !== 'rsa-pss' || typeof options !== 'object' || options === null) return options;
  const o = { ...(options as Record<string, unknown>) };
  for (const [old, now] of [['hash', 'hashAlgorithm'], ['mgf1Hash', 'mgf1HashAlgorithm']] as const) {
    if (o[old] === undefined) continue;
    (globalThis as { process?: { emitWarning?(m: string, t: string, c: string): void } }).process?.emitWarning?.(`"options.${old}" is deprecated, use "options.${now}" instead.`, 'DeprecationWarning', 'DEP0154');
    if (typeof o[old] !== 'string') throw nodeError('ERR_INVALID_ARG_TYPE', `options.${old}`, 'string', o[old]);
    if (o[now] && o[now] !== o[old]) throw nodeError('ERR_INVALID_ARG_VALUE', `options.${old}`, o[old]);
    o[now] ||= o[old];
    delete o[old];
  }
  return o;
}

export function generateKeyPair(type: unknown, options: unknown, callback?: unknown): void {
  if (typeof options === 'function') [callback, options] = [options, undefined];
  const cb = validateFunction(callback);
  kjobThen('generateKeyPair', [type, deprecatedPss(type, options)], cb, true);
}
// util.promisify(generateKeyPair) resolves to { publicKey, privateKey }, as Node's.
Object.defineProperty(generateKeyPair, Symbol.for('nodejs.util.promisify.custom'), {
  value: (type: unknown, options: unknown) => new Promise((resolve, reject) => {
    generateKeyPair(type, options, (err: Error | null, publicKey?: unknown, privateKey?: unknown) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  }),
});

export function generateKeyPairSync(type: unknown, options?: unknown): { publicKey: unknown; privateKey: unknown } {
  const [publicKey, privateKey] = kjob('generateKeyPair', [type, deprecatedPss(type, options)]) as [unknown, unknown];
  return { publicKey, privateKey };
}

export function generateKey(type: unknown, options: unknown, callback?: unknown): void {
  if (typeof options === 'function') [callback, options] = [options, undefined];
  const cb = validateFunction(callback);
  kjobThen('generateKey', [type, options], cb, false);
}

export const generateKeySync = (type: unknown, options?: unknown): unknown => kjob('generateKey', [type, options]);

export function generatePrime(size: unknown, options?: unknown, callback?: unknown): void {
  if (typeof options === 'function') [callback, options] = [options, {}];
  const cb = validateFunction(callback);
  kjobThen('generatePrime', [size, options], cb, false, true);
}

export const generatePrimeSync = (size: unknown, options?: unknown): unknown => kjob('generatePrime', [size, options]);

export function checkPrime(candidate: unknown, options?: unknown, callback?: unknown): void {
  if (typeof options === 'function') [callback, options] = [options, {}];
  const cb = validateFunction(callback);
  kjobThen('checkPrime', [candidate, options], cb, false, true);
}

export const checkPrimeSync = (candidate: unknown, options?: unknown): unknown => kjob('checkPrime', [candidate, options]);

// ---- keys ----

export const createPublicKey = (key: unknown): unknown => kcall('createPublicKey', [key]);
export const createPrivateKey = (key: unknown): unknown => kcall('createPrivateKey', [key]);
export const createSecretKey = (key: unknown, encoding?: unknown): unknown => kcall('createSecretKey', encoding === undefined ? [key] : [key, encoding]);

// ---- one-shot operations ----

export function sign(algorithm: unknown, data: unknown, key: unknown, callback?: unknown): unknown {
  if (callback !== undefined) {
    const cb = validateFunction(callback);
    later(cb, () => [kcall('sign', [algorithm, data, key])]);
    return undefined;
  }
  return kcall('sign', [algorithm, data, key]);
}

export function verify(algorithm: unknown, data: unknown, key: unknown, signature: unknown, callback?: unknown): unknown {
  if (callback !== undefined) {
    const cb = validateFunction(callback);
    later(cb, () => [kcall('verify', [algorithm, data, key, signature])]);
    return undefined;
  }
  return kcall('verify', [algorithm, data, key, signature]);
}

export const hkdfSync = (digest: unknown, ikm: unknown, salt: unknown, info: unknown, keylen: unknown): unknown => kcall('hkdfSync', [digest, ikm, salt, info, keylen]);

export function hkdf(digest: unknown, ikm: unknown, salt: unknown, info: unknown, keylen: unknown, callback?: unknown): void {
  const out = hkdfSync(digest, ikm, salt, info, keylen);
  const cb = validateFunction(callback);
  timerGlobals.setImmediate(() => cb(null, out));
}

export const publicEncrypt = (key: unknown, buffer: unknown): unknown => kcall('publicEncrypt', [key, buffer]);
export const publicDecrypt = (key: unknown, buffer: unknown): unknown => kcall('publicDecrypt', [key, buffer]);
export const privateEncrypt = (key: unknown, buffer: unknown): unknown => kcall('privateEncrypt', [key, buffer]);
export const privateDecrypt = (key: unknown, buffer: unknown): unknown => kcall('privateDecrypt', [key, buffer]);

export function diffieHellman(options: unknown, callback?: unknown): unknown {
  if (callback !== undefined) {
    const cb = validateFunction(callback);
    later(cb, () => [kcall('diffieHellman', [options])]);
    return undefined;
  }
  return kcall('diffieHellman', [options]);
}

// ---- Sign and Verify ----

/** Data in pieces of at most one call's size (the daemon's bound). */
function updateInPieces(id: number, data: unknown, encoding: unknown): void {
  if (typeof data === 'string') data = lazyBuffer().from(data, typeof encoding === 'string' && encoding !== 'buffer' ? encoding as BufferEncoding : 'utf8');
  if (!ArrayBuffer.isView(data)) {
    kmethod(id, 'update', [data]);
    return;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const piece = callMaxBytes();
  for (let at = 0; at < bytes.byteLength || at === 0; at += piece) kmethod(id, 'update', [bytes.subarray(at, at + piece)]);
}

function SignBase(this: { id: number }, kind: 'Sign' | 'Verify', algorithm: unknown, options: unknown): void {
  const h = knew(kind, options === undefined ? [algorithm] : [algorithm, options]);
  Object.defineProperty(this, 'id', { value: h.id });
  own(this, 'h', h.id);
}

export function Sign(this: unknown, algorithm: unknown, options?: unknown): unknown {
  if (!(this instanceof Sign)) return new (Sign as unknown as new (a: unknown, o: unknown) => unknown)(algorithm, options);
  SignBase.call(this as { id: number }, 'Sign', algorithm, options);
  return undefined;
}
Sign.prototype.update = function update(this: { id: number }, data: unknown, encoding?: unknown) {
  updateInPieces(this.id, data, encoding);
  return this;
};
Sign.prototype.sign = function sign(this: { id: number }, privateKey: unknown, encoding?: unknown) {
  return kmethod(this.id, 'sign', encoding === undefined ? [privateKey] : [privateKey, encoding]);
};
Sign.prototype.write = function write(this: { update(d: unknown, e: unknown): void }, chunk: unknown, encoding?: unknown, cb?: unknown) {
  this.update(chunk, typeof encoding === 'string' ? encoding : undefined);
  const done = typeof encoding === 'function' ? encoding : cb;
  if (typeof done === 'function') queueCallback(done as () => void);
  return true;
};
Sign.prototype.end = function end(this: { write(c: unknown, e: unknown): void }, chunk?: unknown, encoding?: unknown) {
  if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') this.write(chunk, encoding);
  return this;
};

export function Verify(this: unknown, algorithm: unknown, options?: unknown): unknown {
  if (!(this instanceof Verify)) return new (Verify as unknown as new (a: unknown, o: unknown) => unknown)(algorithm, options);
  SignBase.call(this as { id: number }, 'Verify', algorithm, options);
  return undefined;
}
Verify.prototype.update = Sign.prototype.update;
Verify.prototype.write = Sign.prototype.write;
Verify.prototype.end = Sign.prototype.end;
Verify.prototype.verify = function verify(this: { id: number }, object: unknown, signature: unknown, sigEncoding?: unknown) {
  return kmethod(this.id, 'verify', sigEncoding === undefined ? [object, signature] : [object, signature, sigEncoding]);
};

// ---- Diffie-Hellman and ECDH ----

/** Methods a DH or ECDH object forwards to the daemon's, as they are. */
const DH_METHODS = ['generateKeys', 'computeSecret', 'getPrime', 'getGenerator', 'getPublicKey', 'getPrivateKey', 'setPublicKey', 'setPrivateKey'] as const;

function forward(proto: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    proto[name] = {
      [name](this: { id: number }, ...args: unknown[]) {
        while (args.length && args[args.length - 1] === undefined) args.pop();
        const out = kmethod(this.id, name, args);
        return name === 'setPublicKey' || name === 'setPrivateKey' ? this : out;
      },
    }[name];
  }
}

export function DiffieHellman(this: unknown, sizeOrKey: unknown, keyEncoding?: unknown, generator?: unknown, genEncoding?: unknown): unknown {
  if (!(this instanceof DiffieHellman)) return new (DiffieHellman as unknown as new (...a: unknown[]) => unknown)(sizeOrKey, keyEncoding, generator, genEncoding);
  const args = [sizeOrKey, keyEncoding, generator, genEncoding];
  while (args.length && args[args.length - 1] === undefined) args.pop();
  // A size: the daemon generates the prime off its thread (Node makes it on its own).
  const h = (typeof sizeOrKey === 'number' ? kjob('DiffieHellman', args) : knew('DiffieHellman', args)) as { id: number; verifyError?: number };
  Object.defineProperty(this, 'id', { value: h.id });
  Object.defineProperty(this, 'verifyError', { value: h.verifyError, enumerable: true });
  own(this, 'h', h.id);
  return undefined;
}
forward(DiffieHellman.prototype as Record<string, unknown>, DH_METHODS);

export function DiffieHellmanGroup(this: unknown, name: unknown): unknown {
  if (!(this instanceof DiffieHellmanGroup)) return new (DiffieHellmanGroup as unknown as new (n: unknown) => unknown)(name);
  const h = kcall('getDiffieHellman', [name]) as { id: number };
  Object.defineProperty(this, 'id', { value: h.id });
  Object.defineProperty(this, 'verifyError', { value: kget(h.id, 'verifyError'), enumerable: true });
  own(this, 'h', h.id);
  return undefined;
}
forward(DiffieHellmanGroup.prototype as Record<string, unknown>, DH_METHODS.filter((n) => n !== 'setPublicKey' && n !== 'setPrivateKey'));

export function ECDH(this: unknown, curve: unknown): unknown {
  if (!(this instanceof ECDH)) return new (ECDH as unknown as new (c: unknown) => unknown)(curve);
  const h = knew('ECDH', [curve]);
  Object.defineProperty(this, 'id', { value: h.id });
  own(this, 'h', h.id);
  return undefined;
}
forward(ECDH.prototype as Record<string, unknown>, DH_METHODS.filter((n) => n !== 'getPrime' && n !== 'getGenerator'));
ECDH.convertKey = (key: unknown, curve: unknown, inEnc?: unknown, outEnc?: unknown, format?: unknown): unknown => {
  return kcall('ECDH.convertKey', [key, curve, inEnc, outEnc, format]);
};

// ---- certificates ----

const X509_GETTERS = ['subject', 'subjectAltName', 'issuer', 'infoAccess', 'validFrom', 'validTo', 'fingerprint', 'fingerprint256', 'fingerprint512', 'keyUsage', 'serialNumber', 'raw', 'publicKey', 'ca'];
const X509_METHODS = ['checkHost', 'checkEmail', 'checkIP', 'checkIssued', 'checkPrivateKey', 'verify', 'toString', 'toJSON', 'toLegacyObject'];

export class X509Certificate {
  declare readonly id: number;
  constructor(buffer: unknown) {
    const h = knew('X509Certificate', [buffer]);
    Object.defineProperty(this, 'id', { value: h.id });
    own(this, 'h', h.id);
  }
}
for (const name of X509_GETTERS) {
  const cache = new WeakMap<object, unknown>();
  Object.defineProperty(X509Certificate.prototype, name, {
    configurable: true,
    get(this: X509Certificate) {
      if (!cache.has(this)) cache.set(this, kget(this.id, name));
      return cache.get(this);
    },
  });
}
forward(X509Certificate.prototype as unknown as Record<string, unknown>, X509_METHODS);

export function Certificate(this: unknown): unknown {
  if (!(this instanceof Certificate)) return new (Certificate as unknown as new () => unknown)();
  return undefined;
}
for (const name of ['verifySpkac', 'exportPublicKey', 'exportChallenge']) {
  const fn = { [name]: (...args: unknown[]) => kcall(`Certificate.${name}`, args) }[name]!;
  (Certificate as unknown as Record<string, unknown>)[name] = fn;
  (Certificate.prototype as Record<string, unknown>)[name] = fn;
}

/** The functions and classes above, for the crypto module's table. */
export function keyExports(): Record<string, unknown> {
  const createDiffieHellman = (...a: unknown[]) => new (DiffieHellman as unknown as new (...x: unknown[]) => unknown)(...a);
  const getDiffieHellman = (name: unknown) => new (DiffieHellmanGroup as unknown as new (n: unknown) => unknown)(name);
  return {
    KeyObject, generateKeyPair, generateKeyPairSync, generateKey, generateKeySync, generatePrime, generatePrimeSync, checkPrime, checkPrimeSync,
    createPublicKey, createPrivateKey, createSecretKey, sign, verify, publicEncrypt, publicDecrypt, privateEncrypt, privateDecrypt, diffieHellman,
    Sign, Verify, createSign: (a: unknown, o?: unknown) => new (Sign as unknown as new (a: unknown, o: unknown) => unknown)(a, o),
    createVerify: (a: unknown, o?: unknown) => new (Verify as unknown as new (a: unknown, o: unknown) => unknown)(a, o),
    DiffieHellman, DiffieHellmanGroup, createDiffieHellman, getDiffieHellman, createDiffieHellmanGroup: getDiffieHellman,
    ECDH, createECDH: (curve: unknown) => new (ECDH as unknown as new (c: unknown) => unknown)(curve),
    X509Certificate, Certificate,
    hkdf, hkdfSync,
    secureHeapUsed: () => kcall('secureHeapUsed', []),
  };
}
