import { describeReceived, nodeError } from '../node-error.js';
import { libHost } from './lib-host.js';
import * as blockListBinding from './block-list-binding.js';
import { loadUrlInternals } from './url-internals.js';
import { withPristine } from './lazy-primordials.js';
import { loadStreamWeb } from './stream-web.js';

/**
 * Node's own lib/ files vendored whole under vendor/node/lib (Node 20.19.2, MIT: events,
 * querystring, url, readline), run as Node runs its builtins: a module function given
 * `require` for Node's internal ids and `primordials` (built by Node's own
 * per_context/primordials.js on first use). The internal modules they need and that are not
 * vendored are small stand-ins here, or readable-stream's copies of Node's own (validators,
 * AbortError, streams/utils). Nothing runs until guest code first needs one of them.
 */
type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: unknown, primordials: object) => void;
declare function require(id: string): any;

const vendored: Record<string, () => { default: ModuleFn }> = {
  events: () => require('../../../../vendor/node/lib/events.js'),
  'internal/events/abort_listener': () => require('../../../../vendor/node/lib/internal/events/abort_listener.js'),
  'internal/events/symbols': () => require('../../../../vendor/node/lib/internal/events/symbols.js'),
  'internal/fixed_queue': () => require('../../../../vendor/node/lib/internal/fixed_queue.js'),
  querystring: () => require('../../../../vendor/node/lib/querystring.js'),
  'internal/querystring': () => require('../../../../vendor/node/lib/internal/querystring.js'),
  url: () => require('../../../../vendor/node/lib/url.js'),
  'internal/net': () => require('../../../../vendor/node/lib/internal/net.js'),
  'internal/blocklist': () => require('../../../../vendor/node/lib/internal/blocklist.js'),
  'internal/socketaddress': () => require('../../../../vendor/node/lib/internal/socketaddress.js'),
  'internal/constants': () => require('../../../../vendor/node/lib/internal/constants.js'),
  readline: () => require('../../../../vendor/node/lib/readline.js'),
  'readline/promises': () => require('../../../../vendor/node/lib/readline/promises.js'),
  'internal/readline/callbacks': () => require('../../../../vendor/node/lib/internal/readline/callbacks.js'),
  'internal/readline/emitKeypressEvents': () => require('../../../../vendor/node/lib/internal/readline/emitKeypressEvents.js'),
  'internal/readline/interface': () => require('../../../../vendor/node/lib/internal/readline/interface.js'),
  'internal/readline/promises': () => require('../../../../vendor/node/lib/internal/readline/promises.js'),
  'internal/readline/utils': () => require('../../../../vendor/node/lib/internal/readline/utils.js'),
  // Readable/Writable/Duplex.toWeb and fromWeb, and CompressionStream/DecompressionStream (stream-web.ts, stream.ts).
  'internal/webstreams/adapters': () => require('../../../../vendor/node/lib/internal/webstreams/adapters.js'),
  'internal/webstreams/compression': () => require('../../../../vendor/node/lib/internal/webstreams/compression.js'),
};

type Msg = (...args: any[]) => string;
/** A Node error class for `code`, as internal/errors makes them (`new ERR_X(...args)`). */
function errorClass(code: string, Base: ErrorConstructor, message: Msg) {
  return class {
    constructor(...args: unknown[]) {
      return nodeError(Base, code, message(...args));
    }
  };
}

const shims: Record<string, () => unknown> = {
  'internal/errors': () => {
    const ours = require('readable-stream/lib/ours/errors.js');
    // readable-stream's validators throw these from its own table: they go into that table.
    Object.assign(ours.codes, {
      ERR_SOCKET_BAD_PORT: errorClass('ERR_SOCKET_BAD_PORT', RangeError, (name: string, port: unknown, allowZero = true) =>
        `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536.${describeReceived(port)}.`),
      ERR_MISSING_ARGS: errorClass('ERR_MISSING_ARGS', TypeError, (...names: Array<string | string[]>) => {
        // As Node words it: an array is alternatives ("a" or "b"); several names are "a" and
        // "b", or "a", "b", and "c".
        const quoted = names.map((n) => (Array.isArray(n) ? n.map((a) => `"${a}"`).join(' or ') : `"${n}"`));
        const last = quoted.pop();
        const list = quoted.length === 0 ? last : `${quoted.join(', ')}${quoted.length > 1 ? ',' : ''} and ${last}`;
        return `The ${list} argument${quoted.length > 0 ? 's' : ''} must be specified`;
      }),
    });
    const codes = {
      ...ours.codes,
      ERR_INVALID_THIS: errorClass('ERR_INVALID_THIS', TypeError, (type: string) => `Value of "this" must be of type ${type}`),
      ERR_UNHANDLED_ERROR: errorClass('ERR_UNHANDLED_ERROR', Error, (err?: unknown) => (err === undefined ? 'Unhandled error.' : `Unhandled error. (${String(err)})`)),
      ERR_INVALID_URI: errorClass('ERR_INVALID_URI', URIError, () => 'URI malformed'),
      ERR_INVALID_URL: errorClass('ERR_INVALID_URL', TypeError, () => 'Invalid URL'),
      ERR_INVALID_CURSOR_POS: errorClass('ERR_INVALID_CURSOR_POS', TypeError, () => 'Cannot set cursor row without setting its column'),
      ERR_INVALID_FILE_URL_HOST: errorClass('ERR_INVALID_FILE_URL_HOST', TypeError, (platform: string) => `File URL host must be "localhost" or empty on ${platform}`),
      ERR_INVALID_FILE_URL_PATH: errorClass('ERR_INVALID_FILE_URL_PATH', TypeError, (why: string) => `File URL path ${why}`),
      ERR_INVALID_URL_SCHEME: errorClass('ERR_INVALID_URL_SCHEME', TypeError, (scheme: string) => `The URL must be of scheme ${scheme}`),
      ERR_INVALID_ADDRESS: errorClass('ERR_INVALID_ADDRESS', Error, () => 'Invalid socket address'),
      // net's lookupAndConnect, for what a `lookup` option answers.
      ERR_INVALID_IP_ADDRESS: errorClass('ERR_INVALID_IP_ADDRESS', TypeError, (ip: unknown) => `Invalid IP address: ${String(ip)}`),
      ERR_INVALID_ADDRESS_FAMILY: errorClass('ERR_INVALID_ADDRESS_FAMILY', RangeError, (type: unknown, host?: string, port?: unknown) =>
        `Invalid address family: ${String(type)} ${host && port ? `${host}:${String(port)}` : (host ?? '')}`),
      ERR_USE_AFTER_CLOSE: errorClass('ERR_USE_AFTER_CLOSE', Error, (what: string) => `${what} was closed`),
    };
    return {
      AbortError: ours.AbortError,
      codes,
      kEnhanceStackBeforeInspector: Symbol('kEnhanceStackBeforeInspector'),
      genericNodeError: (message: string, props: object) => Object.assign(new Error(message), props),
    };
  },
  // Transfer between workers is not offered: the base class only marks the type.
  'internal/worker/js_transferable': () => ({ JSTransferable: class JSTransferable {}, kClone: Symbol('kClone'), kDeserialize: Symbol('kDeserialize') }),
  'internal/validators': () => require('readable-stream/lib/internal/validators.js'),
  'internal/streams/utils': () => require('readable-stream/lib/internal/streams/utils.js'),
  // For Node's internal/fs/streams.js in the runtime bundle: the same errorOrDestroy as the `stream` builtin's.
  'internal/streams/destroy': () => require('readable-stream/lib/internal/streams/destroy.js'),
  'internal/util': () => ({
    // The runtime defines them as Node 20 does (runtime.ts); the same symbols in every bundle, so a
    // disposable made here (events' addAbortListener) is disposed by code of another (dgram, net).
    SymbolDispose: (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose'),
    SymbolAsyncDispose: (Symbol as { asyncDispose?: symbol }).asyncDispose ?? Symbol.for('nodejs.asyncDispose'),
    customInspectSymbol: Symbol.for('nodejs.util.inspect.custom'),
    kEmptyObject: Object.freeze(Object.create(null)),
    kEnumerableProperty: Object.freeze(Object.assign(Object.create(null), { enumerable: true })),
    spliceOne(list: unknown[], index: number) {
      for (; index + 1 < list.length; index++) list[index] = list[index + 1];
      list.pop();
    },
    promisify: (host?.builtin('util') as { promisify: unknown }).promisify,
    createDeferredPromise() {
      let resolve!: (v: unknown) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
    normalizeEncoding,
  }),
  'internal/util/inspect': () => ({
    inspect: libHost.inspect,
    // Used only to shorten repeated frames in an enhanced stack: nothing is ever elided here.
    identicalSequenceRange: () => ({ len: 0, offset: 0 }),
    stripVTControlCharacters,
    getStringWidth: (text: string, removeControlChars = true) => [...(removeControlChars ? stripVTControlCharacters(text) : text)].length,
  }),
  'internal/event_target': () => ({
    isEventTarget: (obj: unknown) => Boolean((obj as { constructor?: Record<symbol, unknown> } | null)?.constructor?.[Symbol.for('nodejs.event_target')]),
    kEvents: Symbol('kEvents'),
    kResistStopPropagation: Symbol('kResistStopPropagation'),
  }),
  'internal/process/task_queues': () => ({ queueMicrotask }),
  'internal/options': () => ({ getOptionValue: () => false }),
  // The web streams are web-streams-polyfill's (stream-web.ts); Node's adapters check their type so.
  'internal/webstreams/readablestream': () => {
    const { ReadableStream } = loadStreamWeb() as { ReadableStream: new () => unknown };
    return { ReadableStream, isReadableStream: (value: unknown) => value instanceof ReadableStream };
  },
  'internal/webstreams/writablestream': () => {
    const { WritableStream } = loadStreamWeb() as { WritableStream: new () => unknown };
    return { WritableStream, isWritableStream: (value: unknown) => value instanceof WritableStream };
  },
  'internal/webstreams/queuingstrategies': () => {
    const { CountQueuingStrategy, ByteLengthQueuingStrategy } = loadStreamWeb();
    return { CountQueuingStrategy, ByteLengthQueuingStrategy };
  },
  'internal/webstreams/util': () => ({
    customInspect(this: unknown, depth: number, options: { depth?: number | null }, name: string, data: unknown) {
      if (depth < 0) return this;
      const inspect = libHost.inspect as unknown as (value: unknown, options: object) => string;
      return `${name} ${inspect(data, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`;
    },
  }),
  'internal/streams/end-of-stream': () => require('readable-stream/lib/internal/streams/end-of-stream.js'),
  'internal/encoding': () => {
    const g = globalThis as unknown as Record<string, unknown>;
    return { TextEncoder: g.TextEncoder, TextDecoder: g.TextDecoder };
  },
  'internal/url': () => loadUrlInternals(nodeLib),
};

/** Node's normalizeEncoding (internal/util.js): the canonical name of an encoding, else undefined. */
function normalizeEncoding(enc: unknown): string | undefined {
  if (enc == null || enc === 'utf8' || enc === 'utf-8') return 'utf8';
  const lower = String(enc).toLowerCase();
  const canonical: Record<string, string> = { 'utf8': 'utf8', 'utf-8': 'utf8', ucs2: 'utf16le', 'ucs-2': 'utf16le', utf16le: 'utf16le', 'utf-16le': 'utf16le', latin1: 'latin1', binary: 'latin1', base64: 'base64', base64url: 'base64url', hex: 'hex', ascii: 'ascii' };
  return canonical[lower];
}

// Node's own pattern (internal/util/inspect.js), for ANSI escape sequences.
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;
function stripVTControlCharacters(text: string): string {
  return text.replace(ANSI, '');
}

let host: { process: unknown; builtin: (name: string) => unknown } | undefined;
let primordials: Record<string, unknown> | undefined;
const cache = new Map<string, { exports: unknown }>();

/** Gives the vendored modules the guest's `process` and its public builtins (`buffer`, `stream` ...). */
export function configureNodeLib(proc: unknown, builtin: (name: string) => unknown): void {
  host = { process: proc, builtin };
}

/** The few C++ bindings the vendored files reach for, in JavaScript. */
function internalBinding(name: string): unknown {
  if (name === 'block_list') return blockListBinding;
  // What internal/webstreams/adapters.js reads at load for its StreamBase adapters (FileHandle's
  // web streams), which nothing here calls.
  if (name === 'stream_wrap') return { WriteWrap: class WriteWrap {}, ShutdownWrap: class ShutdownWrap {}, kReadBytesOrError: 0, kLastWriteWasAsync: 1, streamBaseState: new Int32Array(2) };
  if (name === 'uv') return { UV_EOF: -4095 };
  if (name === 'symbols') return { owner_symbol: Symbol('owner_symbol') };
  // internal/net.js takes fs.writeBuffer for a sync-write helper `net` here does not use.
  if (name === 'fs') return { writeBuffer: () => { throw new Error('fs.writeBuffer is not available'); } };
  const found = (loadUrlInternals(nodeLib).bindings as Record<string, unknown>)[name];
  if (!found) throw new Error(`No such binding: ${name}`);
  return found;
}

function getPrimordials(): Record<string, unknown> {
  if (!primordials) {
    const all: Record<string, unknown> = {};
    const build = (require('../../../../vendor/node/lib/internal/per_context/primordials.js') as { default: ModuleFn }).default;
    // As Node's start-up made them: from the builtins before guest code changed any (lazy-primordials.ts).
    withPristine(() => build({}, nodeLib, { exports: {} }, host?.process, internalBinding, all));
    primordials = all;
  }
  return primordials;
}

/** `require` as Node's own lib/ sees it: internal ids first, then the guest's builtins. */
export function nodeLib(id: string): any {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const shim = shims[id];
  const load = vendored[id];
  if (!shim && !load) {
    if (!host) throw new Error(`Node internal module ${id} is not available`);
    return host.builtin(id.replace(/^node:/, ''));
  }
  const module = { exports: {} as unknown };
  cache.set(id, module);
  try {
    if (shim) module.exports = shim();
    else load!().default(module.exports as object, nodeLib, module, host?.process, internalBinding, getPrimordials());
  } catch (err) {
    cache.delete(id);
    throw err;
  }
  return module.exports;
}
