/**
 * JavaScript stand-ins for the C++ bindings (`internalBinding(...)`) that the vendored Node
 * files call. Where V8 gives an embedder more than a script can see, the stand-in
 * approximates, and says how below:
 * - a Promise's state is unknown to a script: promises settled through `Promise.resolve`/
 *   `Promise.reject` with a plain value are tracked (see trackPromises); others print
 *   `<pending>`.
 * - a Proxy cannot be told from its target: `showProxy` shows the target as is.
 * - Map/Set iterators and WeakMap/WeakSet entries cannot be previewed: shown empty
 *   (`WeakMap { <items unknown> }`, as Node prints without showHidden).
 * - `isExternal`/`isProxy`/`isWasmModuleObject` are always false.
 */
import { createBlobBinding } from './blob-binding.js';
import { fsConstants } from '../fs-constants.js';
import { OS_CONSTANTS } from './os.js';
import { createReportBinding } from './report-binding.js';
import { nodeRequire } from './internal.js';
import { UV_ERRORS } from './uv-errors.js';

const { toString } = Object.prototype;
const tag = (v: unknown) => toString.call(v);
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)!.get!;
const brand = (fn: (v: unknown) => unknown) => (v: unknown) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  try {
    fn(v);
    return true;
  } catch {
    return false;
  }
};
const mapSize = getter(Map.prototype, 'size');
const setSize = getter(Set.prototype, 'size');
const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const sab = (globalThis as { SharedArrayBuffer?: { prototype: object } }).SharedArrayBuffer;
const sabByteLength = sab ? getter(sab.prototype, 'byteLength') : undefined;
const dvByteLength = getter(DataView.prototype, 'byteLength');
const regexpSource = getter(RegExp.prototype, 'source');
const mapIterProto = Object.getPrototypeOf(new Map().entries()) as object;
const setIterProto = Object.getPrototypeOf(new Set().values()) as object;
const noTag = (v: object) => !(Symbol.toStringTag in v);
/** Prototypes of other realms of this isolate (vm contexts), weakly: their promises and iterators are what this realm's are. */
const realmPromiseProtos = new WeakSet<object>();
const realmMapIterProtos = new WeakSet<object>();
const realmSetIterProtos = new WeakSet<object>();
const hasRealmProto = (v: unknown, own: object, others: WeakSet<object>) => {
  for (let p = v; p !== null && p !== undefined; p = Object.getPrototypeOf(p)) if (p === own || others.has(p as object)) return true;
  return false;
};

/** A vm context's Promise.prototype and Map and Set iterator prototypes, for util.types. */
export function addRealmIntrinsics(promiseProto: object, mapIteratorProto: object, setIteratorProto: object): void {
  realmPromiseProtos.add(promiseProto);
  realmMapIterProtos.add(mapIteratorProto);
  realmSetIterProtos.add(setIteratorProto);
}

const isNumberObject = brand((v) => typeof v === 'object' && Number.prototype.valueOf.call(v));
const isStringObject = brand((v) => typeof v === 'object' && String.prototype.valueOf.call(v));
const isBooleanObject = brand((v) => typeof v === 'object' && Boolean.prototype.valueOf.call(v));
const isBigIntObject = brand((v) => typeof v === 'object' && BigInt.prototype.valueOf.call(v));
const isSymbolObject = brand((v) => typeof v === 'object' && Symbol.prototype.valueOf.call(v));
const isArrayBuffer = brand((v) => abByteLength.call(v));
const isSharedArrayBuffer = sabByteLength ? brand((v) => sabByteLength.call(v)) : () => false;

const types = {
  isExternal: () => false,
  isDate: brand((v) => Date.prototype.getTime.call(v)),
  isArgumentsObject: (v: unknown) => typeof v === 'object' && v !== null && tag(v) === '[object Arguments]' && noTag(v),
  isBigIntObject,
  isBooleanObject,
  isNumberObject,
  isStringObject,
  isSymbolObject,
  isBoxedPrimitive: (v: unknown) => isNumberObject(v) || isStringObject(v) || isBooleanObject(v) || isBigIntObject(v) || isSymbolObject(v),
  isNativeError: (v: unknown) => typeof v === 'object' && v !== null && tag(v) === '[object Error]' && (noTag(v) || v instanceof Error),
  isRegExp: (v: unknown) => v !== RegExp.prototype && brand((x) => regexpSource.call(x))(v),
  isAsyncFunction: (v: unknown) => typeof v === 'function' && (tag(v) === '[object AsyncFunction]' || tag(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorFunction: (v: unknown) => typeof v === 'function' && (tag(v) === '[object GeneratorFunction]' || tag(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorObject: (v: unknown) => typeof v === 'object' && v !== null && (tag(v) === '[object Generator]' || tag(v) === '[object AsyncGenerator]'),
  isPromise: (v: unknown) => typeof v === 'object' && v !== null && tag(v) === '[object Promise]' && hasRealmProto(v, Promise.prototype, realmPromiseProtos),
  isMap: brand((v) => mapSize.call(v)),
  isSet: brand((v) => setSize.call(v)),
  isMapIterator: (v: unknown) => typeof v === 'object' && v !== null && hasRealmProto(v, mapIterProto, realmMapIterProtos),
  isSetIterator: (v: unknown) => typeof v === 'object' && v !== null && hasRealmProto(v, setIterProto, realmSetIterProtos),
  isWeakMap: brand((v) => WeakMap.prototype.has.call(v as WeakMap<object, unknown>, {})),
  isWeakSet: brand((v) => WeakSet.prototype.has.call(v as WeakSet<object>, {})),
  isArrayBuffer,
  isDataView: brand((v) => dvByteLength.call(v)),
  isSharedArrayBuffer,
  isProxy: () => false,
  isModuleNamespaceObject: (v: unknown) => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === null && tag(v) === '[object Module]' && Object.isSealed(v),
  isAnyArrayBuffer: (v: unknown) => isArrayBuffer(v) || isSharedArrayBuffer(v),
};

// V8's PropertyFilter and the promise states Node's binding exposes.
const ONLY_ENUMERABLE = 2;
const SKIP_STRINGS = 8;
const SKIP_SYMBOLS = 16;
const kPending = 0;
const kFulfilled = 1;
const kRejected = 2;

/** Promises whose settled value is known without V8's help (see the header). */
export const settledPromises = new WeakMap<object, [number, unknown]>();

const isIndex = (key: string) => {
  if (key === '' || (key.length > 1 && key[0] === '0')) return false;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 - 1 && String(n) === key;
};

const util = {
  constants: { kPending, kFulfilled, kRejected, ALL_PROPERTIES: 0, ONLY_ENUMERABLE, ONLY_WRITABLE: 1, ONLY_CONFIGURABLE: 4, SKIP_STRINGS, SKIP_SYMBOLS, kDisallowCloneAndTransfer: 0, kTransferable: 1, kCloneable: 2 },
  getOwnNonIndexProperties(obj: object, filter: number): PropertyKey[] {
    const out: PropertyKey[] = [];
    const indexed = Array.isArray(obj) || ArrayBuffer.isView(obj) || types.isStringObject(obj) || types.isArgumentsObject(obj);
    for (const key of Reflect.ownKeys(obj)) {
      if (typeof key === 'string' ? (filter & SKIP_STRINGS) !== 0 || (indexed && isIndex(key)) : (filter & SKIP_SYMBOLS) !== 0) continue;
      if (filter & ONLY_ENUMERABLE) {
        const desc = Reflect.getOwnPropertyDescriptor(obj, key);
        if (!desc?.enumerable) continue;
      }
      out.push(key);
    }
    return out;
  },
  getPromiseDetails: (p: object) => settledPromises.get(p) ?? [kPending],
  getProxyDetails: () => undefined,
  previewEntries: (_v: object, isIterator?: boolean) => (isIterator ? [[], false] : []),
  getConstructorName(obj: object): string {
    for (let p: object | null = obj; p !== null; p = Object.getPrototypeOf(p)) {
      const desc = Object.getOwnPropertyDescriptor(p, 'constructor');
      if (typeof desc?.value === 'function' && typeof desc.value.name === 'string' && desc.value.name !== '') return desc.value.name;
    }
    return 'Object';
  },
  getExternalValue: () => 0n,
  isArrayBufferDetached: (ab: ArrayBuffer) => {
    try {
      return ab.byteLength === 0 && (ab as unknown as { detached?: boolean }).detached === true;
    } catch {
      return false;
    }
  },
  guessHandleType: () => 'UNKNOWN',
  sleep: () => {},
  privateSymbols: { arrow_message_private_symbol: Symbol('node:arrowMessage'), decorated_private_symbol: Symbol('node:decorated') },
  getCallSite: () => [],
  isInsideNodeModules: () => false,
  defineLazyProperties: undefined,
  parseEnv(content: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of String(content).split('\n')) {
      const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)?\s*$/.exec(line);
      if (!m) continue;
      let v = (m[2] ?? '').trim();
      const q = v[0];
      if ((q === '"' || q === "'" || q === '`') && v.endsWith(q) && v.length > 1) v = v.slice(1, -1);
      else v = v.replace(/\s+#.*$/, '');
      if (q === '"') v = v.replace(/\\n/g, '\n');
      out[m[1]!] = v;
    }
    return out;
  },
};

/**
 * Node records nothing for promises here; the guest runtime calls this once so that
 * `Promise.resolve(1)` and `Promise.reject(e)` inspect as Node prints them.
 */
export function trackPromises(): void {
  const { resolve, reject } = Promise;
  const plain = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');
  Object.defineProperty(Promise, 'resolve', {
    value: {
      resolve(this: PromiseConstructor, v: unknown) {
        const p = resolve.call(this, v) as Promise<unknown>;
        if (plain(v) && !settledPromises.has(p)) settledPromises.set(p, [kFulfilled, v]);
        return p;
      },
    }.resolve,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(Promise, 'reject', {
    value: {
      reject(this: PromiseConstructor, e: unknown) {
        const p = reject.call(this, e) as Promise<never>;
        settledPromises.set(p, [kRejected, e]);
        return p;
      },
    }.reject,
    writable: true,
    configurable: true,
  });
}


const bindings: Record<string, () => unknown> = {
  types: () => types,
  util: () => util,
  config: () => ({ hasIntl: false, hasInspector: false, noBrowserGlobals: false, bits: 64 }),
  constants: () => ({ os: { ...OS_CONSTANTS, UV_UDP_REUSEADDR: 4 }, fs: fsConstants, crypto: {} }),
  report: () => createReportBinding(() => (globalThis as any).process, () => nodeRequire('fs'), () => nodeRequire('os').hostname()),
  string_decoder: () => ({ encodings: ['ascii', 'utf8', 'base64', 'utf16le', 'latin1', 'hex', 'buffer', 'base64url'] }),
  blob: () => createBlobBinding(),
  buffer: () => ({
    // Node 20's buffer.kMaxLength on 64-bit (internal/blob.js checks a blob's size against it).
    kMaxLength: 2 ** 32,
    compare(a: Uint8Array, b: Uint8Array): number {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
    },
  }),
  os: () => ({ getOSInformation: () => ['Linux', 'agentos', '', 'x86_64'] }),
  uv: uvBinding,
  messaging: () => ({ DOMException: (globalThis as { DOMException?: unknown }).DOMException }),
  symbols: () => ({ messaging_deserialize_symbol: Symbol('messaging_deserialize_symbol'), messaging_transfer_symbol: Symbol('messaging_transfer_symbol'), messaging_clone_symbol: Symbol('messaging_clone_symbol'), messaging_transfer_list_symbol: Symbol('messaging_transfer_list_symbol'), owner_symbol: Symbol('owner_symbol'), async_id_symbol: Symbol('async_id_symbol'), trigger_async_id_symbol: Symbol('trigger_async_id_symbol') }),
  errors: () => ({ exitCodes: { kNoFailure: 0, kGenericUserError: 1 } }),
  // Trace events (--trace-event-categories) are not recorded in the guest: console's marks go nowhere.
  trace_events: () => ({ trace() {}, isTraceCategoryEnabled: () => false }),
};

const loaded = new Map<string, unknown>();

/** libuv's error table (util.getSystemErrorName, DNSException's ENOTFOUND), with its UV_* constants. */
function uvBinding() {
  const map = new Map(UV_ERRORS.map(([n, name, message]) => [n, [name, message]] as const));
  const unknown = (n: number) => `Unknown system error ${n}`;
  return {
    errname: (n: number) => map.get(n)?.[0] ?? unknown(n),
    getErrorMap: () => new Map(map),
    getErrorMessage: (n: number) => map.get(n)?.[1] ?? unknown(n),
    ...Object.fromEntries(UV_ERRORS.map(([n, name]) => [`UV_${name}`, n])),
  };
}

/** `internalBinding(name)` for the vendored files: the stand-ins above, built on first use. */
export function internalBinding(name: string): any {
  if (!loaded.has(name)) {
    const make = bindings[name];
    if (!make) throw new Error(`No such binding: ${name}`);
    loaded.set(name, make());
  }
  return loaded.get(name);
}
