import { TickingSet } from '../process/ticking-set.js';
import { METER_CALLS, METER_IN_HOST, METER_PAGES, WASM_PAGE_BYTES } from './runner/contract.js';

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
 * A process that has made no host call since the last tick and is not inside one may
 * have grown since it last said, so it counts at its cap: a program cannot grow its
 * memory and then hide by never calling the host. Over a budget, the largest process
 * (as counted) in that VM, or in the whole sidecar, is stopped until the total fits.
 * Tables count too, at the most their rewritten limits let them hold (memory-cap.ts).
 */
export class WasmMemoryMeter {
  private readonly running = new TickingSet<Metered>(TICK_MS, () => this.tick());
  /** Each process's host-call count at the last tick (-1 before its first). */
  private readonly lastCalls = new Map<Metered, number>();

  constructor(private readonly sidecarBytes: number) {}

  add(p: Metered): void {
    this.lastCalls.set(p, -1);
    this.running.add(p);
  }

  delete(p: Metered): void {
    this.lastCalls.delete(p);
    this.running.delete(p);
  }

  /** Linear memory counted for each running process now (see the class comment). */
  private count(): Map<Metered, number> {
    const counted = new Map<Metered, number>();
    for (const [p, lastCalls] of this.lastCalls) {
      const calls = Atomics.load(p.meter, METER_CALLS);
      const silent = calls === lastCalls && Atomics.load(p.meter, METER_IN_HOST) === 0;
      this.lastCalls.set(p, calls);
      counted.set(p, p.tableBytes + (silent ? p.capBytes : Math.min(p.capBytes, Atomics.load(p.meter, METER_PAGES) * WASM_PAGE_BYTES)));
    }
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
