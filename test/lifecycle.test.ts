import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { SIDECAR_BIN, SidecarClient } from '../src/client/client.js';
import { frame, parseFrames, rejection, startSidecar } from './helpers/sidecar.js';
import { spawnRaw, started } from './helpers/raw.js';

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

test('stdin EOF disposes every VM and exits 0 within a second', async () => {
  const raw = spawnRaw();
  await started(raw);
  raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } }));
  raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 2, method: 'vm/create', params: {} }));
  raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 3, method: 'process/exec', params: { vmId: 'vm-1', command: 'node', args: ['-e', 'setInterval(() => {}, 1000)'] } }));
  await new Promise((r) => setTimeout(r, 200));
  (raw as unknown as { endAt: number }).endAt = performance.now();
  raw.child.stdin.end();
  const { code, ms } = await raw.exited;
  assert.is(code, 0);
  assert.ok(ms < 1000, `exited after ${ms.toFixed(0)} ms`);
  assert.ok(raw.logs.some((l) => l.msg === 'vm disposed' && l.vmId === 'vm-1'));
});

test('SIGTERM exits 0 within a second', async () => {
  const raw = spawnRaw();
  await started(raw);
  (raw as unknown as { endAt: number }).endAt = performance.now();
  raw.child.kill('SIGTERM');
  const { code, ms } = await raw.exited;
  assert.is(code, 0);
  assert.ok(ms < 1000, `exited after ${ms.toFixed(0)} ms`);
});

test('stdout carries nothing but valid frames, whatever guests print', async () => {
  const raw = spawnRaw();
  await started(raw);
  const send = (id: number, method: string, params: object) => raw.child.stdin.write(frame({ jsonrpc: '2.0', id, method, params }));
  send(1, 'initialize', { protocolVersion: P.PROTOCOL_VERSION });
  send(2, 'vm/create', {});
  send(3, 'process/exec', { vmId: 'vm-1', command: 'node', args: ['-e', 'for (let i = 0; i < 200; i++) { console.log("Content-Length: 5\\r\\n\\r\\nhello"); process.stdout.write("raw " + i); console.error("err", i) }'] });
  send(4, 'process/exec', { vmId: 'vm-1', command: 'node', args: ['-e', 'throw new Error("x")'] });
  await new Promise((r) => setTimeout(r, 1500));
  send(5, 'shutdown', {});
  await new Promise((r) => setTimeout(r, 200));
  raw.child.stdin.end();
  await raw.exited;
  const frames = parseFrames(raw.stdout()) as Array<{ id: number; result?: { stdout: string } }>;
  // Concurrent execs may answer in either order; each id is answered once.
  assert.equal(frames.map((f) => f.id).sort(), [1, 2, 3, 4, 5]);
  assert.ok(frames.find((f) => f.id === 3)!.result!.stdout.includes('raw 199'));
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
