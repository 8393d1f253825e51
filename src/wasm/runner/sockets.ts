import { SOCK_CONNECTED, SOCK_CONNECTING, SOCK_FAILED, SOCK_FRESH, SOCK_LISTENING, SocketChannel, type SocketBuffers } from '../../process/socket-channel.js';
import type { PipeRing } from '../../process/pipe-ring.js';
import { E, WasiError } from './errno.js';

/**
 * A socket as the fds of one process see it: one object shared by every fd dup'ed from
 * the same one (so a connect through one is seen through all), its bytes in the shared
 * channel the daemon pumps (src/process/socket-channel.ts).
 */
export interface SocketDesc {
  readonly id: number;
  readonly channel: SocketChannel;
  readonly type: 'stream' | 'dgram';
  readonly family: 4 | 6;
  /** SO_RCVTIMEO, ms (0: none). */
  recvTimeoutMs: number;
  /** SO_SNDTIMEO, ms (0: none). */
  sendTimeoutMs: number;
}

/** How the socket crosses to a child or an exec'd image (FdSpec.socket). */
export interface SocketSpec {
  id: number;
  buffers: SocketBuffers;
  type: 'stream' | 'dgram';
  family: 4 | 6;
}

export function socketOf(spec: SocketSpec): SocketDesc {
  return { id: spec.id, channel: new SocketChannel(spec.buffers), type: spec.type, family: spec.family, recvTimeoutMs: 0, sendTimeoutMs: 0 };
}

export function specOf(s: SocketDesc): SocketSpec {
  return { id: s.id, buffers: s.channel.buffers, type: s.type, family: s.family };
}

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

/** What poll(2) reports for a socket now. */
export function socketReadiness(s: SocketDesc, events: number): number {
  const ch = s.channel;
  // UDP: readable while a datagram waits (PENDING counts them), always writable, as Linux's udp_poll.
  if (s.type === 'dgram') return (ch.pending > 0 ? events & POLLIN : 0) | (events & POLLOUT) | (ch.errno !== 0 ? POLLERR : 0);
  switch (ch.state) {
    case SOCK_FRESH:
      return (events & POLLOUT) | POLLHUP;
    case SOCK_CONNECTING:
      return 0;
    case SOCK_FAILED:
      return (events & (POLLIN | POLLOUT)) | POLLERR | POLLHUP;
    case SOCK_LISTENING:
      return ch.pending > 0 ? events & POLLIN : 0;
    default: {
      let r = 0;
      if (ch.rx.buffered > 0 || !ch.rx.hasWriters) r |= events & POLLIN;
      if (ch.tx.writable) r |= events & POLLOUT;
      if (ch.errno !== 0) r |= POLLERR;
      // Both ways closed (the peer's end and ours, or a reset): hang-up.
      if (!ch.rx.hasWriters && !ch.tx.hasReaders) r |= POLLHUP;
      return r;
    }
  }
}

/** The ring a waiter for `events` sleeps on: a change of state also bumps rx. */
export function ringToWatch(s: SocketDesc, events: number): PipeRing {
  if (s.type === 'dgram') return s.channel.rx;
  return (events & POLLOUT) && s.channel.state === SOCK_CONNECTED && !(events & POLLIN) ? s.channel.tx : s.channel.rx;
}

/** recv(2): up to `into.length` bytes; 0 at the peer's end. */
export function socketRecv(s: SocketDesc, into: Uint8Array, nonblocking: boolean, peek: boolean): number {
  const ch = s.channel;
  const deadline = s.recvTimeoutMs > 0 ? Date.now() + s.recvTimeoutMs : Infinity;
  for (;;) {
    const state = ch.state;
    if (state === SOCK_FAILED) throw new WasiError(ch.takeErrno() || E.NOTCONN);
    if (state === SOCK_FRESH || state === SOCK_LISTENING) throw new WasiError(E.NOTCONN);
    const seen = ch.rx.seen;
    if (state === SOCK_CONNECTED) {
      const n = peek ? ch.rx.peek(into) : ch.rx.read(into, false);
      if (n === 0) {
        // The stream ended: a reset is reported once, then end of file.
        const errno = ch.takeErrno();
        if (errno !== 0 && errno !== E.PIPE) throw new WasiError(errno);
        return 0;
      }
      if (typeof n === 'number') return n;
    }
    if (nonblocking) throw new WasiError(E.AGAIN);
    const left = deadline - Date.now();
    if (left <= 0) throw new WasiError(E.AGAIN);
    ch.rx.waitChange(seen, left === Infinity ? undefined : left);
  }
}

/** send(2): all of `from` when blocking (short when non-blocking and the buffer fills). */
export function socketSend(s: SocketDesc, from: Uint8Array, nonblocking: boolean, onBroken: () => void): number {
  const ch = s.channel;
  for (;;) {
    const state = ch.state;
    if (state === SOCK_FAILED) throw new WasiError(ch.takeErrno() || E.NOTCONN);
    if (state === SOCK_CONNECTING && nonblocking) throw new WasiError(E.AGAIN);
    if (state === SOCK_CONNECTED) break;
    if (state !== SOCK_CONNECTING) throw new WasiError(E.NOTCONN);
    const seen = ch.seen;
    if (ch.state === SOCK_CONNECTING) ch.wait(seen);
  }
  if (!ch.tx.hasWriters) {
    // Shut down for writing.
    onBroken();
    throw new WasiError(E.PIPE);
  }
  const n = ch.tx.write(from, !nonblocking);
  if (n === 'again') throw new WasiError(E.AGAIN);
  if (n === 'broken') {
    const errno = ch.takeErrno();
    if (errno !== 0 && errno !== E.PIPE) throw new WasiError(errno);
    onBroken();
    throw new WasiError(E.PIPE);
  }
  return n;
}

/** A connect under way, to its end: 0 once connected, else the errno it failed with. */
export function awaitConnected(s: SocketDesc): number {
  const ch = s.channel;
  for (;;) {
    const seen = ch.seen;
    const state = ch.state;
    if (state === SOCK_CONNECTED) return 0;
    if (state === SOCK_FAILED) return ch.takeErrno() || E.CONNREFUSED;
    if (state !== SOCK_CONNECTING) return E.NOTCONN;
    ch.wait(seen);
  }
}

/**
 * The command ABI's address text to its parts: `host:port`, the port after the last colon.
 * The libc writes an IPv6 address bare (`:::0` for [::]:0, seen from curl's bind); `[v6]:port`
 * is taken too.
 */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(text) ?? /^(.*):(\d+)$/.exec(text);
  if (!m) throw new WasiError(E.INVAL);
  const port = Number(m[2]);
  if (port > 65535) throw new WasiError(E.INVAL);
  return { host: m[1]!, port };
}

/** An address as the libc reads it back: as it writes them, the port after the last colon, IPv6 bare. */
export function formatAddress(address: string, port: number): string {
  return `${address}:${port}`;
}
