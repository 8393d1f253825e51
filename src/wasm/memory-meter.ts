import { TickingSet } from '../process/ticking-set.js';
import { METER_CALLS, METER_IN_HOST, METER_PAGES, METER_RUNNING, WASM_PAGE_BYTES } from './runner/contract.js';

/** One running WASM process, as the meter sees it. */
export interface Metered {
  /** The runner's meter words (runner/contract.ts). */
  readonly meter: Int32Array;
  /** The most linear memory it may ever have (its rewritten memory maximum). */
  readonly capBytes: number;
  /** What its tables can hold (their rewritten maxima × 8 bytes): always counted in full. */
  readonly tableBytes: number;
  readonly vm: { readonly id: string; readonly wasmMemoryBytes: number };
  onMemoryExhausted(scope: 'vm' | 'sidecar', observed: number, capacity: number): void;
}

const TICK_MS = 50;

/**
 * Bounds the linear memory of all WASM processes together, per VM and sidecar-wide. One
 * process's memory is capped by rewriting its module, but isolated-vm neither counts nor
 * shows wasm memory, so 256 processes of one VM could otherwise hold 256 × the cap and
 * take the daemon down. The runner publishes each instance's size on every host call.
 * A process whose module is running but that has made no host call (and is not inside one)
 * for `silentMs` may have grown since it last said, so it counts at its cap: a program
 * cannot grow its memory and then hide by never calling the host. Only then: one whose
 * module is not running (waiting for a thread, or ended and not yet reaped) cannot grow,
 * and one silent for less may only be waiting for a core, so both count what they said
 * last. Counted at their caps after one 50 ms tick, a pipeline's stages that merely waited
 * on a loaded machine came to the budget together and were killed, losing their output.
 * Over a budget, the largest process (as counted) in that VM, or in the whole sidecar, is
 * stopped until the total fits.
 * Tables count too, at the most their rewritten limits let them hold (memory-cap.ts).
 */
export class WasmMemoryMeter {
  private readonly running = new TickingSet<Metered>(TICK_MS, () => this.tick());
  /** Each process's host-call count at the last tick (-1 before its first), and since when (ms) it has run without one. */
  private readonly lastCalls = new Map<Metered, { calls: number; silentSince: number | undefined }>();
  private readonly sidecarBytes: number;
  private readonly silentMs: number;
  /** When the last tick read the counts (performance.now()). */
  private lastTick = performance.now();

  constructor(o: { sidecarBytes: number; silentMs: number }) {
    this.sidecarBytes = o.sidecarBytes;
    this.silentMs = o.silentMs;
  }

  add(p: Metered): void {
    this.lastCalls.set(p, { calls: -1, silentSince: undefined });
    this.running.add(p);
  }

  delete(p: Metered): void {
    this.lastCalls.delete(p);
    this.running.delete(p);
  }

  /** Linear memory counted for each running process now (see the class comment). */
  private count(): Map<Metered, number> {
    const counted = new Map<Metered, number>();
    const now = performance.now();
    for (const [p, last] of this.lastCalls) {
      const calls = Atomics.load(p.meter, METER_CALLS);
      const silentNow = calls === last.calls && Atomics.load(p.meter, METER_IN_HOST) === 0 && Atomics.load(p.meter, METER_RUNNING) === 1;
      // No call since the last tick read its count: silent since then.
      last.silentSince = silentNow ? (last.silentSince ?? this.lastTick) : undefined;
      last.calls = calls;
      const hidden = last.silentSince !== undefined && now - last.silentSince >= this.silentMs;
      counted.set(p, p.tableBytes + (hidden ? p.capBytes : Math.min(p.capBytes, Atomics.load(p.meter, METER_PAGES) * WASM_PAGE_BYTES)));
    }
    this.lastTick = now;
    return counted;
  }

  private tick(): void {
    const counted = this.count();
    const byVm = new Map<string, { budget: number; members: Metered[] }>();
    for (const p of counted.keys()) {
      const group = byVm.get(p.vm.id) ?? { budget: p.vm.wasmMemoryBytes, members: [] };
      group.members.push(p);
      byVm.set(p.vm.id, group);
    }
    for (const { budget, members } of byVm.values()) this.enforce(members, counted, budget, 'vm');
    this.enforce([...counted.keys()].filter((p) => this.running.has(p)), counted, this.sidecarBytes, 'sidecar');
  }

  private enforce(members: Metered[], counted: Map<Metered, number>, budget: number, scope: 'vm' | 'sidecar'): void {
    let total = members.reduce((sum, p) => sum + counted.get(p)!, 0);
    const largestFirst = [...members].sort((a, b) => counted.get(b)! - counted.get(a)!);
    for (const p of largestFirst) {
      if (total <= budget) return;
      this.delete(p);
      p.onMemoryExhausted(scope, total, budget);
      total -= counted.get(p)!;
    }
  }
}
