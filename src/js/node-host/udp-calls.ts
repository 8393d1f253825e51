/**
 * The daemon's half of guest JS `dgram`: a guest process's UDP sockets as handles on the
 * VM's UDP table (src/net/udp.ts), driven by `net.udp.*` node calls (each answered at
 * once) and told what happened through the same `netEvent` entries as its TCP sockets:
 * message, error, sent. Datagrams reach the guest only while it receives, and at most a
 * window of bytes is in the guest's queue at once; the rest wait in the socket's queue in
 * the daemon (bounded, as a kernel's receive buffer).
 */
import type { NetBroker } from '../../net/broker.js';
import { DATAGRAM_OVERHEAD, type UdpSocket } from '../../net/udp.js';
import { NetError, type NetActor } from '../../net/vm-network.js';
import type { NetDeliver } from './net-calls.js';

interface UdpEntry {
  socket: UdpSocket;
  refed: boolean;
  reading: boolean;
  /** Bytes delivered to the guest whose entry has not run yet. */
  inGuest: number;
  /** Sends to the world on their way: the process lives while they are (as libuv's write queue). */
  sending: number;
  closed: boolean;
}

const invalid = (message: string) => Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
const codeOf = (err: unknown) => (err instanceof NetError ? err.code : ((err as { code?: string })?.code ?? 'EIO'));

export class UdpCalls {
  private readonly handles = new Map<number, UdpEntry>();

  constructor(
    private readonly who: NetActor,
    private readonly deliver: NetDeliver,
    private readonly windowBytes: number,
    private readonly newId: () => number,
    private readonly changed: () => void,
  ) {}

  /** Handles that keep the process alive: referenced and receiving or sending (libuv's active handles). */
  get refed(): number {
    let n = 0;
    for (const h of this.handles.values()) if (h.refed && !h.closed && (h.reading || h.sending > 0)) n++;
    return n;
  }

  call(network: NetBroker, op: string, args: unknown[]): unknown {
    if (op === 'net.udp.open') return this.open(network, args[0]);
    const h = this.entry(args[0]);
    const s = h.socket;
    switch (op) {
      case 'net.udp.bind':
        if (typeof args[1] !== 'string' || typeof args[2] !== 'number' || typeof args[3] !== 'number') throw invalid('invalid bind request');
        return s.bind(args[1], args[2], args[3]) ?? null;
      case 'net.udp.connect':
        if (typeof args[1] !== 'string' || typeof args[2] !== 'number') throw invalid('invalid connect request');
        return s.connect(args[1], args[2]) ?? null;
      case 'net.udp.disconnect':
        return s.disconnect() ?? null;
      case 'net.udp.local':
        return s.local ? { ...s.local } : 'EBADF';
      case 'net.udp.remote':
        return s.peer ? { ...s.peer } : 'ENOTCONN';
      case 'net.udp.send':
        return this.send(args[0] as number, h, args[1], args[2], args[3], args[4]);
      case 'net.udp.recv':
        h.reading = args[1] === true;
        this.pump(args[0] as number, h);
        this.changed();
        return null;
      case 'net.udp.buffer':
        if (typeof args[1] !== 'number') throw invalid('invalid buffer size');
        return s.bufferSize(args[1], args[2] === true);
      case 'net.udp.queue':
        return { size: s.sendingBytes, count: s.sendingCount };
      case 'net.udp.ref':
        h.refed = args[1] === true;
        this.changed();
        return null;
      case 'net.udp.close':
        this.close(args[0] as number);
        return null;
      default:
        throw Object.assign(new Error(`unknown net call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  private entry(id: unknown): UdpEntry {
    const h = typeof id === 'number' ? this.handles.get(id) : undefined;
    if (!h || h.closed) throw Object.assign(new Error('bad socket handle'), { code: 'EBADF' });
    return h;
  }

  private open(network: NetBroker, family: unknown): number {
    if (family !== 4 && family !== 6) throw invalid('The "family" argument must be 4 or 6');
    const id = this.newId();
    const entry: UdpEntry = { socket: network.udp.open(family), refed: true, reading: false, inGuest: 0, sending: 0, closed: false };
    entry.socket.onReadable = () => this.pump(id, entry);
    entry.socket.onError = (code) => {
      if (!entry.closed) void this.deliver(id, 'error', { code });
    };
    this.handles.set(id, entry);
    return id;
  }

  /** A number: sent now (its size); a string: the errno; null: the answer comes as a 'sent' event for `req`. */
  private send(id: number, h: UdpEntry, data: unknown, address: unknown, port: unknown, req: unknown): number | string | null {
    if (!(data instanceof Uint8Array)) throw invalid('The "data" argument must be bytes');
    const to = typeof address === 'string' ? address : undefined;
    const result = h.socket.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength), to, typeof port === 'number' ? port : undefined, this.who);
    if (!(result instanceof Promise)) return result;
    h.sending++;
    this.changed();
    const done = (code: string | null, size: number) => {
      h.sending--;
      if (!h.closed && typeof req === 'number') void this.deliver(id, 'sent', { req, code, size });
      this.changed();
    };
    result.then(
      (size) => done(null, size),
      (err: unknown) => done(codeOf(err), 0),
    );
    return null;
  }

  /** Hands datagrams to the guest while it receives and its window has room. */
  private pump(id: number, h: UdpEntry): void {
    while (h.reading && !h.closed && h.inGuest < this.windowBytes) {
      const next = h.socket.shift();
      if (!next) return;
      const n = next.data.byteLength + DATAGRAM_OVERHEAD;
      h.inGuest += n;
      const settled = this.deliver(id, 'message', { data: new Uint8Array(next.data.buffer, next.data.byteOffset, next.data.byteLength), address: next.from.address, family: next.from.family, port: next.from.port });
      const done = () => {
        h.inGuest -= n;
        this.pump(id, h);
      };
      if (settled) settled.then(done, done);
      else h.inGuest -= n;
    }
  }

  private close(id: number): void {
    const h = this.handles.get(id);
    if (!h) return;
    h.closed = true;
    this.handles.delete(id);
    h.socket.close();
    this.changed();
  }

  dispose(): void {
    for (const id of [...this.handles.keys()]) this.close(id);
  }
}
