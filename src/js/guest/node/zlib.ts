/**
 * node:zlib through the daemon's node:zlib (src/js/node-host/zlib-calls.ts): the same
 * engines, so the bytes and the errors are Node's. Input goes in pieces of at most the
 * daemon's call size; output is bounded by maxOutputLength and the sidecar's
 * ZLIB_MAX_OUTPUT_BYTES (Node's ERR_BUFFER_TOO_LARGE past it). Sync, callback and
 * stream forms; the stream object is the runtime's minimal readable plus a write side
 * (zlib-stream.ts), until `stream` is Node's.
 */
import type { Buffer } from 'buffer';
import { lazyBuffer } from '../lazy.js';
import { timerGlobals } from '../timers.js';
import { callMaxBytes, nodeCall, nodeJob, zlibStageBytes } from './bridge.js';
import { toBytes } from './crypto.js';
import { ZlibStream } from './zlib-stream.js';

const ENGINES = ['Gzip', 'Gunzip', 'Deflate', 'Inflate', 'DeflateRaw', 'InflateRaw', 'Unzip', 'BrotliCompress', 'BrotliDecompress'] as const;
type EngineName = (typeof ENGINES)[number];
const SYNC_NAMES: Record<EngineName, string> = {
  Gzip: 'gzip', Gunzip: 'gunzip', Deflate: 'deflate', Inflate: 'inflate', DeflateRaw: 'deflateRaw', InflateRaw: 'inflateRaw',
  Unzip: 'unzip', BrotliCompress: 'brotliCompress', BrotliDecompress: 'brotliDecompress',
};


/** The guest's options as the daemon takes them (bytes for a dictionary). */
function optionsOf(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw Object.assign(new TypeError(`The "options" argument must be of type object. Received type ${typeof options} (${String(options)})`), { code: 'ERR_INVALID_ARG_TYPE' });
  const o = { ...(options as Record<string, unknown>) };
  if (o.dictionary !== undefined) o.dictionary = toBytes(o.dictionary, undefined, 'options.dictionary', 'an instance of Buffer, TypedArray, DataView, or ArrayBuffer').slice();
  return o;
}

function inputOf(buffer: unknown): Uint8Array {
  return toBytes(buffer, 'utf8', 'buffer', 'string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer');
}

/** Runs a whole input through a new engine: pieces with no flush, the last with the finishing one. */
export function processAll(engine: EngineName, buffer: unknown, options: unknown): Buffer {
  const input = inputOf(buffer);
  const id = nodeCall<number>('z.new', [engine, optionsOf(options)]);
  const out: Uint8Array[] = [];
  try {
    const max = callMaxBytes();
    // Run whole, as Node's *Sync do (deflate's bytes depend on how input is cut), when the
    // daemon may hold it; a larger input goes through piece by piece (valid, maybe not the same bytes).
    const whole = input.byteLength <= zlibStageBytes();
    for (let at = 0; ; at += max) {
      const last = at + max >= input.byteLength;
      const piece = input.slice(at, at + max);
      if (whole && !last) nodeCall('z.feed', [id, piece]);
      else out.push(nodeJob<Uint8Array>('z.write', [id, piece, last ? undefined : 0]));
      if (last) break;
    }
  } finally {
    nodeCall('z.close', [id]);
  }
  return out.length === 1 ? lazyBuffer().from(out[0]!.buffer, out[0]!.byteOffset, out[0]!.byteLength) : lazyBuffer().concat(out);
}

/** The zlib constants Node also has at the module's top level (non-enumerable there). */
const TOP_LEVEL = ['Z_NO_FLUSH', 'Z_PARTIAL_FLUSH', 'Z_SYNC_FLUSH', 'Z_FULL_FLUSH', 'Z_FINISH', 'Z_BLOCK', 'Z_OK', 'Z_STREAM_END', 'Z_NEED_DICT', 'Z_ERRNO', 'Z_STREAM_ERROR', 'Z_DATA_ERROR', 'Z_MEM_ERROR', 'Z_BUF_ERROR', 'Z_VERSION_ERROR', 'Z_NO_COMPRESSION', 'Z_BEST_SPEED', 'Z_BEST_COMPRESSION', 'Z_DEFAULT_COMPRESSION', 'Z_FILTERED', 'Z_HUFFMAN_ONLY', 'Z_RLE', 'Z_FIXED', 'Z_DEFAULT_STRATEGY', 'ZLIB_VERNUM', 'Z_MIN_WINDOWBITS', 'Z_MAX_WINDOWBITS', 'Z_DEFAULT_WINDOWBITS', 'Z_MIN_CHUNK', 'Z_MAX_CHUNK', 'Z_DEFAULT_CHUNK', 'Z_MIN_MEMLEVEL', 'Z_MAX_MEMLEVEL', 'Z_DEFAULT_MEMLEVEL', 'Z_MIN_LEVEL', 'Z_MAX_LEVEL', 'Z_DEFAULT_LEVEL'];

export function createZlibModule(): Record<string, unknown> {
  // Fetched on first use: the module may be built with no process bound (to list its exports).
  let constants: Record<string, number> | undefined;
  const all = () => (constants ??= Object.freeze({ ...nodeCall<Record<string, number>>('z.constants', []) }));
  const zlib: Record<string, unknown> = {};
  Object.defineProperty(zlib, 'constants', { get: all, enumerable: true });
  for (const key of TOP_LEVEL) Object.defineProperty(zlib, key, { get: () => all()[key], enumerable: false });
  for (const engine of ENGINES) {
    const name = SYNC_NAMES[engine];
    zlib[`${name}Sync`] = (buffer: unknown, options?: unknown) => processAll(engine, buffer, options);
    zlib[name] = (buffer: unknown, options: unknown, callback?: unknown) => {
      if (typeof options === 'function') [callback, options] = [options, {}];
      if (typeof callback !== 'function') throw Object.assign(new TypeError(`The "callback" argument must be of type function. Received ${callback === undefined ? 'undefined' : typeof callback}`), { code: 'ERR_INVALID_ARG_TYPE' });
      const cb = callback as (err: Error | null, result?: Buffer) => void;
      let result: Buffer;
      try {
        result = processAll(engine, buffer, options);
      } catch (err) {
        timerGlobals.setImmediate(() => cb(err as Error));
        return;
      }
      timerGlobals.setImmediate(() => cb(null, result));
    };
    const make = (options?: unknown) => new ZlibStream(engine, optionsOf(options), engine.startsWith('Brotli'));
    zlib[`create${engine}`] = make;
    // `new zlib.Gzip()` and `zlib.Gzip()` both make one, as in Node.
    zlib[engine] = function (this: unknown, options?: unknown) {
      return make(options);
    };
  }
  zlib.crc32 = (data: unknown, value: unknown = 0) => {
    let crc = typeof value === 'number' ? value : 0;
    const bytes = toBytes(data, 'utf8', 'data');
    const max = callMaxBytes();
    for (let at = 0; at < bytes.byteLength || at === 0; at += max) crc = nodeCall<number>('z.crc32', [bytes.slice(at, at + max), crc]);
    return crc;
  };
  return zlib;
}
