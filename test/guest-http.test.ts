// Guest http (issue 12): Node 20.19.2's own http over http-parser-js. Scripts run in the VM and
// under the host's Node 20 and must print the same lines: a server and a client in one
// process over an in-process duplex pair (server.emit('connection') and createConnection),
// so the HTTP layer is checked on its own, byte for byte, without a network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-http-');


// A pair of connected duplexes, and a raw-bytes recorder of what the client sends.
const PAIR = `
const { Duplex } = require('stream');
function pair(log) {
  const a = new Duplex({ read() {}, write(c, e, cb) { if (log) log.push(Buffer.from(c).toString('latin1')); b.push(c); cb(); }, final(cb) { b.push(null); cb(); } });
  const b = new Duplex({ read() {}, write(c, e, cb) { a.push(c); cb(); }, final(cb) { a.push(null); cb(); } });
  for (const d of [a, b]) Object.assign(d, { setKeepAlive() {}, setNoDelay() {}, setTimeout() {}, ref() {}, unref() {} });
  return [a, b];
}
`;

test('a request and its response: status, headers, body, the bytes on the wire', async () => {
  const out = await same(`${PAIR}
const http = require('http');
const wire = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => body += d);
  req.on('end', () => {
    console.log('server', req.method, req.url, req.httpVersion, JSON.stringify(req.rawHeaders), JSON.stringify(body));
    res.writeHead(201, 'Made', { 'x-reply': 'yes', 'content-type': 'text/plain' });
    res.end('created ' + body.length);
  });
});
const [c, s] = pair(wire);
server.emit('connection', s);
const req = http.request({ createConnection: () => c, method: 'PUT', path: '/items/7?x=1', headers: { 'x-test': 'a', 'content-length': 11 } }, (res) => {
  console.log('client', res.statusCode, res.statusMessage, JSON.stringify(res.headers['x-reply']), res.headers['content-length'], res.headers['content-type']);
  let d = ''; res.setEncoding('utf8'); res.on('data', (x) => d += x); res.on('end', () => { console.log('body', d); console.log(JSON.stringify(wire.join(''))); });
});
req.end('hello world');
`);
  assert.match(out, 'server PUT /items/7?x=1 1.1 ["x-test","a","content-length","11","Host","localhost:80","Connection","close"] "hello world"');
  assert.match(out, 'client 201 Made "yes" undefined text/plain\nbody created 11\n');
  assert.match(out, '"PUT /items/7?x=1 HTTP/1.1\\r\\nx-test: a\\r\\ncontent-length: 11\\r\\nHost: localhost:80\\r\\nConnection: close\\r\\n\\r\\nhello world"');
});

test('chunked bodies both ways, written in pieces, with trailers', async () => {
  const out = await same(`${PAIR}
const http = require('http');
const wire = [];
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d.length));
  req.on('end', () => {
    console.log('server got', req.headers['transfer-encoding'], JSON.stringify(parts.reduce((a, b) => a + b, 0)), JSON.stringify(req.trailers));
    res.setHeader('Trailer', 'x-sum');
    res.write('one,');
    setTimeout(() => { res.write('two,'); res.addTrailers({ 'x-sum': '3' }); res.end('three'); }, 5);
  });
});
const [c, s] = pair(wire);
server.emit('connection', s);
const req = http.request({ createConnection: () => c, method: 'POST', path: '/s' }, (res) => {
  let d = ''; res.setEncoding('utf8');
  res.on('data', (x) => d += x);
  res.on('end', () => console.log('client', res.headers['transfer-encoding'], d, JSON.stringify(res.trailers)));
});
req.write('abc');
req.write(Buffer.alloc(70000, 0x61));
req.addTrailers({ 'x-client': 'done' });
req.end('xyz');
req.on('finish', () => console.log('wire', wire.join('').replace(/a{100,}/g, 'A*').replace(/\\r\\n/g, '|')));
`);
  assert.match(out, 'client chunked one,two,three {"x-sum":"3"}');
  assert.match(out, 'server got chunked 70006 {"x-client":"done"}');
});

test('keep-alive: two requests on one connection, and the parser errors Node gives', async () => {
  const out = await same(`${PAIR}
const http = require('http');
let n = 0;
const server = http.createServer((req, res) => res.end(req.url + ' #' + (++n)));
const [c, s] = pair();
server.emit('connection', s);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
agent.createConnection = () => c;
const get = (path) => new Promise((resolve) => http.get({ agent, path }, (res) => { let d = ''; res.on('data', (x) => d += x); res.on('end', () => resolve(res.headers.connection + ' ' + d)); }));
(async () => {
  console.log(await get('/a'));
  console.log(await get('/b'));
  agent.destroy();
  // A malformed response: Node's HPE code on the request's error.
  const [c2, s2] = pair();
  s2.once('data', () => s2.write('HTTP/1.1 2xx Bad\\r\\n\\r\\n'));
  const r = http.get({ createConnection: () => c2, path: '/' });
  r.on('error', (e) => console.log('error', e.code, e.message));
})();
`);
  assert.match(out, 'keep-alive /a #1\nkeep-alive /b #2\n');
  assert.match(out, 'error HPE_INVALID_STATUS Parse Error: Invalid status code');
});

test('module surface: METHODS, STATUS_CODES, validators, Agent, header errors', async () => {
  await same(`
const http = require('http');
console.log(http.METHODS.join(','));
console.log(Object.keys(http.STATUS_CODES).length, http.STATUS_CODES[418]);
console.log(typeof http.Agent, typeof http.globalAgent, http.globalAgent.keepAlive, http.maxHeaderSize);
for (const f of [() => http.validateHeaderName('bad name'), () => http.validateHeaderValue('x', 'a\\nb'), () => http.request({ method: 'B A D' })]) {
  try { f(); } catch (e) { console.log(e.name, e.code, e.message); }
}
const res = new http.ServerResponse(new http.IncomingMessage(null));
res.setHeader('X-A', ['1', '2']);
console.log(JSON.stringify(res.getHeaders()), res.hasHeader('x-a'), JSON.stringify(res.getHeaderNames()));
console.log(Object.keys(require('https')).sort().join(','));
const tls = require('tls');
console.log(tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION, tls.getCiphers().length > 10, tls.rootCertificates.length > 50);
console.log(tls.checkServerIdentity('a.example.com', { subject: { CN: 'b.example.com' }, subjectaltname: 'DNS:b.example.com' }).code);
`);
});

test.after(async () => {
  await client.close();
});
test.run();
