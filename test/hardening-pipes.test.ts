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

test('a guest write larger than the output window crosses in pieces and arrives whole: no split surrogate pair, no lost byte', async () => {
  const v = (await client.createVm()).vmId;
  // 'a' then emoji: every pair starts at an odd index, so a cut at any multiple of the
  // 64 KiB window would fall between the halves of one and print U+FFFD twice.
  const text = await client.exec(v, 'node', ['-e', "process.stdout.write('a' + '\\u{1F600}'.repeat(1_500_000)); process.stderr.write('done')"], { timeoutMs: 60_000 });
  assert.equal([text.exitCode, text.stdout.length, text.stdout === `a${'\u{1F600}'.repeat(1_500_000)}`, text.stderr], [0, 3_000_001, true, 'done']);
  // Bytes: 3 MiB and 5, each byte its index mod 251, through a Buffer and fs.writeSync(1).
  const bytes = await client.exec(v, 'node', ['-e', "const b = Buffer.alloc(3 * 1024 * 1024 + 5); for (let i = 0; i < b.length; i++) b[i] = i % 251; process.stdout.write(b.subarray(0, 1000)); require('fs').writeSync(1, b, 1000); process.stdout.write('END')"], { timeoutMs: 60_000, outputEncoding: 'base64' });
  const out = Buffer.from(bytes.stdout, 'base64');
  const want = Buffer.alloc(3 * 1024 * 1024 + 5);
  for (let i = 0; i < want.length; i++) want[i] = i % 251;
  assert.equal([bytes.exitCode, out.length, out.subarray(0, want.length).equals(want), out.subarray(want.length).toString()], [0, want.length + 3, true, 'END']);
});

test.after(async () => {
  await client.close();
});

test.run();
