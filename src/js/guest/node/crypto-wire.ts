/**
 * Arguments and results of the daemon's node:crypto (src/js/node-host/crypto-wire.ts):
 * bytes keep their class, a KeyObject or CryptoKey goes as its handle number, and what
 * cannot be copied (a function, an instance of a class, a symbol) goes as its name, so the
 * daemon's Node names it in its error as the guest's own Node would. Getters and proxies
 * run here, once, in the guest; the daemon only ever sees plain copies.
 */
import { lazyBuffer } from '../lazy.js';
import { DOMException } from '../random.js';
import { callMaxBytes } from './bridge.js';

/** Handles of the guest's KeyObject and CryptoKey wrappers (set by crypto-keys.ts and subtle.ts). */
export const keyIds = new WeakMap<object, { t: 'k' | 'ck'; id: number }>();
export const wrapKey: { key?: (id: number, meta: Record<string, unknown>) => unknown; cryptoKey?: (id: number, meta: Record<string, unknown>) => unknown } = {};

/** How deep an argument is copied: a crypto option nests three levels at most (an options object's JWK). */
const NESTING = 8;

function viewBytes(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  try {
    return ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() : new Uint8Array(v).slice();
  } catch {
    // A detached buffer reads as empty, as Node's own views of one do.
    return new Uint8Array(0);
  }
}

/** One argument as the daemon takes it; `budget` counts the bytes every argument carries. */
export function wireArg(v: unknown, budget = { left: callMaxBytes() }, depth = 0): unknown {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    if (typeof v === 'string') spend(budget, v.length * 3);
    return v;
  }
  if (typeof v === 'symbol') return { t: 's', d: v.description };
  if (typeof v === 'function') return { t: 'f', c: (v as { name?: unknown }).name };
  const id = keyIds.get(v as object);
  if (id) return id;
  if (ArrayBuffer.isView(v)) {
    const b = viewBytes(v);
    spend(budget, b.byteLength);
    return { t: 'v', c: (lazyBuffer() as unknown as { isBuffer(x: unknown): boolean }).isBuffer(v) ? 'Buffer' : v.constructor.name, b };
  }
  if (v instanceof ArrayBuffer) {
    const b = viewBytes(v);
    spend(budget, b.byteLength);
    return { t: 'a', b };
  }
  if (depth >= NESTING) return { t: 'i', c: 'Object' };
  if (Array.isArray(v)) return { t: 'l', v: v.map((x) => wireArg(x, budget, depth + 1)) };
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === null || proto === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object)) o[k] = wireArg((v as Record<string, unknown>)[k], budget, depth + 1);
    return { t: 'o', v: o };
  }
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return { t: 'i', c: typeof name === 'string' ? name : 'Object' };
}

function spend(budget: { left: number }, n: number): void {
  budget.left -= n;
  if (budget.left < 0) throw Object.assign(new RangeError(`The arguments of one crypto call may hold at most ${callMaxBytes()} bytes in this sandbox (AGENTOS_NODE_CALL_MAX_BYTES)`), { code: 'ERR_OUT_OF_RANGE' });
}

export function wireArgs(args: unknown[]): unknown[] {
  const budget = { left: callMaxBytes() };
  return args.map((a) => wireArg(a, budget));
}

const NAMED = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError']);

/** An error the daemon's Node threw, rebuilt with what it carried. */
function rebuild(e: Record<string, unknown>): Error {
  const name = String(e.name);
  let err: Error & Record<string, unknown>;
  if (!e.dom && (NAMED.has(name) || typeof e.code === 'string')) {
    const Ctor = name === 'TypeError' ? TypeError : name === 'RangeError' ? RangeError : name === 'SyntaxError' ? SyntaxError : Error;
    err = new Ctor(String(e.message)) as Error & Record<string, unknown>;
  } else {
    err = new DOMException(String(e.message), name) as unknown as Error & Record<string, unknown>;
  }
  for (const k of ['code', 'library', 'function', 'reason', 'opensslErrorStack']) if (e[k] !== undefined) err[k] = e[k];
  if (typeof e.code === 'string' && NAMED.has(name)) {
    // Node's own errors show their code in the stack's first line.
    err.stack = String(err.stack).replace(/^[^:\n]*/, `${name} [${e.code}]`);
  }
  return err;
}

/** A result of the daemon's node:crypto, as the guest's values; a thrown error is thrown here. */
export function unwireResult(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const w = v as { t?: string; c?: string; b?: Uint8Array; v?: unknown; id?: number; m?: Record<string, unknown> };
  switch (w.t) {
    case 'e': throw rebuild(w as Record<string, unknown>);
    case 'v': {
      const b = w.b!;
      if (w.c === 'Buffer' || w.c === 'Uint8Array') return w.c === 'Buffer' ? lazyBuffer().from(b.buffer, b.byteOffset, b.byteLength) : b;
      const C = (globalThis as unknown as Record<string, new (a: ArrayBuffer, o?: number, n?: number) => unknown>)[w.c ?? ''];
      return C ? new C(b.slice().buffer) : b;
    }
    case 'a': return w.b!.slice().buffer;
    case 'k': return wrapKey.key!(w.id!, w.m!);
    case 'ck': return wrapKey.cryptoKey!(w.id!, w.m!);
    case 'l': return (w.v as unknown[]).map(unwireResult);
    case 'o': {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(w.v as object)) o[k] = unwireResult(x);
      return o;
    }
    default: return v;
  }
}
