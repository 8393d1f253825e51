import type { FileHolds } from '../process/fd-table.js';
import type { OutputSink, StreamName } from '../process/output.js';
import { PipeRing, type Unspill } from '../process/pipe-ring.js';
import type { PipeTable } from '../process/pipes.js';
import { StdinSource } from '../process/stdin.js';
import type { FileNode } from '../fs/vfs.js';
import type { ChildFd } from '../wasm/spawn-fds.js';

/**
 * The stdio of a `node` process that a WebAssembly process starts (the shell running
 * `node x.js`, npm's scripts, `#!/usr/bin/env node`): its fds 0-2 as the spawn's file actions
 * left them, turned into what a JS process reads and writes (a StdinSource and an
 * OutputSink). A WASM child reads and writes these fds itself from its runner; here the daemon
 * moves the bytes:
 * - a pipe end is held (so the other side sees EOF or EPIPE only when this process lets go)
 *   and pumped without blocking the daemon's thread; what the process writes to a full pipe
 *   waits in a queue that its output window (`outputWindow`) keeps to `queueBytes`, as a
 *   blocking write would;
 * - a file is read from, or written at, its open description's position (shared, as after
 *   fork), and kept open while the process runs;
 * - the inherited stdio (the tree's stdin and output) and devices are passed through.
 */
export interface JsChildStdio {
  stdin: StdinSource;
  output: OutputSink;
  /** Resolves when what the process wrote into pipes has room again (its writes wait on it). */
  outputWindow: () => Promise<void>;
  /** What it wrote and the pipes have not taken yet: a promise for when they have, or undefined. */
  outputPending: () => Promise<void> | undefined;
  /** Lets go of every pipe end and file, once the process has ended and its output is flushed. */
  release(): void;
}

export interface JsChildStdioDeps {
  fds: Map<number, ChildFd>;
  /** The tree's own stdin and output: what 'stdin'/'stdout'/'stderr' fds stand for. */
  inheritedStdin: StdinSource;
  inheritedOutput: OutputSink;
  pipes: PipeTable;
  files: FileHolds & { readAt(file: FileNode, position: number, length: number): Uint8Array; writeAt(file: FileNode, position: number, data: Uint8Array): number };
  stdinCapacity: number;
  queueBytes: number;
  /** Reports a write that failed (a full filesystem): the process sees its output dropped, the VM's log says why. */
  onWriteError(stream: 'stdout' | 'stderr', err: unknown): void;
  /** The process wrote into a pipe nobody reads any more (it dies of SIGPIPE, as a command does). */
  onBrokenPipe(): void;
}

export function jsChildStdio(d: JsChildStdioDeps): JsChildStdio {
  const releases: Array<() => void> = [];
  const drains: Array<() => Promise<void>> = [];
  const writers: PipeWriter[] = [];
  const holdPipe = (fd: ChildFd): PipeRing | undefined => {
    const pipe = fd.pipe;
    if (!pipe) return undefined;
    d.pipes.ref(pipe.id, pipe.end, 1);
    releases.push(() => d.pipes.ref(pipe.id, pipe.end, -1));
    return new PipeRing(pipe.buffer);
  };
  const holdFile = (fd: ChildFd) => {
    const file = fd.file!;
    if (file.refs++ === 0 && file.node.kind === 'file') d.files.opened(file.node);
    releases.push(() => {
      if (--file.refs === 0 && file.node.kind === 'file') d.files.closed(file.node);
    });
    return file;
  };

  const stdin = stdinFrom(d.fds.get(0));
  function stdinFrom(fd: ChildFd | undefined): StdinSource {
    if (!fd) return StdinSource.of(new Uint8Array(0), 0);
    if (fd.kind === 'stdin') return d.inheritedStdin;
    if (fd.kind === 'pipe' && fd.pipe?.end === 'r') {
      const ring = holdPipe(fd)!;
      const source = new StdinSource(d.stdinCapacity);
      const id = fd.pipe.id;
      void pumpIn(ring, source, d.stdinCapacity, (max) => d.pipes.unspill(id, max));
      return source;
    }
    if (fd.kind === 'file' && fd.file?.readable && fd.file.node.kind === 'file') {
      const file = holdFile(fd);
      const source = new StdinSource(d.stdinCapacity);
      // Read as the process asks, a piece at a time at the shared position: a file is never
      // copied whole into the daemon, and what the process does not read stays for the next.
      void pumpFile(() => {
        const node = d.files.current(file.node as FileNode);
        // A copy: a view would carry the whole file into the isolate with each piece, and
        // change under the reader if the file is written before it takes the piece.
        const data = d.files.readAt(node, file.position, Math.max(0, Math.min(d.stdinCapacity, FILE_READ_BYTES, source.demand, node.size - file.position))).slice();
        file.position += data.byteLength;
        return data;
      }, source);
      return source;
    }
    // /dev/null, a directory, a socket, an fd not open for reading: end of file at once.
    return StdinSource.of(new Uint8Array(0), 0);
  }

  const sinks = new Map<StreamName, (data: Uint8Array) => void>();
  for (const [n, stream] of [[1, 'stdout'], [2, 'stderr']] as const) {
    const fd = d.fds.get(n);
    if (!fd) continue;
    if (fd.kind === 'stdout' || fd.kind === 'stderr') {
      const into = fd.kind;
      sinks.set(stream, (data) => d.inheritedOutput.write(into, data));
    } else if (fd.kind === 'pipe' && fd.pipe?.end === 'w') {
      const writer = new PipeWriter(holdPipe(fd)!, d.queueBytes, d.onBrokenPipe);
      sinks.set(stream, (data) => writer.write(data));
      drains.push(() => writer.room());
      writers.push(writer);
      // The process has ended: it waited for its output if it ended by itself, so what is
      // still queued is a killed process's unfinished write, dropped as it would be.
      const release = releases.pop()!;
      releases.push(() => {
        writer.drop();
        release();
      });
    } else if (fd.kind === 'file' && fd.file?.writable && fd.file.node.kind === 'file') {
      const file = holdFile(fd);
      sinks.set(stream, (data) => {
        try {
          const node = d.files.current(file.node as FileNode);
          const at = file.append ? node.size : file.position;
          file.position = at + d.files.writeAt(node, at, data);
        } catch (err) {
          d.onWriteError(stream, err);
        }
      });
    }
    // Devices and anything not open for writing: what is written is gone, as into /dev/null.
  }

  let released = false;
  return {
    stdin,
    output: { write: (stream, data) => sinks.get(stream)?.(data) },
    outputWindow: async () => {
      for (const room of drains) await room();
    },
    outputPending: () => {
      const pending = writers.filter((w) => w.pending);
      return pending.length ? Promise.all(pending.map((w) => w.flushed())).then(() => {}) : undefined;
    },
    release() {
      if (released) return;
      released = true;
      // Ends the pump that fed it (the process is gone: nobody reads the rest).
      if (stdin !== d.inheritedStdin) stdin.close();
      for (const r of releases) r();
    },
  };
}

/** Moves a pipe's bytes into a StdinSource as the process takes them, until end of file. */
function pumpIn(ring: PipeRing, into: StdinSource, capacity: number, unspill: Unspill): Promise<void> {
  // A read takes at most what the pipe holds, and what stdin may queue.
  const buf = new Uint8Array(Math.max(1, Math.min(ring.capacity, capacity)));
  return feed(into, async () => {
    const seen = ring.seen;
    const n = ring.read(buf.subarray(0, Math.min(buf.byteLength, into.demand)), false, unspill);
    if (n === 0 || n === 'broken') return null;
    if (n !== 'again') return buf.slice(0, n);
    await ring.changeAfter(seen);
    return undefined;
  });
}

/** A read(2) of a file as stdin: a piece per read, 64 KiB as a pipe's. */
const FILE_READ_BYTES = 64 * 1024;

/** Feeds a file into a StdinSource as the process reads it, until end of file. */
function pumpFile(read: () => Uint8Array, into: StdinSource): Promise<void> {
  return feed(into, async () => {
    try {
      const chunk = read();
      return chunk.byteLength === 0 ? null : chunk;
    } catch {
      // The file can no longer be read (EIO-like): end of file.
      return null;
    }
  });
}

/**
 * Takes the next piece (null: end of file; undefined: none yet, look again) only when the
 * process reads, so a node that never reads its stdin leaves the bytes to the next reader,
 * and queues it as room allows.
 */
async function feed(into: StdinSource, next: () => Promise<Uint8Array | null | undefined>): Promise<void> {
  for (;;) {
    await into.wanted();
    if (into.isClosed) return;
    const chunk = await next();
    if (chunk === undefined) continue;
    if (chunk === null) break;
    while (!into.write(chunk)) {
      if (into.isClosed) return;
      await into.drained();
    }
  }
  into.close();
}

/** Writes into a pipe without blocking: what does not fit waits, in order, for the reader. */
class PipeWriter {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private pumping = false;
  private waiters: Array<() => void> = [];
  private flushWaiters: Array<() => void> = [];

  constructor(
    private readonly ring: PipeRing,
    private readonly limit: number,
    private readonly onBroken: () => void,
  ) {}

  write(data: Uint8Array): void {
    if (!this.ring.hasReaders) return this.onBroken();
    this.queue.push(data);
    this.queued += data.byteLength;
    if (!this.pumping) void this.pump();
  }

  /** Resolves when the queue is under its bound (at once if it is). */
  room(): Promise<void> {
    if (this.queued <= this.limit) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Bytes queued and not yet in the pipe. */
  get pending(): boolean {
    return this.queued > 0;
  }

  /** Drops what is queued (the writer was killed mid-write); waiters are let go. */
  drop(): void {
    this.queue.length = 0;
    this.queued = 0;
    for (const w of this.waiters.splice(0)) w();
    for (const w of this.flushWaiters.splice(0)) w();
  }

  /** Resolves when everything queued is in the pipe, or its reader is gone. */
  flushed(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const seen = this.ring.seen;
        const head = this.queue[0]!;
        const n = this.ring.write(head, false);
        if (n === 'broken') {
          // No reader left: the rest is dropped, as a closed pipe drops it.
          this.drop();
          this.onBroken();
          break;
        }
        if (n === 'again') {
          await this.ring.changeAfter(seen);
          continue;
        }
        this.queued -= n;
        if (n === head.byteLength) this.queue.shift();
        else this.queue[0] = head.subarray(n);
      }
    } finally {
      this.pumping = false;
      if (this.queued <= this.limit) for (const w of this.waiters.splice(0)) w();
      if (this.queued === 0) for (const w of this.flushWaiters.splice(0)) w();
    }
  }
}
