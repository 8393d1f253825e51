// Guest TLS servers and TLS over a guest's own stream (issues 12 and 11), through the real
// daemon: the daemon does the TLS over bytes the guest's socket carries. Each script runs in
// a VM and under the host's Node 20 and must print the same lines (events in order, codes,
// certificate fields), never times. Keys and certificates come from test CAs made for the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { makeTestCa } from './helpers/test-ca.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-tls-server-');
// A: the CA the servers' certificate (localhost, 127.0.0.1) comes from; B: a CA nobody trusts.
const a = makeTestCa();
const b = makeTestCa();
const keys = `const A = ${JSON.stringify(a)};\nconst B = ${JSON.stringify(b)};\n`;

test('a guest https server answers a guest https.get of the same VM, verified against its CA', async () => {
  const out = await same(`${keys}const https = require('https');
const server = https.createServer({ key: A.key, cert: A.cert }, (req, res) => {
  console.log('server', req.method, req.url, req.socket.encrypted, req.socket.authorized);
  res.setHeader('x-alpn', String(req.socket.alpnProtocol));
  res.end('hello over tls');
});
server.listen(0, '127.0.0.1', () => {
  https.get({ host: 'localhost', port: server.address().port, path: '/p?q=1', ca: A.ca }, (res) => {
    const s = res.socket;
    console.log('client', res.statusCode, res.headers['x-alpn'], s.authorized, s.getProtocol(), s.getPeerCertificate().subject.CN, typeof s.getCipher().name);
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log('body', body); server.close(() => console.log('closed')); });
  });
});
`);
  assert.is(out, 'server GET /p?q=1 true false\nclient 200 false true TLSv1.3 localhost string\nbody hello over tls\nclosed\n');
});

test('without the CA the guest client refuses the guest server, with Node\'s code; rejectUnauthorized: false connects', async () => {
  const out = await same(`${keys}const tls = require('tls');
const server = tls.createServer({ key: A.key, cert: A.cert }, (s) => s.end('hi'));
server.on('tlsClientError', (e) => console.log('server saw', e.code));
server.listen(0, () => {
  const port = server.address().port;
  tls.connect({ port, host: '127.0.0.1', ca: B.ca, servername: 'localhost' }).on('error', (e) => {
    console.log('refused', e.code, e.message);
    const c = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      console.log('insecure', c.authorized, c.authorizationError);
      c.on('data', (d) => console.log('got', String(d)));
      c.on('end', () => server.close());
    });
  });
});
`);
  assert.ok(out.startsWith('refused UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate\n'), out);
  assert.ok(out.includes('insecure false UNABLE_TO_VERIFY_LEAF_SIGNATURE\ngot hi\n'), out);
});

test('ALPN: the server picks from the client\'s list, both sides see it', async () => {
  const out = await same(`${keys}const tls = require('tls');
const lines = [];
process.on('exit', () => console.log(lines.sort().join('\\n')));
const server = tls.createServer({ key: A.key, cert: A.cert, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
  lines.push('server alpn ' + s.alpnProtocol + ' ' + s.servername);
  s.end();
});
server.listen(0, () => {
  const c = tls.connect({ port: server.address().port, host: 'localhost', ca: A.ca, ALPNProtocols: ['foo', 'http/1.1'] }, () => {
    lines.push('client alpn ' + c.alpnProtocol + ' ' + c.authorized);
    c.resume();
    c.on('end', () => {
      const d = tls.connect({ port: server.address().port, host: 'localhost', ca: A.ca, ALPNProtocols: ['nothing-shared'] });
      d.on('error', (e) => { lines.push('no shared protocol ' + e.code); server.close(); });
    });
  });
});
`);
  assert.is(out, 'client alpn http/1.1 true\nno shared protocol ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL\nserver alpn http/1.1 false\n');
});

test('client certificates: the server refuses none and a stranger\'s with Node\'s codes, and authorizes its CA\'s', async () => {
  const out = await same(`${keys}const tls = require('tls');
const log = { server: [], client: [] };
process.on('exit', () => console.log(['server:', ...log.server, 'client:', ...log.client].join('\\n')));
const server = tls.createServer({ key: A.key, cert: A.cert, ca: A.ca, requestCert: true, rejectUnauthorized: true }, (s) => {
  log.server.push('accepted ' + s.authorized + ' ' + s.getPeerCertificate().subject.CN);
  s.end('welcome');
});
server.on('tlsClientError', (e) => log.server.push('refused ' + e.code));
const steps = [
  (port, next) => tls.connect({ port, host: 'localhost', ca: A.ca }).on('error', (e) => { log.client.push('no cert ' + e.code); next(); }).resume(),
  (port, next) => {
    const c = tls.connect({ port, host: 'localhost', ca: A.ca, key: B.key, cert: B.cert });
    c.on('error', (e) => log.client.push('stranger ' + e.code)).on('close', next).resume();
  },
  (port, next) => {
    const c = tls.connect({ port, host: 'localhost', ca: A.ca, key: A.key, cert: A.cert }, () => log.client.push('authorized ' + c.authorized));
    c.on('data', (d) => log.client.push('got ' + d)).on('close', next);
  },
];
server.listen(0, () => {
  const run = (i) => (i < steps.length ? steps[i](server.address().port, () => run(i + 1)) : server.close());
  run(0);
});
`);
  assert.is(out, 'server:\nrefused ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE\nrefused ECONNRESET\naccepted true localhost\nclient:\nno cert ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\nauthorized true\ngot welcome\n');
});

test('TLS over an existing net socket, both ends: new tls.TLSSocket(socket, {isServer}) and tls.connect({socket})', async () => {
  const out = await same(`${keys}const net = require('net');
const tls = require('tls');
const log = { server: [], client: [] };
process.on('exit', () => console.log(['server:', ...log.server, 'client:', ...log.client].join('\\n')));
const context = tls.createSecureContext({ key: A.key, cert: A.cert });
const server = net.createServer((plain) => {
  plain.once('data', (hello) => {
    log.server.push('plain hello ' + hello);
    const s = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
    s.on('secure', () => log.server.push('secure ' + s.getProtocol()));
    s.on('data', (d) => s.write('echo:' + d));
    s.on('end', () => s.end());
  });
});
server.listen(0, () => {
  const plain = net.connect(server.address().port, '127.0.0.1', () => {
    plain.write('STARTTLS');
    setTimeout(() => {
      const c = tls.connect({ socket: plain, ca: A.ca, servername: 'localhost' }, () => {
        log.client.push('secure ' + c.authorized + ' ' + c.encrypted);
        c.end('ping');
      });
      c.setEncoding('utf8');
      c.on('data', (d) => log.client.push('got ' + d));
      c.on('close', () => server.close(() => log.client.push('done')));
    }, 50);
  });
});
`);
  assert.is(out, 'server:\nplain hello STARTTLS\nsecure TLSv1.3\nclient:\nsecure true true\ngot echo:ping\ndone\n');
});

test('TLS over a duplexPair: a server fed by emit(\'connection\') and a client over the other side', async () => {
  const out = await same(`${keys}const tls = require('tls');
const { duplexPair } = require('stream');
const [clientSide, serverSide] = duplexPair();
const server = tls.createServer({ key: A.key, cert: A.cert }, (s) => {
  console.log('secureConnection', s.authorized);
  s.setEncoding('utf8');
  s.on('data', (d) => s.end(d.toUpperCase()));
});
server.emit('connection', serverSide);
const c = tls.connect({ socket: clientSide, ca: A.ca, servername: 'localhost' }, () => c.write('over a pair'));
c.setEncoding('utf8');
c.on('data', (d) => console.log('client got', d));
c.on('end', () => console.log('end'));
`);
  assert.is(out, 'secureConnection false\nclient got OVER A PAIR\nend\n');
});

test('a handshake that never comes ends at the server\'s handshakeTimeout, as tlsClientError', async () => {
  const out = await same(`${keys}const net = require('net');
const tls = require('tls');
const server = tls.createServer({ key: A.key, cert: A.cert, handshakeTimeout: 100 });
let idle;
server.on('tlsClientError', (e, s) => { console.log('tlsClientError', e.code, e.message); idle.destroy(); server.close(); });
server.listen(0, () => {
  idle = net.connect(server.address().port, '127.0.0.1');
});
`);
  assert.is(out, 'tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT TLS handshake timeout\n');
});

test('a client TLSSocket made directly says nothing until _start(), keeps no process alive, and its handle names a JSStreamSocket (got\'s http2-wrapper takes that class)', async () => {
  const out = await same(`const tls = require('tls');
const { PassThrough } = require('stream');
const raw = new PassThrough();
let sent = 0;
const write = raw.write;
raw.write = function (chunk, ...rest) { sent += chunk.length; return write.call(this, chunk, ...rest); };
const socket = new tls.TLSSocket(raw);
const JSStreamSocket = socket._handle._parentWrap.constructor;
console.log(JSStreamSocket.name, typeof socket._start, socket.encrypted);
const { Duplex } = require('stream');
const inner = new Duplex({ write(chunk, enc, cb) { console.log('inner got', String(chunk)); cb(); }, read() {} });
const wrapped = new JSStreamSocket(inner);
wrapped.on('data', (d) => console.log('wrapped got', String(d)));
wrapped.write('to inner');
inner.push('from inner');
setTimeout(() => { console.log('sent before _start', sent); wrapped.destroy(); }, 50);
`);
  assert.is(out, 'JSStreamSocket function true\ninner got to inner\nwrapped got from inner\nsent before _start 0\n');
});

test('a guest\'s oversized secure context costs it an error (E2BIG), and the VM still serves TLS', async () => {
  const huge = await client.exec(vmId, 'node', ['-e', `const tls = require('tls');
try { tls.createSecureContext({ ca: 'x'.repeat(2 * 1024 * 1024) }); console.log('built'); } catch (e) { console.log(e.code); }
try { tls.createSecureContext({ cert: 'not a certificate' }); } catch (e) { console.log(e.code); }`]);
  assert.is(huge.stdout, 'E2BIG\nERR_OSSL_PEM_NO_START_LINE\n', huge.stderr);
  await same(`${keys}const tls = require('tls');
const server = tls.createServer({ key: A.key, cert: A.cert }, (s) => s.end('still fine'));
server.listen(0, () => tls.connect({ port: server.address().port, host: 'localhost', ca: A.ca }).on('data', (d) => { console.log(String(d)); server.close(); }));
`);
});

test('one VM\'s guest TLS server is not reachable from another VM', async () => {
  await client.writeFile(vmId, '/w/serve.js', `const A = ${JSON.stringify(a)};
const server = require('tls').createServer({ key: A.key, cert: A.cert }, (s) => s.end('secret'));
server.listen(8443, () => console.log('listening'));
setTimeout(() => server.close(), 3000);
`);
  const serving = client.exec(vmId, 'node', ['/w/serve.js']);
  const other = await client.createVm();
  // The listener is up once this VM's own client reaches it.
  const own = await client.exec(vmId, 'node', ['-e', `const A = ${JSON.stringify(a)};
const go = () => require('tls').connect({ port: 8443, host: 'localhost', ca: A.ca }).on('data', (d) => console.log(String(d))).on('error', () => setTimeout(go, 50));
go();`]);
  assert.is(own.stdout, 'secret\n', own.stderr);
  const r = await client.exec(other.vmId, 'node', ['-e', `require('tls').connect({ port: 8443, host: '127.0.0.1', rejectUnauthorized: false }).on('error', (e) => console.log(e.code)).on('secureConnect', () => console.log('reached'));`]);
  assert.is(r.stdout, 'ECONNREFUSED\n', r.stderr);
  assert.is((await serving).stdout, 'listening\n');
});

test.after(async () => {
  await client.close();
});

test.run();
