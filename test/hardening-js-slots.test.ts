import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Static } from '@sinclair/typebox';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { startSidecar } from './helpers/sidecar.js';

/**
 * Guest JS processes take their VM's run slots as WASM processes do (src/process/js-run-slot.ts):
 * a VM's busy JS processes run one at a time (AGENTOS_CPU_SLOTS_PER_VM), a process blocked in
 * a call gives its slot up, one spinning on calls passes it on at the end of its slice, and a
 * kill gives it back. Every check is on events, their order and vm/stats, never elapsed time.
 */

type Stats = Static<typeof P.VmStats.result>;
const sh = (client: SidecarClient, vmId: string, line: string) => client.exec(vmId, 'sh', ['-c', line], { timeoutMs: 60_000 });

/** vm/stats again and again until `done` (the order of events, not a time, decides). */
async function statsUntil(client: SidecarClient, vmId: string, done: (s: Stats) => boolean): Promise<Stats> {
  for (let i = 0; ; i++) {
    const s = await client.request(P.VmStats, { vmId });
    if (done(s)) return s;
    if (i > 3000) throw new Error(`vm/stats never reached the state: ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A JS process that says it started, then computes forever without calling the daemon. */
async function spinner(client: SidecarClient, vmId: string): Promise<{ pid: number; exited: Promise<unknown> }> {
  let started!: () => void;
  const printed = new Promise<void>((resolve) => (started = resolve));
  const { pid } = await client.spawn(vmId, 'node', ['-e', "console.log('spinning'); for (;;);"], { timeoutMs: 120_000 });
  const stop = client.onOutput((e) => {
    if (e.pid === pid && e.vmId === vmId && e.data.includes('spinning')) started();
  });
  const exited = client.waitForExit(vmId, pid);
  await printed;
  stop();
  return { pid, exited };
}

test('a spinning JS process holds its VM\'s one slot: the VM\'s next JS and WASM processes wait parked until it is killed; another VM runs meanwhile', async () => {
  const { client } = await startSidecar();
  try {
    const busy = (await client.createVm()).vmId;
    const bystander = (await client.createVm()).vmId;
    const spin = await spinner(client, busy);
    const order: string[] = [];
    const node = client.exec(busy, 'node', ['-e', "console.log('node ran')"], { timeoutMs: 120_000 }).then((r) => (order.push('node'), r));
    const echo = sh(client, busy, 'echo sh ran').then((r) => (order.push('sh'), r));
    // Both wait for the slot the spinner holds: the JS one in the daemon's queue, the WASM one parked in its runner.
    const during = await statsUntil(client, busy, (s) => s.cpu.parked === 2);
    assert.equal(during.cpu, { slots: 1, holding: 1, parked: 2 });
    assert.is(during.processes.running, 3);
    const other = await sh(client, bystander, 'echo hi');
    assert.equal([other.exitCode, other.stdout], [0, 'hi\n'], 'another VM has its own slot');
    order.push('bystander');
    await client.request(P.ProcessKill, { vmId: busy, pid: spin.pid, signal: 'SIGKILL' });
    await spin.exited;
    order.push('killed');
    const [n, e] = await Promise.all([node, echo]);
    assert.equal([n.exitCode, n.stdout, e.exitCode, e.stdout], [0, 'node ran\n', 0, 'sh ran\n']);
    assert.equal(order.slice(0, 2), ['bystander', 'killed'], 'nothing of the busy VM ran while the spinner held the slot');
    const after = await statsUntil(client, busy, (s) => s.processes.running === 0);
    assert.equal(after.cpu, { slots: 1, holding: 0, parked: 0 }, 'the kill gave the slot back');
  } finally {
    await client.close();
  }
});

test('AGENTOS_CPU_SLOTS_PER_VM=2: two spinning JS processes both hold a slot, a third waits', async () => {
  const { client } = await startSidecar({ env: { AGENTOS_CPU_SLOTS_PER_VM: '2' } });
  try {
    const { vmId } = await client.createVm();
    const a = await spinner(client, vmId);
    const b = await spinner(client, vmId);
    const third = client.exec(vmId, 'node', ['-e', "console.log('third')"], { timeoutMs: 120_000 });
    const during = await statsUntil(client, vmId, (s) => s.cpu.parked === 1);
    assert.equal(during.cpu, { slots: 2, holding: 2, parked: 1 });
    await client.request(P.ProcessKill, { vmId, pid: a.pid, signal: 'SIGKILL' });
    const r = await third;
    assert.equal([r.exitCode, r.stdout], [0, 'third\n']);
    await client.request(P.ProcessKill, { vmId, pid: b.pid, signal: 'SIGKILL' });
    const after = await statsUntil(client, vmId, (s) => s.processes.running === 0);
    assert.equal(after.cpu, { slots: 2, holding: 0, parked: 0 });
  } finally {
    await client.close();
  }
});

test('a JS parent blocked in execFileSync / execSync gives its slot to its JS and WASM children (one slot: no deadlock)', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // execSync runs a shell, which starts WASM commands only: node children come through execFileSync.
    const nested = "process.stdout.write(require('child_process').execFileSync('node', ['-e', 'console.log(1 + 1)']).toString())";
    const code = [
      "const cp = require('child_process');",
      "process.stdout.write(cp.execFileSync('node', ['-e', 'console.log(6 * 7)']).toString());",
      "process.stdout.write(cp.execSync('echo from sh').toString());",
      `process.stdout.write(cp.execFileSync('node', ['-e', ${JSON.stringify(nested)}]).toString());`,
    ].join('\n');
    const r = await client.exec(vmId, 'node', ['-e', code], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.error], [0, '42\nfrom sh\n2\n', undefined], r.stderr);
    assert.equal((await client.request(P.VmStats, { vmId })).cpu, { slots: 1, holding: 0, parked: 0 });
  } finally {
    await client.close();
  }
});

test('two JS processes that spin on fs calls until they see each other both finish with one slot: a holder gives it up at a call (its slice or the daemon turn ended)', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // Each marks itself present, then loops on existsSync until the other's mark is there. Without
    // handing the slot over at a call, the first would spin alone until its budget.
    const meet = (me: string, other: string) =>
      `const fs = require('fs'); fs.writeFileSync('/tmp/${me}', ''); let calls = 0; while (!fs.existsSync('/tmp/${other}')) calls++; console.log('${me} met ${other}')`;
    const script = [
      "const { spawn } = require('child_process');",
      `spawn('node', ['-e', ${JSON.stringify(meet('a', 'b'))}], { stdio: 'inherit' });`,
      `spawn('node', ['-e', ${JSON.stringify(meet('b', 'a'))}], { stdio: 'inherit' });`,
    ].join('\n');
    const r = await client.exec(vmId, 'node', ['-e', script], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout.split('\n').sort(), r.error], [0, ['', 'a met b', 'b met a'], undefined], r.stderr);
  } finally {
    await client.close();
  }
});

test('a VM\'s JS timer loops share its slot: each of 4 busy-in-ticks processes finishes its ticks, the VM ends with the slot free', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // Each tick computes a while, then schedules the next: entries of 4 processes interleave through one slot.
    const child = "let n = 0; const tick = () => { let x = 0; for (let i = 0; i < 2e5; i++) x += i; if (++n < 50) setImmediate(tick); else console.log('done ' + n); }; tick();";
    const script = `const { spawn } = require('child_process'); for (let i = 0; i < 4; i++) spawn('node', ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' });`;
    const r = await client.exec(vmId, 'node', ['-e', script], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.error], [0, 'done 50\n'.repeat(4), undefined], r.stderr);
    assert.equal((await client.request(P.VmStats, { vmId })).cpu, { slots: 1, holding: 0, parked: 0 });
  } finally {
    await client.close();
  }
});

test('a parent piping 1 MiB through a JS child gets every byte back: a blocked entry gives the slot up whatever entries wait behind it in its isolate', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // Node's test-stdin-pipe-large: the parent's write outruns the child's stdin, so its entry
    // waits for turns while the child's output events queue behind it; the child needs the slot.
    const script = [
      "const { spawn } = require('child_process');",
      "if (process.argv[2] === 'child') { process.stdin.pipe(process.stdout); return; }",
      "const child = spawn(process.execPath, [__filename, 'child'], { stdio: 'pipe' });",
      'let bytes = 0;',
      'child.stdin.end(Buffer.alloc(1024 * 1024, 7));',
      "child.stdout.on('data', (c) => { bytes += c.length; });",
      "child.on('close', (code) => console.log(`child ${code}, ${bytes} bytes back`));",
    ].join('\n');
    await client.writeFile(vmId, '/p.js', script);
    const r = await client.exec(vmId, 'node', ['/p.js'], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.error], [0, 'child 0, 1048576 bytes back\n', undefined], r.stderr);
    assert.equal((await client.request(P.VmStats, { vmId })).cpu, { slots: 1, holding: 0, parked: 0 });
  } finally {
    await client.close();
  }
});

test.run();
