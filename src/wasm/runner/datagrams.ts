import { E, errnoOf, WasiError } from './errno.js';
import { formatAddress, type SocketDesc } from './sockets.js';
import type { Wasi } from './wasi.js';

/** A call the daemon answers asynchronously (a lookup, a listen, a datagram to the world): JSON both ways. */
export function daemonNetCall<T>(wasi: Wasi, op: 'netLookup' | 'netListen' | 'netSent', request: unknown): T {
  const answer = JSON.parse(wasi.hooks.block.applySyncPromise(undefined, [op, JSON.stringify(request)]) as string) as { ok?: T; err?: string };
  if (answer.err !== undefined) throw new WasiError(errnoOf(answer.err));
  return answer.ok as T;
}

/** The error a connected UDP socket was told of (ECONNREFUSED), reported once by the next call, as Linux's sk_err. */
function pendingError(s: SocketDesc): void {
  if (s.channel.errno === 0) return;
  const errno = s.channel.takeErrno();
  if (errno !== 0) throw new WasiError(errno);
}

/**
 * sendto(2)/send(2) on a UDP socket (src/net/command-datagrams.ts holds it): one datagram,
 * all of `data` or nothing. `to` undefined: the connected peer (EDESTADDRREQ without one).
 * A datagram within the VM is delivered by the call itself; one to the world is judged by
 * the VM's policy and sent before this returns (EPERM when refused, as a firewall's).
 */
export function datagramSend(wasi: Wasi, s: SocketDesc, data: Uint8Array, to: { host: string; port: number } | undefined): number {
  pendingError(s);
  const answer = wasi.hostProc<{ sent?: number; ticket?: number }>('netSendTo', s.id, data, to?.host ?? null, to?.port ?? 0);
  if (answer.sent !== undefined) return answer.sent;
  return daemonNetCall<number>(wasi, 'netSent', { id: s.id, ticket: answer.ticket });
}

export interface DatagramIn {
  /** At most the caller's capacity of the datagram (the rest of it is gone unless peeking). */
  data: Uint8Array;
  /** The datagram's whole size (recv's answer with MSG_TRUNC). */
  size: number;
  /** Its source, as the ABI writes addresses. */
  from: string;
}

/**
 * recvfrom(2) on a UDP socket: the next datagram, waiting for one unless non-blocking (or
 * until SO_RCVTIMEO, EAGAIN) on the socket's channel, whose PENDING counts the datagrams
 * queued in the daemon, as accept waits for peers. Message boundaries are kept: one call,
 * one datagram.
 */
export function datagramRecv(wasi: Wasi, s: SocketDesc, cap: number, nonblocking: boolean, peek: boolean): DatagramIn {
  const ch = s.channel;
  const deadline = s.recvTimeoutMs > 0 ? Date.now() + s.recvTimeoutMs : Infinity;
  for (;;) {
    const seen = ch.rx.seen;
    pendingError(s);
    if (ch.pending > 0) {
      let got: { data: Uint8Array; size: number; from: { address: string; port: number } };
      try {
        got = wasi.hostProc('netRecvFrom', s.id, cap, peek);
      } catch (err) {
        // Another process holding the socket took it first.
        if (err instanceof WasiError && err.errno === E.AGAIN) continue;
        throw err;
      }
      return { data: got.data, size: got.size, from: formatAddress(got.from.address, got.from.port) };
    }
    if (nonblocking) throw new WasiError(E.AGAIN);
    const left = deadline - Date.now();
    if (left <= 0) throw new WasiError(E.AGAIN);
    ch.rx.waitChange(seen, left === Infinity ? undefined : left);
  }
}
