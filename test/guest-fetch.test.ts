// Guest fetch, http and https over the VM's network (issue 12), against servers this test
// starts on 127.0.0.1: exact status, headers and bodies (streamed both ways), Node's errors
// for a connection the policy refuses, HTTPS verified with a test CA given as
// network.caCerts, a guest http server reached from another guest process over the VM's
// loopback, and network.inject's headers arriving at the server while visible nowhere in the VM.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { makeTestCa } from './helpers/test-ca.js';

const SECRET = 'Bearer s3cr3t-' + Math.random().toString(36).slice(2);
const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }> = [];

/** Records each request on the test's side; answers with what it got, minus any Authorization. */
function handler(req: IncomingMessage, res: ServerResponse) {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString();
    seen.push({ method: req.method!, url: req.url!, headers: { ...req.headers }, body });
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-kind': 'stream' });
      let n = 0;
      const next = () => (n < 3 ? res.write(`part${++n};`, () => setTimeout(next, 5)) : res.end('end'));
      next();
      return;
    }
    const { authorization: _hidden, ...shown } = req.headers;
    res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, body, headers: shown }));
  });
}

const server = createServer(handler);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const testCa = makeTestCa();
const secure = createHttpsServer({ key: testCa.key, cert: testCa.cert }, handler);
await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
const securePort = (secure.address() as AddressInfo).port;

const { client, logs } = await startSidecar();
const allow = { default: 'deny' as const, rules: [{ mode: 'allow' as const, operations: ['connect' as const], patterns: [`127.0.0.1:${port}`, `127.0.0.1:${securePort}`] }] };
const { vmId } = await client.createVm({
  permissions: { network: allow },
  network: { caCerts: [testCa.ca], inject: [{ match: `http://127.0.0.1:${port}/api/*`, headers: { Authorization: SECRET } }] },
});
let serial = 0;
async function run(script: string, vm = vmId) {
  const dir = `/tmp/t${++serial}`;
  await client.mkdir(vm, dir, { recursive: true });
  await client.writeFile(vm, `${dir}/main.js`, script);
  const r = await client.exec(vm, 'node', ['main.js'], { cwd: dir });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

test('fetch: a POST with a body, the exact status, headers and JSON back', async () => {
  seen.length = 0;
  const r = await run(`
fetch('http://127.0.0.1:${port}/echo?x=1', { method: 'POST', body: 'hello', headers: { 'x-test': 'a' } }).then(async (res) => {
  console.log(res.status, res.statusText, res.headers.get('content-type'), res.headers.get('x-echo'));
  const j = await res.json();
  console.log(j.method, j.url, j.body, j.headers['x-test'], j.headers['content-length'], j.headers['user-agent']);
});`);
  assert.is(r.stderr, '');
  assert.is(r.stdout, 'POST /echo?x=1 hello a 5 node\n'.replace(/^/, '200 OK application/json yes\n'));
  assert.is(seen.length, 1);
  assert.is(seen[0]!.headers.host, `127.0.0.1:${port}`);
});

test('fetch streams: a response read chunk by chunk, a request body from a ReadableStream', async () => {
  seen.length = 0;
  const r = await run(`
(async () => {
  const res = await fetch('http://127.0.0.1:${port}/stream');
  const reader = res.body.getReader(); let text = '';
  for (;;) { const { done, value } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
  console.log(res.headers.get('transfer-encoding'), res.headers.get('x-kind'), text);
  const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('one,')); c.enqueue(new TextEncoder().encode('two')); c.close(); } });
  const up = await fetch('http://127.0.0.1:${port}/up', { method: 'PUT', body, duplex: 'half' });
  const j = await up.json();
  console.log(j.body, j.headers['transfer-encoding']);
})();`);
  assert.is(r.stderr, '');
  assert.is(r.stdout, 'chunked stream part1;part2;part3;end\none,two chunked\n', r.stderr);
});

test('http.request over the network, and an aborted fetch', async () => {
  const r = await run(`
const http = require('http');
http.get('http://127.0.0.1:${port}/g', (res) => {
  let d = ''; res.on('data', (c) => d += c);
  res.on('end', () => {
    console.log(res.statusCode, JSON.parse(d).url);
    const ac = new AbortController();
    fetch('http://127.0.0.1:${port}/stream', { signal: ac.signal }).then(() => console.log('??'), (e) => console.log(e.name, e.message));
    ac.abort();
  });
});`);
  assert.is(r.stdout, '200 /g\nAbortError This operation was aborted\n');
});

test("a connection the policy refuses: fetch fails as Node's does, with the errno in the cause", async () => {
  const closed = await client.createVm();
  const r = await run(`
fetch('http://127.0.0.1:${port}/x').then(() => console.log('??'), (e) => console.log(e.name, e.message, e.cause.code, e.cause.errno, e.cause.syscall, e.cause.message));
require('http').get('http://127.0.0.1:${port}/x').on('error', (e) => console.log(e.code, e.message));`, closed.vmId);
  assert.is(r.stdout, `TypeError fetch failed ECONNREFUSED -111 connect connect ECONNREFUSED 127.0.0.1:${port}\nECONNREFUSED connect ECONNREFUSED 127.0.0.1:${port}\n`);
});

test("https and fetch over TLS verified with the VM's caCerts; without them, refused", async () => {
  const r = await run(`
const https = require('https');
const req = https.get('https://localhost:${securePort}/tls', (res) => {
  let d = ''; res.on('data', (c) => d += c);
  const s = res.socket;
  res.on('end', () => {
    console.log(res.statusCode, JSON.parse(d).url, s.encrypted, s.authorized, s.getPeerCertificate().subject.CN, s.getPeerCertificate().issuer.CN);
    fetch('https://127.0.0.1:${securePort}/f').then((r) => r.json()).then((j) => console.log('fetch', j.url));
  });
});`);
  assert.is(r.stderr, '');
  assert.is(r.stdout, `200 /tls true true localhost agentos test CA\nfetch /f\n`);
  const bare = await client.createVm({ permissions: { network: allow } });
  const r2 = await run(`
fetch('https://localhost:${securePort}/f').then(() => console.log('??'), (e) => console.log(e.message, e.cause.code));
require('https').get({ host: 'localhost', port: ${securePort}, rejectUnauthorized: false }, (res) => console.log(res.statusCode, res.socket.authorized, res.socket.authorizationError));`, bare.vmId);
  assert.is(r2.stdout.split('\n').sort().join('\n'), ['', '200 false UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'fetch failed UNABLE_TO_VERIFY_LEAF_SIGNATURE'].join('\n'));
});

test('network.inject: the header reaches the server on matching requests only, and is nowhere in the VM', async () => {
  seen.length = 0;
  const r = await run(`
(async () => {
  const a = await (await fetch('http://127.0.0.1:${port}/api/one', { headers: { authorization: 'guest-value' } })).json();
  const b = await (await fetch('http://127.0.0.1:${port}/other')).json();
  console.log(a.url, b.url, JSON.stringify(process.env).includes('s3cr3t'), JSON.stringify(a).includes('s3cr3t'));
  await new Promise((resolve) => require('http').get('http://127.0.0.1:${port}/api/two', (res) => { console.log(JSON.stringify(res.rawHeaders).includes('s3cr3t'), JSON.stringify(res.req.getHeaders())); res.resume(); res.on('end', resolve); }));
})();`);
  assert.is(r.stderr, '');
  assert.is(r.stdout, `/api/one /other false false\nfalse {"host":"127.0.0.1:${port}"}\n`);
  assert.equal(seen.map((s) => [s.url, s.headers.authorization]), [['/api/one', SECRET], ['/other', undefined], ['/api/two', SECRET]]);
  assert.not.ok(JSON.stringify(logs).includes(SECRET.slice(7)), 'the value is in no log line');
});

test('a guest http server answers another guest process over the VM loopback', async () => {
  // No policy: the VM's own loopback is allowed, the world is not.
  const own = await client.createVm();
  const r = await run(`
const http = require('http');
const { execFile } = require('child_process');
const server = http.createServer((req, res) => res.end('guest says ' + req.method + ' ' + req.url));
server.listen(3000, () => {
  execFile('node', ['-e', "fetch('http://127.0.0.1:3000/hi').then(r => r.text()).then(t => console.log(t))"], (err, out) => {
    console.log(err ? err.message : out.trim());
    server.close();
  });
});`, own.vmId);
  assert.is(r.stdout, 'guest says GET /hi\n');
});

test.after(async () => {
  await client.close();
  server.close();
  secure.close();
});
test.run();
