/**
 * `internalBinding('zlib')` for Node's own lib/zlib.js (vendored): Zlib, BrotliEncoder and
 * BrotliDecoder handles with the native API (init, write, writeSync, params, reset, close,
 * `onerror`, the shared writeState), each backed by a real handle of the daemon's node:zlib
 * (src/js/node-host/zlib-calls.ts). One native write of the guest's buffers becomes as many
 * daemon steps as it takes, each at most a call's worth in and out (NODE_CALL_MAX_BYTES),
 * so large inputs stream and the output lives only in the guest's heap. `write` (the
 * threadpool form) does the same steps at once and reports when an immediate runs, where
 * Node's threadpool completion would.
 */
import { zlibHost } from './zlib-host.js';

type ZError = [message: string, errno: number, code: string];
type Step = { out: Uint8Array; availIn: number; availOut: number } | { errors: ZError[] };

const Z_NO_FLUSH = 0; // also BROTLI_OPERATION_PROCESS

let maxBytes: number | undefined;
const callMax = () => (maxBytes ??= zlibHost.callMaxBytes());

/** Where the guest's process is gone (exports listed in an unbound isolate), the handle still throws the daemon's error. */
const call = <T>(op: string, args: unknown[]): T => zlibHost.nodeCall<T>(op, args);

/** A view of at most `len` bytes of `src` from `off`, as its own copy: a view would carry its whole buffer across. */
function piece(src: ArrayBufferView, off: number, len: number): Uint8Array {
  return new Uint8Array(src.buffer, src.byteOffset + off, len).slice();
}

/** A handle the guest dropped without closing goes when it is collected, as Node's native one does. */
const dropped = new FinalizationRegistry<number>((id) => {
  try {
    call('zb.close', [id]);
  } catch {
    // The process is ending: its handles go with it.
  }
});

class CompressionHandle {
  onerror?: (message: string, errno: number, code: string) => void;
  #id: number | null;
  #writeState?: Uint32Array;
  #callback?: () => void;

  constructor(kind: string, mode: number) {
    this.#id = call<number>('zb.new', [kind, mode]);
    dropped.register(this, this.#id, this);
  }

  protected initWith(args: unknown[], writeState: Uint32Array, callback: () => void): unknown {
    this.#writeState = writeState;
    this.#callback = callback;
    const r = call<{ result: unknown; errors: ZError[] }>('zb.init', [this.#id, ...args]);
    this.#report(r.errors);
    return r.result === null ? undefined : r.result;
  }

  writeSync(flush: number, input: ArrayBufferView | null, inOff: number, inLen: number, out: ArrayBufferView, outOff: number, outLen: number): void {
    const errors = this.#run(flush, input, inOff, inLen, out, outOff, outLen);
    if (errors) this.#report(errors);
  }

  write(flush: number, input: ArrayBufferView | null, inOff: number, inLen: number, out: ArrayBufferView, outOff: number, outLen: number): void {
    const errors = this.#run(flush, input, inOff, inLen, out, outOff, outLen);
    zlibHost.setImmediate(() => {
      if (errors) this.#report(errors);
      else this.#callback!.call(this);
    });
  }

  params(level: number, strategy: number): void {
    this.#report(call<{ errors: ZError[] } | null>('zb.params', [this.#id, level, strategy])?.errors);
  }

  reset(): void {
    this.#report(call<{ errors: ZError[] } | null>('zb.reset', [this.#id])?.errors);
  }

  close(): void {
    if (this.#id === null) return;
    const id = this.#id;
    this.#id = null;
    dropped.unregister(this);
    call('zb.close', [id]);
  }

  #report(errors: ZError[] | undefined): void {
    for (const [message, errno, code] of errors ?? []) this.onerror?.(message, errno, code);
  }

  /**
   * One native write: steps until the guest's output is full, or all input is in and the
   * engine stopped short of filling its step's output (it wants more input, or the stream ended).
   */
  #run(flush: number, input: ArrayBufferView | null, inOff: number, inLen: number, out: ArrayBufferView, outOff: number, outLen: number): ZError[] | undefined {
    const max = callMax();
    const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const empty = new Uint8Array(0);
    let inLeft = input ? inLen : 0;
    let outLeft = outLen;
    for (;;) {
      const size = Math.min(inLeft, max);
      const last = size === inLeft;
      const step = call<Step>('zb.write', [this.#id, last ? flush : Z_NO_FLUSH, input && size > 0 ? piece(input, inOff, size) : empty, Math.min(outLeft, max)]);
      if ('errors' in step) return step.errors;
      outBytes.set(step.out, outOff);
      outOff += step.out.byteLength;
      outLeft -= step.out.byteLength;
      inOff += size - step.availIn;
      inLeft -= size - step.availIn;
      if (outLeft === 0) break;
      if (step.availOut === 0) continue;
      if (!last && step.availIn === 0) continue;
      break;
    }
    this.#writeState![0] = outLeft;
    this.#writeState![1] = inLeft;
    return undefined;
  }
}

class Zlib extends CompressionHandle {
  constructor(mode: number) {
    super('Zlib', mode);
  }

  init(windowBits: number, level: number, memLevel: number, strategy: number, writeState: Uint32Array, callback: () => void, dictionary?: ArrayBufferView): unknown {
    const dict = dictionary === undefined ? undefined : piece(dictionary, 0, dictionary.byteLength);
    return this.initWith([windowBits, level, memLevel, strategy, dict], writeState, callback);
  }
}

class BrotliHandle extends CompressionHandle {
  init(params: Uint32Array, writeState: Uint32Array, callback: () => void): unknown {
    return this.initWith([Array.from(params)], writeState, callback);
  }
}

class BrotliEncoder extends BrotliHandle {
  constructor(mode: number) {
    super('BrotliEncoder', mode);
  }
}

class BrotliDecoder extends BrotliHandle {
  constructor(mode: number) {
    super('BrotliDecoder', mode);
  }
}

/** crc32 of a string's UTF-8 bytes or of a view's bytes, a call's worth at a time. */
function crc32(data: string | ArrayBufferView, value: number): number {
  const bytes = typeof data === 'string' ? zlibHost.utf8(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const max = callMax();
  let crc = value;
  for (let at = 0; at < bytes.byteLength; at += max) crc = call<number>('zb.crc32', [piece(bytes, at, Math.min(max, bytes.byteLength - at)), crc]);
  return crc;
}

export const zlibBinding = { Zlib, BrotliEncoder, BrotliDecoder, crc32 };

/** The daemon's zlib.constants (C++ constants in Node: read-only, not frozen, no prototype). */
export function zlibConstants(): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  for (const [key, value] of Object.entries(zlibHost.constants)) Object.defineProperty(out, key, { value, enumerable: true, writable: false, configurable: false });
  return out;
}
