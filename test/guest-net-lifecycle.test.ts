// The guest's net sockets and servers over the VM's own loopback (issue 11): constructors
// callable as Node's are (with and without `new`, and `.call(this)` from an old-style
// subclass), and a process that ends exactly when Node's would — a server closed or
// unref'd, a socket ended by its peer though nobody reads it, an http keep-alive agent
// destroyed, a timer unref'd beside a listening server. Each script runs in the VM and
// under the host's Node 20 and must print the same lines and exit with the same code; the
// lines record events in order, never times.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-net-lifecycle-');

test('net.Server, net.Socket and net.Stream work without new and through .call(this), as Node\'s', async () => {
  const out = await same(`const net = require('net');
const util = require('util');
function OldServer() { net.Server.call(this, { allowHalfOpen: true }, () => {}); }
util.inherits(OldServer, net.Server);
const old = new OldServer();
console.log(old instanceof net.Server, old.allowHalfOpen, old.listenerCount('connection'), old.listening);
const s = net.Server();
console.log(s instanceof net.Server, s.constructor === net.Server, net.Server.name, net.Server.length, net.Socket.name, net.Socket.length);
const sock = net.Socket();
console.log(sock instanceof net.Socket, sock instanceof require('stream').Duplex, net.Stream === net.Socket, sock.readyState, sock.pending);
const http = require('http');
console.log(http.Server() instanceof net.Server, typeof http.Server().listen);
s.listen(0, '127.0.0.1', () => {
  const c = net.Socket();
  c.connect(s.address().port, '127.0.0.1', () => { console.log('connected'); c.end('x'); });
  c.on('close', () => { console.log('client close'); s.close(() => console.log('server closed')); });
});
s.on('connection', (peer) => { peer.on('data', (d) => console.log('server got', String(d))); peer.on('end', () => console.log('server end')); });
process.on('exit', (code) => console.log('exit', code));
`);
  assert.ok(out.includes('server closed\nexit 0'), out);
});

test('an accepted socket nobody reads still sees its peer end, closes, and lets the process exit', async () => {
  const out = await same(`const net = require('net');
const log = [];
const server = net.createServer((s) => { log.push('connection'); s.end(); });
server.listen(0, () => {
  const c = net.createConnection(server.address().port);
  c.on('end', () => log.push('client end, writable=' + c.writable));
  c.on('finish', () => log.push('client finish'));
  c.on('close', (hadError) => { log.push('client close ' + hadError + ' handle=' + c._handle); server.close(() => log.push('server close')); });
});
process.on('exit', (code) => console.log(log.join('\\n') + '\\nexit ' + code));
`);
  assert.is(out, 'connection\nclient end, writable=true\nclient finish\nclient close false handle=null\nserver close\nexit 0\n');
});

test('an unref\'d listening server, and an unref\'d socket, do not keep the process alive', async () => {
  const out = await same(`const net = require('net');
const server = net.createServer();
server.listen(0, () => {
  console.log('listening', server.listening);
  server.unref();
  // Which of the two ends hears of the connection first is not fixed: the log is sorted.
  const c = net.connect(server.address().port, '127.0.0.1', () => { seen.push('connected'); c.unref(); });
  server.on('connection', (s) => { seen.push('accepted'); s.unref(); });
});
const seen = [];
process.on('exit', (code) => console.log(seen.sort().join(' '), 'exit', code, server.listening));
`);
  assert.is(out, 'listening true\naccepted connected exit 0 true\n');
});

test('an http keep-alive agent\'s idle sockets end when the agent is destroyed, and the process exits', async () => {
  const out = await same(`const http = require('http');
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => res.end('ok ' + req.url));
server.listen(0, '127.0.0.1', () => {
  const get = (path, then) => http.get({ port: server.address().port, host: '127.0.0.1', path, agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log(res.statusCode, res.headers.connection, body); then(); });
  });
  get('/a', () => get('/b', () => {
    setImmediate(() => {
      console.log('free sockets', Object.values(agent.freeSockets).flat().length);
      agent.destroy();
      server.close(() => console.log('server closed'));
    });
  }));
});
process.on('exit', (code) => console.log('exit', code));
`);
  assert.is(out, '200 keep-alive ok /a\n200 keep-alive ok /b\nfree sockets 2\nserver closed\nexit 0\n');
});

test('a socket written to after its peer destroyed it ends without a shutdown EBADF', async () => {
  const out = await same(`const net = require('net');
const server = net.createServer((s) => s.destroy());
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  c.on('error', (e) => console.log('error', e.code));
  c.on('end', () => { console.log('end'); c.end(); });
  c.on('close', () => { console.log('close'); server.close(); });
});
process.on('exit', (code) => console.log('exit', code));
`);
  assert.is(out, 'end\nclose\nexit 0\n');
});

test('listen(cb) takes a free port, with the server as this', async () => {
  const out = await same(`const net = require('net');
const server = net.createServer((s) => s.end('bye'));
server.listen(function () {
  console.log('this is server', this === server, typeof server.address().port, server.address().port > 0);
  const c = net.connect(server.address().port);
  let got = '';
  c.setEncoding('utf8');
  c.on('data', (d) => (got += d));
  c.on('end', () => console.log('end', JSON.stringify(got)));
  c.on('close', (hadError) => { console.log('close', hadError); server.close(); });
});
process.on('exit', (code) => console.log('exit', code));
`);
  assert.is(out, 'this is server true number true\nend "bye"\nclose false\nexit 0\n');
});

test.after(async () => {
  await client.close();
});
test.run();
