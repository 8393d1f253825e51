/**
 * Values across the guest's node:crypto calls. The guest sends its arguments tagged
 * (src/js/guest/node/crypto-wire.ts): bytes keep their class, a KeyObject or CryptoKey is
 * a handle number, and what cannot cross (a function, a class instance, a symbol) comes as
 * a stand-in of the same name, so the daemon's own node:crypto validates every argument
 * and throws Node's exact error ("Received an instance of Foo"). Results go back the same
 * way: key material never leaves the daemon, only a handle and its description.
 */
import * as crypto from 'node:crypto';

export type Wired = unknown;

/** The daemon-side objects a guest names by number. */
export interface KeyTable {
  key(id: unknown): crypto.KeyObject;
  cryptoKey(id: unknown): crypto.webcrypto.CryptoKey;
  addKey(key: crypto.KeyObject): number;
  addCryptoKey(key: crypto.webcrypto.CryptoKey): number;
  /** Another daemon-side object (an X509Certificate) passed back as an argument. */
  object(id: unknown): unknown;
}

/** How deep an argument is taken apart (the guest stops at the same depth). */
const NESTING = 8;
const VIEWS: Record<string, new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
};

// Stand-ins named as the guest's values were, so Node's messages name them the same.
const standIns = new Map<string, () => unknown>();
function standIn(kind: 'i' | 'f', name: unknown): unknown {
  const n = typeof name === 'string' && name.length <= 64 ? name : 'Object';
  const key = `${kind}:${n}`;
  let make = standIns.get(key);
  if (!make) {
    if (standIns.size > 256) standIns.clear();
    if (kind === 'f') {
      const fn = { [n]: function () { /* a stand-in */ } }[n]!;
      make = () => fn;
    } else if (n === 'Object') make = () => ({ __proto__: null, constructor: undefined }) as unknown;
    else {
      const C = { [n]: class {} }[n]!;
      make = () => new C();
    }
    standIns.set(key, make);
  }
  return make();
}

/** A guest argument as the daemon's node:crypto takes it. */
export function unwire(v: Wired, t: KeyTable, depth = 0): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (depth > NESTING) throw Object.assign(new RangeError('argument nested too deeply'), { code: 'ERR_OUT_OF_RANGE' });
  const w = v as { t?: unknown; c?: unknown; b?: unknown; v?: unknown; id?: unknown; d?: unknown };
  switch (w.t) {
    case 'v': {
      if (!(w.b instanceof Uint8Array)) break;
      const b = w.b;
      if (w.c === 'Buffer') return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      const C = typeof w.c === 'string' ? VIEWS[w.c] : undefined;
      if (!C) return b;
      const size = C === DataView ? 1 : (C as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const copy = b.slice();
      return new C(copy.buffer, 0, copy.byteLength / size);
    }
    case 'a':
      if (w.b instanceof Uint8Array) return w.b.slice().buffer;
      break;
    case 'k':
      return t.key(w.id);
    case 'ck':
      return t.cryptoKey(w.id);
    case 'h':
      return t.object(w.id);
    case 'i':
      return standIn('i', w.c);
    case 'f':
      return standIn('f', w.c);
    case 's':
      return Symbol(typeof w.d === 'string' ? w.d : undefined);
    case 'l':
      if (Array.isArray(w.v)) return w.v.map((x) => unwire(x, t, depth + 1));
      break;
    case 'o': {
      if (typeof w.v !== 'object' || w.v === null) break;
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(w.v)) o[k] = unwire(x, t, depth + 1);
      return o;
    }
    default:
  }
  throw Object.assign(new TypeError('invalid crypto argument'), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** What a KeyObject is, for the guest's wrapper (its getters answer from this). */
export function keyMeta(k: crypto.KeyObject): Record<string, unknown> {
  return k.type === 'secret'
    ? { type: 'secret', symmetricKeySize: k.symmetricKeySize }
    : { type: k.type, asymmetricKeyType: k.asymmetricKeyType, asymmetricKeyDetails: { ...k.asymmetricKeyDetails } };
}

/** A result of the daemon's node:crypto as the guest gets it. */
export function wire(v: unknown, t: KeyTable | undefined, depth = 0): Wired {
  if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
  if (depth > NESTING) return undefined;
  if (Buffer.isBuffer(v)) return { t: 'v', c: 'Buffer', b: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() };
  if (ArrayBuffer.isView(v)) return { t: 'v', c: v.constructor.name, b: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() };
  if (v instanceof ArrayBuffer) return { t: 'a', b: new Uint8Array(v).slice() };
  if (v instanceof crypto.KeyObject) {
    if (!t) return undefined;
    return { t: 'k', id: t.addKey(v), m: keyMeta(v) };
  }
  if (v instanceof (globalThis as unknown as { CryptoKey: typeof crypto.webcrypto.CryptoKey }).CryptoKey) {
    if (!t) return undefined;
    return { t: 'ck', id: t.addCryptoKey(v), m: { type: v.type, extractable: v.extractable, algorithm: v.algorithm, usages: [...v.usages] } };
  }
  if (Array.isArray(v)) return { t: 'l', v: v.map((x) => wire(x, t, depth + 1)) };
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = wire(x, t, depth + 1);
  return { t: 'o', v: o };
}

/** A thrown error, with what Node's crypto errors carry besides a message. */
export function wireError(err: unknown): Wired {
  const e = (err ?? {}) as Record<string, unknown>;
  const name = err instanceof TypeError ? 'TypeError' : err instanceof RangeError ? 'RangeError' : typeof e.name === 'string' ? e.name : 'Error';
  const out: Record<string, unknown> = { t: 'e', name, message: typeof e.message === 'string' ? e.message : String(err) };
  // Web Crypto's errors are DOMExceptions (a SyntaxError among them is one too).
  if ((err as object | null)?.constructor?.name === 'DOMException') out.dom = true;
  for (const k of ['code', 'library', 'function', 'reason', 'opensslErrorStack']) {
    const x = e[k];
    if (typeof x === 'string' || (Array.isArray(x) && x.every((s) => typeof s === 'string'))) out[k] = x;
  }
  return out;
}
