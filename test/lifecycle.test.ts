import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { SIDECAR_BIN, SidecarClient } from '../src/client/client.js';
import { frame, parseFrames, rejection, startSidecar } from './helpers/sidecar.js';
import { frameWhere, framesSoFar, spawnRaw, started, type RawSidecar } from './helpers/raw.js';

test('initialize answers with version, capabilities and the limits in force', async () => {
  const { client } = await startSidecar({ env: { AGENTOS_GUEST_HEAP_LIMIT_MB: '64' } });
  const info = client.initializeResult!;
  assert.is(info.protocolVersion, P.PROTOCOL_VERSION);
  assert.is(info.serverInfo.name, 'agentos-sidecar');
  assert.ok(info.capabilities.commands.includes('node'));
  assert.ok(info.capabilities.guestModules.includes('fs'));
  const heap = info.limits.find((l) => l.name === 'GUEST_HEAP_LIMIT_MB')!;
  assert.equal([heap.value, heap.source], [64, 'AGENTOS_GUEST_HEAP_LIMIT_MB']);
  assert.is(await client.close(), 0);
});

test('requests before initialize, a second initialize and a wrong protocol major are refused', async () => {
  const client = await SidecarClient.start({ noInitialize: true });
  assert.is((await rejection(() => client.request(P.VmList, {}))).code, 'ERR_AGENTOS_NOT_INITIALIZED');
  const wrongVersion = await rejection(() => client.request(P.Initialize, { protocolVersion: '9.0' }));
  assert.is(wrongVersion.code, 'ERR_AGENTOS_PROTOCOL_VERSION');
  await client.request(P.Initialize, { protocolVersion: P.PROTOCOL_VERSION });
  assert.is((await rejection(() => client.request(P.Initialize, { protocolVersion: P.PROTOCOL_VERSION }))).code, 'ERR_AGENTOS_ALREADY_INITIALIZED');
  assert.equal(await client.request(P.VmList, {}), { vms: [] });
  await client.close();
});

test('unknown methods and work after shutdown get their codes; exit after shutdown is 0', async () => {
  const { client } = await startSidecar();
  const unknown = await rejection(() => client.connection.sendRequest('vm/explode', {}).catch((e) => { throw { code: e.data?.code, message: e.message, data: e.data }; }));
  assert.is(unknown.code, 'ERR_AGENTOS_METHOD_NOT_FOUND');
  await client.request(P.Shutdown, {});
  assert.is((await rejection(() => client.createVm())).code, 'ERR_AGENTOS_SHUTTING_DOWN');
  await client.connection.sendNotification(P.Exit.method, {});
  assert.is((await client.exited).code, 0);
});

test('exit without shutdown ends with code 1', async () => {
  const { client } = await startSidecar();
  await client.connection.sendNotification(P.Exit.method, {});
  assert.is((await client.exited).code, 1);
});

/**
 * A daemon with one VM whose guest is running (it has printed "ready"), for the shutdown
 * tests: what they check is what happens to that VM and process on the way out.
 */
async function daemonWithLiveGuest(): Promise<RawSidecar> {
  const raw = spawnRaw();
  await started(raw);
  const send = (id: number, method: string, params: object) => raw.child.stdin.write(frame({ jsonrpc: '2.0', id, method, params }));
  send(1, 'initialize', { protocolVersion: P.PROTOCOL_VERSION });
  send(2, 'vm/create', {});
  send(3, 'process/spawn', { vmId: 'vm-1', command: 'node', args: ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'] });
  await frameWhere(raw, (f) => f.id === 3 && (f.result as { pid?: number } | undefined)?.pid === 1);
  await frameWhere(raw, (f) => f.method === 'process/output' && (f.params as { data: string }).data === 'ready\n');
  return raw;
}

/**
 * The shutdown, in order: the reason, the VM disposed with its process killed, then exit 0;
 * with `exitEvent`, the killed process's process/exit reached stdout too.
 */
async function assertOrderlyShutdown(raw: RawSidecar, reason: string, exitEvent: boolean): Promise<void> {
  const { code } = await raw.exited;
  assert.is(code, 0);
  const steps = raw.logs.map((l) => l.msg);
  const at = (msg: string) => steps.indexOf(msg);
  const shutting = raw.logs.find((l) => l.msg === 'shutting down');
  assert.is(shutting?.reason, reason);
  const disposed = raw.logs.find((l) => l.msg === 'vm disposed');
  assert.equal([disposed?.vmId, disposed?.killedProcesses], ['vm-1', 1]);
  assert.equal(raw.logs.find((l) => l.msg === 'sidecar exiting')?.exitCode, 0);
  assert.ok(at('shutting down') < at('vm disposed') && at('vm disposed') < at('sidecar exiting'), steps.join(' > '));
  if (!exitEvent) return;
  const exit = framesSoFar(raw).find((f) => f.method === 'process/exit');
  assert.equal(exit?.params, { ...(exit?.params as object), vmId: 'vm-1', pid: 1, exitCode: 137, signal: 'SIGKILL' });
}

test('stdin EOF disposes every VM, killing its processes, and exits 0', async () => {
  const raw = await daemonWithLiveGuest();
  raw.child.stdin.end();
  // After stdin EOF the daemon sends no process/exit for the processes it kills (the
  // connection is closing): only the log shows them go.
  await assertOrderlyShutdown(raw, 'stdin closed', false);
});

test('SIGTERM disposes every VM, killing its processes, and exits 0', async () => {
  const raw = await daemonWithLiveGuest();
  raw.child.kill('SIGTERM');
  await assertOrderlyShutdown(raw, 'SIGTERM', true);
});

test('stdout carries nothing but valid frames, whatever guests print', async () => {
  const raw = spawnRaw();
  await started(raw);
  const send = (id: number, method: string, params: object) => raw.child.stdin.write(frame({ jsonrpc: '2.0', id, method, params }));
  send(1, 'initialize', { protocolVersion: P.PROTOCOL_VERSION });
  send(2, 'vm/create', {});
  send(3, 'process/exec', { vmId: 'vm-1', command: 'node', args: ['-e', 'for (let i = 0; i < 200; i++) { console.log("Content-Length: 5\\r\\n\\r\\nhello"); process.stdout.write("raw " + i); console.error("err", i) }'] });
  send(4, 'process/exec', { vmId: 'vm-1', command: 'node', args: ['-e', 'throw new Error("x")'] });
  await frameWhere(raw, (f) => f.id === 3);
  await frameWhere(raw, (f) => f.id === 4);
  send(5, 'shutdown', {});
  await frameWhere(raw, (f) => f.id === 5);
  raw.child.stdin.end();
  await raw.exited;
  const frames = parseFrames(raw.stdout()) as Array<{ id: number; result?: { stdout: string; exitCode: number } }>;
  // Concurrent execs may answer in either order; each id is answered once.
  assert.equal(frames.map((f) => f.id).sort(), [1, 2, 3, 4, 5]);
  const printed = frames.find((f) => f.id === 3)!.result!.stdout;
  assert.is(printed, Array.from({ length: 200 }, (_, i) => `Content-Length: 5\r\n\r\nhello\nraw ${i}`).join(''));
  assert.is(frames.find((f) => f.id === 4)!.result!.exitCode, 1);
});

test('--help, --version and --print-limits print and exit', () => {
  const run = (arg: string, env: NodeJS.ProcessEnv = {}) => execFileSync(process.execPath, ['--no-node-snapshot', SIDECAR_BIN, arg], { env: { ...process.env, ...env } }).toString();
  assert.match(run('--help'), /Usage: agentos-sidecar/);
  assert.match(run('--version'), /^\d+\.\d+\.\d+\n$/);
  const table = run('--print-limits', { AGENTOS_FS_QUOTA_BYTES: '1000', AGENTOS_MAX_VMS: '-5' });
  assert.match(table, /FS_QUOTA_BYTES\s+1000\s+bytes\s+1\s+68719476736\s+VM\s+AGENTOS_FS_QUOTA_BYTES\s+AGENTOS_FS_QUOTA_BYTES/);
  assert.match(table, /MAX_VMS\s+10000\s+count\s+1\s+1000000\s+sidecar\s+AGENTOS_MAX_VMS\s+default \(ignored AGENTOS_MAX_VMS="-5": not a positive number\)/);
});

test.run();
