import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejection, startSidecar, waitForAsync } from './helpers/sidecar.js';

/**
 * process/list: every process of a VM with its pid, ppid, pgid, command, argv, state,
 * startedAt and usage, so a host can draw the tree and find what an agent left running.
 */
const { client } = await startSidecar();

test('a pipeline\'s stages are listed with their parent, the shell', async () => {
  const { vmId } = await client.createVm({});
  const before = Date.now();
  const { pid } = await client.spawn(vmId, 'sh', ['-c', 'sleep 100 | cat | sort']);
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.length === 4);
  const { processes } = await client.listProcesses(vmId);
  assert.equal(processes.map((p) => [p.pid, p.ppid, p.pgid, p.command, p.argv, p.state]), [
    [pid, 0, pid, 'sh', ['sh', '-c', 'sleep 100 | cat | sort'], 'running'],
    [pid + 1, pid, pid, '/usr/bin/sleep', ['/usr/bin/sleep', '100'], 'running'],
    [pid + 2, pid, pid, '/usr/bin/cat', ['/usr/bin/cat'], 'running'],
    [pid + 3, pid, pid, '/usr/bin/sort', ['/usr/bin/sort'], 'running'],
  ]);
  for (const p of processes) {
    const started = Date.parse(p.startedAt);
    assert.ok(started >= before - 1000 && started <= Date.now(), p.startedAt);
    assert.ok(p.usage.cpuMs >= 0 && p.usage.wallMs >= 0);
    assert.is(p.tty, undefined);
  }
  // Children start after their parent.
  assert.ok(processes.slice(1).every((p) => Date.parse(p.startedAt) >= Date.parse(processes[0]!.startedAt)));
  const exit = client.waitForExit(vmId, pid);
  await client.kill(vmId, pid, 'SIGKILL');
  await exit;
  // The tree ends with its host-started root.
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.length === 0);
});

test('a child that ended and is not waited for yet is a zombie under its parent; JS processes and their children too', async () => {
  const { vmId } = await client.createVm({});
  // brush waits for `true` at once; a JS parent that never reaps is how a zombie stays.
  const { pid } = await client.spawn(vmId, 'node', ['-e', `
    const { spawn } = require('child_process');
    spawn('sleep', ['100']);
    setInterval(() => {}, 1000);`]);
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.length === 2);
  const { processes } = await client.listProcesses(vmId);
  assert.equal(processes.map((p) => [p.pid, p.ppid, p.command, p.argv, p.state]), [
    [pid, 0, 'node', ['node', '-e', processes[0]!.argv[2]!], 'running'],
    // As child_process.spawn named it.
    [pid + 1, pid, 'sleep', ['sleep', '100'], 'running'],
  ]);
  await client.kill(vmId, pid, 'SIGKILL');
  // `true` ends at once; the shell then becomes `sleep` (exec: same process, same children),
  // which never waits for it: a zombie, as on Linux, until its parent ends.
  const sh = await client.spawn(vmId, 'sh', ['-c', 'true & exec sleep 100']);
  // brush runs `true &` in a subshell of its own (sh -c with its state, then the command).
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.some((p) => p.state === 'zombie'));
  const list = (await client.listProcesses(vmId)).processes;
  assert.equal(list.map((p) => [p.pid, p.ppid, p.command, p.state]), [
    [sh.pid, 0, 'sleep', 'running'],
    [sh.pid + 1, sh.pid, '/usr/bin/sh', 'zombie'],
  ]);
  assert.ok(list[1]!.argv.at(-1)!.endsWith('\ntrue\n'), list[1]!.argv.at(-1));
  await client.kill(vmId, sh.pid, 'SIGKILL');
});

test('a process on a terminal names it', async () => {
  const { vmId } = await client.createVm({});
  const { pid } = await client.spawn(vmId, 'cat', [], { pty: { cols: 80, rows: 24 } });
  const { processes } = await client.listProcesses(vmId);
  assert.equal(processes.map((p) => [p.pid, p.tty]), [[pid, '/dev/pts/0']]);
  await client.kill(vmId, pid, 'SIGKILL');
});

test('an unknown VM is refused by code', async () => {
  assert.is((await rejection(() => client.listProcesses('vm-nope'))).code, 'ERR_AGENTOS_VM_NOT_FOUND');
});

test.after(async () => {
  await client.close();
});

test.run();
