/**
 * Node's `perf_hooks`: the global `performance`, its constants, and createHistogram (a
 * recordable histogram of integers: min, max, mean, stddev, percentiles, counts).
 * PerformanceObserver and monitorEventLoopDelay are not there yet: nothing in the guest
 * produces the entries they would deliver.
 */
function rangeError(name: string, range: string, value: unknown): RangeError {
  return Object.assign(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`), { code: 'ERR_OUT_OF_RANGE' });
}

/** What Node's histogram reports as the minimum of no values (HdrHistogram's initial minimum, 2^63). */
const EMPTY_MIN = Number(1n << 63n);
/** Percentiles are of 100. */
const PERCENT = 100;

class RecordableHistogram {
  #values: number[] = [];
  #sorted = true;
  #exceeds = 0;
  #prev: number | undefined;
  constructor(private readonly lowest: number, private readonly highest: number) {}

  get count() { return this.#values.length; }
  get min() { return this.#values.length ? this.#sortedValues()[0]! : EMPTY_MIN; }
  get max() { return this.#values.length ? this.#sortedValues()[this.#values.length - 1]! : 0; }
  get mean() { return this.#values.length ? this.#values.reduce((a, b) => a + b, 0) / this.#values.length : NaN; }
  get stddev() {
    const n = this.#values.length;
    if (!n) return NaN;
    const mean = this.mean;
    return Math.sqrt(this.#values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  }
  get exceeds() { return this.#exceeds; }
  get countBigInt() { return BigInt(this.count); }
  get minBigInt() { return BigInt(this.min); }
  get maxBigInt() { return BigInt(this.max); }
  get exceedsBigInt() { return BigInt(this.#exceeds); }

  percentile(p: unknown): number {
    if (typeof p !== 'number') throw Object.assign(new TypeError(`The "percentile" argument must be of type number. Received type ${typeof p} (${String(p)})`), { code: 'ERR_INVALID_ARG_TYPE' });
    if (!(p > 0 && p <= PERCENT)) throw rangeError('percentile', '> 0 && <= 100', p);
    const sorted = this.#sortedValues();
    if (!sorted.length) return 0;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / PERCENT) * sorted.length) - 1))]!;
  }
  percentileBigInt(p: number): bigint { return BigInt(this.percentile(p)); }

  get percentiles(): Map<number, number> {
    const out = new Map<number, number>();
    const sorted = this.#sortedValues();
    if (!sorted.length) return out.set(100, 0);
    for (const p of [0, 50, 75, 87.5, 93.75, 96.875, 98.4375, 99.21875, 100]) out.set(p, p === 0 ? sorted[0]! : this.percentile(p));
    return out;
  }
  get percentilesBigInt(): Map<number, bigint> {
    return new Map([...this.percentiles].map(([k, v]) => [k, BigInt(v)]));
  }

  record(value: unknown): void {
    const v = typeof value === 'bigint' ? Number(value) : value;
    if (typeof v !== 'number') throw Object.assign(new TypeError(`The "val" argument must be one of type number or bigint. Received type ${typeof value}`), { code: 'ERR_INVALID_ARG_TYPE' });
    if (!(v >= 1 && v <= Number.MAX_SAFE_INTEGER)) throw rangeError('val', `>= 1 && <= ${Number.MAX_SAFE_INTEGER}`, value);
    if (v < this.lowest || v > this.highest) {
      this.#exceeds++;
      return;
    }
    this.#values.push(v);
    this.#sorted = false;
  }

  recordDelta(): void {
    const now = Math.round((globalThis as unknown as { performance: { now(): number } }).performance.now() * 1e6);
    if (this.#prev !== undefined) this.record(Math.max(1, now - this.#prev));
    this.#prev = now;
  }

  add(other: RecordableHistogram): void {
    for (const v of other.#values) this.record(v);
    this.#exceeds += other.#exceeds;
  }

  reset(): void {
    this.#values = [];
    this.#exceeds = 0;
    this.#prev = undefined;
  }

  #sortedValues(): number[] {
    if (!this.#sorted) {
      this.#values.sort((a, b) => a - b);
      this.#sorted = true;
    }
    return this.#values;
  }
}

export function createPerfHooks() {
  const g = globalThis as Record<string, unknown>;
  return {
    get performance() { return g.performance; },
    constants: Object.freeze({ NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16, NODE_PERFORMANCE_GC_FLAGS_NO: 0, NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2, NODE_PERFORMANCE_GC_FLAGS_FORCED: 4, NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8, NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16, NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32, NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64 }),
    createHistogram: (options: { lowest?: number; highest?: number; figures?: number } = {}) => {
      const lowest = options.lowest ?? 1;
      const highest = options.highest ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isInteger(lowest) || lowest < 1) throw rangeError('options.lowest', '>= 1 && <= 9007199254740991', lowest);
      if (!Number.isInteger(highest) || highest < lowest + lowest) throw rangeError('options.highest', `>= ${2 * lowest} && <= 9007199254740991`, highest);
      return new RecordableHistogram(lowest, highest);
    },
  };
}
