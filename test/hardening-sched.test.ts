import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Static } from '@sinclair/typebox';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, rejection, startSidecar, type LogLine } from './helpers/sidecar.js';

/**
 * One VM's processes cannot stall the others: a VM's guests start processes at a bounded
 * rate (a token bucket per VM, admission.ts), and the whole sidecar runs a bounded number
 * of processes. Every check is on events and their order, never on elapsed time.
 */

const exhausted = (logs: LogLine[], limit: string) => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit);
const sh = (client: SidecarClient, vmId: string, line: string, timeoutMs = 30_000) => client.exec(vmId, 'sh', ['-c', line], { timeoutMs });

test('spawns past the burst wait for a token: exactly the burst ran, the rest never started', async () => {
  // A token every 10 minutes: after the burst of 3 no other child can start within the test.
  const { client, logs } = await startSidecar({ env: { AGENTOS_SPAWN_BURST_PER_VM: '3', AGENTOS_SPAWN_INTERVAL_MS: '600000' } });
  try {
    const { vmId } = await client.createVm();
    // The shell waits for the first three only; the last three are spawned (they have pids) but wait for a token.
    const r = await sh(client, vmId, 'touch /tmp/s1 & a=$!; touch /tmp/s2 & b=$!; touch /tmp/s3 & c=$!; touch /tmp/s4 & touch /tmp/s5 & touch /tmp/s6 & wait $a $b $c; echo /tmp/*');
    assert.equal([r.exitCode, r.stdout, r.error], [0, '/tmp/s1 /tmp/s2 /tmp/s3\n', undefined], r.stderr);
    // The shell's end ended its waiting children (they never ran).
    const names = (await client.request(P.FsReaddir, { vmId, path: '/tmp' })).entries.map((e) => e.name).sort();
    assert.equal(names, ['s1', 's2', 's3'], 'the first three spawns (the burst) ran, in order; the other three never did');
    const line = await eventually(() => exhausted(logs, 'spawn_burst_per_vm'));
    assert.equal([line.level, line.capacity, line.env], ['warn', 3, 'AGENTOS_SPAWN_BURST_PER_VM']);
    const stats = await client.request(P.VmStats, { vmId });
    assert.is(stats.processes.running, 0);
  } finally {
    await client.close();
  }
});

test('a fork bomb that really spawns: a bystander VM and pings answer before the bomb\'s exec returns', async () => {
  const { client } = await startSidecar();
  try {
    const bomb = (await client.createVm({ files: [{ path: '/home/user/b.sh', data: 'sh b.sh & sh b.sh & wait\n', encoding: 'utf8' }] })).vmId;
    const bystander = (await client.createVm()).vmId;
    const order: string[] = [];
    const storm = sh(client, bomb, 'sh b.sh', 15_000).then((r) => {
      order.push('bomb');
      return r;
    });
    // The bomb is under way once its VM runs 16 processes.
    let running = 0;
    const poll = setInterval(() => void client.request(P.VmStats, { vmId: bomb }).then((s) => (running = s.processes.running), () => {}), 20);
    await eventually(() => running >= 16, 60_000).finally(() => clearInterval(poll));
    await client.request(P.SidecarPing, {});
    order.push('ping');
    const echo = await sh(client, bystander, 'echo hi');
    order.push('echo');
    assert.is(echo.stdout, 'hi\n');
    const r = await storm;
    assert.equal(order, ['ping', 'echo', 'bomb'], 'the bystander answered while the bomb ran');
    assert.is(r.error?.code, 'ERR_AGENTOS_TIMEOUT', 'the wall budget ended the bomb');
    // Everything the bomb started ended with it.
    assert.is((await client.request(P.VmStats, { vmId: bomb })).processes.running, 0);
    assert.is((await sh(client, bomb, 'echo after')).stdout, 'after\n');
  } finally {
    await client.close();
  }
});

test('the sidecar-wide process budget: a spawning guest sees EAGAIN, a host ERR_AGENTOS_SIDECAR_PROCESS_LIMIT', async () => {
  const { client, logs } = await startSidecar({ env: { AGENTOS_SIDECAR_MAX_PROCESSES: '4' } });
  try {
    const a = (await client.createVm()).vmId;
    const b = (await client.createVm()).vmId;
    const sleep = async () => (await client.spawn(a, 'sleep', ['100'], { timeoutMs: 60_000 })).pid;
    const first = await sleep();
    await sleep();
    // VM b's shell is process 3 and its background sleep process 4: the next spawn is refused.
    const r = await sh(client, b, 'sleep 100 & sleep 1; echo status $?');
    assert.match(r.stderr, /Resource temporarily unavailable/, `the shell reports EAGAIN; stderr: ${r.stderr}`);
    assert.match(r.stdout, /^status [1-9]\d*\n$/, 'the refused command failed; the shell went on');
    await sleep();
    await sleep();
    const err = await rejection(() => client.exec(b, 'echo', ['x']));
    assert.is(err.code, 'ERR_AGENTOS_SIDECAR_PROCESS_LIMIT');
    assert.equal([err.data.limit, err.data.capacity, err.data.observed, err.data.env], ['sidecar_max_processes', 4, 5, 'AGENTOS_SIDECAR_MAX_PROCESSES']);
    const line = await eventually(() => exhausted(logs, 'sidecar_max_processes'));
    assert.equal([line.level, line.capacity], ['warn', 4]);
    // A process that ends gives its place back.
    const ended = client.waitForExit(a, first);
    await client.request(P.ProcessKill, { vmId: a, pid: first, signal: 'SIGKILL' });
    await ended;
    assert.is((await client.exec(b, 'echo', ['back'])).stdout, 'back\n');
  } finally {
    await client.close();
  }
});

/** Polls vm/stats until `done` holds of a reading; returns every reading taken. */
async function statsUntil(client: SidecarClient, vmId: string, done: (s: Static<typeof P.VmStats.result>) => boolean) {
  const seen: Array<Static<typeof P.VmStats.result>> = [];
  for (;;) {
    const s = await client.request(P.VmStats, { vmId });
    seen.push(s);
    if (done(s)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function busyVmShares(slots: number | undefined) {
  const { client } = await startSidecar(slots === undefined ? {} : { env: { AGENTOS_CPU_SLOTS_PER_VM: String(slots) } });
  const expected = slots ?? 1;
  try {
    const busy = (await client.createVm()).vmId;
    const bystander = (await client.createVm()).vmId;
    const order: string[] = [];
    const { pid } = await client.spawn(busy, 'sh', ['-c', 'for i in $(seq 1 16); do yes > /dev/null & done; wait'], { timeoutMs: 120_000 });
    const exited = client.waitForExit(busy, pid).then((e) => {
      order.push('attacker exit');
      return e;
    });
    // All 16 started: all but `expected` of them wait parked (the shell blocks in wait, holding none);
    // a slot passed on at the end of a slice is briefly held by no one, so this is awaited.
    const seen = await statsUntil(client, busy, (s) => s.processes.running === 17 && s.cpu.parked === 16 - expected && s.cpu.holding === expected);
    const last = seen[seen.length - 1]!;
    assert.equal(last.cpu, { slots: expected, holding: expected, parked: 16 - expected });
    assert.ok(seen.every((s) => s.cpu.holding <= expected), `never more than ${expected} held: ${seen.map((s) => s.cpu.holding).join(',')}`);
    // Another VM has its own slots: its command runs to the end while the 16 still run.
    const echo = await sh(client, bystander, 'echo hi');
    order.push('bystander echo');
    assert.equal([echo.exitCode, echo.stdout], [0, 'hi\n']);
    assert.equal((await client.request(P.VmStats, { vmId: bystander })).cpu, { slots: expected, holding: 0, parked: 0 });
    const during = await client.request(P.VmStats, { vmId: busy });
    assert.is(during.processes.running, 17, 'the busy VM still ran every process when the bystander\'s command ended');
    await client.request(P.ProcessKill, { vmId: busy, pid, signal: 'SIGKILL' });
    const exit = await exited;
    assert.is(exit.signal, 'SIGKILL');
    assert.equal(order, ['bystander echo', 'attacker exit']);
    // Killed while they held a slot or waited parked: everything went back.
    const after = await statsUntil(client, busy, (s) => s.processes.running === 0);
    assert.equal(after[after.length - 1]!.cpu, { slots: expected, holding: 0, parked: 0 });
    const again = await sh(client, busy, 'seq 1 3000 | cat | cat | wc -l');
    assert.equal([again.exitCode, again.stdout], [0, '3000\n'], 'the VM runs pipelines again with its slots all free');
  } finally {
    await client.close();
  }
}

test('16 busy processes in one VM run in its one run slot, the rest parked; another VM\'s command ends while they run, and a kill gives every slot back', () => busyVmShares(undefined));

test('AGENTOS_CPU_SLOTS_PER_VM sets the slots: 3 of 16 busy processes run, 13 wait', () => busyVmShares(3));

test('with one slot, processes that hand data to each other through pipes and waits still all finish', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // Writers block on a full pipe while holding nothing; readers wake them: a slot never deadlocks the VM.
    const r = await sh(client, vmId, 'seq 1 200000 | cat | cat | cat | wc -l; (yes | head -c 300000 | wc -c) & (seq 1 5 | sort -r | head -n 1) & wait');
    assert.equal([r.exitCode, r.stdout.split('\n').sort()], [0, ['', '200000', '300000', '5'].sort()], r.stderr);
    assert.equal((await client.request(P.VmStats, { vmId })).cpu, { slots: 1, holding: 0, parked: 0 });
  } finally {
    await client.close();
  }
});

test('stats answered in the runner never hide a change: a loop that only stats sees another process remove the file, ls -l after a write sees its size', async () => {
  const { client } = await startSidecar();
  try {
    const { vmId } = await client.createVm();
    // The loop makes nothing but stats; the background rm runs in the VM's one slot when the loop's slice ends.
    const loop = await sh(client, vmId, 'touch /tmp/f; (sleep 0.2; rm /tmp/f) & while test -e /tmp/f; do :; done; echo gone; wait');
    assert.equal([loop.exitCode, loop.stdout, loop.error], [0, 'gone\n', undefined], loop.stderr);
    // A listing carries each entry's stat; a write in between makes the next stat ask again.
    const ls = await sh(client, vmId, 'mkdir /d; touch /d/a; ls -l /d; printf hello > /d/a; ls -l /d');
    const sizes = ls.stdout.split('\n').filter((l) => / a$/.test(l)).map((l) => l.split(/\s+/)[4]);
    assert.equal([ls.exitCode, sizes], [0, ['0', '5']], ls.stdout + ls.stderr);
  } finally {
    await client.close();
  }
});

test.run();
