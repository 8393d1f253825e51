/** Timing statistics for the benchmark table. */
export interface Summary {
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  samples: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), p99: at(0.99), min: sorted[0]!, max: sorted[sorted.length - 1]!, samples: sorted.length };
}

/** Runs `fn` `warmup` times unmeasured, then `samples` times, returning each duration in ms. */
export async function measure(samples: number, fn: () => Promise<unknown> | unknown, warmup = Math.min(10, samples)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
