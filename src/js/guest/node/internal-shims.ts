/**
 * Small stand-ins for the Node internal modules that the vendored files require but that
 * this runtime does not vendor (they belong to parts of Node a guest isolate has no use
 * for, or to modules other files implement).
 */
import { BUILTIN_NAMES } from '../builtins.js';
import { toPathIfFileURL } from './file-url-path.js';
import { UnsharedHandle } from './cluster-handles.js';
import { nodeLibBundle } from '../node-lib-loader.js';

const g = globalThis as Record<string, any>;

declare function require(id: string): unknown;

export const internalShims: Record<string, () => unknown> = {
  // What Node bundles in deps/acorn (the same versions from npm): assert.ok's message quotes the failing call's source.
  'internal/deps/acorn/acorn/dist/acorn': () => require('acorn'),
  'internal/deps/acorn/acorn-walk/dist/walk': () => require('acorn-walk'),
  'internal/bootstrap/realm': () => ({
    BuiltinModule: { exists: (name: string) => (BUILTIN_NAMES as readonly string[]).includes(name) },
  }),
  'internal/options': () => ({ getOptionValue: (name: string) => (name === '--stack-trace-limit' ? 10 : false) }),
  'internal/url': () => ({
    // For internal/blob.js, which only constructs one; read at its load, so the url module
    // (the library bundle) loads when a URL is first made, not with Blob.
    URL: function URL(input: string, base?: string) {
      return base === undefined ? new g.URL(input) : new g.URL(input, base);
    },
    pathToFileURL: (path: string) => ({ href: `file://${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}` }),
    fileURLToPath: (url: string | { href: string }) => decodeURIComponent(new (g.URL ?? class { pathname: string; constructor(u: string) { this.pathname = u.replace(/^file:\/\//, ''); } })(typeof url === 'string' ? url : url.href).pathname),
    isURL: (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { href?: unknown }).href === 'string' && typeof (v as { protocol?: unknown }).protocol === 'string',
    toPathIfFileURL,
  }),
  'internal/crypto/keys': () => ({ isKeyObject: () => false, isCryptoKey: () => false }),
  'internal/crypto/util': () => ({ kKeyObject: Symbol('kKeyObject') }),
  'internal/tty': () => ({
    getColorDepth: () => {
      const force = g.process?.env?.FORCE_COLOR;
      return force === '0' || force === 'false' ? 1 : force === '2' ? 8 : force === '3' ? 24 : 4;
    },
    hasColors: () => false,
  }),
  'internal/v8/startup_snapshot': () => ({ namespace: { isBuildingSnapshot: () => false, addSerializeCallback() {}, addDeserializeCallback() {} } }),
  'internal/streams/utils': () => ({
    isNodeStream: (v: any) => !!v && (!!v._readableState || !!v._writableState || (typeof v.write === 'function' && typeof v.on === 'function') || (typeof v.pipe === 'function' && typeof v.on === 'function')),
    isReadableStream: (v: any) => typeof v?.getReader === 'function' && typeof v?.pipeTo === 'function',
    isWritableStream: (v: any) => typeof v?.getWriter === 'function' && typeof v?.abort === 'function',
  }),
  'internal/perf/utils': () => ({ now: () => g.performance.now() }),
  'internal/worker/io': () => ({ MessageChannel: g.MessageChannel }),
  'internal/worker/js_transferable': () => ({ makeTransferable: (obj: object) => obj, kClone: Symbol('kClone'), kDeserialize: Symbol('kDeserialize'), kTransfer: Symbol('kTransfer'), kTransferList: Symbol('kTransferList') }),
  'internal/encoding': () => ({ TextEncoder: g.TextEncoder, TextDecoder: g.TextDecoder }),
  // internal/blob.js reads them at its load but uses them only in Blob#stream(): the web
  // streams (the library bundle) load then.
  'internal/webstreams/queuingstrategies': () => ({
    CountQueuingStrategy: function CountQueuingStrategy(init: unknown) {
      return new g.CountQueuingStrategy(init);
    },
  }),
  'internal/webstreams/readablestream': () => ({ get ReadableStream() { return g.ReadableStream; } }),
  'internal/process/task_queues': () => ({ queueMicrotask: g.queueMicrotask }),
  'internal/process/warning': () => ({ emitWarning: (...a: unknown[]) => g.process.emitWarning(...a) }),
  // What Node's cluster files require at load: the inspector is absent; servers cannot be
  // shared with workers (./cluster-handles.ts); owner_symbol and the longest timer are Node's values.
  'internal/util/inspector': () => ({ getInspectPort: () => 0, isUsingInspector: () => false }),
  'internal/cluster/round_robin_handle': () => UnsharedHandle,
  'internal/cluster/shared_handle': () => UnsharedHandle,
  // Node calls domain's trampoline only for C++ callbacks made with no async id (MakeCallback
  // with id 0). Every callback this runtime schedules (timers, immediates, ticks, microtasks, so
  // fs callbacks) has a frame whose init/before/after domain's own hook sees, and emitters enter
  // their domain in emit: nothing runs without an id, so the trampoline has no caller here.
  'internal/async_hooks': () => ({ symbols: { owner_symbol: Symbol('owner_symbol') }, useDomainTrampoline: (_fn: unknown) => {} }),
  'internal/timers': () => ({ TIMEOUT_MAX: 2 ** 31 - 1 }),
  // The `stream` builtin is readable-stream in the library bundle: its own errorOrDestroy, which its Readable and Writable use.
  'internal/streams/destroy': () => nodeLibBundle().nodeLib('internal/streams/destroy'),
};
