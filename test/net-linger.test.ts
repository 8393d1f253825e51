import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import * as P from '../protocol/index.js';
import { eventually, startSidecar, waitForAsync } from './helpers/sidecar.js';

/**
 * A connection the guest closed while its peer does not read: what it wrote is still sent
 * while the peer takes it, but for at most AGENTOS_NET_LINGER_MS (here 2 s), then the daemon
 * gives the connection up and the VM has its slot back, as a kernel gives up an orphaned
 * socket. A peer that reads gets every byte and the end.
 */
const { client } = await startSidecar({ env: { AGENTOS_NET_LINGER_MS: '2000' } });
const events: string[] = [];
let received = 0;
const server = createServer((socket: Socket) => {
  socket.on('close', () => events.push('peer closed'));
  socket.on('error', () => undefined);
  if (events.includes('reader')) socket.on('data', (d) => (received += d.length)).on('end', () => events.push(`end after ${received}`));
  else socket.pause();
  events.push('accepted');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;
const { vmId } = await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${port}`] }] } } });
// 8 MiB is far past what the host's socket buffers take from a peer that does not read.
const WRITE_THEN_DESTROY = `const s = require('net').connect(${port}, '127.0.0.1', () => { s.write(Buffer.alloc(8 * 1024 * 1024, 1)); s.destroy(); console.log('closed by guest'); });`;
const connections = async () => (await client.request(P.VmStats, { vmId })).network.connections;

test.after(async () => {
  await client.close();
  server.close();
});

test('a peer that never reads: the closed connection is given up after the linger time, and the VM has its slot back', async () => {
  const r = await client.exec(vmId, 'node', ['-e', WRITE_THEN_DESTROY]);
  assert.is(r.stdout, 'closed by guest\n', r.stderr);
  assert.is(r.exitCode, 0);
  // Without the bound the connection stays counted until the VM goes (this wait would fail).
  await waitForAsync(async () => (await connections()) === 0);
  assert.is(await connections(), 0);
  // The daemon let go of its socket; the kernel's orphan is the host's to finish.
  assert.equal(events, ['accepted']);
});

test('a peer that reads gets every byte the guest wrote before it closed, then the end', async () => {
  events.length = 0;
  events.push('reader');
  const r = await client.exec(vmId, 'node', ['-e', WRITE_THEN_DESTROY]);
  assert.is(r.exitCode, 0, r.stderr);
  await eventually(() => events.includes('peer closed'));
  assert.equal(events, ['reader', 'accepted', `end after ${8 * 1024 * 1024}`, 'peer closed']);
});

test.run();
