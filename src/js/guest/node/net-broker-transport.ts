import { nodeCall } from './bridge.js';
import type { Endpoint, NetHandle, NetTransport, Remote, TlsEvents, TlsFailure, TlsSession, TlsSessionInfo } from './net-transport.js';

/**
 * The guest's `net` and `dns` on the VM's network: each handle is a socket, server or
 * lookup in the daemon (src/js/node-host/net-calls.ts), driven by `net.*` node calls and
 * told what happened through the runtime's `netEvent` entry. Writes are taken at once into
 * a per-socket batch (as a kernel takes them into a socket buffer) and cross to the daemon
 * as one call per turn of the guest's microtasks, or sooner when the batch is full; the
 * writer waits only when the daemon's side of the connection is full ('drain').
 */
type Listener = (kind: string, data: unknown) => void;
const listeners = new Map<number, Listener>();

export function dispatchNetEvent(id: number, kind: string, data: unknown): void {
  listeners.get(id)?.(kind, data);
}

/** The events of one handle the network bundle drives itself (a UDP socket: ./udp-wrap.ts). */
export function listenNetEvents(id: number, listener: Listener | undefined): void {
  if (listener) listeners.set(id, listener);
  else listeners.delete(id);
}

/** Bytes a socket batches before it sends them without waiting for the turn to end. */
const BATCH_BYTES = 64 * 1024;
const timers = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown };
const later = (fn: () => void) => void timers.setTimeout(fn, 0);
const codeOf = (err: unknown) => ((err as { code?: unknown })?.code as string | undefined) ?? 'EINVAL';

type Wire = { address: string; port: number; family: number };
const endpoint = (w: Wire): Endpoint => ({ address: w.address, port: w.port, family: w.family === 6 ? 6 : 4 });

class BrokerHandle implements NetHandle {
  onError?: (code: string) => void;
  /** Node's http client asks a socket's handle for its async id (async_hooks): none here. */
  getAsyncId() {
    return -1;
  }
  private id: number | undefined;
  private localEnd: Endpoint | undefined;
  private onData: ((chunk: Uint8Array | null) => void) | undefined;
  private reading = false;
  private endSeen = false;
  private endDelivered = false;
  private refed = true;
  private closed = false;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private flushQueued = false;
  /** Writes taken while the daemon's side was full: their callbacks wait for 'drain'. */
  private waiting: ((code: string | null) => void)[] = [];
  private full = false;
  private shutdownAfterFlush: ((code: string | null) => void) | undefined;

  constructor(id?: number, local?: Endpoint, first?: Listener) {
    if (id !== undefined) this.bind(id, first);
    this.localEnd = local;
  }

  private bind(id: number, first?: Listener): void {
    this.id = id;
    listeners.set(id, (kind, data) => (first && first(kind, data) ? undefined : this.event(kind, data)));
    if (!this.refed) nodeCall('net.ref', [id, false]);
  }

  /** What a connected socket hears from the daemon. */
  private event(kind: string, data: unknown): void {
    switch (kind) {
      case 'data':
        this.onData?.(data as Uint8Array);
        break;
      case 'end':
        this.endSeen = true;
        this.deliverEnd();
        break;
      case 'drain': {
        this.full = false;
        const waiting = this.waiting;
        this.waiting = [];
        for (const done of waiting) done(null);
        break;
      }
      case 'error':
        this.fail((data as { code: string }).code);
        break;
      case 'close':
        this.gone();
        break;
    }
  }

  /**
   * The daemon closed the connection (the peer destroyed it, or both sides ended): what
   * remains to read is the end, what remains to write goes nowhere, as after a kernel's
   * close. Reached by the 'close' event only: the daemon sends it (after an 'error', if the
   * connection failed) for every socket it drops.
   */
  private gone(): void {
    if (this.id !== undefined) listeners.delete(this.id);
    this.closed = true;
    this.reading = false;
    this.endSeen = true;
    this.deliverEnd();
    this.fail('EPIPE', false);
  }

  /**
   * A call on this socket; false when the daemon had already dropped it. Its events are still
   * on the way then ('error' first if it failed: a byte limit, a reset), so the call makes no
   * more calls possible but leaves the ending to them: deciding it here lost the error.
   */
  private socketCall(op: string, args: unknown[]): unknown {
    try {
      return nodeCall(op, [this.id, ...args]);
    } catch (err) {
      if (codeOf(err) !== 'EBADF') throw err;
      this.closed = true;
      this.reading = false;
      return false;
    }
  }

  private deliverEnd(): void {
    if (!this.endSeen || this.endDelivered || !this.onData) return;
    this.endDelivered = true;
    this.onData(null);
  }

  /** Writes waiting, and the socket's owner, learn the error. */
  private fail(code: string, tell = true): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const done of waiting) done(code);
    this.batch = [];
    this.batchBytes = 0;
    if (tell) this.onError?.(code);
  }

  connect(remote: Remote, done: (code: string | null, local?: Endpoint, reached?: Endpoint, tls?: TlsSessionInfo) => void): void {
    let id: number;
    try {
      id = nodeCall<number>('net.connect', [remote.host ?? remote.address, remote.port, remote.tls ?? null]);
    } catch (err) {
      later(() => done(codeOf(err)));
      return;
    }
    let connected = false;
    this.bind(id, (kind, data) => {
      if (connected) return false;
      if (kind === 'connect') {
        connected = true;
        const d = data as { local: Wire; remote: Wire; alpnProtocol?: string | false; tls?: TlsSessionInfo };
        this.localEnd = endpoint(d.local);
        done(null, this.localEnd, endpoint(d.remote), d.tls ? { ...d.tls, alpnProtocol: d.alpnProtocol ?? false } : undefined);
      } else if (kind === 'error') {
        listeners.delete(id);
        this.closed = true;
        done((data as { code: string }).code);
      }
      return true;
    });
  }

  listen(local: Endpoint, backlog: number, onConnection: (peer: NetHandle, remote: Endpoint) => void, done: (code: string | null) => void): void {
    let answer: { id: number; port?: number; pending?: true };
    try {
      answer = nodeCall('net.listen', [local.address, local.port, backlog]);
    } catch (err) {
      done(codeOf(err));
      return;
    }
    this.id = answer.id;
    this.afterClose = reapLateConnections(answer.id);
    listeners.set(answer.id, (kind, data) => {
      if (kind === 'connection') {
        const d = data as { id: number; local: Wire; remote: Wire };
        onConnection(new BrokerHandle(d.id, endpoint(d.local)), endpoint(d.remote));
      } else if (kind === 'listening') {
        this.localEnd = { ...local, port: (data as { port: number }).port };
        done(null);
      } else if (kind === 'error') {
        listeners.delete(answer.id);
        done((data as { code: string }).code);
      }
    });
    if (!this.refed) nodeCall('net.ref', [answer.id, false]);
    if (!answer.pending) {
      this.localEnd = { ...local, port: answer.port! };
      done(null);
    }
  }

  listenPath(path: string, access: { readableAll: boolean; writableAll: boolean }, onConnection: (peer: NetHandle) => void, done: (code: string | null) => void): void {
    let id: number;
    try {
      id = nodeCall<number>('net.listenPath', [path, access.readableAll, access.writableAll]);
    } catch (err) {
      done(codeOf(err));
      return;
    }
    this.id = id;
    this.afterClose = reapLateConnections(id);
    listeners.set(id, (kind, data) => {
      if (kind === 'connection') onConnection(new BrokerHandle((data as { id: number }).id));
    });
    if (!this.refed) nodeCall('net.ref', [id, false]);
    done(null);
  }

  connectPath(path: string, done: (code: string | null) => void): void {
    let id: number;
    try {
      id = nodeCall<number>('net.connectPath', [path]);
    } catch (err) {
      later(() => done(codeOf(err)));
      return;
    }
    // Connected in the daemon already; the guest learns it on a later turn, as from a kernel.
    this.bind(id);
    later(() => done(null));
  }

  write(data: Uint8Array, done: (code: string | null) => void): void {
    if (this.closed || this.id === undefined) {
      later(() => done('EPIPE'));
      return;
    }
    this.batch.push(data);
    this.batchBytes += data.byteLength;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      void Promise.resolve().then(() => this.flush());
    }
    // Full before this write, or made full by its own flush: it completes on 'drain' (a
    // callback dropped here would leave the socket's writer waiting for ever).
    if (this.full && !this.closed) this.waiting.push(done);
    else if (this.closed) later(() => done('EPIPE'));
    else done(null);
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.batchBytes > 0 && !this.closed && this.id !== undefined) {
      const bytes = this.batch.length === 1 ? this.batch[0]! : concat(this.batch, this.batchBytes);
      this.batch = [];
      this.batchBytes = 0;
      try {
        if (!this.socketCall('net.write', [bytes]) && !this.closed) this.full = true;
      } catch (err) {
        this.fail(codeOf(err));
        return;
      }
    }
    const shutdown = this.shutdownAfterFlush;
    if (shutdown) {
      this.shutdownAfterFlush = undefined;
      this.shutdown(shutdown);
    }
  }

  readStart(onData: (chunk: Uint8Array | null) => void): void {
    this.onData = onData;
    this.deliverEnd();
    if (this.reading || this.closed || this.id === undefined) return;
    this.reading = true;
    this.socketCall('net.read', [true]);
  }

  readStop(): void {
    if (!this.reading || this.closed || this.id === undefined) return;
    this.reading = false;
    this.socketCall('net.read', [false]);
  }

  shutdown(done: (code: string | null) => void): void {
    if (this.batchBytes > 0) {
      this.shutdownAfterFlush = done;
      if (!this.flushQueued) this.flush();
      return;
    }
    if (this.closed || this.id === undefined) {
      later(() => done(null));
      return;
    }
    try {
      this.socketCall('net.end', []);
    } catch (err) {
      later(() => done(codeOf(err)));
      return;
    }
    later(() => done(null));
  }

  close(): void {
    if (this.id === undefined || this.closed) return;
    // What was written before the close was taken at once (as a kernel takes a write into the
    // socket's buffer, where Node's destroy() leaves it to be sent): it goes out first.
    if (this.batchBytes > 0) this.flush();
    this.closed = true;
    this.batch = [];
    this.batchBytes = 0;
    // A TLS session still hands over its last ciphertext (and then 'cipherClose').
    const first = this.afterClose;
    if (first) listeners.set(this.id, (kind, data) => void first(kind, data));
    else listeners.delete(this.id);
    nodeCall('net.close', [this.id]);
  }

  /** Events that still come once the guest closed this handle (a TLS session's ciphertext). */
  afterClose?: Listener;

  local(): Endpoint | undefined {
    return this.localEnd;
  }

  ref(refed: boolean): void {
    this.refed = refed;
    if (this.id !== undefined && !this.closed) nodeCall('net.ref', [this.id, refed]);
  }
}

/**
 * What a server hears once the guest closed it: connections the daemon accepted before the
 * close but told of after it are closed (as a kernel resets its listener's backlog), else
 * they would hold the process open; 'closed' is the daemon's last word on the server.
 */
function reapLateConnections(id: number): Listener {
  return (kind, data) => {
    if (kind === 'connection') nodeCall('net.close', [(data as { id: number }).id]);
    else if (kind === 'closed') listeners.delete(id);
  };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * One request to the daemon's network that answers once (a lookup, a DNS query): `done`
 * gets null and the answer, or an errno code. The returned function drops the request
 * (dns's Resolver.cancel): its answer, if it comes, is ignored.
 */
export function brokerRequest<T>(op: string, args: unknown[], done: (code: string | null, data?: T) => void): () => void {
  let id: number;
  try {
    id = nodeCall<number>(op, args);
  } catch (err) {
    let dropped = false;
    later(() => dropped || done(codeOf(err)));
    return () => void (dropped = true);
  }
  listeners.set(id, (kind, data) => {
    listeners.delete(id);
    if (kind === 'error') done((data as { code: string }).code);
    else done(null, data as T);
  });
  return () => {
    if (!listeners.delete(id)) return;
    nodeCall('net.close', [id]);
  };
}

export function brokerLookup(name: string, family: 0 | 4 | 6, done: (code: string | null, addresses?: { address: string; family: 4 | 6 }[]) => void): void {
  brokerRequest('net.lookup', [name, family], done);
}

/**
 * A TLS session the daemon runs over a stream the guest holds (src/js/node-host/tls-calls.ts):
 * the handle is its cleartext (a socket handle as any other); the events carry the ciphertext
 * for the guest's stream and the handshake's outcome, and `feed` hands the daemon what the
 * guest read from its stream (false: wait for `want`).
 */
function brokerTlsWrap(request: unknown, events: TlsEvents): TlsSession {
  const id = nodeCall<number>('net.tlsWrap', [request]);
  const first = (kind: string, data: unknown): boolean => {
    switch (kind) {
      case 'cipher':
        events.cipher(data as Uint8Array);
        return true;
      case 'cipherEnd':
        events.cipher(null);
        return true;
      case 'cipherWant':
        events.want();
        return true;
      case 'secure':
        events.secure(data as TlsSessionInfo & { servername?: string | false });
        return true;
      case 'error':
        events.error(data as TlsFailure);
        return true;
      case 'cipherClose':
        events.cipherClose();
        return true;
      default:
        return false;
    }
  };
  const handle = new BrokerHandle(id, undefined, first);
  handle.afterClose = (kind, data) => {
    if (kind === 'cipher' || kind === 'cipherEnd' || kind === 'cipherClose') first(kind, data);
    if (kind === 'cipherClose') listeners.delete(id);
  };
  return {
    handle,
    feed(bytes) {
      try {
        return nodeCall<boolean>('net.tlsFeed', [id, bytes]) !== false;
      } catch (err) {
        if (codeOf(err) === 'EBADF') return true;
        throw err;
      }
    },
  };
}

export const brokerTransport: NetTransport = { open: () => new BrokerHandle(), lookup: brokerLookup, tlsWrap: brokerTlsWrap };
