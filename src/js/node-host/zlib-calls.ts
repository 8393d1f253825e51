/**
 * node:zlib for guests, done by the daemon's node:zlib: one engine per guest stream (or
 * one-shot call) in the process's handle table, fed a chunk of at most NODE_CALL_MAX_BYTES
 * a call through Node's synchronous chunk path (the one zlib's *Sync functions use), so
 * the bytes are exactly Node's. Output is bounded: a guest's maxOutputLength is lowered to
 * ZLIB_MAX_OUTPUT_BYTES, counted over the whole stream, and past it the call fails with
 * Node's own ERR_BUFFER_TOO_LARGE (a zip bomb stops there).
 */
import * as zlib from 'node:zlib';
import { bytes } from './crypto-calls.js';
import type { Handles } from './handles.js';

type Engine = zlib.Gzip & {
  _processChunk(chunk: Uint8Array, flushFlag: number, cb: () => void): void;
  _finishFlushFlag: number;
  close(): void;
  reset(): void;
};

export interface ZlibState {
  engine: Engine;
  /** Output bytes the stream may still produce. */
  room: number;
  /** The bound that applies (the guest's own maxOutputLength, or the sidecar's when lower). */
  capacity: number;
  bySidecar: boolean;
  /** Input fed ahead of a one-shot call (z.feed), run with its last piece in one go, as Node's *Sync run it whole. */
  pending: Uint8Array[];
  pendingBytes: number;
}

export interface ZlibBounds {
  callMaxBytes: number;
  maxOutputBytes: number;
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
}

const MAKERS: Record<string, (o: zlib.ZlibOptions & zlib.BrotliOptions) => unknown> = {
  Gzip: zlib.createGzip, Gunzip: zlib.createGunzip, Deflate: zlib.createDeflate, Inflate: zlib.createInflate,
  DeflateRaw: zlib.createDeflateRaw, InflateRaw: zlib.createInflateRaw, Unzip: zlib.createUnzip,
  BrotliCompress: zlib.createBrotliCompress, BrotliDecompress: zlib.createBrotliDecompress,
};
const NUMBER_OPTIONS = ['flush', 'finishFlush', 'chunkSize', 'windowBits', 'level', 'memLevel', 'strategy', 'maxOutputLength'];

/** The guest's options, only the fields zlib knows, of the types it takes (Node checks the values). */
function options(raw: unknown, bounds: ZlibBounds): zlib.ZlibOptions & zlib.BrotliOptions {
  const o: Record<string, unknown> = {};
  if (typeof raw !== 'object' || raw === null) return o;
  const r = raw as Record<string, unknown>;
  for (const key of NUMBER_OPTIONS) if (r[key] !== undefined) o[key] = r[key];
  if (r.dictionary !== undefined) o.dictionary = bytes(r.dictionary, 'dictionary', bounds.callMaxBytes);
  if (r.info !== undefined) o.info = r.info === true;
  if (typeof r.params === 'object' && r.params !== null) {
    const params: Record<number, number> = {};
    for (const [k, v] of Object.entries(r.params as Record<string, unknown>)) params[Number(k)] = v as number;
    o.params = params;
  }
  return o;
}

export function zlibCall(op: string, args: unknown[], handles: Handles<ZlibState>, b: ZlibBounds): unknown {
  switch (op) {
    case 'z.new': {
      const make = typeof args[0] === 'string' && Object.hasOwn(MAKERS, args[0]) ? MAKERS[args[0]] : undefined;
      if (!make) throw Object.assign(new TypeError(`unknown zlib engine '${String(args[0])}'`), { code: 'ERR_INVALID_ARG_VALUE' });
      const o = options(args[1], b);
      const asked = typeof o.maxOutputLength === 'number' ? o.maxOutputLength : Infinity;
      const engine = make({ ...o, maxOutputLength: undefined }) as Engine;
      const capacity = Math.min(asked, b.maxOutputBytes);
      return handles.add({ engine, room: capacity, capacity, bySidecar: b.maxOutputBytes < asked, pending: [], pendingBytes: 0 });
    }
    case 'z.feed': {
      // Deflate's output depends on how its input is cut, so a one-shot call's pieces wait
      // here and go through the engine together; the wait is bounded like the output.
      const state = handles.get(args[0]);
      const piece = bytes(args[1], 'buffer', b.callMaxBytes);
      if (state.pendingBytes + piece.byteLength > b.maxOutputBytes) throw Object.assign(new RangeError(`zlib input past ${b.maxOutputBytes} bytes cannot wait in the daemon (AGENTOS_ZLIB_MAX_OUTPUT_BYTES)`), { code: 'ERR_OUT_OF_RANGE' });
      state.pending.push(piece);
      state.pendingBytes += piece.byteLength;
      return null;
    }
    case 'z.reset':
      handles.get(args[0]).engine.reset();
      return null;
    case 'z.close': {
      const state = handles.delete(args[0]);
      state?.engine.close();
      return null;
    }
    case 'z.constants':
      return { ...zlib.constants };
    case 'z.crc32':
      return zlib.crc32(bytes(args[0], 'data', b.callMaxBytes), typeof args[1] === 'number' ? args[1] : 0);
    default:
      throw Object.assign(new Error(`unknown zlib call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

/**
 * One chunk through a stream's engine (`flush` a zlib/brotli flush flag; absent: the
 * engine's finishing one), as a job: resolves with the output it made. Past the stream's
 * output bound the engine is destroyed and the job fails with ERR_BUFFER_TOO_LARGE.
 */
export function zlibWriteJob(args: unknown[], handles: Handles<ZlibState>, b: ZlibBounds): () => Promise<Uint8Array> {
  const id = args[0];
  const state = handles.get(id);
  const last = bytes(args[1], 'buffer', b.callMaxBytes);
  const chunk = state.pending.length > 0 ? Buffer.concat([...state.pending.splice(0), last]) : last;
  state.pendingBytes = 0;
  const flush = typeof args[2] === 'number' && Number.isInteger(args[2]) && args[2] >= 0 && args[2] <= 6 ? args[2] : state.engine._finishFlushFlag;
  return () =>
    new Promise((resolve, reject) => {
      const { engine } = state;
      const out: Buffer[] = [];
      let produced = 0;
      const cleanup = () => {
        engine.off('data', onData);
        engine.off('error', fail);
      };
      const fail = (err: Error) => {
        cleanup();
        handles.delete(id);
        engine.destroy();
        reject(err);
      };
      const onData = (data: Buffer) => {
        produced += data.byteLength;
        if (produced <= state.room) return void out.push(data);
        if (state.bySidecar) b.onLimit('zlib_max_output_bytes', state.capacity - state.room + produced, state.capacity, 'AGENTOS_ZLIB_MAX_OUTPUT_BYTES');
        fail(Object.assign(new RangeError(`Cannot create a Buffer larger than ${state.capacity} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' }));
      };
      engine.on('data', onData);
      engine.on('error', fail);
      engine._processChunk(chunk, flush, () => {
        if (!handles.has(id)) return;
        cleanup();
        state.room -= produced;
        const all = out.length === 1 ? out[0]! : Buffer.concat(out);
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      });
    });
}
