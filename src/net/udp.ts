import { createSocket, type Socket as HostSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { formatTarget } from '../permissions/network-match.js';
import { canonicalAddress, restrictedKind } from './addresses.js';
import { NetError, type NetActor } from './vm-network.js';

/**
 * One VM's UDP: its sockets, a port table of their own (UDP ports are not TCP's), and the
 * routing of each datagram. A datagram to the VM's loopback (127/8, ::1, the unspecified
 * address, which Linux sends to loopback) goes in memory to the socket of this VM bound
 * there, never near the host's network; one to any other address is judged by the VM's
 * network policy as a TCP connect is (the broker's judge, its address rule, its denial log)
 * and leaves through a host node:dgram socket of the daemon, counted in the VM's bytes. A
 * host socket takes in only datagrams from the peers its guest socket sent to (as a
 * stateful firewall lets replies in), or from other ports of those hosts that the policy
 * allows (repliesFrom). Receive queues are bounded per socket (its receive
 * buffer, as Linux: a datagram past it is dropped) and per VM (NET_UDP_QUEUE_BYTES_PER_VM).
 */

export interface UdpBounds {
  /** Sockets the VM holds bound at once (NET_UDP_SOCKETS_PER_VM). */
  sockets: number;
  /** Datagram bytes queued in the daemon for the VM's sockets, both ways (NET_UDP_QUEUE_BYTES_PER_VM). */
  queueBytes: number;
  /** Peers one socket remembers having sent to, whose replies it takes in (NET_UDP_PEERS_PER_SOCKET). */
  peersPerSocket: number;
}

/** What the broker lends the UDP table: its judge, its byte meter, its limit log. */
export interface UdpContext {
  bounds: UdpBounds;
  /** Whether the policy lets `who` send to address:port (logged and counted when not). */
  mayReach(address: string, port: number, who: NetActor): Promise<boolean>;
  /** The policy's verdict on address:port, without logging (a loopback port of the host reached only by a rule naming it). */
  verdict(address: string, port: number): 'allow' | 'deny' | 'ask';
  take(direction: 'in' | 'out', n: number): Error | undefined;
  onLimit(limit: string, observed: number, capacity: number, env: string): void;
  /** The VM's UDP sockets changed in number (vm/stats). */
  counted(sockets: number): void;
}

export interface UdpEndpoint {
  address: string;
  family: 4 | 6;
  port: number;
}

export interface Datagram {
  data: Buffer;
  from: UdpEndpoint;
}

/** Linux's sysctl defaults for socket buffers (net.core.[rw]mem_default, [rw]mem_max). */
const LINUX_BUFFER_DEFAULT = 212_992;
const LINUX_BUFFER_TOP = 212_992;
/** The largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8). */
export const MAX_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;
/** What a queued datagram costs beyond its bytes (its record), as Linux charges an skb's overhead: empty datagrams are not free. */
export const DATAGRAM_OVERHEAD = 256;
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;
/** One log line a second at most for a full queue (as DenialLog does for denials). */
const LOG_EVERY_MS = 1000;
export const UV_UDP_IPV6ONLY = 1;
export const UV_UDP_REUSEADDR = 4;

const loopbackOf = (family: 4 | 6) => (family === 4 ? '127.0.0.1' : '::1');
const isWildcard = (address: string) => address === '0.0.0.0' || address === '::';
const v4Mapped = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];

/** What a socket of `family` may bind to: the VM has only its loopback. */
function bindable(family: 4 | 6, address: string): string | undefined {
  if (isIP(address) !== family) return 'EINVAL';
  if (isWildcard(address)) return undefined;
  const kind = restrictedKind(address);
  return kind === 'loopback' ? undefined : 'EADDRNOTAVAIL';
}

export class UdpSocket {
  local: UdpEndpoint | undefined;
  peer: UdpEndpoint | undefined;
  reuseAddr = false;
  ipv6Only = false;
  recvBuffer = LINUX_BUFFER_DEFAULT;
  sendBuffer = LINUX_BUFFER_DEFAULT;
  broadcast = false;
  readonly queue: Datagram[] = [];
  queuedBytes = 0;
  /** Bytes handed to the host socket and not yet sent. */
  sendingBytes = 0;
  sendingCount = 0;
  closed = false;
  /** Order of binding: of sockets sharing a port, the last bound gets unicast (as Linux). */
  boundAt = 0;
  host: HostSocket | undefined;
  readonly contacted = new Set<string>();
  /** A datagram (or an asynchronous error) is waiting for the process's side. */
  onReadable: () => void = () => {};
  onError: (code: string) => void = () => {};

  constructor(readonly family: 4 | 6, private readonly table: VmUdp) {}

  bind(address: string, port: number, flags: number): string | undefined {
    return this.table.bind(this, address, port, flags);
  }

  connect(address: string, port: number): string | undefined {
    if (this.closed) return 'EBADF';
    const wrong = this.destination(address);
    if (wrong) return wrong;
    if (!Number.isInteger(port) || port <= 0 || port > 65_535) return 'EINVAL';
    if (!this.local) {
      const err = this.bind(this.family === 4 ? '0.0.0.0' : '::', 0, 0);
      if (err) return err;
    }
    // Connecting to the unspecified address means the loopback, as in Linux.
    this.peer = { address: isWildcard(address) ? loopbackOf(this.family) : address, family: this.family, port };
    return undefined;
  }

  disconnect(): string | undefined {
    if (!this.peer) return 'ENOTCONN';
    this.peer = undefined;
    return undefined;
  }

  /** Whether `address` can be a destination of this socket: EINVAL when not of its family. */
  private destination(address: string): string | undefined {
    if (isIP(address) !== this.family) return 'EINVAL';
    return undefined;
  }

  /**
   * Sends one datagram. A number: sent at once (its size); a promise: it goes to the world
   * and settles with its size or an errno code; a string: the errno, nothing sent.
   */
  send(data: Buffer, address: string | undefined, port: number | undefined, who: NetActor, addressOverridesPeer = false): number | string | Promise<number> {
    if (this.closed || !this.local) return 'EBADF';
    let to: UdpEndpoint;
    if (address === undefined) {
      if (!this.peer) return 'EDESTADDRREQ';
      to = this.peer;
    } else {
      // Node refuses an address on a connected socket; Linux's sendto sends there (addressOverridesPeer).
      if (this.peer && !addressOverridesPeer) return 'EISCONN';
      const wrong = this.destination(address);
      if (wrong) return wrong;
      if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65_535) return 'EINVAL';
      to = { address, family: this.family, port };
    }
    if (data.byteLength > MAX_PAYLOAD[this.family]) return 'EMSGSIZE';
    return this.table.route(this, data, to, who);
  }

  /** The next datagram for the process, if any. */
  shift(): Datagram | undefined {
    const next = this.queue.shift();
    if (next) this.table.dequeued(this, next.data.byteLength + DATAGRAM_OVERHEAD);
    return next;
  }

  /** Whether the process may take one more datagram into this socket's queue. */
  accept(datagram: Datagram): boolean {
    const n = datagram.data.byteLength + DATAGRAM_OVERHEAD;
    if (this.closed || this.queuedBytes + n > this.recvBuffer) return false;
    if (!this.table.reserve(n)) return false;
    this.queue.push(datagram);
    this.queuedBytes += n;
    this.onReadable();
    return true;
  }

  /** SO_RCVBUF/SO_SNDBUF as Linux: what is set is doubled (for bookkeeping), up to twice the ceiling. */
  bufferSize(size: number, recv: boolean): number | string {
    if (!this.local) return 'EBADF';
    if (size > 0x7fff_ffff) return 'EINVAL';
    if (size > 0) {
      const value = Math.max(Math.min(size, LINUX_BUFFER_TOP) * 2, recv ? 2304 : 4608);
      if (recv) this.recvBuffer = value;
      else this.sendBuffer = value;
    }
    return recv ? this.recvBuffer : this.sendBuffer;
  }

  close(): void {
    this.table.close(this);
  }
}

export class VmUdp {
  /** Port → the sockets bound on it. */
  private readonly ports = new Map<number, UdpSocket[]>();
  private readonly sockets = new Set<UdpSocket>();
  private nextEphemeral = EPHEMERAL_FIRST;
  private bindings = 0;
  private queuedBytes = 0;
  private queueFullLoggedAt = -Infinity;
  private disposed = false;

  constructor(private readonly c: UdpContext) {}

  /** A new socket, not bound yet (it holds nothing until it binds, as libuv's lazy socket). */
  open(family: 4 | 6): UdpSocket {
    return new UdpSocket(family, this);
  }

  get count(): number {
    return this.sockets.size;
  }

  bind(socket: UdpSocket, address: string, port: number, flags: number): string | undefined {
    if (this.disposed || socket.closed) return 'EBADF';
    if (socket.local) return 'EINVAL';
    const bad = bindable(socket.family, address);
    if (bad) return bad;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) return 'EINVAL';
    if (this.sockets.size >= this.c.bounds.sockets) {
      this.c.onLimit('net_udp_sockets_per_vm', this.sockets.size + 1, this.c.bounds.sockets, 'AGENTOS_NET_UDP_SOCKETS_PER_VM');
      return 'EMFILE';
    }
    socket.reuseAddr = (flags & UV_UDP_REUSEADDR) !== 0;
    socket.ipv6Only = socket.family === 6 && (flags & UV_UDP_IPV6ONLY) !== 0;
    const chosen = port === 0 ? this.ephemeral(socket, address) : port;
    if (chosen === undefined) return 'EADDRINUSE';
    const sharing = this.ports.get(chosen) ?? [];
    const me = { family: socket.family, address, ipv6Only: socket.ipv6Only };
    for (const other of sharing) {
      if (overlaps(me, { family: other.family, address: other.local!.address, ipv6Only: other.ipv6Only }) && !(socket.reuseAddr && other.reuseAddr)) return 'EADDRINUSE';
    }
    socket.local = { address, family: socket.family, port: chosen };
    socket.boundAt = ++this.bindings;
    this.ports.set(chosen, [...sharing, socket]);
    this.sockets.add(socket);
    this.c.counted(this.sockets.size);
    return undefined;
  }

  private ephemeral(socket: UdpSocket, address: string): number | undefined {
    for (let tries = 0; tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port >= EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      const sharing = this.ports.get(port);
      if (!sharing || !sharing.some((o) => overlaps({ family: socket.family, address, ipv6Only: socket.ipv6Only }, { family: o.family, address: o.local!.address, ipv6Only: o.ipv6Only }))) return port;
    }
    return undefined;
  }

  route(from: UdpSocket, data: Buffer, to: UdpEndpoint, who: NetActor): number | string | Promise<number> {
    if (this.disposed) return 'ENETDOWN';
    const mapped = to.family === 6 ? v4Mapped(to.address) : undefined;
    const dest = mapped ?? to.address;
    const kind = restrictedKind(dest);
    if (kind !== 'loopback' && !isWildcard(dest)) return this.sendOut(from, data, to, who);
    const local = this.receiver(from, to, mapped !== undefined);
    if (local) {
      // The receiver's buffer copies the bytes: the sender's buffer is its own again at once.
      local.target.accept({ data: Buffer.from(data), from: local.source });
      return data.byteLength;
    }
    // Nothing of the VM is bound there: a host's own loopback port is reached only when a
    // rule names it (as for TCP); else it is the VM's loopback, where nobody listens.
    if (kind === 'loopback' && this.c.verdict(dest, to.port) !== 'deny') return this.sendOut(from, data, to, who);
    // Linux reports the ICMP port unreachable to a connected sender, on its next receive.
    if (from.peer) from.onError('ECONNREFUSED');
    return data.byteLength;
  }

  /** The socket of this VM bound where a loopback datagram goes, and the source it sees. */
  private receiver(from: UdpSocket, to: UdpEndpoint, mapped: boolean): { target: UdpSocket; source: UdpEndpoint } | undefined {
    const v4 = to.family === 4 || mapped;
    const dest = isWildcard(to.address) ? loopbackOf(to.family) : to.address;
    const destV4 = mapped ? v4Mapped(dest)! : dest;
    const local = from.local!;
    // The source address a receiver sees: the sender's own, or the loopback it went out on.
    const srcV4 = local.family === 4 ? (isWildcard(local.address) ? '127.0.0.1' : local.address) : (v4Mapped(local.address) ?? '127.0.0.1');
    const srcV6 = isWildcard(local.address) ? '::1' : local.address;
    const candidates = (this.ports.get(to.port) ?? []).filter((s) => {
      if (s.closed) return false;
      const a = s.local!.address;
      if (v4) {
        if (s.family === 4) return a === '0.0.0.0' || a === destV4;
        return (a === '::' && !s.ipv6Only) || v4Mapped(a) === destV4;
      }
      return s.family === 6 && (a === '::' || canonicalAddress(a) === canonicalAddress(dest));
    });
    const source = (s: UdpSocket): UdpEndpoint => {
      if (!v4) return { address: srcV6, family: 6, port: local.port };
      return s.family === 4 ? { address: srcV4, family: 4, port: local.port } : { address: `::ffff:${srcV4}`, family: 6, port: local.port };
    };
    // A connected socket takes only what its peer sends; of the rest, an exact address beats a
    // wildcard, then the socket bound last (Linux's SO_REUSEADDR for unicast).
    const willing = candidates.filter((s) => !s.peer || (s.peer.port === local.port && sameHost(s.peer.address, source(s).address)));
    willing.sort((a, b) => Number(isWildcard(a.local!.address)) - Number(isWildcard(b.local!.address)) || b.boundAt - a.boundAt);
    const target = willing[0];
    return target && { target, source: source(target) };
  }

  private async sendOut(from: UdpSocket, data: Buffer, to: UdpEndpoint, who: NetActor): Promise<number> {
    const address = canonicalAddress(to.address);
    if (to.port === 0) throw new NetError('EINVAL', 'send EINVAL');
    if (!(await this.c.mayReach(address, to.port, who))) throw new NetError('EPERM', `send EPERM ${formatTarget({ host: address, port: to.port })}`);
    if (from.closed || this.disposed) throw new NetError('EBADF', 'send EBADF');
    const n = data.byteLength;
    if (from.sendingBytes + n > from.sendBuffer) throw new NetError('ENOBUFS', 'send ENOBUFS');
    if (!this.reserve(n)) throw new NetError('ENOBUFS', 'send ENOBUFS');
    const over = this.c.take('out', n);
    if (over) {
      this.dequeuedBytes(n);
      throw over;
    }
    const host = this.hostSocket(from);
    const key = `${address}|${to.port}`;
    from.contacted.delete(key);
    if (from.contacted.size >= this.c.bounds.peersPerSocket) from.contacted.delete(from.contacted.values().next().value as string);
    from.contacted.add(key);
    from.sendingBytes += n;
    from.sendingCount++;
    try {
      return await new Promise<number>((resolve, reject) => {
        host.send(data, to.port, to.address, (err) => {
          if (err) reject(new NetError((err as { code?: string }).code ?? 'EIO', err.message));
          else resolve(n);
        });
      });
    } finally {
      from.sendingBytes -= n;
      from.sendingCount--;
      this.dequeuedBytes(n);
    }
  }

  /** The daemon's socket for one guest socket's traffic to the world, made on its first datagram out. */
  private hostSocket(from: UdpSocket): HostSocket {
    if (from.host) return from.host;
    const host = createSocket({ type: from.family === 6 ? 'udp6' : 'udp4' });
    from.host = host;
    host.on('error', () => {});
    host.on('message', (msg, rinfo) => {
      if (from.closed || !this.repliesFrom(from, canonicalAddress(rinfo.address), rinfo.port)) return;
      if (from.queuedBytes + msg.byteLength + DATAGRAM_OVERHEAD > from.recvBuffer) return;
      if (this.c.take('in', msg.byteLength)) return;
      from.accept({ data: msg, from: { address: rinfo.address, family: rinfo.family === 'IPv6' ? 6 : 4, port: rinfo.port } });
    });
    host.unref();
    return host;
  }

  /**
   * Whether a datagram from the world may come in: from a peer the socket sent to (a
   * stateful firewall's reply), or from another port of a host it sent to when the policy
   * lets the VM reach that port too (a TFTP server answers from a new port, RFC 1350; a
   * firewall's TFTP helper lets that in). Nothing is asked of the host for a datagram in.
   */
  private repliesFrom(socket: UdpSocket, address: string, port: number): boolean {
    if (socket.contacted.has(`${address}|${port}`)) return true;
    const host = `${address}|`;
    for (const key of socket.contacted) if (key.startsWith(host)) return this.c.verdict(address, port) === 'allow';
    return false;
  }

  /** Room for `n` more queued bytes in the VM; false (and the limit logged) when there is none. */
  reserve(n: number): boolean {
    if (this.queuedBytes + n > this.c.bounds.queueBytes) {
      // A flood drops datagram after datagram: the log hears of it once a second, not for each.
      const now = performance.now();
      if (now - this.queueFullLoggedAt < LOG_EVERY_MS) return false;
      this.queueFullLoggedAt = now;
      this.c.onLimit('net_udp_queue_bytes_per_vm', this.queuedBytes + n, this.c.bounds.queueBytes, 'AGENTOS_NET_UDP_QUEUE_BYTES_PER_VM');
      return false;
    }
    this.queuedBytes += n;
    return true;
  }

  dequeued(socket: UdpSocket, n: number): void {
    socket.queuedBytes -= n;
    this.dequeuedBytes(n);
  }

  private dequeuedBytes(n: number): void {
    this.queuedBytes -= n;
  }

  close(socket: UdpSocket): void {
    if (socket.closed) return;
    socket.closed = true;
    this.dequeuedBytes(socket.queuedBytes);
    socket.queue.length = 0;
    socket.queuedBytes = 0;
    socket.host?.close();
    socket.host = undefined;
    if (socket.local) {
      const left = (this.ports.get(socket.local.port) ?? []).filter((s) => s !== socket);
      if (left.length > 0) this.ports.set(socket.local.port, left);
      else this.ports.delete(socket.local.port);
    }
    if (this.sockets.delete(socket)) this.c.counted(this.sockets.size);
  }

  dispose(): void {
    this.disposed = true;
    for (const socket of [...this.sockets]) this.close(socket);
  }
}

function sameHost(a: string, b: string): boolean {
  return canonicalAddress(v4Mapped(a) ?? a) === canonicalAddress(v4Mapped(b) ?? b);
}

type Bound = { family: 4 | 6; address: string; ipv6Only: boolean };

/** Whether two bindings of one port would take the same datagrams (Linux's conflict rule). */
function overlaps(a: Bound, b: Bound): boolean {
  const covers = (w: Bound, o: Bound) => {
    if (w.family === 6 && w.address === '::') return o.family === 6 || !w.ipv6Only;
    if (w.family === 4 && w.address === '0.0.0.0') return o.family === 4 || (o.family === 6 && v4Mapped(o.address) !== undefined);
    return false;
  };
  if (covers(a, b) || covers(b, a)) return true;
  const x = a.family === 6 ? (v4Mapped(a.address) ?? a.address) : a.address;
  const y = b.family === 6 ? (v4Mapped(b.address) ?? b.address) : b.address;
  return canonicalAddress(x) === canonicalAddress(y);
}
