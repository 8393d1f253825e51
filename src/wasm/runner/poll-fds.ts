import type { PipeRing } from '../../process/pipe-ring.js';
import { ringToWatch, socketReadiness } from './sockets.js';
import type { Wasi } from './wasi.js';

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
/** How often a wait on several pipes or sockets looks again: each changes on another thread. */
const PIPE_SLICE_MS = 5;
/** A wait on one ring wakes at its change; it still looks again this often (a signal may be pending). */
const ONE_RING_SLICE_MS = 1000;

/**
 * poll(2) over a list of fds (host_net.net_poll, which the libc's poll() reaches for any
 * fd, not only sockets): what each would report now, waiting until one is ready or the
 * timeout (ms, negative = forever) passes. Files and output are always ready; stdin and
 * pipes are ready when a read or write would not block. Returns each fd's revents.
 */
export function pollFds(wasi: Wasi, entries: Array<{ fd: number; events: number }>, timeoutMs: number): number[] {
  const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
  if (entries.length === 0) {
    // poll(NULL, 0, ms) is how C programs sleep; forever means until a signal ends us.
    wasi.hooks.block.applySyncPromise(undefined, ['sleep', timeoutMs < 0 ? 2 ** 31 - 1 : timeoutMs]);
    return [];
  }
  // The shared rings (pipes, sockets) to sleep on while nothing is ready: no call to the daemon.
  const rings: PipeRing[] = [];
  for (const e of entries) {
    const fd = e.fd >= 0 ? wasi.fds.get(e.fd) : undefined;
    if (fd?.pipe) rings.push(fd.pipe.ring);
    else if (fd?.socket) rings.push(ringToWatch(fd.socket, e.events));
  }
  const watchesStdin = entries.some((e) => e.fd >= 0 && wasi.fds.get(e.fd)?.kind === 'stdin');
  for (;;) {
    const waitMs = Math.max(0, deadline - Date.now());
    const seen = rings[0]?.seen ?? 0;
    // Only stdin to wait for: let the daemon wake us when it has data (no slices).
    const stdinWait = rings.length > 0 ? 0 : waitMs === Infinity ? -1 : waitMs;
    const revents = entries.map((e) => (e.fd < 0 ? 0 : readiness(wasi, e.fd, e.events, stdinWait)));
    if (revents.some((r) => r !== 0) || Date.now() >= deadline || rings.length === 0) return revents;
    const slice = rings.length === 1 && !watchesStdin ? ONE_RING_SLICE_MS : PIPE_SLICE_MS;
    rings[0]!.waitChange(seen, Math.min(slice, deadline - Date.now()));
  }
}

function readiness(wasi: Wasi, n: number, events: number, stdinWaitMs: number): number {
  const fd = wasi.fds.get(n);
  if (!fd) return POLLNVAL;
  if (fd.socket) return socketReadiness(fd.socket, events);
  if (fd.pipe) {
    const ring = fd.pipe.ring;
    if (fd.pipe.end === 'r') return (ring.buffered > 0 ? events & POLLIN : 0) | (ring.hasWriters ? 0 : POLLHUP);
    return ring.hasReaders ? (ring.writable ? events & POLLOUT : 0) : POLLERR;
  }
  if (fd.kind === 'stdin') {
    if (!(events & POLLIN)) return 0;
    const available = wasi.hooks.block.applySyncPromise(undefined, ['stdinPoll', stdinWaitMs]) as number;
    return available >= 0 ? POLLIN : 0;
  }
  return events & (POLLIN | POLLOUT);
}
