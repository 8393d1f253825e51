/**
 * The daemon's side of a guest's `internalBinding('zlib')` (src/js/guest/node/zlib-binding.ts):
 * each guest Zlib/BrotliEncoder/BrotliDecoder handle is a real handle of the daemon's own
 * node:zlib binding, so the bytes, the errors and the state machine (flushes, params,
 * reset, concatenated gzip members) are Node's. Every call is small and synchronous: at
 * most NODE_CALL_MAX_BYTES in and out, so nothing of a guest's stream (a zip bomb's output
 * above all) piles up in the daemon; the guest's own heap holds what it keeps. The native
 * binding aborts the whole daemon on a bad argument (its CHECKs), so every argument is
 * checked here first. Handles are bounded by count (NODE_HANDLES_PER_PROCESS) and by the
 * native memory they come to hold (ZLIB_HANDLE_MEMORY_BYTES), and all of a process's go
 * when it ends.
 */
import * as zlib from 'node:zlib';
import { bytes } from './crypto-calls.js';
import type { Handles } from './handles.js';

const C = zlib.constants as unknown as Record<string, number>;

/** A native handle of node:zlib's binding (what `createDeflate()._handle` is). */
interface NativeHandle {
  init(...args: unknown[]): unknown;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  params(level: number, strategy: number): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number, code: string) => void;
}
type Kind = 'Zlib' | 'BrotliEncoder' | 'BrotliDecoder';
type ZError = [message: string, errno: number, code: string];

export interface ZlibState {
  kind: Kind;
  mode: number;
  writeState: Uint32Array;
  /** Made by `zb.init` (a native handle closed or collected before its init aborts the daemon). */
  native: NativeHandle | null;
  /** Native memory it is counted as holding against ZLIB_HANDLE_MEMORY_BYTES (see Charge), from init to close. */
  charged: number;
  charge: Charge;
  /** Bytes it has taken in (an encoder) or given out (a decoder). */
  seen: number;
  /** Errors the native handle reported during the current call (its `onerror`). */
  errors: ZError[];
}

export interface ZlibBounds {
  callMaxBytes: number;
  handleMemoryBytes: number;
  /** The most address space one brotli encoder may reserve at init (see encoderReserve). */
  handleReserveBytes: number;
  /** The largest block a brotli encoder may compress in one step (see encoderBlock). */
  brotliBlockBytes: number;
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
}

let ctors: Record<Kind, new (mode: number) => NativeHandle> | undefined;
/** The binding's constructors, read off one throwaway stream of each kind (node:zlib exports no binding). */
function nativeCtors(): Record<Kind, new (mode: number) => NativeHandle> {
  if (ctors) return ctors;
  const of = (s: zlib.Deflate | zlib.BrotliCompress) => {
    const ctor = (s as unknown as { _handle: object })._handle.constructor as new (mode: number) => NativeHandle;
    s.close();
    return ctor;
  };
  return (ctors = { Zlib: of(zlib.createDeflate()), BrotliEncoder: of(zlib.createBrotliCompress()), BrotliDecoder: of(zlib.createBrotliDecompress()) });
}

const MODES: Record<Kind, [number, number]> = { Zlib: [C.DEFLATE!, C.UNZIP!], BrotliDecoder: [C.BROTLI_DECODE!, C.BROTLI_DECODE!], BrotliEncoder: [C.BROTLI_ENCODE!, C.BROTLI_ENCODE!] };
/** Brotli's parameter ids (BROTLI_PARAM_*, BROTLI_DECODER_PARAM_*) go up to this. */
const BROTLI_PARAMS = Math.max(...Object.entries(C).filter(([k]) => /^BROTLI_(DECODER_)?PARAM_/.test(k)).map(([, v]) => v)) + 1;
const INFLATING = new Set([C.INFLATE, C.GUNZIP, C.UNZIP, C.INFLATERAW]);
/** The modes whose windowBits may be 0 (from the stream's header); the binding aborts on any other 0. */
const HEADER_WINDOW = new Set([C.INFLATE, C.GUNZIP, C.UNZIP]);
const KiB = 1024;

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw Object.assign(new RangeError(`The value of "${what}" is out of range. It must be >= ${min} and <= ${max}. Received ${String(value)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  return value;
}

/**
 * How much native memory a handle comes to hold, as `base + perByte × bytes it has seen`
 * (input for an encoder, output for a decoder) up to `cap`, the most its parameters allow:
 * zlib's own formulas (zconf.h) allocate at once; brotli's ring buffer and hashers are
 * reserved for the whole window but only touched as data flows, so they are counted so.
 */
interface Charge { base: number; perByte: number; cap: number; byOutput: boolean }

function chargeOf(kind: Kind, mode: number, p: { windowBits?: number; memLevel?: number; brotli?: number[] }): Charge {
  if (kind === 'Zlib') {
    const fixed = INFLATING.has(mode) ? (1 << 15) + 7 * KiB : (1 << ((p.windowBits || 15) + 2)) + (1 << (p.memLevel! + 9)) + 8 * KiB;
    return { base: fixed, perByte: 0, cap: fixed, byOutput: false };
  }
  const param = (i: number, dflt: number) => (p.brotli![i] === undefined || p.brotli![i] === 0xffffffff ? dflt : p.brotli![i]!);
  if (kind === 'BrotliDecoder') {
    const window = param(C.BROTLI_DECODER_PARAM_LARGE_WINDOW!, 0) ? 2 ** C.BROTLI_LARGE_MAX_WINDOW_BITS! : 2 ** C.BROTLI_MAX_WINDOW_BITS!;
    return { base: 256 * KiB, perByte: 1, cap: window + 256 * KiB, byOutput: true };
  }
  const lgwin = Math.min(param(C.BROTLI_PARAM_LGWIN!, C.BROTLI_DEFAULT_WINDOW!), param(C.BROTLI_PARAM_LARGE_WINDOW!, 0) ? C.BROTLI_LARGE_MAX_WINDOW_BITS! : C.BROTLI_MAX_WINDOW_BITS!);
  // The ring buffer, and for qualities 10-11 a binary-tree hasher of two 32-bit links per window position.
  const perByte = param(C.BROTLI_PARAM_QUALITY!, C.BROTLI_DEFAULT_QUALITY!) >= 10 ? 9 : 3;
  return { base: 1024 * KiB, perByte, cap: perByte * 2 ** lgwin + 1024 * KiB, byOutput: false };
}

/**
 * The address space a brotli encoder reserves as soon as it has data, whatever it later
 * touches: its ring buffer (2^(max(lgwin, lgblock)+1) plus a block's tail) and, at
 * qualities 10-11, a binary-tree hasher of two 32-bit links per window position. Brotli's
 * encoder does not survive a failed allocation (it dereferences the null: the daemon
 * segfaults), so a reservation the host may refuse (9 GiB for a large window at quality 11)
 * never reaches it. Its other, fixed tables (hash buckets, block buffers) stay under 64 MiB.
 */
function encoderReserve(brotli: number[]): number {
  const param = (i: number, dflt: number) => (brotli[i] === undefined || brotli[i] === 0xffffffff ? dflt : brotli[i]!);
  const large = param(C.BROTLI_PARAM_LARGE_WINDOW!, 0) !== 0;
  // Clamped as brotli's encoder clamps them (SanitizeParams, ComputeLgBlock).
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const lgwin = clamp(param(C.BROTLI_PARAM_LGWIN!, C.BROTLI_DEFAULT_WINDOW!), C.BROTLI_MIN_WINDOW_BITS!, large ? C.BROTLI_LARGE_MAX_WINDOW_BITS! : C.BROTLI_MAX_WINDOW_BITS!);
  const quality = param(C.BROTLI_PARAM_QUALITY!, C.BROTLI_DEFAULT_QUALITY!);
  // An unset block is the window at qualities 0-1 and at most the largest block otherwise.
  const lgblock = quality < 2 ? lgwin : clamp(param(C.BROTLI_PARAM_LGBLOCK!, 0) || C.BROTLI_MAX_INPUT_BLOCK_BITS!, C.BROTLI_MIN_INPUT_BLOCK_BITS!, C.BROTLI_MAX_INPUT_BLOCK_BITS!);
  return 2 ** (Math.max(lgwin, lgblock) + 1) + 2 ** lgblock + (quality >= 10 ? 8 * 2 ** lgwin : 0) + 64 * KiB * KiB;
}

/**
 * The block a brotli encoder compresses in one step, where its parameters set one: it takes
 * input until a block is full, then compresses all of it within the one call that fills it,
 * on the daemon's thread (16 MiB at quality 11 holds every VM for seconds). Node's own
 * choice is at most 2^18 (2^lgwin at qualities 0-1, which ignore the parameter and run fast).
 */
function encoderBlock(brotli: number[]): number {
  const param = (i: number) => (brotli[i] === undefined || brotli[i] === 0xffffffff ? 0 : brotli[i]!);
  const quality = brotli[C.BROTLI_PARAM_QUALITY!] === undefined || brotli[C.BROTLI_PARAM_QUALITY!] === 0xffffffff ? C.BROTLI_DEFAULT_QUALITY! : brotli[C.BROTLI_PARAM_QUALITY!]!;
  const lgblock = param(C.BROTLI_PARAM_LGBLOCK!);
  return quality < 2 || lgblock === 0 ? 0 : 2 ** Math.min(C.BROTLI_MAX_INPUT_BLOCK_BITS!, Math.max(C.BROTLI_MIN_INPUT_BLOCK_BITS!, lgblock));
}

export class ZlibCalls {
  /** Native memory the process's live handles are counted as holding (see Charge). */
  private charged = 0;

  constructor(private readonly handles: Handles<ZlibState>, private readonly b: ZlibBounds) {}

  call(op: string, args: unknown[]): unknown {
    switch (op) {
      case 'zb.constants':
        return { ...zlib.constants };
      case 'zb.crc32':
        return zlib.crc32(bytes(args[0], 'data', this.b.callMaxBytes), int(args[1], 'value', 0, 0xffffffff));
      case 'zb.new': {
        const kind = args[0] as Kind;
        if (!Object.hasOwn(MODES, kind)) throw Object.assign(new TypeError(`unknown zlib handle '${String(kind)}'`), { code: 'ERR_INVALID_ARG_VALUE' });
        const mode = int(args[1], 'mode', MODES[kind][0], MODES[kind][1]);
        return this.handles.add({ kind, mode, native: null, writeState: new Uint32Array(2), charged: 0, charge: { base: 0, perByte: 0, cap: 0, byOutput: false }, seen: 0, errors: [] });
      }
      case 'zb.init': {
        const s = this.handles.get(args[0]);
        try {
          return this.init(s, args.slice(1));
        } catch (err) {
          // A handle whose init failed (bad brotli parameters) is of no more use: Node's goes with its stream.
          if (this.handles.delete(args[0])) this.release(s);
          throw err;
        }
      }
      case 'zb.write':
        return this.write(this.ready(args[0]), args[1], args[2], args[3]);
      case 'zb.params': {
        const s = this.ready(args[0]);
        return this.run(s, () => s.native!.params(int(args[1], 'level', C.Z_MIN_LEVEL!, C.Z_MAX_LEVEL!), int(args[2], 'strategy', C.Z_DEFAULT_STRATEGY!, C.Z_FIXED!)));
      }
      case 'zb.reset': {
        const s = this.ready(args[0]);
        return this.run(s, () => s.native!.reset());
      }
      case 'zb.close': {
        const s = this.handles.delete(args[0]);
        if (s) this.release(s);
        return null;
      }
      default:
        throw Object.assign(new Error(`unknown zlib call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  /** Closes every handle of the process (it ended). */
  dispose(): void {
    this.handles.clear((s) => this.release(s));
  }

  private release(s: ZlibState): void {
    this.charged -= s.charged;
    s.charged = 0;
    s.native?.close();
    s.native = null;
  }

  private ready(id: unknown): ZlibState {
    const s = this.handles.get(id);
    if (!s.native) throw Object.assign(new Error('zlib handle used before init'), { code: 'ERR_INVALID_STATE' });
    return s;
  }

  /** Runs one native step; errors it reported through `onerror` come back for the guest's handle to report. */
  private run(s: ZlibState, step: () => void): { errors: ZError[] } | null {
    s.errors = [];
    step();
    return s.errors.length > 0 ? { errors: s.errors } : null;
  }

  private init(s: ZlibState, a: unknown[]): unknown {
    if (s.native) throw Object.assign(new Error('zlib handle already initialized'), { code: 'ERR_INVALID_STATE' });
    let init: (native: NativeHandle) => unknown;
    if (s.kind === 'Zlib') {
      const windowBits = HEADER_WINDOW.has(s.mode) && a[0] === 0 ? 0 : int(a[0], 'windowBits', C.Z_MIN_WINDOWBITS!, C.Z_MAX_WINDOWBITS!);
      const level = int(a[1], 'level', C.Z_MIN_LEVEL!, C.Z_MAX_LEVEL!);
      const memLevel = int(a[2], 'memLevel', C.Z_MIN_MEMLEVEL!, C.Z_MAX_MEMLEVEL!);
      const strategy = int(a[3], 'strategy', C.Z_DEFAULT_STRATEGY!, C.Z_FIXED!);
      const dictionary = a[4] === undefined || a[4] === null ? undefined : bytes(a[4], 'dictionary', this.b.callMaxBytes);
      s.charge = chargeOf(s.kind, s.mode, { windowBits, memLevel });
      init = (native) => native.init(windowBits, level, memLevel, strategy, s.writeState, noop, dictionary);
    } else {
      const raw = a[0];
      if (!Array.isArray(raw) || raw.length > BROTLI_PARAMS || !raw.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
        throw Object.assign(new TypeError('brotli parameters must be an array of 32-bit unsigned integers'), { code: 'ERR_INVALID_ARG_TYPE' });
      }
      s.charge = chargeOf(s.kind, s.mode, { brotli: raw as number[] });
      const block = s.kind === 'BrotliEncoder' ? encoderBlock(raw as number[]) : 0;
      if (block > this.b.brotliBlockBytes) {
        this.b.onLimit('zlib_brotli_block_bytes', block, this.b.brotliBlockBytes, 'AGENTOS_ZLIB_BROTLI_BLOCK_BYTES');
        throw Object.assign(new RangeError(`a brotli encoder may compress at most ${this.b.brotliBlockBytes} bytes in one step of the daemon's, and BROTLI_PARAM_LGBLOCK asks for ${block}: use a smaller block (AGENTOS_ZLIB_BROTLI_BLOCK_BYTES)`), { code: 'ERR_AGENTOS_ZLIB_BLOCK' });
      }
      const reserve = s.kind === 'BrotliEncoder' ? encoderReserve(raw as number[]) : 0;
      if (reserve > this.b.handleReserveBytes) {
        this.b.onLimit('zlib_handle_reserve_bytes', reserve, this.b.handleReserveBytes, 'AGENTOS_ZLIB_HANDLE_RESERVE_BYTES');
        throw Object.assign(new RangeError(`a brotli encoder may reserve at most ${this.b.handleReserveBytes} bytes of the daemon's address space, and these parameters (window, block and quality) take ${reserve}: use a smaller window or a lower quality (AGENTOS_ZLIB_HANDLE_RESERVE_BYTES)`), { code: 'ERR_AGENTOS_ZLIB_MEMORY' });
      }
      init = (native) => native.init(Uint32Array.from(raw as number[]), s.writeState, noop);
    }
    const refused = this.recharge(s, 0);
    if (refused) throw Object.assign(new RangeError(refused[0]), { code: refused[2] });
    // Made and initialized in one step: the binding aborts the daemon on a handle closed or collected before init.
    const native = new (nativeCtors()[s.kind])(s.mode);
    native.onerror = (message, errno, code) => void s.errors.push([String(message), Number(errno), String(code)]);
    s.native = native;
    s.errors = [];
    const result = init(native);
    return { result: result === undefined ? null : result, errors: s.errors };
  }

  /**
   * Counts the handle at what it holds once it has seen `more` bytes; past the process's
   * bound nothing changes and the error comes back, as the native handle reports its own
   * (Z_MEM_ERROR's errno: the daemon will not give it the memory).
   */
  private recharge(s: ZlibState, more: number): ZError | null {
    const next = Math.min(s.charge.cap, s.charge.base + s.charge.perByte * (s.seen + more));
    if (next <= s.charged) return null;
    const total = this.charged - s.charged + next;
    if (total > this.b.handleMemoryBytes) {
      this.b.onLimit('zlib_handle_memory_bytes', total, this.b.handleMemoryBytes, 'AGENTOS_ZLIB_HANDLE_MEMORY_BYTES');
      return [`this process's zlib and brotli streams may hold at most ${this.b.handleMemoryBytes} bytes of the daemon's memory, and this one would bring them to ${total}: close some first (AGENTOS_ZLIB_HANDLE_MEMORY_BYTES)`, C.Z_MEM_ERROR!, 'ERR_AGENTOS_ZLIB_MEMORY'];
    }
    this.charged = total;
    s.charged = next;
    return null;
  }

  /**
   * One native writeSync of at most a call's worth in and out: the guest's binding calls
   * this as often as one native write of its own buffers takes.
   */
  private write(s: ZlibState, flush: unknown, input: unknown, outLen: unknown): unknown {
    const brotli = s.kind !== 'Zlib';
    const flag = int(flush, 'flush', 0, brotli ? C.BROTLI_OPERATION_EMIT_METADATA! : C.Z_BLOCK!);
    const chunk = bytes(input, 'input', this.b.callMaxBytes);
    const room = int(outLen, 'outLen', 0, this.b.callMaxBytes);
    // What it may touch in this step is counted before the step runs.
    const refused = this.recharge(s, s.charge.byOutput ? room : chunk.byteLength);
    if (refused) return { errors: [refused] };
    const out = new Uint8Array(room);
    s.errors = [];
    s.native!.writeSync(flag, chunk, 0, chunk.byteLength, out, 0, room);
    if (s.errors.length > 0) return { errors: s.errors };
    const [availOut, availIn] = s.writeState as unknown as [number, number];
    const made = room - availOut;
    s.seen += s.charge.byOutput ? made : chunk.byteLength - availIn;
    return { out: made === room ? out : out.slice(0, made), availIn, availOut };
  }
}

const noop = () => {};
