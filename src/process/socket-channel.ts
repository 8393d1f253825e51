import { parkOn, PipeRing, waitAsync } from './pipe-ring.js';

/**
 * A socket's shared state, seen by the runner isolates whose fds hold it (each on its own
 * thread) and by the daemon, which owns the real stream (a Duplex from the VM's network)
 * and pumps bytes between it and two rings: `rx` (daemon writes, guest reads) and `tx`
 * (guest writes, daemon reads). So recv, send and poll move bytes in shared memory as a
 * pipe's do, and a guest blocked in recv parks in Atomics.wait like a blocked pipe read.
 * Used by the daemon and, bundled, in every runner isolate: imports only pipe-ring.
 *
 * Control words (Int32): the state below, the errno a failure left (WASI numbering, as
 * the guest gets it), connections waiting for accept (a listener), and a change counter
 * every waiter on the state sleeps on.
 */
const STATE = 0;
const ERRNO = 1;
const PENDING = 2;
const CHANGE = 3;
export const SOCKET_CONTROL_BYTES = 16;

export const SOCK_FRESH = 0;
export const SOCK_CONNECTING = 1;
export const SOCK_CONNECTED = 2;
export const SOCK_LISTENING = 3;
/** A connect failed (ERRNO says why); the socket may not be used for data. */
export const SOCK_FAILED = 4;

/** The shared memory of one socket, as it crosses between isolates. */
export interface SocketBuffers {
  control: SharedArrayBuffer;
  rx: SharedArrayBuffer;
  tx: SharedArrayBuffer;
}

export class SocketChannel {
  readonly rx: PipeRing;
  readonly tx: PipeRing;
  private readonly c: Int32Array;

  constructor(readonly buffers: SocketBuffers) {
    this.c = new Int32Array(buffers.control, 0, SOCKET_CONTROL_BYTES / 4);
    this.rx = new PipeRing(buffers.rx);
    this.tx = new PipeRing(buffers.tx);
  }

  get state(): number {
    return Atomics.load(this.c, STATE);
  }

  get errno(): number {
    return Atomics.load(this.c, ERRNO);
  }

  get pending(): number {
    return Atomics.load(this.c, PENDING);
  }

  /** Daemon: a new state (and, for a failure or a reset, its errno). */
  set(state: number, errno = 0): void {
    Atomics.store(this.c, ERRNO, errno);
    Atomics.store(this.c, STATE, state);
    this.changed();
  }

  /** Daemon: the reset or error a stream ended with, reported by the next recv or send. */
  fail(errno: number): void {
    Atomics.store(this.c, ERRNO, errno);
    this.changed();
  }

  /** SO_ERROR: the pending error, cleared by reading it (as on Linux). */
  takeErrno(): number {
    return Atomics.exchange(this.c, ERRNO, 0);
  }

  /** Daemon: connections queued for accept. */
  setPending(n: number): void {
    Atomics.store(this.c, PENDING, n);
    this.changed();
  }

  changed(): void {
    Atomics.add(this.c, CHANGE, 1);
    Atomics.notify(this.c, CHANGE);
    // A poll over several fds sleeps on one ring: wake those too.
    this.rx.changed();
  }

  /** The change counter, to wait on after a look found nothing (no change is missed in between). */
  get seen(): number {
    return Atomics.load(this.c, CHANGE);
  }

  /** Runner: sleeps until the state changes from `seen`, at most `ms` (forever: undefined). */
  wait(seen: number, ms?: number): void {
    parkOn(this.c, CHANGE, seen, ms);
  }

  /** Daemon: resolves once the control words change from `seen` (or at once if they have). */
  async changeAfter(seen: number): Promise<void> {
    await waitAsync(this.c, CHANGE, seen);
  }
}
