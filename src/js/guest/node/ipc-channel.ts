/**
 * The guest half of a child_process IPC channel, on a ChildProcess (the parent's side) or on
 * `process` (a forked child's): `send`, 'message' and 'internalMessage' (cmd 'NODE_*'),
 * `disconnect`/'disconnect', `connected`, `channel` with ref/unref, in 'json' (one JSON text
 * a message) or 'advanced' (V8's serializer, as Node's ChildProcessSerializer) mode, with
 * Node's argument checks, errors and event order (lib/internal/child_process.js). The
 * daemon carries the messages (src/process/ipc-channel.ts).
 */
import { Emitter } from '../emitter.js';
import { nodeRequire } from './internal.js';

/** What carries the messages: the daemon's end of the channel. */
export interface IpcTransport {
  /** Queues one message; false past the backpressure threshold; throws EPIPE/ENOBUFS. */
  send(message: string | Uint8Array): boolean;
  disconnect(): void;
  ref(refed: boolean): void;
}

export type Serialization = 'json' | 'advanced';

interface Target {
  connected: boolean;
  channel: Control | null;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  on(event: string | symbol, fn: (...args: any[]) => void): unknown;
  once(event: string | symbol, fn: (...args: any[]) => void): unknown;
  listenerCount(event: string | symbol): number;
  [key: string]: unknown;
}

const kPendingMessages = Symbol('kPendingMessages');
const INTERNAL_PREFIX = 'NODE_';

const tick = (fn: (...args: any[]) => void, ...args: unknown[]) =>
  (globalThis as unknown as { process: { nextTick(fn: (...a: unknown[]) => void, ...args: unknown[]): void } }).process.nextTick(fn, ...args);
const codes = () => nodeRequire('internal/errors').codes;

/** `child.channel` / `process.channel`: ref and unref, and whether listeners keep it referenced. */
export class Control extends Emitter {
  [kPendingMessages]: unknown[][] = [];
  #refs = 0;
  #refExplicitlySet = false;

  constructor(private readonly transport: IpcTransport, private readonly descriptor: number) {
    super();
  }

  /** As Node counts its child's 'message' and 'disconnect' listeners: referenced while there are some. */
  refCounted(): void {
    if (++this.#refs === 1 && !this.#refExplicitlySet) this.transport.ref(true);
  }

  unrefCounted(): void {
    if (--this.#refs === 0 && !this.#refExplicitlySet) {
      this.transport.ref(false);
      this.emit('unref');
    }
  }

  ref(): void {
    this.#refExplicitlySet = true;
    this.transport.ref(true);
  }

  unref(): void {
    this.#refExplicitlySet = true;
    this.transport.ref(false);
  }

  get fd(): number {
    return this.descriptor;
  }
}

function isInternal(message: unknown): boolean {
  const cmd = (message as { cmd?: unknown } | null)?.cmd;
  return message !== null && typeof message === 'object' && typeof cmd === 'string' && cmd.length > INTERNAL_PREFIX.length && cmd.startsWith(INTERNAL_PREFIX);
}

/** Node's ChildProcessSerializer: views as V8's host objects, other host objects as their own properties. */
function advancedCodec(): { encode(value: unknown): Uint8Array; decode(bytes: Uint8Array): unknown } {
  const v8 = nodeRequire('v8') as { DefaultSerializer: new () => any; DefaultDeserializer: new (bytes: Uint8Array) => any };
  class Ser extends v8.DefaultSerializer {
    _writeHostObject(object: object): void {
      if (ArrayBuffer.isView(object)) {
        this.writeUint32(0);
        super._writeHostObject(object);
        return;
      }
      this.writeUint32(1);
      this.writeValue({ ...object });
    }
  }
  class De extends v8.DefaultDeserializer {
    _readHostObject(): unknown {
      return this.readUint32() === 0 ? super._readHostObject() : this.readValue();
    }
  }
  return {
    encode(value) {
      const ser = new Ser();
      ser.writeHeader();
      ser.writeValue(value);
      return ser.releaseBuffer();
    },
    decode(bytes) {
      const de = new De(bytes);
      de.readHeader();
      return de.readValue();
    },
  };
}

function writeError(err: { code?: string; errno?: number; message?: string }): Error {
  if (err.code === 'ERR_IPC_CHANNEL_CLOSED') return new (codes().ERR_IPC_CHANNEL_CLOSED)();
  if (typeof err.errno === 'number') {
    const { ErrnoException } = nodeRequire('internal/errors');
    return new ErrnoException(err.errno, 'write');
  }
  return Object.assign(new Error(err.message ?? 'write failed'), err);
}

/**
 * Gives `target` its channel, as Node's setupChannel does; returns the function the
 * daemon's deliveries go to (a batch of messages, or null for the channel's end).
 */
export function setupChannel(target: Target, transport: IpcTransport, serialization: Serialization, fd: number): (batch: Array<string | Uint8Array> | null) => void {
  const control = new Control(transport, fd);
  let open = true;
  target.channel = control;
  const { deprecate } = nodeRequire('internal/util');
  const message = '_channel is deprecated. Use ChildProcess.channel instead.';
  Object.defineProperty(target, '_channel', {
    get: deprecate(() => target.channel, message, 'DEP0129'),
    set: deprecate((value: Control | null) => { target.channel = value; }, message, 'DEP0129'),
    configurable: true,
    enumerable: false,
  });
  target._handleQueue = null;
  target._pendingMessage = null;
  let advanced: ReturnType<typeof advancedCodec> | undefined;
  const encode = (message: unknown): string | Uint8Array => (serialization === 'advanced' ? (advanced ??= advancedCodec()).encode(message) : JSON.stringify(message));
  const decode = (data: string | Uint8Array): unknown => (serialization === 'advanced' ? (advanced ??= advancedCodec()).decode(data as Uint8Array) : JSON.parse(data as string));

  target.on('newListener', () => {
    tick(() => {
      if (!target.channel || !target.listenerCount('message')) return;
      const pending = target.channel[kPendingMessages];
      if (pending.length === 0) return;
      for (const args of pending) target.emit(...(args as [string, ...unknown[]]));
      target.channel[kPendingMessages] = [];
    });
  });

  target.send = function send(message: unknown, handle?: unknown, options?: unknown, callback?: unknown): boolean {
    if (typeof handle === 'function') {
      callback = handle;
      handle = undefined;
      options = undefined;
    } else if (typeof options === 'function') {
      callback = options;
      options = undefined;
    } else if (options !== undefined) {
      nodeRequire('internal/validators').validateObject(options, 'options');
    }
    const opts = { swallowErrors: false, ...(options as object | undefined) };
    if (target.connected) return sendNow(message, handle, opts, callback);
    const ex = new (codes().ERR_IPC_CHANNEL_CLOSED)();
    if (typeof callback === 'function') tick(callback as () => void, ex);
    else tick(() => target.emit('error', ex));
    return false;
  };

  const sendNow = (message: unknown, handle: unknown, options: unknown, callback: unknown): boolean => {
    const c = codes();
    if (message === undefined) throw new c.ERR_MISSING_ARGS('message');
    if (typeof message !== 'string' && typeof message !== 'object' && typeof message !== 'number' && typeof message !== 'boolean') {
      throw new c.ERR_INVALID_ARG_TYPE('message', ['string', 'object', 'number', 'boolean'], message);
    }
    const swallowErrors = typeof options === 'boolean' ? options : (options as { swallowErrors?: boolean }).swallowErrors === true;
    // Handles (servers, sockets) cannot cross between the VM's processes.
    if (handle) throw new c.ERR_INVALID_HANDLE_TYPE();
    const payload = encode(message);
    try {
      const belowMark = transport.send(payload);
      if (typeof callback === 'function') tick(callback as () => void, null);
      return belowMark;
    } catch (err) {
      const e = err as { code?: string };
      if (!swallowErrors) {
        const ex = writeError(e);
        if (typeof callback === 'function') tick(callback as () => void, ex);
        else tick(() => target.emit('error', ex));
      }
      return e.code !== 'ENOBUFS';
    }
  };
  target._send = sendNow;

  target.connected = true;

  target.disconnect = function disconnect(): void {
    if (!target.connected) {
      target.emit('error', new (codes().ERR_IPC_DISCONNECTED)());
      return;
    }
    target.connected = false;
    closeChannel();
  };

  const closeChannel = () => {
    if (!target.channel) return;
    target.channel = null;
    open = false;
    transport.disconnect();
    tick(() => target.emit('disconnect'));
  };
  target._disconnect = closeChannel;

  const deliver = (event: string, message: unknown) => {
    if (event === 'internalMessage' || target.listenerCount('message')) {
      target.emit(event, message, undefined);
      return;
    }
    target.channel?.[kPendingMessages].push([event, message, undefined]);
  };

  return (batch) => {
    if (!open) return;
    if (batch === null) {
      // The other side is gone: as a read of EOF, this side disconnects.
      if (target.connected) (target.disconnect as () => void)();
      else closeChannel();
      return;
    }
    for (const data of batch) {
      const message = decode(data);
      tick(() => {
        if (target.channel) deliver(isInternal(message) ? 'internalMessage' : 'message', message);
      });
    }
  };
}
