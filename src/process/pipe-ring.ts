/**
 * A pipe's bytes in a SharedArrayBuffer, read and written directly by the runner isolates
 * at both ends (each on its own thread), so a pipeline moves data without crossing to the
 * daemon. The daemon only sets the reader and writer counts (it owns the fd tables) and
 * wakes the waiters. Used by the daemon and, bundled, inside every runner isolate: no
 * imports.
 *
 * Header (Int32 words): read and write positions (free-running byte counters, wrapping at
 * 2^32), reader and writer counts, a change counter every waiter sleeps on, a lock
 * for the rare case of two processes writing (or reading) the same pipe at once, and the
 * bytes the daemon has spilled out of the ring (see `spillAll`).
 */
const READ = 0;
const WRITE = 1;
const READERS = 2;
const WRITERS = 3;
const CHANGE = 4;
const LOCK = 5;
const SPILLED = 6;
const HEADER_BYTES = 32;

/** `bytes` is rounded down to a power of two: positions wrap at 2^32 and must stay aligned. */
export function newPipeBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + 2 ** Math.floor(Math.log2(Math.max(bytes, 16))));
}

/** What a process does around a wait for its pipe: a runner gives up its CPU slot meanwhile (cpu-gate.ts). */
export interface PipeWaits {
  release(): void;
  acquire(): void;
}
let waits: PipeWaits | undefined;

/** Set by the runner for the process it runs (one at a time per isolate); the daemon never waits on a pipe. */
export function setPipeWaits(w: PipeWaits | undefined): void {
  waits = w;
}

function sleep(h: Int32Array, seen: number, ms?: number): void {
  waits?.release();
  Atomics.wait(h, CHANGE, seen, ms);
  waits?.acquire();
}

/** Atomics.waitAsync (Node has it; the ES2022 lib does not declare it): the daemon's wait, which blocks nothing. */
export async function waitAsync(words: Int32Array, index: number, seen: number): Promise<void> {
  const r = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<unknown> | string } }).waitAsync(words, index, seen);
  if (r.async) await r.value;
}

/** Sleeps on any shared word as a blocked pipe read does (the CPU slot given up meanwhile). */
export function parkOn(words: Int32Array, index: number, seen: number, ms?: number): void {
  waits?.release();
  Atomics.wait(words, index, seen, ms);
  waits?.acquire();
}

/** What a read or write came to: bytes moved, or why none could be. */
export type PipeIo = number | 'again' | 'broken';

/** Takes up to `max` of the bytes the daemon spilled out of this pipe, oldest first (see `spillAll`). */
export type Unspill = (max: number) => Uint8Array;

export class PipeRing {
  private readonly h: Int32Array;
  private readonly data: Uint8Array;
  private readonly size: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.h = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.size = this.data.byteLength;
  }

  /** Called by the daemon whenever an end is opened or closed anywhere. */
  setEnds(readers: number, writers: number): void {
    Atomics.store(this.h, READERS, readers);
    Atomics.store(this.h, WRITERS, writers);
    this.changed();
  }

  /** Wakes every waiter so it looks again (an end closed, a signal came). */
  changed(): void {
    Atomics.add(this.h, CHANGE, 1);
    Atomics.notify(this.h, CHANGE);
  }

  /** The change counter, to wait on after a look found nothing (no change is missed in between). */
  get seen(): number {
    return Atomics.load(this.h, CHANGE);
  }

  /** Runner: sleeps until something changes from `seen`, at most `ms` (the CPU slot given up meanwhile). */
  waitChange(seen: number, ms?: number): void {
    sleep(this.h, seen, ms);
  }

  /** Daemon: resolves once something changed from `seen` (at once if it has). */
  async changeAfter(seen: number): Promise<void> {
    await waitAsync(this.h, CHANGE, seen);
  }

  /** Bytes it holds when full. */
  get capacity(): number {
    return this.size;
  }

  get buffered(): number {
    return (Atomics.load(this.h, WRITE) - Atomics.load(this.h, READ)) >>> 0;
  }

  /** Bytes spilled out of the ring that no reader has taken yet. */
  get spilled(): number {
    return Atomics.load(this.h, SPILLED);
  }

  /** What a read would find: in the ring, and spilled before it. */
  get pending(): number {
    return this.buffered + this.spilled;
  }

  get hasWriters(): boolean {
    return Atomics.load(this.h, WRITERS) > 0;
  }

  get hasReaders(): boolean {
    return Atomics.load(this.h, READERS) > 0;
  }

  /** poll: a read would not block (data, or EOF). */
  get readable(): boolean {
    return this.pending > 0 || !this.hasWriters;
  }

  /** poll: a write would not block (room, or a broken pipe to report). */
  get writable(): boolean {
    return this.buffered < this.size || !this.hasReaders;
  }

  /**
   * Up to `into.length` bytes; 0 is end of file (no writer left and nothing buffered).
   * Spilled bytes are older than any in the ring, so they come first, through `unspill`
   * (a reader that may meet a spilled pipe passes it; sockets' rings never spill).
   */
  read(into: Uint8Array, block: boolean, unspill?: Unspill): PipeIo {
    if (into.byteLength === 0) return 0;
    for (;;) {
      const seen = Atomics.load(this.h, CHANGE);
      // Read before the positions: a writer publishes its bytes before its close is counted,
      // so "no writer" seen first and then nothing buffered is a true end of file. Checked
      // after an empty look, a writer could write and close in between, and its last bytes
      // would be taken for EOF.
      const writers = this.hasWriters;
      this.lock();
      // Under the lock: a spill takes the ring's bytes under it too, so nothing newer in the
      // ring is read before what was spilled.
      if (unspill && this.spilled > 0) {
        this.unlock();
        const taken = unspill(into.byteLength);
        if (taken.byteLength > 0) {
          into.set(taken);
          return taken.byteLength;
        }
        continue;
      }
      const r = Atomics.load(this.h, READ);
      const available = (Atomics.load(this.h, WRITE) - r) >>> 0;
      if (available > 0) {
        const n = Math.min(available, into.byteLength);
        this.copyOut(r, n, into);
        Atomics.store(this.h, READ, (r + n) | 0);
        this.unlock();
        this.changed();
        return n;
      }
      this.unlock();
      if (!writers) return 0;
      if (!block) return 'again';
      sleep(this.h, seen);
    }
  }

  /** MSG_PEEK: up to `into.length` buffered bytes, left in place; 0 at end of file, 'again' if none yet. */
  peek(into: Uint8Array): PipeIo {
    const writers = this.hasWriters;
    this.lock();
    const r = Atomics.load(this.h, READ);
    const n = Math.min((Atomics.load(this.h, WRITE) - r) >>> 0, into.byteLength);
    this.copyOut(r, n, into);
    this.unlock();
    return n > 0 ? n : writers ? 'again' : 0;
  }

  /**
   * All of `from` (blocking while the pipe is full), or 'broken' once no reader is left.
   * `onFull` runs before each wait for room (the runner asks the daemon to spill a pipe
   * whose read end its own process holds: nobody else may ever read it).
   */
  write(from: Uint8Array, block: boolean, onFull?: () => void): PipeIo {
    let done = 0;
    while (done < from.byteLength) {
      const seen = Atomics.load(this.h, CHANGE);
      if (!this.hasReaders) return done > 0 ? done : 'broken';
      this.lock();
      const w = Atomics.load(this.h, WRITE);
      const room = this.size - ((w - Atomics.load(this.h, READ)) >>> 0);
      if (room > 0) {
        const n = Math.min(room, from.byteLength - done);
        const at = (w >>> 0) % this.size;
        const first = Math.min(n, this.size - at);
        this.data.set(from.subarray(done, done + first), at);
        if (n > first) this.data.set(from.subarray(done + first, done + n), 0);
        Atomics.store(this.h, WRITE, (w + n) | 0);
        this.unlock();
        this.changed();
        done += n;
        continue;
      }
      this.unlock();
      if (!block) return done > 0 ? done : 'again';
      if (onFull) {
        onFull();
        if (Atomics.load(this.h, CHANGE) !== seen) continue;
      }
      sleep(this.h, seen);
    }
    return done;
  }

  /**
   * Daemon: takes every byte the ring holds, under the lock, and counts them as spilled;
   * the caller keeps them and hands them to readers (`read`'s unspill) before the ring's.
   * A process that holds a pipe's read end and waits for the child writing into it (brush
   * runs `$(…)` and `{ …; } | cmd` so: without fork it waits, then reads) would otherwise
   * wait forever once the pipe is full. The writer is woken: the ring has room again.
   */
  spillAll(): Uint8Array {
    this.lock();
    const r = Atomics.load(this.h, READ);
    const n = (Atomics.load(this.h, WRITE) - r) >>> 0;
    const out = new Uint8Array(n);
    this.copyOut(r, n, out);
    Atomics.store(this.h, READ, (r + n) | 0);
    Atomics.add(this.h, SPILLED, n);
    this.unlock();
    this.changed();
    return out;
  }

  /** Daemon: `n` spilled bytes were handed to a reader (or dropped with the pipe). */
  unspilled(n: number): void {
    this.lock();
    Atomics.sub(this.h, SPILLED, n);
    this.unlock();
    this.changed();
  }

  /** Copies the `n` bytes from read position `r` into `into`, across the ring's end; under the lock. */
  private copyOut(r: number, n: number, into: Uint8Array): void {
    const at = (r >>> 0) % this.size;
    const first = Math.min(n, this.size - at);
    into.set(this.data.subarray(at, at + first));
    if (n > first) into.set(this.data.subarray(0, n - first), first);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.h, LOCK, 0, 1) !== 0) Atomics.wait(this.h, LOCK, 1, 1);
  }

  private unlock(): void {
    Atomics.store(this.h, LOCK, 0);
    Atomics.notify(this.h, LOCK, 1);
  }
}
