/**
 * A VM's share of the CPU. Guests run on isolated-vm's threads, one thread per running
 * process, and Linux shares the cores per thread: a VM running 32 busy processes took 32
 * shares, and another VM's one short command waited behind them (`echo hi` 400-750 ms).
 * So each VM has a few run slots: a process holds one while its guest code runs, gives it
 * up while it blocks (a read, a sleep, a wait for a child, for room in a pipe), and hands
 * it to a waiting process of its VM after a time slice. A process without a slot parks in
 * Atomics.wait, which costs no CPU; the VM's other processes, not other VMs, wait for it.
 *
 * Used inside runner isolates (the guest side, bundled: no imports) and by the daemon,
 * which settles the state of a process that ended however it ended (a kill, a budget).
 *
 * The VM's words (Int32): slots held, processes parked, a wake counter the parked wait
 * on, and slots passed on by a process whose slice ended (still counted as held; the
 * next process to look takes one). A process's own word says whether it holds a slot,
 * is parked, or ended (then it takes nothing more).
 */
const HELD = 0;
const PARKED = 1;
const WAKE = 2;
const PASSED = 3;
export const CPU_SHARE_WORDS = 4;

/** A process's own word. */
export const GATE_IDLE = 0;
export const GATE_HOLDING = 1;
export const GATE_PARKED = 2;
export const GATE_ENDED = 3;

/** How long a parked process sleeps before it looks again (a process that died parked cannot wake anyone). */
const PARK_MS = 50;

export interface CpuShareInfo {
  /** The VM's words (CPU_SHARE_WORDS × Int32). */
  buffer: SharedArrayBuffer;
  /** Processes of the VM that may run guest code at once. */
  slots: number;
  /** How long a process keeps its slot while others of its VM wait. */
  sliceMs: number;
}

export class CpuGate {
  private readonly vm: Int32Array;
  private readonly slots: number;
  private readonly sliceMs: number;
  /** When this process took its slot. */
  private since = 0;

  /** `self`: the process's word, at `index` of a shared Int32Array the daemon also holds. */
  constructor(info: CpuShareInfo, private readonly self: Int32Array, private readonly index: number) {
    this.vm = new Int32Array(info.buffer, 0, CPU_SHARE_WORDS);
    this.slots = Math.max(1, info.slots);
    this.sliceMs = info.sliceMs;
  }

  /** Before guest code runs (and after a wait): returns once this process holds a slot (or has ended). */
  acquire(): void {
    const state = Atomics.load(this.self, this.index);
    if (state === GATE_HOLDING || state === GATE_ENDED) return;
    if (this.take()) return;
    this.park(false);
  }

  /** Before the process blocks: its slot goes to a process of its VM that waits for one. */
  release(): void {
    if (Atomics.compareExchange(this.self, this.index, GATE_HOLDING, GATE_IDLE) !== GATE_HOLDING) return;
    Atomics.sub(this.vm, HELD, 1);
    wake(this.vm);
  }

  /**
   * On every host call: a process that has held its slot for a slice while another of its
   * VM is parked passes the slot on and parks behind it.
   */
  checkpoint(): void {
    const state = Atomics.load(this.self, this.index);
    if (state !== GATE_HOLDING) return state === GATE_ENDED ? undefined : this.acquire();
    if (Atomics.load(this.vm, PARKED) === 0 || Date.now() - this.since < this.sliceMs) return;
    if (Atomics.compareExchange(this.self, this.index, GATE_HOLDING, GATE_IDLE) !== GATE_HOLDING) return;
    Atomics.add(this.vm, PASSED, 1);
    wake(this.vm);
    this.park(true);
  }

  /** A slot without waiting (one passed on, or a free one), owned at once; false when none is free. */
  private take(): boolean {
    if (!takeSlot(this.vm, this.slots, this.self, this.index)) return false;
    this.since = Date.now();
    return true;
  }

  /**
   * Waits for a slot. `yielded`: this process just passed its own on, so it sleeps first
   * rather than take it straight back (the process it woke takes it).
   */
  private park(yielded: boolean): void {
    const { vm, self, index } = this;
    Atomics.add(vm, PARKED, 1);
    if (Atomics.compareExchange(self, index, GATE_IDLE, GATE_PARKED) !== GATE_IDLE) {
      Atomics.sub(vm, PARKED, 1);
      return;
    }
    let sleepFirst = yielded;
    for (;;) {
      const seen = Atomics.load(vm, WAKE);
      if (!sleepFirst && this.take()) return;
      sleepFirst = false;
      if (Atomics.load(self, index) !== GATE_PARKED) return;
      Atomics.wait(vm, WAKE, seen, PARK_MS);
    }
  }
}

/**
 * Takes a slot of the VM for the process whose word is `self[index]` (idle or parked), if
 * one is free or passed on; true also when the process ended meanwhile (it took nothing).
 * Shared by runners (CpuGate) and the daemon, which takes slots for guest JS (js-run-slot.ts).
 */
export function takeSlot(vm: Int32Array, slots: number, self: Int32Array, index: number): boolean {
  // The daemon may kill the runner at any function entry or loop back-edge (V8 checks
  // for termination there): a count taken and the process's word that owns it change
  // with no such point between them, or a killed process would keep a slot forever.
  for (;;) {
    const passed = Atomics.load(vm, PASSED);
    if (passed > 0) {
      if (Atomics.compareExchange(vm, PASSED, passed, passed - 1) !== passed) continue;
    } else {
      const held = Atomics.load(vm, HELD);
      if (held >= Math.max(1, slots)) return false;
      if (Atomics.compareExchange(vm, HELD, held, held + 1) !== held) continue;
    }
    const was = Atomics.compareExchange(self, index, GATE_PARKED, GATE_HOLDING);
    if (was === GATE_PARKED) {
      Atomics.sub(vm, PARKED, 1);
    } else if (Atomics.compareExchange(self, index, GATE_IDLE, GATE_HOLDING) !== GATE_IDLE) {
      // Ended meanwhile (the daemon settled it): the slot goes back (inline: no call between).
      Atomics.sub(vm, HELD, 1);
      wake(vm);
    }
    return true;
  }
}

/** The VM's words of a share. */
export function shareWords(info: CpuShareInfo): Int32Array {
  return new Int32Array(info.buffer, 0, CPU_SHARE_WORDS);
}

/** A process of the VM starts (+1) or stops (-1) waiting for a slot: a holder past its slice passes its slot on while any wait. */
export function countParked(vm: Int32Array, delta: 1 | -1): void {
  Atomics.add(vm, PARKED, delta);
}

/** Whether any process of the VM waits for a slot. */
export function anyParked(vm: Int32Array): boolean {
  return Atomics.load(vm, PARKED) > 0;
}

/** The word a parked process waits on (Atomics.wait in a runner, Atomics.waitAsync in the daemon). */
export const WAKE_WORD = WAKE;

/** A slot the process held goes back to the VM, and a parked process is woken to take it. */
export function giveBack(vm: Int32Array): void {
  Atomics.sub(vm, HELD, 1);
  wake(vm);
}

function wake(vm: Int32Array): void {
  if (Atomics.load(vm, PARKED) === 0) return;
  Atomics.add(vm, WAKE, 1);
  Atomics.notify(vm, WAKE, 1);
}

/**
 * The daemon's side, once a process has ended (whatever its runner is still doing): what
 * it held or its place among the parked goes back, and it takes nothing more.
 */
export function settleEnded(info: CpuShareInfo, self: Int32Array, index: number): void {
  const vm = new Int32Array(info.buffer, 0, CPU_SHARE_WORDS);
  for (;;) {
    const state = Atomics.load(self, index);
    if (state === GATE_ENDED) return;
    if (Atomics.compareExchange(self, index, state, GATE_ENDED) !== state) continue;
    if (state === GATE_HOLDING) giveBack(vm);
    else if (state === GATE_PARKED) Atomics.sub(vm, PARKED, 1);
    return;
  }
}

/** What a VM's share looks like now (vm/stats). */
export function cpuShareStats(info: CpuShareInfo): { slots: number; holding: number; parked: number } {
  const vm = new Int32Array(info.buffer, 0, CPU_SHARE_WORDS);
  // A slot passed on and not yet taken (its taker may have been killed) is free for the next process to look.
  return { slots: info.slots, holding: Atomics.load(vm, HELD) - Atomics.load(vm, PASSED), parked: Atomics.load(vm, PARKED) };
}
