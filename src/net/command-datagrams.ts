import type { SocketChannel } from '../process/socket-channel.js';
import { errnoOf } from '../wasm/runner/errno.js';
import type { UdpSocket } from './udp.js';
import { NetError, type NetActor } from './vm-network.js';

/** One datagram as recvfrom hands it over: at most the caller's buffer of it, its whole size, its source. */
export interface ReceivedDatagram {
  data: Uint8Array;
  size: number;
  from: { address: string; port: number; family: 4 | 6 };
}

/** What sendto answers: sent now (its size), or a ticket the runner waits on (`netSent`). */
export type SendAnswer = { sent: number } | { ticket: number };

const fail = (code: string, syscall: string) => new NetError(code, `${syscall} ${code}`);

/**
 * A command binary's UDP socket (host_net SOCK_DGRAM): a socket of the VM's UDP table
 * (./udp.ts), the same as guest JS `dgram` uses, so both reach each other over the VM's
 * loopback and the world only as the policy allows. Its channel (shared with the runners
 * whose fds hold it) carries no bytes: PENDING counts the datagrams queued, so a blocked
 * recvfrom and poll wait on the channel as accept waits for peers, and ERRNO holds the
 * error a connected socket was told of (ECONNREFUSED), reported by the next call.
 */
export class CommandDatagram {
  /** Sends to the world on their way (judged by the policy first), by ticket. */
  private readonly sending = new Map<number, Promise<number>>();
  private nextTicket = 1;

  constructor(
    readonly udp: UdpSocket,
    private readonly channel: SocketChannel,
  ) {
    udp.onReadable = () => this.counted();
    udp.onError = (code) => channel.fail(errnoOf(code));
  }

  private counted(): void {
    this.channel.setPending(this.udp.queue.length);
  }

  bind(address: string, port: number): void {
    const err = this.udp.bind(address, port, 0);
    if (err) throw fail(err, 'bind');
  }

  /** connect(2) on UDP: a default peer, at once (binding first as Linux does). */
  connect(address: string, port: number): void {
    const err = this.udp.connect(address, port);
    if (err) throw fail(err, 'connect');
  }

  /**
   * sendto(2) / send(2): `to` undefined sends to the connected peer. An unbound socket is
   * bound first to an ephemeral port of the wildcard address (Linux's autobind).
   */
  send(data: Buffer, to: { address: string; port: number } | undefined, who: NetActor): SendAnswer {
    if (!this.udp.local) this.bind(this.udp.family === 6 ? '::' : '0.0.0.0', 0);
    // An address given goes before the connected peer, as Linux's sendto does.
    const result = this.udp.send(data, to?.address, to?.port, who, true);
    if (typeof result === 'string') throw fail(result, 'sendto');
    if (typeof result === 'number') return { sent: result };
    const ticket = this.nextTicket++;
    // Settled or not, the entry goes when the runner takes it (or with the socket).
    result.catch(() => {});
    this.sending.set(ticket, result);
    return { ticket };
  }

  /** The outcome of a send that went to the world: its size, or its error thrown. */
  async sent(ticket: number): Promise<number> {
    const pending = this.sending.get(ticket);
    if (!pending) throw fail('EINVAL', 'sendto');
    try {
      return await pending;
    } finally {
      this.sending.delete(ticket);
    }
  }

  /**
   * recvfrom(2), never blocking (the runner waits on the channel): the next datagram, at
   * most `cap` bytes of it; the rest of it is dropped unless peeking (as Linux truncates).
   */
  receive(cap: number, peek: boolean): ReceivedDatagram {
    const next = peek ? this.udp.queue[0] : this.udp.shift();
    this.counted();
    if (!next) throw fail('EAGAIN', 'recvfrom');
    const data = next.data.subarray(0, Math.min(cap, next.data.byteLength));
    return { data: new Uint8Array(data), size: next.data.byteLength, from: { address: next.from.address, port: next.from.port, family: next.from.family } };
  }

  name(peer: boolean): { address: string; port: number; family: 4 | 6 } {
    if (peer) {
      if (!this.udp.peer) throw fail('ENOTCONN', 'getpeername');
      return { ...this.udp.peer };
    }
    return this.udp.local ? { ...this.udp.local } : { address: this.udp.family === 6 ? '::' : '0.0.0.0', port: 0, family: this.udp.family };
  }

  /** The last fd let go: the port is free again, queued datagrams dropped. */
  close(): void {
    this.sending.clear();
    this.udp.close();
  }
}
