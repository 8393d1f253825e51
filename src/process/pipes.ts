import { FsError } from '../fs/errors.js';
import { newPipeBuffer, PipeRing } from './pipe-ring.js';

export type PipeEnd = 'r' | 'w';

interface Pipe {
  ring: PipeRing;
  readers: number;
  writers: number;
}

/**
 * A VM's pipes and how many fds, across all its processes, hold each end. The bytes move
 * between runner isolates through the ring; this table is what makes EOF and EPIPE
 * happen: when the last writer (reader) goes, the ring says so and wakes the other side.
 * A pipe is forgotten when both counts reach zero.
 */
export class PipeTable {
  private readonly pipes = new Map<number, Pipe>();
  private nextId = 1;

  /** `onRefused`: the VM holds `maxPipes` and one more was asked for (for the VM to count and report). */
  constructor(
    private readonly bufferBytes: number,
    private readonly maxPipes: number,
    private readonly onRefused?: (observed: number, capacity: number) => void,
  ) {}

  get size(): number {
    return this.pipes.size;
  }

  /** A new pipe with one reader and one writer (the fds fd_pipe returns). */
  create(): { id: number; buffer: SharedArrayBuffer } {
    if (this.pipes.size >= this.maxPipes) {
      this.onRefused?.(this.pipes.size + 1, this.maxPipes);
      throw new FsError('ENFILE', 'pipe', undefined, `the VM already holds ${this.maxPipes} pipes (AGENTOS_MAX_PIPES_PER_VM)`);
    }
    const id = this.nextId++;
    const buffer = newPipeBuffer(this.bufferBytes);
    const pipe = { ring: new PipeRing(buffer), readers: 1, writers: 1 };
    pipe.ring.setEnds(1, 1);
    this.pipes.set(id, pipe);
    return { id, buffer };
  }

  buffer(id: number): SharedArrayBuffer | undefined {
    return this.pipes.get(id)?.ring.buffer;
  }

  /** One more (+1) or one fewer (-1) fd holds this end. */
  ref(id: number, end: PipeEnd, delta: 1 | -1): void {
    const pipe = this.pipes.get(id);
    if (!pipe) return;
    if (end === 'r') pipe.readers = Math.max(0, pipe.readers + delta);
    else pipe.writers = Math.max(0, pipe.writers + delta);
    pipe.ring.setEnds(pipe.readers, pipe.writers);
    if (pipe.readers === 0 && pipe.writers === 0) this.pipes.delete(id);
  }
}

/** The pipe ends one process's fds hold, so they can all be let go when it ends, however it ends. */
export class PipeHoldings {
  private readonly held = new Map<string, number>();

  constructor(private readonly table: PipeTable) {}

  take(id: number, end: PipeEnd): void {
    const key = `${id}${end}`;
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    this.table.ref(id, end, 1);
  }

  /** Counts an end the process already holds (fd_pipe creates both ends held once). */
  adopt(id: number, end: PipeEnd): void {
    const key = `${id}${end}`;
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
  }

  drop(id: number, end: PipeEnd): void {
    const key = `${id}${end}`;
    const n = this.held.get(key);
    if (!n) return;
    if (n === 1) this.held.delete(key);
    else this.held.set(key, n - 1);
    this.table.ref(id, end, -1);
  }

  releaseAll(): void {
    for (const [key, n] of this.held) {
      const id = Number(key.slice(0, -1));
      const end = key.slice(-1) as PipeEnd;
      for (let i = 0; i < n; i++) this.table.ref(id, end, -1);
    }
    this.held.clear();
  }
}
