/**
 * The daemon's half of guest JS `net` and `dns`: a guest process's sockets, servers and
 * lookups as handles on the VM's network (src/net/broker.ts). The guest calls in with
 * `net.*` node calls (each answered at once: the work itself runs on the daemon's event
 * loop) and hears back through `netEvent` entries: connect, data, end, drain, connection,
 * lookup, error. Data reaches the guest only while it reads, and at most a window of it
 * is in the guest's queue at once; writes a guest batches arrive as one call.
 */
import type { Duplex } from 'node:stream';
import { RECORD_TYPES, type NetBroker, type RecordType } from '../../net/broker.js';
import { NetError, type ConnectedStream, type Listener, type NetActor } from '../../net/vm-network.js';
import { UdpCalls } from './udp-calls.js';
import { TlsCalls } from './tls-calls.js';

export type NetDeliver = (id: number, kind: string, data: unknown) => Promise<unknown> | undefined;

export interface SocketEntry {
  kind: 'socket';
  stream?: Duplex;
  refed: boolean;
  reading: boolean;
  /** Bytes delivered to the guest whose entry has not run yet. */
  queued: number;
  /** Waiting for the guest to catch up (queued past the window). */
  held: boolean;
  closed: boolean;
  /** Stops telling the guest of the stream's data, end and drain (it closed its socket). */
  detach?: () => void;
  /** A TLS session over a guest's stream: its ciphertext end (src/net/tls-session.ts). */
  cipher?: { feed(bytes: Uint8Array | null): boolean; destroy(): void };
  /** The guest was told to stop feeding ciphertext until 'cipherWant'. */
  feedStopped?: boolean;
}
interface ServerEntry {
  kind: 'server';
  listener?: Listener;
  refed: boolean;
  closed: boolean;
}
interface LookupEntry {
  kind: 'lookup';
  refed: boolean;
  closed: boolean;
}
type Entry = SocketEntry | ServerEntry | LookupEntry;

/** A host name or address as a guest may pass one (the resolver refuses what is not a name). */
const HOST_TEXT = /^[^\0]{1,300}$/;
const invalid = (message: string) => Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
/** An error as the guest rebuilds it: its code and message, and what OpenSSL's errors carry. */
export const shape = (err: unknown) => {
  const e = err as Record<string, unknown>;
  const extra: Record<string, string> = {};
  for (const key of ['library', 'reason', 'function', 'host']) if (typeof e?.[key] === 'string') extra[key] = e[key] as string;
  if (err instanceof Error && err.name !== 'Error' && err.name !== 'NetError') extra.name = err.name;
  return { code: err instanceof NetError ? err.code : ((e?.code as string | undefined) ?? 'ECONNRESET'), message: err instanceof Error ? err.message : String(err), ...extra };
};

/**
 * The guest closed a socket: what it wrote before was handed to the daemon (a kernel's
 * send buffer, which Node's destroy() leaves to be sent), so it still goes out, then the
 * end; nothing more is read. The connection stays counted against the VM until then, or
 * until `lingerMs` (NET_LINGER_MS) has passed: a peer that never reads cannot hold it, as a
 * kernel gives up an orphaned socket.
 */
function linger(stream: Duplex, detach: (() => void) | undefined, lingerMs: number): void {
  detach?.();
  stream.on('error', () => stream.destroy());
  if (stream.destroyed || stream.writableFinished || stream.writableLength === 0) {
    stream.destroy();
    return;
  }
  giveUpAfter(stream, lingerMs);
  stream.once('finish', () => stream.destroy());
  stream.end();
  // What arrives now goes nowhere (the stream must still flow, or a pair's peer would wait).
  stream.resume();
}

/**
 * The guest closed a TLS session's cleartext: what it wrote is encrypted and, with the
 * close_notify, handed to the guest's stream before the session goes (Node's destroy leaves
 * TLS's last records in the socket's buffer). The session ends once the ciphertext side has
 * delivered its last bytes, or at once if it cannot end.
 */
function endTls(stream: Duplex, cipher: { destroy(): void; once?: unknown }, detach: (() => void) | undefined, lingerMs: number): void {
  detach?.();
  stream.on('error', () => stream.destroy());
  const side = cipher as unknown as Duplex;
  if (stream.destroyed || side.destroyed || side.writableFinished) {
    stream.destroy();
    return;
  }
  giveUpAfter(stream, lingerMs);
  side.once('finish', () => stream.destroy());
  side.once('close', () => stream.destroy());
  stream.end();
  stream.resume();
}

/** Destroys the stream if it is still open after `ms` (the timer goes with it). */
function giveUpAfter(stream: Duplex, ms: number): void {
  const timer = setTimeout(() => stream.destroy(), ms);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}

export class NetCalls {
  private readonly handles = new Map<number, Entry>();
  private nextId = 1;
  /** Its UDP sockets (dgram), on the same ids and events. */
  private readonly udp: UdpCalls;
  private tlsCalls: TlsCalls | undefined;

  constructor(
    private readonly network: NetBroker | undefined,
    private readonly who: NetActor,
    private readonly deliver: NetDeliver,
    /** Bytes of one connection in the guest's queue before the daemon stops reading it. */
    private readonly windowBytes: number,
    /** A handle closed or was unref'd: the process may be done. */
    private readonly changed: () => void,
  ) {
    this.udp = new UdpCalls(who, deliver, windowBytes, () => this.nextId++, changed);
  }

  /** Handles that keep the process alive (Node's ref'd handles). */
  get refed(): number {
    let n = this.udp.refed;
    for (const h of this.handles.values()) if (h.refed && !h.closed) n++;
    return n;
  }

  call(op: string, args: unknown[]): unknown {
    const network = this.network;
    if (!network) throw Object.assign(new Error('this process has no network'), { code: 'ENETDOWN' });
    switch (op) {
      case 'net.connect':
        return this.connect(network, args[0], args[1], args[2]);
      case 'net.listen':
        return this.listen(network, args[0], args[1], args[2]);
      case 'net.lookup':
        return this.lookup(network, args[0], args[1]);
      case 'net.resolve':
        return this.resolve(network, args[0], args[1]);
      case 'net.lookupService':
        return this.lookupService(network, args[0], args[1]);
      case 'net.read':
        this.read(this.socket(args[0]), args[1] === true);
        return null;
      case 'net.write':
        return this.write(this.socket(args[0]), args[1]);
      case 'net.end':
        this.socket(args[0]).stream?.end();
        return null;
      case 'net.close':
        this.close(args[0] as number);
        return null;
      case 'net.tlsCheck':
      case 'net.tlsWrap':
      case 'net.tlsFeed':
      case 'net.tlsForget':
        this.tlsCalls ??= new TlsCalls(network, {
          add: (entry) => this.add(entry),
          drop: (id) => this.handles.delete(id),
          attach: (id, entry, stream) => this.attach(id, entry, stream),
          socket: (id) => this.socket(id),
          deliver: this.deliver,
        });
        return this.tlsCalls.call(op, args);
      case 'net.ref': {
        const h = this.handles.get(args[0] as number);
        if (h) h.refed = args[1] === true;
        this.changed();
        return null;
      }
      default:
        if (op.startsWith('net.udp.')) return this.udp.call(network, op, args);
        throw Object.assign(new Error(`unknown net call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  private add(entry: SocketEntry | ServerEntry | LookupEntry): number {
    const id = this.nextId++;
    this.handles.set(id, entry);
    return id;
  }

  private socket(id: unknown): SocketEntry {
    const h = typeof id === 'number' ? this.handles.get(id) : undefined;
    if (!h || h.kind !== 'socket' || h.closed) throw Object.assign(new Error('bad socket handle'), { code: 'EBADF' });
    return h;
  }

  private connect(network: NetBroker, host: unknown, port: unknown, tls: unknown): number {
    if (typeof host !== 'string' || !HOST_TEXT.test(host)) throw invalid('The "host" argument must be a host name or address');
    if (typeof port !== 'number') throw invalid('The "port" argument must be a number');
    const t = tls && typeof tls === 'object' ? (tls as Record<string, unknown>) : undefined;
    const entry: SocketEntry = { kind: 'socket', refed: true, reading: false, queued: 0, held: false, closed: false };
    const id = this.add(entry);
    const target = {
      host,
      port,
      ...(t
        ? {
            tls: {
              ...(typeof t.servername === 'string' ? { servername: t.servername } : {}),
              ...(Array.isArray(t.alpnProtocols) ? { alpnProtocols: t.alpnProtocols.filter((p): p is string => typeof p === 'string') } : {}),
              rejectUnauthorized: t.rejectUnauthorized !== false,
            },
          }
        : {}),
    };
    network.connect(target, this.who).then(
      (connected) => {
        if (entry.closed) {
          connected.stream.destroy();
          return;
        }
        this.attach(id, entry, connected.stream);
        void this.deliver(id, 'connect', { local: connected.local, remote: connected.remote, alpnProtocol: connected.alpnProtocol, ...(connected.tls ? { tls: connected.tls } : {}) });
      },
      (err: unknown) => {
        if (entry.closed) return;
        entry.closed = true;
        this.handles.delete(id);
        void this.deliver(id, 'error', shape(err));
        this.changed();
      },
    );
    return id;
  }

  private attach(id: number, entry: SocketEntry, stream: Duplex): void {
    entry.stream = stream;
    stream.pause();
    const onData = (chunk: Buffer) => {
      entry.queued += chunk.byteLength;
      const settled = this.deliver(id, 'data', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (entry.queued >= this.windowBytes && !entry.held) {
        entry.held = true;
        stream.pause();
      }
      const done = () => {
        entry.queued -= chunk.byteLength;
        if (entry.held && entry.queued < this.windowBytes) {
          entry.held = false;
          if (entry.reading && !entry.closed) stream.resume();
        }
      };
      if (settled) settled.then(done, done);
      else done();
    };
    const onEnd = () => void this.deliver(id, 'end', null);
    const onDrain = () => void this.deliver(id, 'drain', null);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('drain', onDrain);
    entry.detach = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('drain', onDrain);
    };
    stream.on('error', (err) => {
      if (!entry.closed) void this.deliver(id, 'error', shape(err));
    });
    stream.on('close', () => {
      if (entry.closed) return;
      entry.closed = true;
      this.handles.delete(id);
      void this.deliver(id, 'close', null);
      this.changed();
    });
  }

  private read(entry: SocketEntry, on: boolean): void {
    entry.reading = on;
    if (!entry.stream) return;
    if (on && !entry.held) entry.stream.resume();
    else if (!on) entry.stream.pause();
  }

  /** True when the guest may write more now; false: wait for 'drain'. */
  private write(entry: SocketEntry, data: unknown): boolean {
    if (!(data instanceof Uint8Array)) throw invalid('The "data" argument must be bytes');
    if (!entry.stream || entry.stream.writableEnded) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    return entry.stream.write(data);
  }

  private listen(network: NetBroker, address: unknown, port: unknown, backlog: unknown): { id: number; port?: number; pending?: true } {
    if (typeof address !== 'string' || typeof port !== 'number') throw invalid('invalid listen request');
    const entry: ServerEntry = { kind: 'server', refed: true, closed: false };
    const onConnection = (peer: ConnectedStream) => {
      if (entry.closed) {
        peer.stream.destroy();
        return;
      }
      const socket: SocketEntry = { kind: 'socket', refed: true, reading: false, queued: 0, held: false, closed: false };
      const peerId = this.add(socket);
      this.attach(peerId, socket, peer.stream);
      void this.deliver(id, 'connection', { id: peerId, local: peer.local, remote: peer.remote });
    };
    const result = network.listenNow({ address, port, backlog: typeof backlog === 'number' ? backlog : 511 }, this.who, onConnection);
    const id = this.add(entry);
    if (!(result instanceof Promise)) {
      entry.listener = result;
      return { id, port: result.port };
    }
    result.then(
      (listener) => {
        if (entry.closed) return listener.close();
        entry.listener = listener;
        void this.deliver(id, 'listening', { port: listener.port });
      },
      (err: unknown) => {
        entry.closed = true;
        this.handles.delete(id);
        void this.deliver(id, 'error', shape(err));
        this.changed();
      },
    );
    return { id, pending: true };
  }

  private lookup(network: NetBroker, name: unknown, family: unknown): number {
    if (typeof name !== 'string' || !HOST_TEXT.test(name)) throw invalid('The "hostname" argument must be a string');
    const fam = family === 4 || family === 6 ? family : 0;
    return this.answer('lookup', network.lookup(name, fam, this.who));
  }

  /** dns.resolve* and dns.reverse: records of a name, names of an address. */
  private resolve(network: NetBroker, name: unknown, rrtype: unknown): number {
    if (typeof name !== 'string' || !HOST_TEXT.test(name)) throw invalid('The "name" argument must be a string');
    if (typeof rrtype !== 'string' || !RECORD_TYPES.has(rrtype)) throw Object.assign(new TypeError(`unknown record type ${String(rrtype)}`), { code: 'ERR_INVALID_ARG_VALUE' });
    return this.answer('records', network.records(name, rrtype as RecordType, this.who));
  }

  /** dns.lookupService: the name and service of an address and port. */
  private lookupService(network: NetBroker, address: unknown, port: unknown): number {
    if (typeof address !== 'string' || !HOST_TEXT.test(address)) throw invalid('The "address" argument must be a string');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw invalid('The "port" argument must be a port number');
    return this.answer('service', network.lookupService(address, port, this.who));
  }

  /** A handle for one answer to come: the process stays alive until it arrives (or the guest drops it). */
  private answer(kind: string, work: Promise<unknown>): number {
    const entry: LookupEntry = { kind: 'lookup', refed: true, closed: false };
    const id = this.add(entry);
    const finish = (event: string, data: unknown) => {
      if (entry.closed) return;
      entry.closed = true;
      this.handles.delete(id);
      void this.deliver(id, event, data);
      this.changed();
    };
    work.then(
      (data) => finish(kind, data),
      (err: unknown) => finish('error', shape(err)),
    );
    return id;
  }

  private close(id: number): void {
    const h = this.handles.get(id);
    if (!h) return;
    h.closed = true;
    this.handles.delete(id);
    if (h.kind === 'socket') {
      const lingerMs = this.network?.lingerMs ?? 0;
      if (h.cipher && h.stream) endTls(h.stream, h.cipher, h.detach, lingerMs);
      else if (h.stream) linger(h.stream, h.detach, lingerMs);
    } else if (h.kind === 'server') h.listener?.close();
    this.changed();
  }

  dispose(): void {
    for (const id of [...this.handles.keys()]) this.close(id);
    this.udp.dispose();
  }
}
