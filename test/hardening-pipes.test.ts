import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

/**
 * Pipelines lose no bytes, however loaded the machine. A stage's output used to vanish
 * now and then ("3..9" from ten `sh -c 'cat; echo i'` stages; 0 from `seq | cat ×8 | wc -l`):
 * not a pipe race, but the WASM memory meter counting every stage that made no host call
 * within one 50 ms tick at its full cap, so stages still waiting for a thread or a core
 * came to the VM's budget together and the oldest were SIGKILLed, silently. A tight VM
 * budget (4 caps) and twenty stages make that window wide: every run must come through
 * whole, and the meter must stop no one.
 */
const { client, logs } = await startSidecar();
const MiB = 1024 * 1024;
const RUNS = 6;
const STAGES = 20;

const tightVm = async () => (await client.createVm({ limits: { wasmMaxMemoryBytes: 16 * MiB, vmWasmMemoryBytes: 64 * MiB } })).vmId;
const meterStops = () => logs.filter((l) => l.msg === 'bounded limit exhausted' && l.limit === 'vm_wasm_memory_bytes');

test('twenty stages of cat carry every byte, run after run, and the memory meter stops no stage', async () => {
  const v = await tightVm();
  const line = ['seq 1 20000', ...Array(STAGES - 2).fill('cat'), 'sha256sum'].join(' | ');
  const want = (await client.exec(v, 'sh', ['-c', 'seq 1 20000 > /tmp/s; sha256sum < /tmp/s'])).stdout;
  assert.match(want, /^[0-9a-f]{64}  -\n$/);
  for (let run = 0; run < RUNS; run++) {
    const r = await client.exec(v, 'sh', ['-c', line], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.stderr, meterStops()], [0, want, '', []], `run ${run}`);
  }
});

test('each stage\'s last write before it exits arrives, in order', async () => {
  const v = await tightVm();
  const line = Array.from({ length: STAGES }, (_, i) => `sh -c 'cat; echo ${i}'`).join(' | ');
  const want = Array.from({ length: STAGES }, (_, i) => `${i}\n`).join('');
  for (let run = 0; run < RUNS; run++) {
    const r = await client.exec(v, 'sh', ['-c', line], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.stderr, meterStops()], [0, want, '', []], `run ${run}`);
  }
});

test.after(async () => {
  await client.close();
});

test.run();
