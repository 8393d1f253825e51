// Bytes a guest socket wrote before it closed reach the peer, as under Node: destroy()
// discards only what is still queued in the JS stream, never what was handed to the
// kernel (here: to the daemon); end() flushes everything. Over the VM's own loopback
// (both ends guest sockets) and to a server on the host's 127.0.0.1 that this test
// starts, each script runs in the VM and under the host's Node 20 and must print the same.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';
import { portAndLines } from './helpers/port-lines.js';

const { client } = await startSidecar();

// The host's server runs in a child process: the host's run of each script (sameAsHost)
// blocks this process's event loop. It prints its port, then per connection the bytes it
// received and their first five, and answers what the first bytes ask for.
const hostServer = spawn(process.execPath, ['-e', `
const net = require('net');
const server = net.createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  let first = null;
  s.on('error', () => {});
  s.on('data', (d) => {
    if (first === null) {
      first = d.subarray(0, 5).toString();
      if (first === 'gimme') { s.write('hello'); s.destroy(); }
      else if (first === 'large') s.end(Buffer.alloc(1 << 20, 98));
    }
    n += d.length;
  });
  s.on('end', () => { console.log(n + ' ' + first); s.end(); });
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`], { stdio: ['pipe', 'pipe', 'inherit'] });
const { port: hostListening, lines: received } = portAndLines(hostServer.stdout);
const hostPort = await hostListening;

const { vmId } = await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${hostPort}`] }, { mode: 'allow', operations: ['listen'], patterns: ['127.0.0.1:*'] }] } } });
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-net-bytes-');

/** A server in the script closes each accepted socket one way; the client counts what it got. */
const loopback = (close: string) => `const net = require('net');
const crypto = require('crypto');
const server = net.createServer((s) => { ${close} });
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  const parts = [];
  c.on('data', (d) => parts.push(d));
  c.on('end', () => {
    const all = Buffer.concat(parts);
    console.log('end', all.length, all.subarray(0, 5).toString(), crypto.createHash('sha256').update(all).digest('hex').slice(0, 16));
  });
  c.on('error', (e) => console.log('error', e.code));
  c.on('close', () => { console.log('close'); server.close(() => console.log('server closed')); });
});
`;

test('an accepted socket that writes then destroys in the same tick: the client gets the bytes', async () => {
  assert.is(await same(loopback(`s.write('hello'); s.destroy();`)), 'end 5 hello 2cf24dba5fb0a30e\nclose\nserver closed\n');
});

test('an accepted socket that ends with bytes then destroys in the same tick: the client gets them', async () => {
  assert.is(await same(loopback(`s.end('hello'); s.destroy();`)), 'end 5 hello 2cf24dba5fb0a30e\nclose\nserver closed\n');
});

test('several writes, then destroy in the same tick: all of them arrive, in order', async () => {
  const out = await same(loopback(`for (let i = 0; i < 20; i++) s.write('hello' + i + ';'); s.destroy();`));
  assert.match(out, /^end 150 hello /);
});

test('1 MiB written then end(): the client gets all of it', async () => {
  const out = await same(loopback(`s.write(Buffer.alloc(1 << 20, 97)); s.end();`));
  assert.match(out, /^end 1048576 aaaaa [0-9a-f]{16}\nclose\nserver closed\n$/);
});

test('a client that writes then destroys in the same tick: the accepted socket gets the bytes', async () => {
  const out = await same(`const net = require('net');
const server = net.createServer((s) => {
  let n = '';
  s.on('data', (d) => { n += d; });
  s.on('end', () => console.log('server got', JSON.stringify(n)));
  s.on('close', () => server.close(() => console.log('server closed')));
});
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => { c.write('hello'); c.write(' world'); c.destroy(); });
  c.on('close', () => console.log('client close'));
});
`);
  assert.is(out, 'client close\nserver got "hello world"\nserver closed\n');
});

test('a host server on 127.0.0.1 that writes then destroys, and one that sends 1 MiB then ends: the guest gets every byte', async () => {
  const out = await same(`const net = require('net');
const ask = (what) => new Promise((resolve) => {
  const c = net.connect(${hostPort}, '127.0.0.1', () => c.write(what));
  let n = 0;
  let first = '';
  c.on('data', (d) => { if (!n) first = d.subarray(0, 5).toString(); n += d.length; });
  c.on('end', () => { console.log(what, 'end', n, first); c.end(); });
  c.on('error', (e) => console.log(what, 'error', e.code));
  c.on('close', resolve);
});
ask('gimme').then(() => ask('large'));
`);
  assert.is(out, 'gimme end 5 hello\nlarge end 1048576 bbbbb\n');
});

test('a guest client that writes then destroys (or ends) in the same tick towards a host server: the server gets the bytes', async () => {
  const script = `const net = require('net');
const go = (how) => new Promise((resolve) => {
  const c = net.connect(${hostPort}, '127.0.0.1', () => {
    c.write('bytes' + how);
    if (how === 'big') { c.write(Buffer.alloc(1 << 20, 99)); c.end(); }
    else if (how === 'end') { c.end(); c.destroy(); }
    else c.destroy();
  });
  c.on('error', (e) => console.log(how, 'error', e.code));
  c.on('close', resolve);
});
go('destroy').then(() => go('end')).then(() => go('big')).then(() => console.log('done'));
`;
  assert.is(await same(script), 'done\n');
  // The host's node ran the same script against the same server: both must have delivered.
  // Only this test's connections (the test before's 'large' one is logged too).
  const mine = () => received.filter((line) => line.endsWith(' bytes'));
  await eventually(() => mine().length >= 6);
  assert.equal(mine().sort(), ['1048584 bytes', '1048584 bytes', '12 bytes', '12 bytes', '8 bytes', '8 bytes']);
});

test.after(async () => {
  hostServer.kill();
  await client.close();
});

test.run();
