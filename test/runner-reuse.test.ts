import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { IsolatePool } from '../src/process/isolate-pool.js';
import type { RunnerIsolate } from '../src/wasm/runner-isolate.js';
import { RunnerReuse } from '../src/wasm/runner-reuse.js';

/** Runners as far as reuse looks at them, and a pool that counts what it hands out and gets back. */
function fakes() {
  let made = 0;
  const released: number[] = [];
  const runner = (heapLimitMb = 2048) => ({ id: ++made, heapLimitMb, isolate: { isDisposed: false } }) as unknown as RunnerIsolate & { id: number };
  const pool = {
    take: async (heapLimitMb: number) => runner(heapLimitMb),
    release: (r: RunnerIsolate & { id: number }) => released.push(r.id),
  } as unknown as IsolatePool<RunnerIsolate>;
  return { pool, released, made: () => made };
}

test('a VM reuses up to maxIdle of its own runners, never one still running or disposed', async () => {
  const { pool, released, made } = fakes();
  const reuse = new RunnerReuse(pool, 2);
  const [a, b, c] = await Promise.all([reuse.take(2048), reuse.take(2048), reuse.take(2048)]) as Array<RunnerIsolate & { id: number }>;
  reuse.release(a!, true);
  reuse.release(b!, true);
  reuse.release(c!, true);
  assert.equal(released, [c!.id], 'past maxIdle a runner goes back to the pool');
  const again = await Promise.all([reuse.take(2048), reuse.take(2048), reuse.take(2048)]);
  assert.equal(again.map((r) => (r as RunnerIsolate & { id: number }).id).sort(), [a!.id, b!.id, 4].sort(), 'two warm, one new');
  assert.is(made(), 4);
  reuse.release(again[0]!, false);
  assert.ok(released.includes((again[0] as RunnerIsolate & { id: number }).id), 'one that did not end on its own is never kept');
  const other = await reuse.take(256);
  assert.is((other as RunnerIsolate & { id: number }).heapLimitMb, 256, 'a different heap ceiling is never served from the idle set');
  reuse.release(again[1]!, true);
  reuse.dispose();
  assert.ok(released.includes((again[1] as RunnerIsolate & { id: number }).id), 'dispose gives the idle ones back');
});

test.run();
