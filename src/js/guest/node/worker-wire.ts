/**
 * What a Worker and its thread say to each other over their channel (the daemon's IPC
 * channel between the two processes, src/process/ipc-channel.ts): one V8-serialized
 * envelope a message. The marker in the worker's environment tells its runtime to start
 * in worker mode, with what `worker_threads` shows there (workerData, argv, execArgv).
 */
import { atob, btoa } from '../base64-globals.js';
import { nodeRequire } from './internal.js';
import type { PortEnvelope } from './port-relay.js';
import { dataCloneError, structuredClone } from './structured-clone.js';

/** The environment variable the parent sets and the worker's runtime takes away. */
export const WORKER_MARKER = 'NODE_AGENTOS_WORKER';

/** What the worker's runtime reads from the marker. */
export interface WorkerSetup {
  /** Its threadId, unique in the process tree (the daemon counts them). */
  threadId: number;
  /** The code of an `eval: true` worker (its argv shows `[worker eval]`). */
  eval: boolean;
  /** workerData, V8-serialized, base64. */
  data: string;
  /** The parent's environment data, as entries, the same way. */
  environment: string;
  argv: string[];
  execArgv: string[];
  name: string;
  resourceLimits: Record<string, number>;
  /** Whether the env it was given has PWD (the daemon sets one for every process). */
  pwd: boolean;
  /** Whether the parent gave it a stdin stream (stdin: true). */
  stdin: boolean;
}

export type Envelope =
  | { t: 'online' }
  /** A message for the Worker's channel (id '') or a port transferred across it. */
  | PortEnvelope
  | { t: 'portClose'; id: string }
  /** An exception nothing in the worker caught. */
  | { t: 'error'; e: WireError };

export type WireError = { error: true; name: string; message: string; stack: unknown; props: Record<string, unknown> } | { error: false; value: unknown } | { error: false; inspected: string };

const v8 = () => nodeRequire('v8') as { serialize(v: unknown): Uint8Array; deserialize(b: Uint8Array): unknown };

/**
 * A SharedArrayBuffer cannot be shared with another isolate of this runtime: refused with
 * DataCloneError rather than silently copied (a copy would break Atomics between threads).
 * Nor can a Blob go (its bytes stay in this isolate): refused too, not sent as an empty object.
 */
export function refuseShared(value: unknown, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof SharedArrayBuffer !== 'undefined' && (value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer))) {
    throw dataCloneError('SharedArrayBuffer cannot be shared with a worker in this runtime (each worker is an isolate of its own).');
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  // Node hands a Blob's bytes to the other thread; they live in this isolate's heap here.
  if (Object.prototype.toString.call(value) === '[object Blob]' || Object.prototype.toString.call(value) === '[object File]') {
    throw dataCloneError('a Blob cannot be sent to a worker in this runtime (each worker is an isolate of its own); send its bytes (await blob.arrayBuffer()) instead.');
  }
  if (value instanceof Map) {
    for (const [k, v] of value) refuseShared(k, seen), refuseShared(v, seen);
    return;
  }
  if (value instanceof Set) {
    for (const v of value) refuseShared(v, seen);
    return;
  }
  for (const k of Object.keys(value)) refuseShared((value as Record<string, unknown>)[k], seen);
}


export function encode(envelope: Envelope): Uint8Array {
  return v8().serialize(envelope);
}

export function decode(bytes: Uint8Array): Envelope {
  return v8().deserialize(bytes) as Envelope;
}

/** workerData (with the ids of the ports it carries) as the marker carries it. */
export function encodeData(packed: { d: unknown; ids: string[] }): string {
  const bytes = v8().serialize(packed);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function decodeData(text: string): { d: unknown; ids: string[] } {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return v8().deserialize(bytes) as { d: unknown; ids: string[] };
}

/**
 * An uncaught exception as the parent's 'error' event gets it, as Node's error_serdes does:
 * an Error keeps its class (by name), message, stack and own properties (code, ...); any
 * other value is cloned, or, when it cannot be, its inspection.
 */
export function errorToWire(err: unknown): WireError {
  if (err instanceof Error) {
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(err)) {
      try {
        props[key] = structuredClone((err as unknown as Record<string, unknown>)[key]);
      } catch {
        // A property that cannot cross is left behind, as Node's serializer leaves it.
      }
    }
    let stack: unknown;
    try {
      stack = err.stack;
    } catch {
      stack = undefined;
    }
    return { error: true, name: String(err.name), message: String(err.message), stack: typeof stack === 'string' ? stack : undefined, props };
  }
  try {
    return { error: false, value: structuredClone(err) };
  } catch {
    return { error: false, inspected: (nodeRequire('util') as { inspect(v: unknown): string }).inspect(err) };
  }
}

export function errorFromWire(wire: WireError): unknown {
  if (!wire.error) return 'value' in wire ? wire.value : wire.inspected;
  const Ctor = (globalThis as unknown as Record<string, unknown>)[wire.name];
  const proto = typeof Ctor === 'function' && (Ctor as { prototype: unknown }).prototype instanceof Error || Ctor === Error ? (Ctor as { prototype: object }).prototype : Error.prototype;
  const err = Object.create(proto) as Error;
  Object.defineProperty(err, 'message', { value: wire.message, writable: true, configurable: true });
  if (wire.stack !== undefined) Object.defineProperty(err, 'stack', { value: wire.stack, writable: true, configurable: true });
  Object.assign(err, wire.props);
  return err;
}
