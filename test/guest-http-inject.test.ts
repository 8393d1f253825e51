// The daemon's header injection (src/net/inject-headers.ts, issue 12's `network.inject`), on
// the bytes alone: which requests get headers (by the connection's real target, never the
// guest's Host header; over TLS only when verified), every request of a keep-alive or
// pipelined connection, bodies passed through whole (Content-Length and chunked, split at
// every byte), guest headers of the same name replaced, and what is not HTTP/1.x untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileInjectRules, HeaderInjector, InjectRuleError, type InjectTarget } from '../src/net/inject-headers.js';

const rules = compileInjectRules([
  { match: 'https://api.example.com/v1/*', headers: { Authorization: 'Bearer s3cret' } },
  { match: 'http://127.0.0.1:8080/*', headers: { 'X-Key': 'k1' } },
]);

/** Feeds `input` in pieces of `step` bytes; returns what comes out. */
async function run(target: InjectTarget, input: string, step = input.length): Promise<string> {
  const t = new HeaderInjector(rules, target, 64 * 1024);
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => t.on('end', resolve));
  for (let i = 0; i < input.length; i += step) t.write(Buffer.from(input.slice(i, i + step), 'latin1'));
  t.end();
  await done;
  return Buffer.concat(out).toString('latin1');
}

const api: InjectTarget = { host: 'api.example.com', port: 443, tls: { authorized: true } };

test('a matching request gets the header; the guest\'s own of the same name is replaced', async () => {
  const out = await run(api, 'GET /v1/users?x=1 HTTP/1.1\r\nHost: api.example.com\r\nauthorization: mine\r\n\r\n');
  assert.is(out, 'GET /v1/users?x=1 HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer s3cret\r\n\r\n');
});

test('no header off the path, on another host, port or scheme, or unverified TLS', async () => {
  const req = 'GET /v2/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n';
  assert.is(await run(api, req), req);
  const v1 = 'GET /v1/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n';
  assert.is(await run({ ...api, host: 'evil.example.net' }, v1), v1, 'the Host header does not decide');
  assert.is(await run({ ...api, port: 8443 }, v1), v1);
  assert.is(await run({ host: 'api.example.com', port: 443 }, v1), v1, 'plaintext to port 443 is not https');
  assert.is(await run({ ...api, tls: { authorized: false } }, v1), v1, 'rejectUnauthorized: false gets no key');
});

test('every request of a keep-alive connection, bodies untouched, split at every byte', async () => {
  const input = 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /bPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /d HTTP/1.1\r\n\r\n';
  const want = 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Key: k1\r\n\r\nGET /bPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Key: k1\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /d HTTP/1.1\r\nX-Key: k1\r\n\r\n';
  const target = { host: '127.0.0.1', port: 8080 };
  assert.is(await run(target, input), want);
  assert.is(await run(target, input, 1), want);
  assert.is(await run(target, input, 7), want);
});

test('an upgrade or bytes that are no HTTP pass through, with nothing added after', async () => {
  const target = { host: '127.0.0.1', port: 8080 };
  const up = 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /x HTTP/1.1\r\n\r\n';
  assert.is(await run(target, up), 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nX-Key: k1\r\n\r\nGET /x HTTP/1.1\r\n\r\n');
  const junk = '\x16\x03\x01 binary\r\n\r\nGET / HTTP/1.1\r\n\r\n';
  assert.is(await run(target, junk), junk);
});

test('bad rules are refused with the rule named', () => {
  assert.throws(() => compileInjectRules([{ match: 'ftp://x/*', headers: { a: 'b' } }]), (e: Error) => e instanceof InjectRuleError && /network\.inject\[0\]\.match/.test(e.message));
  assert.throws(() => compileInjectRules([{ match: 'https://x/*', headers: { 'a b': 'c' } }]), /invalid header name/);
  assert.throws(() => compileInjectRules([{ match: 'https://x/*', headers: { a: 'v\r\nEvil: 1' } }]), /without CR, LF or NUL/);
  assert.throws(() => compileInjectRules([{ match: 'https://x/*', headers: {} }]), /empty/);
});

test('a head over the limit: reported once, passed through, nothing added after', async () => {
  const seen: number[] = [];
  const t = new HeaderInjector(rules, { host: '127.0.0.1', port: 8080 }, 32, (n) => seen.push(n));
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const input = 'GET /a HTTP/1.1\r\nX-Long: 0123456789abcdef\r\n\r\nGET /b HTTP/1.1\r\n\r\n';
  t.end(Buffer.from(input));
  await new Promise((r) => t.on('end', r));
  assert.is(Buffer.concat(out).toString(), input);
  assert.equal(seen, [input.indexOf('GET /b')], 'the first head\'s length, once');
});

test('a wildcard host matches subdomains', async () => {
  const wild = compileInjectRules([{ match: 'https://*.example.com/*', headers: { K: 'v' } }]);
  const t = new HeaderInjector(wild, { host: 'a.b.example.com', port: 443, tls: { authorized: true } }, 64 * 1024);
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  t.end(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  await new Promise((r) => t.on('end', r));
  assert.is(Buffer.concat(out).toString(), 'GET / HTTP/1.1\r\nK: v\r\n\r\n');
});

test.run();
