// Guest JS `dgram` (Node's own lib/dgram.js over the VM's UDP in the daemon): datagrams
// between sockets of one VM stay in the daemon, never reach another VM, and reach the world
// only as the VM's network policy allows, counted in its bytes. Scripts that Linux answers
// the same way run in the VM and under the host's Node 20 and must print the same; the
// world is a UDP echo server on the host's 127.0.0.1 that this test starts.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';
import { portAndLines } from './helpers/port-lines.js';

const { client, logs } = await startSidecar();

// The host's echo server runs in a child process (sameAsHost blocks this process's loop).
// It prints its port, then each datagram it gets, and answers 'echo:' + the datagram.
const echo = spawn(process.execPath, ['-e', `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => { console.log('got ' + m); s.send('echo:' + m, r.port, r.address); });
s.bind(0, '127.0.0.1', () => console.log('port ' + s.address().port));
`], { stdio: ['pipe', 'pipe', 'inherit'] });
const { port: echoListening, lines: echoed } = portAndLines(echo.stdout);
const echoPort = await echoListening;

const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-dgram-');

test('two sockets of one VM echo over its loopback, as under Node', async () => {
  const out = await same(`const dgram = require('dgram');
const a = dgram.createSocket('udp4');
const b = dgram.createSocket('udp4');
a.on('message', (m, r) => {
  console.log('a got', String(m), r.address, r.family, r.size, r.port === b.address().port);
  a.send('pong:' + m, r.port, r.address, (e, n) => console.log('a sent', e, n));
});
b.on('message', (m, r) => {
  console.log('b got', String(m), r.address, r.port === a.address().port);
  a.close();
  b.close(() => console.log('closed'));
});
a.bind(0, '127.0.0.1', () => {
  console.log('a bound', a.address().address, a.address().family);
  b.send('ping', a.address().port, 'localhost', (e, n) => console.log('b sent', e, n, b.address().address));
});
`);
  assert.is(out, 'a bound 127.0.0.1 IPv4\nb sent null 4 0.0.0.0\na got ping 127.0.0.1 IPv4 4 true\na sent null 9\nb got pong:ping 127.0.0.1 true\nclosed\n');
});

test('the errors of bind, connect, send and the socket options are Node\'s on Linux', async () => {
  const out = await same(`const dgram = require('dgram');
const out = (...a) => console.log(...a);
const code = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code + ' ' + e.message; } };
const a = dgram.createSocket('udp4');
out('address unbound:', code(() => a.address()));
out('setBroadcast unbound:', code(() => a.setBroadcast(true)));
out('setTTL 0 unbound:', code(() => a.setTTL(0)));
out('getRecvBufferSize unbound:', code(() => a.getRecvBufferSize()));
a.bind(0, '127.0.0.1', () => {
  const port = a.address().port;
  out('setTTL:', code(() => a.setTTL(0)), code(() => a.setTTL(64)), code(() => a.setMulticastTTL(256)));
  out('setBroadcast:', code(() => a.setBroadcast(true)), 'buffers:', a.getRecvBufferSize(), a.getSendBufferSize());
  a.setRecvBufferSize(10000);
  out('after set 10000:', a.getRecvBufferSize(), 'queue', a.getSendQueueSize(), a.getSendQueueCount());
  out('remoteAddress:', code(() => a.remoteAddress()));
  out('membership:', code(() => a.addMembership('256.256.256.256')), code(() => a.dropMembership('224.0.0.114', '127.0.0.1')));
  out('setMulticastInterface:', code(() => a.setMulticastInterface('1.2.3.4')), code(() => a.setMulticastInterface('x')));
  const b = dgram.createSocket('udp4');
  b.on('error', (e) => {
    out('taken:', e.code, e.message === 'bind EADDRINUSE 127.0.0.1:' + port, e.syscall, e.address, e.port === port);
    const c = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const d = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    c.bind(0, '127.0.0.1', () => d.bind(c.address().port, '127.0.0.1', () => {
      out('reuseAddr shares:', c.address().port === d.address().port);
      d.send(Buffer.alloc(65508), port, '127.0.0.1', (err) => {
        out('too big:', err.code, err.message === 'send EMSGSIZE 127.0.0.1:' + port, err.syscall);
        d.send(Buffer.alloc(65507), c.address().port, '127.0.0.1', (err, n) => {
          out('largest:', err, n);
          d.connect(port, '127.0.0.1', () => {
            out('remote:', JSON.stringify(d.remoteAddress()) === JSON.stringify({ address: '127.0.0.1', family: 'IPv4', port }));
            out('connect again:', code(() => d.connect(port)));
            d.disconnect();
            out('disconnect again:', code(() => d.disconnect()));
            for (const s of [a, c, d]) s.close();
            out('closed:', code(() => a.address()));
          });
        });
      });
    }));
  });
  b.bind(port, '127.0.0.1');
});
`);
  assert.match(out, 'taken: EADDRINUSE true bind 127.0.0.1 true\n');
  assert.match(out, 'too big: EMSGSIZE true send\n');
  assert.match(out, 'after set 10000: 20000 queue 0 0\n');
});

test('a connected socket whose peer port is not bound hears ECONNREFUSED, as under Linux', async () => {
  const out = await same(`const s = require('dgram').createSocket('udp4');
s.on('error', (e) => { console.log('error', e.code, e.syscall); s.close(); });
s.connect(9, '127.0.0.1', () => s.send('x', (err, n) => console.log('sent', err, n)));
`);
  assert.is(out, 'sent null 1\nerror ECONNREFUSED recvmsg\n');
});

test('no VM reaches another VM\'s UDP sockets: the same port binds in both, and a datagram stays in its VM', async () => {
  const other = (await client.createVm()).vmId;
  let stdout = '';
  const exits: number[] = [];
  const offOut = client.onOutput((e) => {
    if (e.vmId === vmId && e.stream === 'stdout') stdout += e.encoding === 'base64' ? Buffer.from(e.data, 'base64').toString() : e.data;
  });
  const offExit = client.onExit((e) => e.vmId === vmId && exits.push(e.exitCode));
  try {
    // The VM holds port 41234 and prints what reaches it until told to end (by stdin).
    const { pid } = await client.spawn(vmId, 'node', ['-e', `const s = require('dgram').createSocket('udp4');
const got = [];
s.on('message', (m) => { got.push(String(m)); if (String(m) === 'end') { console.log(got.join(',')); s.close(); } });
s.bind(41234, '127.0.0.1', () => console.log('bound'));
process.stdin.on('data', () => s.send('end', 41234, '127.0.0.1'));
`]);
    await eventually(() => stdout.includes('bound\n'));
    const r = await client.exec(other, 'node', ['-e', `const dgram = require('dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m) => { console.log('own', String(m)); s.close(); });
s.bind(41234, '127.0.0.1', () => {
  const t = dgram.createSocket('udp4');
  t.send('leak', 41234, '127.0.0.1', () => t.close());
});
`]);
    assert.is(r.stdout, 'own leak\n', r.stderr);
    await client.writeStdin(vmId, pid, 'go\n');
    await client.closeStdin(vmId, pid);
    await eventually(() => exits.length > 0);
    assert.is(stdout, 'bound\nend\n');
  } finally {
    offOut();
    offExit();
    await client.disposeVm(other);
  }
});

test('a send to the world under a rule naming it reaches the host\'s server, and the answer comes back, counted', async () => {
  const allowed = (await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${echoPort}`] }] } } })).vmId;
  try {
    const r = await client.exec(allowed, 'node', ['-e', `const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => { console.log(String(m), r.address, r.family, r.port === ${echoPort}, r.size); s.close(); });
s.send('hello', ${echoPort}, '127.0.0.1', (err, n) => console.log('sent', err, n));
`]);
    assert.is(r.stdout, 'sent null 5\necho:hello 127.0.0.1 IPv4 true 10\n', r.stderr);
    await eventually(() => echoed.includes('got hello'));
    const stats = await client.vmStats(allowed);
    assert.is(stats.network.bytesOut, 5);
    assert.is(stats.network.bytesIn, 10);
    assert.is(stats.network.denied, 0);
    assert.is(stats.network.udpSockets, 0);
  } finally {
    await client.disposeVm(allowed);
  }
});

test('without a rule, a send to the world fails as a firewall fails it (EPERM), logged and counted; the host\'s loopback is not the VM\'s', async () => {
  const denied = (await client.createVm()).vmId;
  try {
    const r = await client.exec(denied, 'node', ['-e', `const s = require('dgram').createSocket('udp4');
s.send('to the host', ${echoPort}, '127.0.0.1', (err, n) => {
  console.log('loopback', err, n);
  s.send('out', 9, '192.0.2.1', (err) => {
    console.log(err.code, err.errno, err.syscall, err.address, err.port, err.message);
    s.close();
  });
});
`]);
    assert.is(r.stdout, 'loopback null 11\nEPERM -1 send 192.0.2.1 9 send EPERM 192.0.2.1:9\n', r.stderr);
    const line = await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.target === 'udp 192.0.2.1:9'));
    assert.is(line.level === 'warn' || line.level === (40 as unknown as string), true);
    assert.is(line.operation, 'connect');
    const stats = await client.vmStats(denied);
    assert.is(stats.network.denied, 1);
    assert.is(stats.network.bytesOut, 0);
    // Only what the allowing VM sent reached the host's server.
    assert.not.ok(echoed.includes('got to the host'));
  } finally {
    await client.disposeVm(denied);
  }
});

test('bounds: UDP sockets per VM (bind EMFILE) and queued bytes per VM (a flood is dropped past it), each logged', async () => {
  const small = await startSidecar({ env: { AGENTOS_NET_UDP_SOCKETS_PER_VM: '3', AGENTOS_NET_UDP_QUEUE_BYTES_PER_VM: '65536', AGENTOS_NET_DELIVER_WINDOW_BYTES: '1' } });
  try {
    const vm = (await small.client.createVm()).vmId;
    const r = await small.client.exec(vm, 'node', ['-e', `const dgram = require('dgram');
const socks = [0, 1, 2, 3].map(() => dgram.createSocket('udp4'));
let settled = 0;
socks[3].on('error', (e) => { console.log('fourth', e.code, e.syscall); if (++settled === 4) flood(); });
for (const s of socks.slice(0, 3)) s.bind(0, '127.0.0.1', () => { if (++settled === 4) flood(); });
socks[3].bind(0, '127.0.0.1');
function flood() {
  const [rx, tx] = socks;
  let got = 0;
  let done = false;
  rx.on('message', (m) => {
    if (m.length > 0) return void got++;
    if (done) return;
    done = true;
    console.log('got', got);
    for (const s of socks.slice(0, 3)) s.close();
  });
  // 100 datagrams of 1000 bytes while the guest is busy: one is in the guest's window (1
  // byte), the rest wait in the daemon, which holds 65536 bytes for the VM (1000 + 256 each).
  for (let i = 0; i < 100; i++) tx.send(Buffer.alloc(1000), rx.address().port, '127.0.0.1');
  // An empty datagram marks the end: sent again until the queue has room for it, it comes
  // after every datagram of the flood that was kept.
  const mark = () => { if (!done) tx.send(Buffer.alloc(0), rx.address().port, '127.0.0.1', () => setTimeout(mark, 1)); };
  mark();
}
`]);
    assert.is(r.stdout, 'fourth EMFILE bind\ngot 53\n', r.stderr);
    const limits = small.logs.filter((l) => l.msg === 'bounded limit exhausted').map((l) => `${l.limit} ${l.capacity}`);
    assert.ok(limits.includes('net_udp_sockets_per_vm 3'), JSON.stringify(limits));
    assert.ok(limits.includes('net_udp_queue_bytes_per_vm 65536'), JSON.stringify(limits));
  } finally {
    await small.client.close();
  }
});

test.after(async () => {
  echo.kill();
  await client.close();
});

test.run();
