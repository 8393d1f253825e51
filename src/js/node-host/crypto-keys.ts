/**
 * node:crypto's keys and public-key operations for guests, done by the daemon's own
 * node:crypto: KeyObjects, key generation, sign/verify, RSA encryption, Diffie-Hellman,
 * ECDH, X509Certificate, primes and Web Crypto's subtle. Key material stays here, in the
 * process's handle table (bounded in count, and in bytes per VM); the guest holds numbers.
 * Every argument goes through Node's own validation (crypto-wire.ts keeps its errors
 * exact); what would hold the daemon's thread or a pool thread too long (a 16384-bit RSA
 * key, a 10,000-bit safe prime, a key file asking for 2^31 PBKDF2 rounds) is refused by a
 * bound first, and slow work (key generation, primes, subtle) runs on the libuv pool.
 */
import * as crypto from 'node:crypto';
import type { Handles } from './handles.js';
import { unwire, wire, wireError, type KeyTable } from './crypto-wire.js';

export type KeyState =
  | { kind: 'key'; key: crypto.KeyObject; bytes: number }
  | { kind: 'cryptoKey'; key: crypto.webcrypto.CryptoKey; bytes: number }
  | { kind: 'dh'; dh: crypto.DiffieHellman; bytes: number }
  | { kind: 'ecdh'; dh: crypto.ECDH; bytes: number }
  | { kind: 'sign'; s: crypto.Sign; bytes: number }
  | { kind: 'verify'; s: crypto.Verify; bytes: number }
  | { kind: 'x509'; cert: crypto.X509Certificate; bytes: number };

export interface KeyBounds {
  callMaxBytes: number;
  pbkdf2MaxIterations: number;
  scryptMaxMemoryBytes: number;
  keygenMaxBits: number;
  primeMaxBits: number;
  primeMaxChecks: number;
  /** Key bytes the VM's processes hold in the daemon, shared by them all. */
  keyBudget: { used: number; max: number };
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
}

type Table<S> = Handles<S | KeyState>;

function outOfRange(name: string, max: number, env: string, got: number): RangeError {
  return Object.assign(new RangeError(`The value of "${name}" is out of range. It must be <= ${max} in this sandbox (${env}). Received ${got}`), { code: 'ERR_OUT_OF_RANGE' });
}

/** The bytes a key holds in the daemon, as far as the VM's budget goes. */
function keySize(k: crypto.KeyObject): number {
  if (k.type === 'secret') return k.symmetricKeySize ?? 0;
  const d = k.asymmetricKeyDetails as { modulusLength?: number } | undefined;
  return Math.max(64, Math.ceil((d?.modulusLength ?? 521) / 8) * (k.type === 'private' ? 5 : 2));
}

export class CryptoKeys {
  constructor(private readonly handles: Table<unknown>, private readonly b: KeyBounds) {}

  /** Frees what a handle held against the VM's key budget (the handle itself is gone). */
  static release(state: unknown, b: KeyBounds): void {
    const s = state as { bytes?: unknown };
    if (typeof s?.bytes === 'number') b.keyBudget.used = Math.max(0, b.keyBudget.used - s.bytes);
  }

  private add(state: KeyState): number {
    const budget = this.b.keyBudget;
    if (budget.used + state.bytes > budget.max) {
      this.b.onLimit('crypto_key_bytes_per_vm', budget.used + state.bytes, budget.max, 'AGENTOS_CRYPTO_KEY_BYTES_PER_VM');
      throw Object.assign(new RangeError(`the VM's processes already hold ${budget.used} bytes of keys in the daemon; at most ${budget.max} (AGENTOS_CRYPTO_KEY_BYTES_PER_VM)`), { code: 'ERR_AGENTOS_CRYPTO_KEYS' });
    }
    const id = this.handles.add(state);
    budget.used += state.bytes;
    return id;
  }

  private of<K extends KeyState['kind']>(id: unknown, ...kinds: K[]): Extract<KeyState, { kind: K }> {
    const s = this.handles.get(id) as KeyState;
    if (!kinds.includes(s.kind as K)) throw Object.assign(new TypeError('invalid crypto object'), { code: 'ERR_INVALID_ARG_TYPE' });
    return s as Extract<KeyState, { kind: K }>;
  }

  readonly table: KeyTable = {
    key: (id) => this.of(id, 'key').key,
    cryptoKey: (id) => this.of(id, 'cryptoKey').key,
    addKey: (key) => {
      this.checkKeySize(key);
      return this.add({ kind: 'key', key, bytes: keySize(key) });
    },
    object: (id) => this.of(id, 'x509').cert,
    addCryptoKey: (key) => this.add({ kind: 'cryptoKey', key, bytes: keySize(crypto.KeyObject.from(key)) }),
  };

  /** A key larger than the sandbox generates would make each private operation hold the daemon's thread. */
  private checkKeySize(key: crypto.KeyObject): void {
    const bits = (key.asymmetricKeyDetails as { modulusLength?: number } | undefined)?.modulusLength;
    if (typeof bits === 'number' && bits > this.b.keygenMaxBits) {
      this.b.onLimit('crypto_keygen_max_bits', bits, this.b.keygenMaxBits, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS');
      throw outOfRange('modulusLength', this.b.keygenMaxBits, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', bits);
    }
  }

  /** One call; its result, or the error Node threw, wired for the guest. */
  call(op: string, args: unknown[]): unknown {
    try {
      return this.dispatch(op, args);
    } catch (err) {
      return wireError(err);
    }
  }

  private dispatch(op: string, args: unknown[]): unknown {
    const t = this.table;
    const a = Array.isArray(args[1]) ? (args[1] as unknown[]).map((x) => unwire(x, t)) : [];
    if (op === 'k.fn') return wire(this.fn(String(args[0]), a), t);
    if (op === 'k.new') return wire(this.create(String(args[0]), a), t);
    if (op === 'k.get') return wire(this.method(args[0], String(args[2]), a, true), t);
    if (op === 'k.method') {
      const id = args[0];
      const name = String(args[2]);
      const ma = Array.isArray(args[3]) ? (args[3] as unknown[]).map((x) => unwire(x, t)) : [];
      return wire(this.method(id, name, ma, false), t);
    }
    throw Object.assign(new Error(`unknown crypto call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
  }

  private fn(name: string, a: unknown[]): unknown {
    switch (name) {
      case 'createPublicKey': return crypto.createPublicKey(a[0] as crypto.PublicKeyInput);
      case 'createPrivateKey':
        this.checkEncrypted(a[0]);
        return crypto.createPrivateKey(a[0] as crypto.PrivateKeyInput);
      case 'createSecretKey': return (crypto.createSecretKey as (...x: unknown[]) => crypto.KeyObject)(...a);
      case 'sign': this.checkEncrypted(a[2]); return crypto.sign(a[0] as string, a[1] as Buffer, a[2] as crypto.KeyLike);
      case 'verify': return crypto.verify(a[0] as string, a[1] as Buffer, a[2] as crypto.KeyLike, a[3] as Buffer);
      case 'publicEncrypt': return crypto.publicEncrypt(a[0] as crypto.KeyLike, a[1] as Buffer);
      case 'publicDecrypt': return crypto.publicDecrypt(a[0] as crypto.KeyLike, a[1] as Buffer);
      case 'privateEncrypt': this.checkEncrypted(a[0]); return crypto.privateEncrypt(a[0] as crypto.KeyLike, a[1] as Buffer);
      case 'privateDecrypt': this.checkEncrypted(a[0]); return crypto.privateDecrypt(a[0] as crypto.KeyLike, a[1] as Buffer);
      case 'diffieHellman': return crypto.diffieHellman(a[0] as { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject });
      case 'KeyObject.from': return crypto.KeyObject.from(a[0] as crypto.webcrypto.CryptoKey);
      case 'ECDH.convertKey': return crypto.ECDH.convertKey(a[0] as Buffer, a[1] as string, a[2] as 'hex', a[3] as 'hex', a[4] as 'uncompressed');
      case 'hkdfSync': return (crypto.hkdfSync as (...x: unknown[]) => ArrayBuffer)(...a);
      case 'constants': return { ...crypto.constants };
      case 'secureHeapUsed': return crypto.secureHeapUsed();
      case 'Certificate.verifySpkac': return (crypto.Certificate.verifySpkac as (...x: unknown[]) => boolean)(...a);
      case 'Certificate.exportPublicKey': return (crypto.Certificate.exportPublicKey as (...x: unknown[]) => Buffer)(...a);
      case 'Certificate.exportChallenge': return (crypto.Certificate.exportChallenge as (...x: unknown[]) => Buffer)(...a);
      case 'getDiffieHellman':
      case 'createDiffieHellmanGroup':
        return this.handle({ kind: 'dh', dh: crypto.getDiffieHellman(a[0] as string) as crypto.DiffieHellman, bytes: 1024 });
      default:
        throw Object.assign(new Error(`unknown crypto function '${name}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  /** A generated Diffie-Hellman group (a job's result). */
  addDh(dh: crypto.DiffieHellman): number {
    return this.add({ kind: 'dh', dh, bytes: dh.getPrime().byteLength * 3 });
  }

  private handle(state: KeyState): { t: 'h'; id: number } {
    return { t: 'h', id: this.add(state) };
  }

  private create(cls: string, a: unknown[]): unknown {
    switch (cls) {
      case 'DiffieHellman': {
        if (typeof a[0] === 'number') throw Object.assign(new Error('a generated prime comes through a job'), { code: 'ERR_INVALID_STATE' });
        const dh = (crypto.createDiffieHellman as (...x: unknown[]) => crypto.DiffieHellman)(...a);
        return { t: 'h', id: this.addDh(dh), verifyError: dh.verifyError };
      }
      case 'ECDH':
        return this.handle({ kind: 'ecdh', dh: crypto.createECDH(a[0] as string), bytes: 200 });
      case 'Sign':
        return this.handle({ kind: 'sign', s: crypto.createSign(a[0] as string, a[1] as undefined), bytes: 0 });
      case 'Verify':
        return this.handle({ kind: 'verify', s: crypto.createVerify(a[0] as string, a[1] as undefined), bytes: 0 });
      case 'X509Certificate': {
        const cert = new crypto.X509Certificate(a[0] as Buffer);
        return this.handle({ kind: 'x509', cert, bytes: cert.raw.byteLength });
      }
      default:
        throw Object.assign(new Error(`unknown crypto class '${cls}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  private method(id: unknown, name: string, a: unknown[], getter: boolean): unknown {
    const s = this.handles.get(id) as KeyState;
    const allowed = METHODS[s.kind];
    if (!allowed.has(name)) throw Object.assign(new Error(`no such method '${name}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    const target = (s.kind === 'key' || s.kind === 'cryptoKey' ? s.key : s.kind === 'dh' || s.kind === 'ecdh' ? s.dh : s.kind === 'x509' ? s.cert : s.s) as unknown as Record<string, unknown>;
    if (s.kind === 'sign' && name === 'sign') this.checkEncrypted(a[0]);
    const v = target[name];
    if (getter) return v;
    if (typeof v !== 'function') throw Object.assign(new TypeError(`${name} is not a function`), { code: 'ERR_INVALID_ARG_TYPE' });
    const result = (v as (...x: unknown[]) => unknown).apply(target, a);
    // Chained methods (update, setPrivateKey) answer nothing: the guest returns its own object.
    if (result === target) return null;
    if (name === 'setPrivateKey' || name === 'setPublicKey') return null;
    return result;
  }

  /**
   * A passphrase-protected key names its own key derivation's cost (PKCS#8's PBES2 with
   * PBKDF2 or scrypt, PKCS#12's PBE): read before OpenSSL runs it on the daemon's thread.
   */
  private checkEncrypted(input: unknown): void {
    const o = input as { key?: unknown } | undefined;
    const key = typeof input === 'string' || ArrayBuffer.isView(input) ? input : typeof o === 'object' && o !== null ? o.key : undefined;
    let der: Uint8Array | undefined;
    if (typeof key === 'string') {
      const m = /-----BEGIN ENCRYPTED PRIVATE KEY-----([^-]*)-----END/.exec(key);
      if (m) der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    } else if (ArrayBuffer.isView(key)) {
      const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
      if (b.includes('-----BEGIN')) return this.checkEncrypted(b.toString('latin1'));
      der = b;
    }
    if (!der) return;
    checkKdfCost(der, this.b);
  }
}

const PBKDF2_OID = Buffer.from('06092a864886f70d01050c', 'hex');
const SCRYPT_OID = Buffer.from('06092b06010401da470b', 'hex');
const PKCS12_PBE_OID = Buffer.from('060a2a864886f70d010c01', 'hex');

/** A DER element at `at`: its tag, where its content starts and how long it is. */
function element(der: Uint8Array, at: number): { tag: number; start: number; len: number } | undefined {
  if (at + 2 > der.byteLength) return undefined;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4 || start + n > der.byteLength) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return start + len <= der.byteLength ? { tag, start, len } : undefined;
}

function integer(der: Uint8Array, e: { start: number; len: number }): number {
  let n = 0;
  for (let i = 0; i < e.len; i++) n = n * 256 + der[e.start + i]!;
  return n;
}

function checkKdfCost(der: Uint8Array, b: KeyBounds): void {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const tooMany = (iterations: number) => {
    b.onLimit('crypto_pbkdf2_max_iterations', iterations, b.pbkdf2MaxIterations, 'AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS');
    throw outOfRange('iterations', b.pbkdf2MaxIterations, 'AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS', iterations);
  };
  for (const oid of [PBKDF2_OID, PKCS12_PBE_OID]) {
    for (let at = buf.indexOf(oid); at >= 0; at = buf.indexOf(oid, at + 1)) {
      // params: SEQUENCE { OCTET STRING salt (or a choice), INTEGER iterations, ... }
      const seq = element(der, at + oid.byteLength);
      if (!seq || seq.tag !== 0x30) continue;
      const salt = element(der, seq.start);
      const iter = salt && element(der, salt.start + salt.len);
      if (iter?.tag === 0x02 && (iter.len > 4 || integer(der, iter) > b.pbkdf2MaxIterations)) tooMany(iter.len > 6 ? Number.MAX_SAFE_INTEGER : integer(der, iter));
    }
  }
  for (let at = buf.indexOf(SCRYPT_OID); at >= 0; at = buf.indexOf(SCRYPT_OID, at + 1)) {
    // params: SEQUENCE { OCTET STRING salt, INTEGER N, INTEGER r, INTEGER p, ... }
    const seq = element(der, at + SCRYPT_OID.byteLength);
    if (!seq || seq.tag !== 0x30) continue;
    const salt = element(der, seq.start);
    const n = salt && element(der, salt.start + salt.len);
    const r = n && element(der, n.start + n.len);
    const p = r && element(der, r.start + r.len);
    if (!n || !r || n.tag !== 2 || r.tag !== 2) continue;
    const need = n.len > 6 || r.len > 6 ? Infinity : 128 * integer(der, n) * integer(der, r) * (p?.tag === 2 && p.len <= 4 ? Math.max(1, integer(der, p)) : 1);
    if (need > b.scryptMaxMemoryBytes) {
      b.onLimit('crypto_scrypt_max_memory_bytes', Number.isFinite(need) ? need : Number.MAX_SAFE_INTEGER, b.scryptMaxMemoryBytes, 'AGENTOS_CRYPTO_SCRYPT_MAX_MEMORY_BYTES');
      throw Object.assign(new RangeError(`the key's scrypt parameters need more than ${b.scryptMaxMemoryBytes} bytes in this sandbox (AGENTOS_CRYPTO_SCRYPT_MAX_MEMORY_BYTES)`), { code: 'ERR_OUT_OF_RANGE' });
    }
  }
}

const METHODS: Record<KeyState['kind'], Set<string>> = {
  key: new Set(['export', 'equals']),
  cryptoKey: new Set([]),
  dh: new Set(['generateKeys', 'computeSecret', 'getPrime', 'getGenerator', 'getPublicKey', 'getPrivateKey', 'setPublicKey', 'setPrivateKey', 'verifyError']),
  ecdh: new Set(['generateKeys', 'computeSecret', 'getPublicKey', 'getPrivateKey', 'setPublicKey', 'setPrivateKey']),
  sign: new Set(['update', 'sign']),
  verify: new Set(['update', 'verify']),
  x509: new Set(['subject', 'subjectAltName', 'issuer', 'infoAccess', 'validFrom', 'validTo', 'fingerprint', 'fingerprint256', 'fingerprint512',
    'keyUsage', 'serialNumber', 'raw', 'publicKey', 'ca', 'checkHost', 'checkEmail', 'checkIP', 'checkIssued', 'checkPrivateKey', 'verify',
    'toString', 'toJSON', 'toLegacyObject']),
};

/** Keygen and prime options past the sandbox's bounds, refused before Node starts the work. */
function checkKeygen(type: unknown, options: unknown, b: KeyBounds): void {
  if (typeof options !== 'object' || options === null) return;
  const o = options as Record<string, unknown>;
  const bits = (name: string, v: unknown, max: number, env: string, limit: string) => {
    if (typeof v === 'number' && Number.isInteger(v) && v > max && v <= 2 ** 32) {
      b.onLimit(limit, v, max, env);
      throw outOfRange(`options.${name}`, max, env, v);
    }
  };
  if (type === 'rsa' || type === 'rsa-pss' || type === 'dsa') bits('modulusLength', o.modulusLength, b.keygenMaxBits, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 'crypto_keygen_max_bits');
  if (type === 'dsa') bits('divisorLength', o.divisorLength, 512, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 'crypto_keygen_max_bits');
  if (type === 'dh') bits('primeLength', o.primeLength, b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', 'crypto_prime_max_bits');
  if (type === 'hmac') bits('length', o.length, b.callMaxBytes * 8, 'AGENTOS_NODE_CALL_MAX_BYTES', 'node_call_max_bytes');
}

function checkChecks(options: unknown, b: KeyBounds): void {
  const checks = typeof options === 'object' && options !== null ? (options as { checks?: unknown }).checks : undefined;
  if (typeof checks === 'number' && Number.isInteger(checks) && checks > b.primeMaxChecks && checks <= 2 ** 31) {
    b.onLimit('crypto_prime_max_checks', checks, b.primeMaxChecks, 'AGENTOS_CRYPTO_PRIME_MAX_CHECKS');
    throw outOfRange('options.checks', b.primeMaxChecks, 'AGENTOS_CRYPTO_PRIME_MAX_CHECKS', checks);
  }
}

function candidateBits(c: unknown): number {
  if (typeof c === 'bigint') return c.toString(2).length;
  if (ArrayBuffer.isView(c)) return c.byteLength * 8;
  if (c instanceof ArrayBuffer) return c.byteLength * 8;
  return 0;
}

/**
 * A job the guest waits on: Node's async form is started now (so its argument errors throw
 * at once, as Node's sync forms do) and runs on the libuv pool; the result is wired when
 * the guest collects it.
 */
export function keyJob(args: unknown[], keys: CryptoKeys, b: KeyBounds): () => Promise<unknown> {
  const t = keys.table;
  const name = String(args[0]);
  const a = Array.isArray(args[1]) ? (args[1] as unknown[]).map((x) => unwire(x, t)) : [];
  let started: Promise<unknown>;
  const viaCallback = (start: (cb: (err: Error | null, ...values: unknown[]) => void) => void) => new Promise<unknown>((resolve, reject) => {
    start((err, ...values) => (err ? reject(err) : resolve(values.length > 1 ? values : values[0])));
  });
  switch (name) {
    case 'generateKeyPair':
      checkKeygen(a[0], a[1], b);
      started = viaCallback((cb) => crypto.generateKeyPair(a[0] as 'rsa', a[1] as crypto.RSAKeyPairOptions<'pem', 'pem'>, cb as never));
      break;
    case 'generateKey':
      checkKeygen(a[0], a[1], b);
      started = viaCallback((cb) => crypto.generateKey(a[0] as 'hmac', a[1] as { length: number }, cb as never));
      break;
    case 'generatePrime': {
      if (typeof a[0] === 'number' && Number.isInteger(a[0]) && (a[0] as number) > b.primeMaxBits && (a[0] as number) < 2 ** 31) {
        b.onLimit('crypto_prime_max_bits', a[0] as number, b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS');
        throw outOfRange('size', b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', a[0] as number);
      }
      started = viaCallback((cb) => crypto.generatePrime(a[0] as number, (a[1] ?? {}) as crypto.GeneratePrimeOptions, cb as never));
      break;
    }
    case 'checkPrime': {
      checkChecks(a[1], b);
      const bits = candidateBits(a[0]);
      if (bits > 4 * b.primeMaxBits) {
        b.onLimit('crypto_prime_max_bits', bits, 4 * b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS');
        throw outOfRange('candidate', 4 * b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS (times 4, in bits)', bits);
      }
      started = viaCallback((cb) => crypto.checkPrime(a[0] as bigint, (a[1] ?? {}) as crypto.CheckPrimeOptions, cb as never));
      break;
    }
    case 'DiffieHellman': {
      // A generated group: Node makes it on the daemon's thread; here its safe prime comes
      // from the pool (OpenSSL's own congruences for the generator), then the group is made.
      // What Node refuses before generating (a bad size or generator, one OpenSSL finds
      // too small) is Node's own call, at once.
      const size = a[0] as number;
      const g = generatorOf(a);
      // Node's own answer to a generator given as bytes that do not fit an int32.
      if (g === undefined && Number.isInteger(size) && size >= OPENSSL_DH_MIN_BITS) throw new Error('Initialization failed');
      if (!Number.isInteger(size) || (size | 0) !== size || size < OPENSSL_DH_MIN_BITS || typeof g !== 'number' || !Number.isInteger(g) || g < DH_GENERATOR_2) {
        const dh = (crypto.createDiffieHellman as (...x: unknown[]) => crypto.DiffieHellman)(...a);
        started = Promise.resolve({ dh });
        break;
      }
      if (size > b.primeMaxBits) {
        b.onLimit('crypto_prime_max_bits', size, b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS');
        throw outOfRange('sizeOrKey', b.primeMaxBits, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', size);
      }
      const [add, rem] = g === DH_GENERATOR_2 ? [24n, 23n] : g === DH_GENERATOR_5 ? [60n, 59n] : [12n, 11n];
      started = viaCallback((cb) => crypto.generatePrime(size, { safe: true, add, rem, bigint: false }, cb as never)).then((prime) => {
        const dh = crypto.createDiffieHellman(Buffer.from(prime as ArrayBuffer), g);
        return { dh };
      });
      break;
    }
    case 'subtle': {
      const method = String(a[0]);
      if (!SUBTLE.has(method)) throw Object.assign(new Error(`no such subtle method '${method}'`), { code: 'ERR_INVALID_ARG_VALUE' });
      const subtle = crypto.webcrypto.subtle as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>;
      const sa = a.slice(1);
      if (method === 'generateKey') checkSubtleKeygen(sa[0], b);
      started = subtle[method]!.apply(subtle, sa);
      break;
    }
    default:
      throw Object.assign(new Error(`unknown crypto job '${name}'`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  // A failure before the guest collects it is not an unhandled rejection of the daemon.
  started.catch(() => undefined);
  return async () => {
    try {
      const value = await started;
      if (name === 'DiffieHellman') {
        const { dh } = value as { dh: crypto.DiffieHellman };
        return { t: 'h', id: keys.addDh(dh), verifyError: dh.verifyError };
      }
      return wire(value, t);
    } catch (err) {
      return wireError(err);
    }
  };
}

function checkSubtleKeygen(algorithm: unknown, b: KeyBounds): void {
  const o = typeof algorithm === 'object' && algorithm !== null ? algorithm as { name?: unknown; modulusLength?: unknown } : undefined;
  if (typeof o?.modulusLength === 'number' && o.modulusLength > b.keygenMaxBits) {
    b.onLimit('crypto_keygen_max_bits', o.modulusLength, b.keygenMaxBits, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS');
    throw outOfRange('modulusLength', b.keygenMaxBits, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', o.modulusLength);
  }
}

/**
 * The generator of createDiffieHellman(size, ...), as Node reads its arguments: a number,
 * or bytes (a string in genEncoding) of at most one word; anything else is Node's to refuse.
 */
function generatorOf(a: unknown[]): unknown {
  let [, keyEncoding, generator, genEncoding] = a;
  if (keyEncoding && !(typeof keyEncoding === 'string' && Buffer.isEncoding(keyEncoding)) && keyEncoding !== 'buffer') {
    genEncoding = generator;
    generator = keyEncoding;
  }
  if (generator === undefined) return DH_GENERATOR_2;
  if (typeof generator === 'number') return generator;
  let bytes: Buffer | undefined;
  if (typeof generator === 'string') bytes = Buffer.from(generator, typeof genEncoding === 'string' && Buffer.isEncoding(genEncoding) ? genEncoding : 'utf8');
  else if (ArrayBuffer.isView(generator)) bytes = Buffer.from(generator.buffer, generator.byteOffset, generator.byteLength);
  if (!bytes || bytes.byteLength > Uint32Array.BYTES_PER_ELEMENT) return undefined;
  const g = bytes.reduce((n, x) => n * 256 + x, 0);
  return (g | 0) === g ? g : undefined;
}

/** OpenSSL's DH_GENERATOR_2 and DH_GENERATOR_5, and its DH_MIN_MODULUS_BITS (below it, its own error). */
const DH_GENERATOR_2 = 2;
const DH_GENERATOR_5 = 5;
const OPENSSL_DH_MIN_BITS = 512;

const SUBTLE = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey']);
