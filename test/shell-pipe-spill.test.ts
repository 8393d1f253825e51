// The shell cannot fork: for `$(…)`, `{ …; } | cmd` and `( … ) | cmd` it starts the
// writer, waits for it to end, and only then reads the pipe (or hands it to the next
// stage). Past a full pipe (64 KiB) the writer blocked and the shell waited for ever. The
// daemon now spills a full pipe whose reader is waiting for its children
// (src/process/pipe-ring.ts spillAll), bounded per VM. Each script runs under the host's
// /bin/sh too, and the outputs must match.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, startSidecar } from './helpers/sidecar.js';

const SPILL_BYTES = 1024 * 1024;
const { client, logs } = await startSidecar({ env: { AGENTOS_PIPE_SPILL_BYTES_PER_VM: String(SPILL_BYTES) } });
const exhausted = () => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'pipe_spill_bytes_per_vm');
const host = (script: string) => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });

async function inVm(vmId: string, script: string): Promise<string> {
  const r = await client.exec(vmId, 'sh', ['-c', script]);
  assert.equal([r.exitCode, r.stderr], [0, ''], `${script}: ${r.stderr}`);
  return r.stdout;
}

// 100,000 lines are 588,895 bytes: nine times a pipe's buffer, within the 1 MiB spill.
const scripts = [
  'x=$(seq 1 100000); echo ${#x}; echo "$x" | tail -n 1',
  '{ seq 1 100000; } | wc -l',
  '(echo first; seq 1 100000; echo last) | md5sum',
  'seq 1 100000 | { cat; } | wc -c',
  'y=$( (seq 1 60000; seq 1 60000) | sort -n | uniq -c | wc -l ); echo $y',
];

for (const script of scripts) {
  test(`as the host's sh: ${script}`, async () => {
    const { vmId } = await client.createVm();
    assert.is(await inVm(vmId, script), host(script));
  });
}

test('a node process reads a spilled pipe and writes into one, whole and in order', async () => {
  const { vmId } = await client.createVm();
  const reader = `{ seq 1 100000; } | node -e 'const c = []; process.stdin.on("data", (d) => c.push(d)).on("end", () => { const s = Buffer.concat(c).toString(); console.log(s.length, s.split("\\n")[99999]) })'`;
  assert.is(await inVm(vmId, reader), '588895 100000\n');
  const writer = `x=$(node -e 'for (let i = 0; i < 4; i++) process.stdout.write(String(i).repeat(50000))'); echo \${#x} \${x:49999:2} \${x:199999:1}`;
  assert.is(await inVm(vmId, writer), '200000 01 3\n');
});

test('past AGENTOS_PIPE_SPILL_BYTES_PER_VM the writer blocks as on Linux, the limit is logged, and the budget comes back', async () => {
  const { vmId } = await client.createVm();
  // ~6.9 MB into one command substitution: more than the VM may spill.
  const r = await client.exec(vmId, 'sh', ['-c', 'x=$(seq 1 1000000); echo ${#x}'], { timeoutMs: 4000 });
  assert.equal([r.exitCode, r.error?.code, r.stdout], [124, 'ERR_AGENTOS_TIMEOUT', '']);
  const line = await eventually(exhausted);
  assert.equal([line.level, line.capacity, line.env], ['warn', SPILL_BYTES, 'AGENTOS_PIPE_SPILL_BYTES_PER_VM']);
  // The killed shell's pipe is gone, and what it had spilled with it: the VM may spill again.
  assert.is(await inVm(vmId, 'x=$(seq 1 100000); echo ${#x}'), '588894\n');
});

test.after(async () => {
  await client.close();
});

test.run();
