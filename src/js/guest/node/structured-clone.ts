/**
 * `structuredClone` (HTML's structured serialize + deserialize in one step), in JavaScript:
 * Node's is V8's serializer, which an isolate does not expose. Cloned as the spec says:
 * primitives, boxed primitives, Date, RegExp (lastIndex reset), ArrayBuffer, Blob, typed arrays
 * and DataView (sharing a cloned buffer between views as the source did), Map, Set, Error
 * (name, message, stack, cause), arrays (holes kept) and plain objects (own enumerable
 * string keys; prototype not kept); cycles and shared references preserved. Functions,
 * symbols, WeakMap/WeakSet, Promise and other platform objects throw DataCloneError.
 * `transfer` detaches nothing (the buffers are copied).
 */
import { internalBinding } from './bindings.js';
import { nodeRequire } from './internal.js';

const types = internalBinding('types') as Record<string, (v: unknown) => boolean>;
const ERROR_NAMES = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']);

/** The DOMException every refusal to clone or transfer is (structuredClone, ports, workers). */
export function dataCloneError(message: string): Error {
  const DOMException = (globalThis as unknown as { DOMException: new (m: string, n: string) => Error }).DOMException;
  return new DOMException(message, 'DataCloneError');
}

function notCloneable(value: unknown): Error {
  const shown = typeof value === 'function' ? `${String(value)}` : typeof value === 'symbol' ? String(value) : Object.prototype.toString.call(value);
  return dataCloneError(`${shown} could not be cloned.`);
}

/**
 * `substitutes` (for MessagePorts) gives what an object becomes in the clone (a transferred
 * port's new port, or its placeholder on the wire); an object `untransferred` says must be
 * transferred and is not in the transfer list throws DataCloneError, as Node's does.
 */
export interface CloneInternals {
  transfer?: unknown[];
  substitutes?: Map<object, unknown>;
  untransferred?: (value: object) => boolean;
}

export function structuredClone(value: unknown, options?: CloneInternals): unknown {
  if (arguments.length === 0) {
    const err = new TypeError('The value argument must be specified') as TypeError & { code: string };
    err.code = 'ERR_MISSING_ARGS';
    throw err;
  }
  if (options !== undefined && options !== null && typeof options !== 'object') {
    const err = new TypeError('The "options" argument must be of type object.') as TypeError & { code: string };
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  const seen = new Map<object, unknown>(options?.substitutes ?? []);
  const untransferred = options?.untransferred;
  const clone = (v: unknown): unknown => {
    if (typeof v === 'symbol' || typeof v === 'function') throw notCloneable(v);
    if (v === null || typeof v !== 'object') return v;
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (untransferred?.(v)) throw dataCloneError('Object that needs transfer was found in message but not listed in transferList');
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    const keep = <T>(out: T): T => (seen.set(v, out), out);
    switch (tag) {
      case 'Boolean': return keep(Object(Boolean.prototype.valueOf.call(v)));
      case 'Number': return keep(Object(Number.prototype.valueOf.call(v)));
      case 'String': return keep(Object(String.prototype.valueOf.call(v)));
      case 'BigInt': return keep(Object(BigInt.prototype.valueOf.call(v)));
      case 'Date': return keep(new Date(Date.prototype.getTime.call(v)));
      case 'RegExp': { const r = v as RegExp; return keep(new RegExp(r.source, r.flags)); }
      case 'ArrayBuffer': return keep((v as ArrayBuffer).slice(0));
      case 'Blob':
      case 'File': {
        // Node's own Blob (internal/blob.js): its bytes never change, so the clone shares them;
        // a File clones as a Blob, as Node's kClone makes it.
        const blob = nodeRequire('internal/blob') as { isBlob(o: unknown): boolean; kHandle: symbol; createBlob(h: unknown, n: number, t: string): unknown };
        if (!blob.isBlob(v)) break;
        const b = v as Record<string | symbol, unknown>;
        return keep(blob.createBlob(b[blob.kHandle], b.size as number, b.type as string));
      }
      case 'SharedArrayBuffer': return keep(v);
      case 'DataView': { const d = v as DataView; return keep(new DataView(clone(d.buffer) as ArrayBuffer, d.byteOffset, d.byteLength)); }
      case 'Map': {
        const out = keep(new Map());
        for (const [k, x] of v as Map<unknown, unknown>) out.set(clone(k), clone(x));
        return out;
      }
      case 'Set': {
        const out = keep(new Set());
        for (const x of v as Set<unknown>) out.add(clone(x));
        return out;
      }
      case 'Error': {
        const e = v as Error & { cause?: unknown };
        const name = ERROR_NAMES.has(e.name) ? e.name : 'Error';
        const Ctor = (globalThis as unknown as Record<string, ErrorConstructor>)[name]!;
        const out = keep(Object.create(Ctor.prototype) as Error & { cause?: unknown });
        const desc = Object.getOwnPropertyDescriptor(e, 'message');
        if (desc) Object.defineProperty(out, 'message', { value: String(e.message), writable: true, configurable: true });
        Object.defineProperty(out, 'stack', { value: e.stack, writable: true, configurable: true });
        if ('cause' in e) Object.defineProperty(out, 'cause', { value: clone(e.cause), writable: true, configurable: true });
        return out;
      }
      case 'Array': {
        const a = v as unknown[];
        const out = keep(new Array(a.length));
        for (const k of Object.keys(a)) out[k as unknown as number] = clone(a[k as unknown as number]);
        return out;
      }
      default:
        if (ArrayBuffer.isView(v)) {
          const t = v as unknown as { buffer: ArrayBuffer; byteOffset: number; length: number; constructor: new (b: ArrayBuffer, o: number, l: number) => unknown };
          const Ctor = (globalThis as Record<string, unknown>)[tag] as typeof t.constructor;
          return keep(new Ctor(clone(t.buffer) as ArrayBuffer, t.byteOffset, t.length));
        }
    }
    // Any other object clones as a plain one (own enumerable string keys), as V8's
    // serializer does for class instances; objects with internal slots it cannot copy throw.
    if (types.isPromise(v) || types.isWeakMap(v) || types.isWeakSet(v) || types.isGeneratorObject(v) || types.isMapIterator(v) || types.isSetIterator(v) || typeof WeakRef !== 'undefined' && v instanceof WeakRef) throw notCloneable(v);
    const out = keep({} as Record<string, unknown>);
    for (const k of Object.keys(v)) out[k] = clone((v as Record<string, unknown>)[k]);
    return out;
  };
  return clone(value);
}
