import { GATE_HOLDING, GATE_IDLE, GATE_PARKED, WAKE_WORD, anyParked, countParked, giveBack, settleEnded, shareWords, takeSlot, type CpuShareInfo } from './cpu-gate.js';

/** How long the daemon waits on the VM's wake word before it looks again (a runner killed while it held a slot wakes no one). */
const LOOK_MS = 50;

/**
 * A guest JS process's run slot: the same per-VM slots as WASM processes (cpu-gate.ts),
 * taken by the daemon on the process's behalf, since guest JS runs only in tasks the daemon
 * gives its isolate (an entry: the main program, timers, stdin, a settled call, an ES
 * module's evaluation). isolated-vm settles an entry only after the microtasks it left have
 * run, so an entry's promise covers all the guest code it leads to.
 *
 * The rule: an entry is given to the isolate only while the process holds a slot; the slot
 * is given back once no entry is under way, or while one waits in a blocking call (the
 * isolate runs nothing else meanwhile, and a parent waiting for its child in the same VM
 * must not hold the slot the child needs); a blocked entry takes a slot again before the
 * guest goes on. A process past its slice while others of its VM wait gets no new entry
 * (they queue until its entries end), and its calls that return a value are refused with
 * TURN_SPENT, so a long entry that calls into the daemon gives its slot up in the wait for
 * the next turn. An entry that loops without calling anything keeps it until a budget
 * ends it, as a WASM loop does: the VM's other processes wait, not other VMs.
 */
export class JsRunSlot {
  /** The process's word (GATE_*), as a runner's is: settleEnded frees whatever it held. */
  private readonly word = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private readonly queue: VmSlotQueue;
  /** Entries given to the isolate and not settled. */
  private running = 0;
  /** Of those, entries waiting in a blocking call. */
  private blocked = 0;
  private holding = false;
  private ended = false;
  private queued = false;
  private since = 0;
  /** Entries not yet given to the isolate, in order. */
  private readonly entries: Array<() => void> = [];
  /** Blocked entries whose call returned, waiting for a slot to go on. */
  private readonly resumes: Array<() => void> = [];

  constructor(private readonly info: CpuShareInfo) {
    this.queue = VmSlotQueue.of(info);
  }

  /** Gives the isolate `start()`'s entry once this process holds a slot; settles as the entry does. */
  run<T>(start: () => Promise<T>): Promise<T> {
    if (this.ended || (this.holding && this.blocked === 0 && this.entries.length === 0 && !this.yieldDue())) return this.issue(start);
    return new Promise<T>((resolve, reject) => {
      this.entries.push(() => void this.issue(start).then(resolve, reject));
      this.update();
    });
  }

  /** An entry begins a blocking call: its isolate runs nothing until the call returns. */
  blockBegins(): void {
    if (this.ended) return;
    this.blocked++;
    this.update();
  }

  /** Resolves once the blocked entry may go on: this process holds a slot again. */
  blockEnds(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise<void>((resume) => {
      this.resumes.push(resume);
      this.update();
    });
  }

  /** Held for a slice while another process of the VM waits for a slot. */
  yieldDue(): boolean {
    return this.holding && anyParked(this.queue.vm) && performance.now() - this.since >= this.info.sliceMs;
  }

  /** The process ended: its slot or its place in the queue goes back, and what waited goes on (into an isolate that refuses it). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.holding = false;
    this.queue.remove(this);
    settleEnded(this.info, this.word, 0);
    for (const resume of this.resumes.splice(0)) resume();
    for (const entry of this.entries.splice(0)) entry();
  }

  /** For tests and stats: whether it holds a slot, and its entries by state. */
  get state(): { holding: boolean; running: number; blocked: number; waiting: number } {
    return { holding: this.holding, running: this.running, blocked: this.blocked, waiting: this.entries.length + this.resumes.length };
  }

  /** The queue's look: takes a slot if one is free; true once this process holds one (or has ended). */
  tryTake(): boolean {
    if (this.ended) return true;
    if (!takeSlot(this.queue.vm, this.info.slots, this.word, 0)) return false;
    this.queued = false;
    this.holding = Atomics.load(this.word, 0) === GATE_HOLDING;
    this.since = performance.now();
    return true;
  }

  /** Granted by the queue: what waited goes on while the slot is held. */
  granted(): void {
    this.update();
  }

  private issue<T>(start: () => Promise<T>): Promise<T> {
    this.running++;
    const entry = start();
    const done = () => {
      this.running--;
      this.update();
    };
    entry.then(done, done);
    return entry;
  }

  /** After any change: what waited goes on while the slot is held; the slot goes back once nothing computes. */
  private update(): void {
    if (this.ended) return;
    if (this.holding) {
      // A blocked entry holds its isolate, so it goes on first; new entries only once none is blocked.
      while (this.resumes.length > 0) {
        this.blocked--;
        this.resumes.shift()!();
      }
      while (this.blocked === 0 && this.entries.length > 0 && !this.yieldDue()) this.entries.shift()!();
      // Entries issued behind a blocked one wait in the isolate's queue and run nothing: a
      // blocked entry frees the slot however many are queued behind it (counting those as
      // running kept the slot while the process, past its slice, was refused every call).
      if (this.blocked > 0 || this.running === 0) this.release();
    }
    const wants = this.resumes.length > 0 || (this.blocked === 0 && this.entries.length > 0);
    if (!this.holding && !this.queued && wants) {
      this.queued = true;
      countParked(this.queue.vm, 1);
      if (Atomics.compareExchange(this.word, 0, GATE_IDLE, GATE_PARKED) !== GATE_IDLE) countParked(this.queue.vm, -1);
      this.queue.add(this);
    }
  }

  /** The slot goes back, to whoever of the VM waited for it first. */
  private release(): void {
    this.holding = false;
    if (Atomics.compareExchange(this.word, 0, GATE_HOLDING, GATE_IDLE) === GATE_HOLDING) giveBack(this.queue.vm);
    this.queue.pump();
  }
}

// Node 20 has it; TypeScript's lib for our target does not declare it yet.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/** A VM's guest JS processes waiting for a slot, first come first served; one per VM. */
class VmSlotQueue {
  private static readonly byShare = new WeakMap<SharedArrayBuffer, VmSlotQueue>();
  readonly vm: Int32Array;
  private readonly waiting: JsRunSlot[] = [];
  private watching = false;

  private constructor(info: CpuShareInfo) {
    this.vm = shareWords(info);
  }

  static of(info: CpuShareInfo): VmSlotQueue {
    let queue = VmSlotQueue.byShare.get(info.buffer);
    if (!queue) VmSlotQueue.byShare.set(info.buffer, (queue = new VmSlotQueue(info)));
    return queue;
  }

  add(slot: JsRunSlot): void {
    this.waiting.push(slot);
    this.pump();
    if (this.waiting.length > 0 && !this.watching) void this.watch();
  }

  remove(slot: JsRunSlot): void {
    const at = this.waiting.indexOf(slot);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** Gives free slots to the processes that waited longest. */
  pump(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (!next.tryTake()) return;
      this.waiting.shift();
      next.granted();
    }
  }

  /** A slot a runner gives back wakes the VM's word: the daemon waits on it without blocking. */
  private async watch(): Promise<void> {
    this.watching = true;
    try {
      while (this.waiting.length > 0) {
        const seen = Atomics.load(this.vm, WAKE_WORD);
        this.pump();
        if (this.waiting.length === 0) break;
        const wait = waitAsync(this.vm, WAKE_WORD, seen, LOOK_MS);
        await (wait.async ? wait.value : new Promise((r) => setImmediate(r)));
      }
    } finally {
      this.watching = false;
    }
  }
}
