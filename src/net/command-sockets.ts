import { newPipeBuffer } from '../process/pipe-ring.js';
import { SOCK_CONNECTED, SOCK_CONNECTING, SOCK_FAILED, SOCK_FRESH, SOCK_LISTENING, SOCKET_CONTROL_BYTES, SocketChannel, type SocketBuffers } from '../process/socket-channel.js';
import { errnoOf } from '../wasm/runner/errno.js';
import type { SocketSpec } from '../wasm/runner/sockets.js';
import { CommandDatagram } from './command-datagrams.js';
import { SocketPump } from './socket-pump.js';
import { NetError, type ConnectedStream, type ConnectTarget, type Listener, type NetActor, type ResolvedAddress, type VmNetwork } from './vm-network.js';


/** An address as the command ABI writes it: `host:port`, `[v6]:port`. */
export interface SockAddr {
  address: string;
  port: number;
  family: 4 | 6;
}

interface Socket {
  readonly id: number;
  readonly channel: SocketChannel;
  readonly family: 4 | 6;
  /** A UDP socket (SOCK_DGRAM): its datagrams go through the VM's UDP table, not the channel's rings. */
  dgram?: CommandDatagram;
  /** Fds, across the VM's processes, that hold it. */
  refs: number;
  bound?: SockAddr;
  local?: SockAddr;
  remote?: SockAddr;
  pump?: SocketPump;
  /** What the guest connected to (a name when it looked one up), for a later TLS upgrade. */
  target?: { host: string; port: number; lookedUp?: boolean };
  listener?: Listener;
  /** Peers accepted by the VM's network, waiting for the guest's accept. */
  queue: ConnectedStream[];
  backlog: number;
}

/** A socket as the runner gets it: its id, its shared memory, and its addresses when known. */
export interface SocketHandle {
  id: number;
  buffers: SocketBuffers;
  local?: SockAddr;
  remote?: SockAddr;
}

/**
 * The sockets of one VM's command binaries (host_net), kept in the daemon: each a channel
 * (socket-channel.ts) the runners read and write, and, once connected, a stream from the
 * VM's network pumped into it. Counted like pipes: each fd that holds one, in whichever
 * process, is a reference; the last one gone closes it. Every operation that reaches
 * outside the VM (connect, listen, lookup) goes through `VmNetwork`, which judges it.
 */
export class CommandSockets {
  private readonly sockets = new Map<number, Socket>();
  private nextId = 1;
  private disposed = false;
  /** Address → the name a lookup of this VM's gave it, newest last. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly network: () => VmNetwork,
    private readonly bufferBytes: number,
    private readonly maxSockets: number,
    private readonly onRefused?: (observed: number, capacity: number) => void,
  ) {}

  get size(): number {
    return this.sockets.size;
  }

  /** socket(2): a fresh socket held by one fd; a datagram one is a socket of the VM's UDP table. */
  create(family: 4 | 6, type: 'stream' | 'dgram' = 'stream'): SocketHandle {
    if (this.disposed) throw new NetError('ENETDOWN', 'socket');
    if (this.sockets.size >= this.maxSockets) {
      this.onRefused?.(this.sockets.size + 1, this.maxSockets);
      throw new NetError('ENFILE', `the VM already holds ${this.maxSockets} sockets (AGENTOS_MAX_SOCKETS_PER_VM)`);
    }
    return this.add(family, type);
  }

  private add(family: 4 | 6, type: 'stream' | 'dgram' = 'stream'): SocketHandle {
    const id = this.nextId++;
    // A datagram socket's rings carry no bytes (only their change counters are waited on): the smallest will do.
    const ringBytes = type === 'dgram' ? 0 : this.bufferBytes;
    const buffers: SocketBuffers = { control: new SharedArrayBuffer(SOCKET_CONTROL_BYTES), rx: newPipeBuffer(ringBytes), tx: newPipeBuffer(ringBytes) };
    const channel = new SocketChannel(buffers);
    // Until connected: reads see no data and a writer (would block), writes see no room.
    channel.rx.setEnds(1, 1);
    channel.tx.setEnds(1, 1);
    const socket: Socket = { id, channel, family, refs: 1, queue: [], backlog: 0 };
    if (type === 'dgram') socket.dgram = new CommandDatagram(this.network().udp.open(family), channel);
    this.sockets.set(id, socket);
    return { id, buffers };
  }

  private get(id: number, syscall: string): Socket {
    const s = this.sockets.get(id);
    if (!s) throw new NetError('EBADF', syscall);
    return s;
  }

  /** A UDP socket of this VM's, for sendto and recvfrom (a stream one is ENOTSUP there: its bytes cross in the rings). */
  datagram(id: number, syscall: string): CommandDatagram {
    const s = this.get(id, syscall);
    if (!s.dgram) throw new NetError('ENOTSUP', syscall);
    return s.dgram;
  }

  /** A socket of this VM as a runner may be handed it (a spawned child's or an exec'd image's fd). */
  spec(id: number): SocketSpec | undefined {
    const s = this.sockets.get(id);
    return s && { id, buffers: s.channel.buffers, type: s.dgram ? 'dgram' : 'stream', family: s.family };
  }

  /** One more (+1) or one fewer (-1) fd holds it; the last one closes it. */
  ref(id: number, delta: 1 | -1): void {
    const s = this.sockets.get(id);
    if (!s) return;
    s.refs += delta;
    if (s.refs > 0) return;
    this.sockets.delete(id);
    this.close(s);
  }

  /**
   * As Linux closes a socket: what the guest sent still goes out, then the stream ends;
   * what arrives after is dropped; a listener stops and its queued peers are reset.
   */
  private close(s: Socket): void {
    s.dgram?.close();
    s.listener?.close();
    for (const peer of s.queue) peer.stream.destroy();
    s.queue = [];
    s.channel.rx.setEnds(0, s.channel.rx.hasWriters ? 1 : 0);
    s.channel.tx.setEnds(s.channel.tx.hasReaders ? 1 : 0, 0);
    if (!s.pump) s.channel.changed();
  }

  bind(id: number, addr: SockAddr): void {
    const s = this.get(id, 'bind');
    if (s.dgram) return s.dgram.bind(addr.address, addr.port);
    if (s.bound || s.channel.state !== SOCK_FRESH) throw new NetError('EINVAL', 'bind');
    s.bound = addr;
  }

  /**
   * connect(2), started: the channel's state says when it is done (CONNECTED, or FAILED
   * with the errno), so a blocking connect waits on it and a non-blocking one polls it.
   */
  connect(id: number, target: { host: string; port: number; tls?: { servername?: string; rejectUnauthorized?: boolean } }, who: NetActor): void {
    const s = this.get(id, 'connect');
    if (s.dgram) return s.dgram.connect(target.host, target.port);
    const state = s.channel.state;
    if (state === SOCK_CONNECTING) throw new NetError('EALREADY', 'connect');
    if (state === SOCK_CONNECTED) throw new NetError('EISCONN', 'connect');
    if (state === SOCK_LISTENING) throw new NetError('EINVAL', 'connect');
    // An address the VM looked up is connected to by its name, so the policy judges the name
    // (its lookup was judged as dns already).
    const name = this.names.get(target.host);
    const named = name ? { ...target, host: name, lookedUp: true } : target;
    s.target = { host: named.host, port: named.port, ...(name ? { lookedUp: true } : {}) };
    this.start(s, named, who);
  }

  private start(s: Socket, target: ConnectTarget, who: NetActor): void {
    s.channel.set(SOCK_CONNECTING);
    this.network()
      .connect(target, who)
      .then(
        (c) => {
          if (!this.sockets.has(s.id) || this.disposed) {
            c.stream.destroy();
            return;
          }
          this.attach(s, c);
        },
        (err: Error & { code?: string }) => {
          s.channel.set(SOCK_FAILED, errnoOf(err.code ?? 'ECONNREFUSED'));
        },
      );
  }

  /**
   * net_tls_connect: the daemon does TLS. Before anything was sent, the plain connection
   * is let go and the same peer is connected to again with TLS (SNI `servername`); the
   * channel goes back to CONNECTING, and the runner waits on it as for a connect.
   */
  startTls(id: number, servername: string, who: NetActor): void {
    const s = this.get(id, 'connect');
    if (s.channel.state !== SOCK_CONNECTED || !s.target) throw new NetError('ENOTCONN', 'tls: the socket is not connected');
    if (s.channel.tx.buffered > 0 || s.channel.rx.buffered > 0) throw new NetError('EISCONN', 'tls: bytes already crossed the plain connection');
    s.pump?.destroy();
    s.pump = undefined;
    s.channel.rx.setEnds(1, 1);
    s.channel.tx.setEnds(1, 1);
    this.start(s, { ...s.target, tls: { servername } }, who);
  }

  /** getaddrinfo through the VM's resolver (judged as `dns`); remembers which name gave each address. */
  async lookup(name: string, family: 0 | 4 | 6, who: NetActor): Promise<ResolvedAddress[]> {
    const found = await this.network().lookup(name, family, who);
    for (const a of found) {
      this.names.delete(a.address);
      this.names.set(a.address, name);
      // As many as its sockets could use, a few times over.
      if (this.names.size > this.maxSockets * 4) this.names.delete(this.names.keys().next().value!);
    }
    return found;
  }

  private attach(s: Socket, c: ConnectedStream): void {
    s.local = { address: c.local.address, port: c.local.port, family: c.local.family };
    s.remote = { address: c.remote.address, port: c.remote.port, family: c.remote.family };
    const pump = new SocketPump(c.stream, s.channel, () => {
      if (s.pump === pump) s.pump = undefined;
    });
    s.pump = pump;
    s.channel.set(SOCK_CONNECTED);
  }

  /** listen(2) on the VM's loopback, at the bound address (none: any, a free port). */
  async listen(id: number, backlog: number, who: NetActor): Promise<SockAddr> {
    const s = this.get(id, 'listen');
    // Linux: listen(2) on a UDP socket is EOPNOTSUPP.
    if (s.dgram) throw new NetError('ENOTSUP', 'listen');
    if (s.listener) {
      s.backlog = Math.min(Math.max(1, backlog), this.maxSockets);
      return s.local!;
    }
    if (s.channel.state !== SOCK_FRESH) throw new NetError('EINVAL', 'listen');
    const bound = s.bound ?? { address: s.family === 6 ? '::' : '0.0.0.0', port: 0, family: s.family };
    // As Linux caps it at somaxconn: here, at what the VM may hold in sockets.
    s.backlog = Math.min(Math.max(1, backlog), this.maxSockets);
    const listener = await this.network().listen({ address: bound.address, port: bound.port, backlog: s.backlog }, who, (peer) => {
      if (!this.sockets.has(s.id) || s.queue.length >= s.backlog) {
        // A full backlog refuses, as Linux does once its SYN queue is full.
        peer.stream.destroy();
        return;
      }
      s.queue.push(peer);
      s.channel.setPending(s.queue.length);
    });
    if (!this.sockets.has(s.id) || this.disposed) {
      listener.close();
      throw new NetError('EBADF', 'listen');
    }
    s.listener = listener;
    s.local = { address: listener.address, port: listener.port, family: s.family };
    s.channel.set(SOCK_LISTENING);
    return s.local;
  }

  /** accept(2): the next queued peer as a new socket held by one fd, or EAGAIN. */
  accept(id: number): SocketHandle {
    const s = this.get(id, 'accept');
    if (!s.listener) throw new NetError('EINVAL', 'accept');
    const peer = s.queue.shift();
    s.channel.setPending(s.queue.length);
    if (!peer) throw new NetError('EAGAIN', 'accept');
    if (this.sockets.size >= this.maxSockets) {
      peer.stream.destroy();
      this.onRefused?.(this.sockets.size + 1, this.maxSockets);
      throw new NetError('ENFILE', `the VM already holds ${this.maxSockets} sockets (AGENTOS_MAX_SOCKETS_PER_VM)`);
    }
    const handle = this.add(s.family);
    const child = this.sockets.get(handle.id)!;
    this.attach(child, peer);
    return { ...handle, local: child.local!, remote: child.remote! };
  }

  /** shutdown(2): 0 reading, 1 writing, 2 both. */
  shutdown(id: number, how: number): void {
    const s = this.get(id, 'shutdown');
    // A connected UDP socket takes shutdown(2) without effect here; an unconnected one is ENOTCONN, as Linux.
    if (s.dgram) {
      if (!s.dgram.udp.peer) throw new NetError('ENOTCONN', 'shutdown');
      return;
    }
    if (s.channel.state !== SOCK_CONNECTED) throw new NetError('ENOTCONN', 'shutdown');
    if (how === 0 || how === 2) s.channel.rx.setEnds(0, s.channel.rx.hasWriters ? 1 : 0);
    if (how === 1 || how === 2) s.channel.tx.setEnds(s.channel.tx.hasReaders ? 1 : 0, 0);
  }

  /** getsockname / getpeername. */
  name(id: number, peer: boolean): SockAddr {
    const s = this.get(id, peer ? 'getpeername' : 'getsockname');
    if (s.dgram) return s.dgram.name(peer);
    if (peer) {
      if (!s.remote) throw new NetError('ENOTCONN', 'getpeername');
      return s.remote;
    }
    return s.local ?? s.bound ?? { address: s.family === 6 ? '::' : '0.0.0.0', port: 0, family: s.family };
  }

  /** The VM ends: every stream and listener goes. */
  dispose(): void {
    this.disposed = true;
    for (const s of this.sockets.values()) {
      s.dgram?.close();
      s.listener?.close();
      for (const peer of s.queue) peer.stream.destroy();
      s.pump?.destroy();
      s.channel.set(SOCK_FAILED, errnoOf('ENETDOWN'));
    }
    this.sockets.clear();
  }
}

/** The sockets one process's fds hold, so they can all be let go when it ends, however it ends. */
export class SocketHoldings {
  private readonly held = new Map<number, number>();

  constructor(private readonly table: CommandSockets) {}

  /** One more fd holds it (dup, inheritance): counted in the table too. */
  take(id: number): void {
    this.table.ref(id, 1);
    this.adopt(id);
  }

  /** Counts a socket the table already counted for this process (socket, accept). */
  adopt(id: number): void {
    this.held.set(id, (this.held.get(id) ?? 0) + 1);
  }

  drop(id: number): void {
    const n = this.held.get(id);
    if (!n) return;
    if (n === 1) this.held.delete(id);
    else this.held.set(id, n - 1);
    this.table.ref(id, -1);
  }

  releaseAll(): void {
    for (const [id, n] of this.held) for (let i = 0; i < n; i++) this.table.ref(id, -1);
    this.held.clear();
  }
}
