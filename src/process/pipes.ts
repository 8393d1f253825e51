import { FsError } from '../fs/errors.js';
import { newPipeBuffer, PipeRing } from './pipe-ring.js';

export type PipeEnd = 'r' | 'w';

interface Pipe {
  ring: PipeRing;
  readers: number;
  writers: number;
  /** Bytes spilled out of the ring (PipeRing.spillAll), oldest first, for its next readers. */
  spill: Uint8Array[];
}

/** What spilling may hold for one VM, and who hears when that is spent. */
export interface SpillBounds {
  /** PIPE_SPILL_BYTES_PER_VM: below one pipe's buffer, nothing is ever spilled (a full pipe blocks its writer, as on Linux). */
  maxBytes: number;
  onExhausted(observed: number, capacity: number): void;
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
  /** Bytes spilled across the VM's pipes and not yet read. */
  private spilledBytes = 0;

  /** `onRefused`: the VM holds `maxPipes` and one more was asked for (for the VM to count and report). */
  constructor(
    private readonly bufferBytes: number,
    private readonly maxPipes: number,
    private readonly onRefused?: (observed: number, capacity: number) => void,
    private readonly spillBounds: SpillBounds = { maxBytes: 0, onExhausted: () => {} },
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
    const pipe: Pipe = { ring: new PipeRing(buffer), readers: 1, writers: 1, spill: [] };
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
    // No reader left: what was spilled can never be read (as a pipe's buffer, dropped).
    if (pipe.readers === 0) this.dropSpill(pipe);
    pipe.ring.setEnds(pipe.readers, pipe.writers);
    if (pipe.readers === 0 && pipe.writers === 0) this.pipes.delete(id);
  }

  /**
   * A process holding these pipes' read ends waits for its children: each of those pipes
   * that is full is emptied into its spill, within the VM's spill budget, so the child
   * writing into it can go on (PipeRing.spillAll says why). A pipe with room is left alone:
   * nobody is blocked on it.
   */
  spillFull(readEnds: Iterable<number>): void {
    for (const id of readEnds) {
      const pipe = this.pipes.get(id);
      if (!pipe || pipe.ring.buffered < pipe.ring.capacity) continue;
      const { maxBytes, onExhausted } = this.spillBounds;
      if (this.spilledBytes + pipe.ring.capacity > maxBytes) {
        onExhausted(this.spilledBytes + pipe.ring.capacity, maxBytes);
        continue;
      }
      const bytes = pipe.ring.spillAll();
      pipe.spill.push(bytes);
      this.spilledBytes += bytes.byteLength;
    }
  }

  /** Up to `max` spilled bytes of pipe `id` (and no more than its ring holds), oldest first; empty when none are left. */
  unspill(id: number, want: number): Uint8Array {
    const pipe = this.pipes.get(id);
    if (!pipe || pipe.spill.length === 0 || want <= 0) return new Uint8Array(0);
    const max = Math.min(want, pipe.ring.capacity);
    const head = pipe.spill[0]!;
    const taken = head.byteLength <= max ? head : head.subarray(0, max);
    if (taken === head) pipe.spill.shift();
    else pipe.spill[0] = head.subarray(max);
    this.spilledBytes -= taken.byteLength;
    pipe.ring.unspilled(taken.byteLength);
    return taken;
  }

  private dropSpill(pipe: Pipe): void {
    let n = 0;
    for (const chunk of pipe.spill) n += chunk.byteLength;
    if (n === 0) return;
    pipe.spill = [];
    this.spilledBytes -= n;
    pipe.ring.unspilled(n);
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

  /** The pipes this process holds the read end of. */
  readEnds(): number[] {
    const ids: number[] = [];
    for (const key of this.held.keys()) if (key.endsWith('r')) ids.push(Number(key.slice(0, -1)));
    return ids;
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
