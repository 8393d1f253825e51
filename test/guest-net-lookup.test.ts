import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpServer } from './helpers/net-servers.js';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

/**
 * net.connect's `lookup` option (and socket.connect's, and http's, which its agent passes
 * on): the caller's function answers instead of the resolver, with the options Node hands
 * it, the same 'lookup' events and errors, and what it answers is connected to. Run in the
 * VM and under the host's Node 20, which must print the same. In the VM the address it
 * gives is then judged by the network policy as any address.
 */
const { client, logs } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-net-lookup-');

const SCRIPT = "const net = require('net');\nconst http = require('http');\nconst show = (v) => v instanceof AggregateError ? `${v.name} ${v.code} [${v.errors.map(show)}]` : v instanceof Error ? `${v.name} ${v.code} ${v.message}` : JSON.stringify(v);\nconst srv = net.createServer((s) => s.end('hi\\n')).listen(0, '127.0.0.1', async () => {\n  const port = srv.address().port;\n  const run = (name, options) => new Promise((resolve) => {\n    const events = [];\n    const s = new net.Socket();\n    s.on('lookup', (err, address, family, host) => events.push(`lookup ${err ? show(err) : 'null'} ${show(address)} ${show(family)} ${host}`));\n    s.on('connect', () => events.push(`connect ${s.remoteAddress} ${s.remoteFamily} ${s.remotePort === port}`));\n    s.on('data', (d) => events.push(`data ${String(d).trim()}`));\n    s.on('error', (err) => events.push(`error ${show(err)} ${err === options.failWith}`));\n    s.on('close', () => { console.log(name, events.join(' | ').replaceAll(String(port), 'PORT')); resolve(); });\n    try {\n      s.connect({ port, ...options });\n    } catch (err) { console.log(name, 'throws', show(err)); s.destroy(); }\n  });\n  const calls = [];\n  const single = (answer) => function lookup(host, opts, cb) { calls.push(`${host} ${JSON.stringify(opts)}`); answer(cb, opts); };\n  await run('family4', { host: 'my.test', family: 4, lookup: single((cb) => cb(null, '127.0.0.1', 4)) });\n  await run('default-all', { host: 'my.test', lookup: single((cb, o) => o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) });\n  await run('all-two', { host: 'my.test', lookup: single((cb) => cb(null, [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }])) });\n  const failWith = Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });\n  await run('fails', { host: 'my.test', failWith, lookup: single((cb) => cb(failWith)) });\n  await run('fails4', { host: 'my.test', family: 4, failWith, lookup: single((cb) => cb(failWith)) });\n  await run('not-ip', { host: 'my.test', family: 4, lookup: single((cb) => cb(null, 'not-an-ip', 4)) });\n  await run('bad-family', { host: 'my.test', family: 4, lookup: single((cb) => cb(null, '127.0.0.1', 5)) });\n  await run('literal', { host: '127.0.0.1', lookup: single((cb) => cb(null, '127.0.0.9', 4)) });\n  await run('not-fn', { host: 'my.test', lookup: 42 });\n  await run('hints', { host: 'my.test', family: 6, hints: 1024, lookup: single((cb) => cb(null, '127.0.0.1', 4)) });\n  await run('refused-all', { host: 'my.test', port: 1, lookup: single((cb) => cb(null, [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.3', family: 4 }])) });\n  await run('async', { host: 'my.test', family: 4, lookup: single((cb) => setTimeout(() => cb(null, '127.0.0.1', 4), 5)) });\n  console.log(calls.join('\\n'));\n  const got = await new Promise((resolve) => {\n    const hs = http.createServer((req, res) => res.end(`${req.method} ${req.headers.host.split(':')[0]}`)).listen(0, '127.0.0.1', () => {\n      http.get({ host: 'web.test', port: hs.address().port, lookup: (h, o, cb) => { console.log('http lookup', h, JSON.stringify(o)); o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4); } }, (res) => {\n        let b = ''; res.on('data', (c) => b += c); res.on('end', () => { hs.close(); resolve(b); });\n      });\n    });\n  });\n  console.log('http', got);\n  srv.close();\n});\n";

test('a custom lookup: its options, its lookup events, its errors (its own, a bad address, a bad family), all: true answers, literals skip it, http passes it on, as in Node', async () => {
  const out = await same(SCRIPT);
  assert.ok(out.endsWith('http lookup web.test {"hints":32,"all":true}\nhttp GET web.test\n'), out);
});

test('the address a custom lookup gives is judged by the policy as any address: refused without a rule (logged), reached with one', async () => {
  const web = await httpServer();
  // A new Socket, so the 'lookup' listener is there before connect (a lookup answering at once emits it within connect).
  const script = (address: string) => `const s = new (require('net').Socket)();
s.on('lookup', (err, a, f, h) => console.log('lookup', err, a, f, h));
s.on('connect', () => { console.log('connect', s.remoteAddress); s.end('GET /x HTTP/1.0\\r\\n\\r\\n'); });
s.on('data', (d) => console.log(String(d).split('\\r\\n')[0]));
s.on('error', (e) => console.log('error', e.code, e.syscall, e.address, e.port === ${web.port}));
s.connect({ host: 'svc.test', port: ${web.port}, lookup: (h, o, cb) => cb(null, o.all ? [{ address: '${address}', family: 4 }] : '${address}', 4) });
`;
  try {
  const denied = await client.exec(vmId, 'node', ['-e', script('192.0.2.1')]);
  assert.is(denied.stdout, 'lookup null 192.0.2.1 4 svc.test\nerror ECONNREFUSED connect 192.0.2.1 true\n', denied.stderr);
  await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.target === `192.0.2.1:${web.port}`));
  const allowed = (await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${web.port}`] }] } } })).vmId;
  const reached = await client.exec(allowed, 'node', ['-e', script('127.0.0.1')]);
  assert.is(reached.stdout, 'lookup null 127.0.0.1 4 svc.test\nconnect 127.0.0.1\nHTTP/1.1 200 OK\n', reached.stderr);
  await client.disposeVm(allowed);
  } finally {
    await web.close();
  }
});

/**
 * A connect by name is a lookup, then a connect, at every entry point (JS net, fetch, curl):
 * `dns` denied, the name does not resolve (ENOTFOUND; curl 6); `dns` allowed and `connect`
 * not, a firewall refuses (ECONNREFUSED; curl 7); both allowed, the bytes come.
 */
test('dns and connect by name: each judged at every entry point (JS net, fetch, curl), with the same answer', async () => {
  const web = await httpServer();
  const name = 'svc.test';
  const rule = (operations: Array<'dns' | 'connect'>, patterns: string[]) => ({ mode: 'allow' as const, operations, patterns });
  const connectRules = rule(['connect'], [`${name}:${web.port}`, `127.0.0.1:${web.port}`]);
  const policies = {
    connectOnly: [connectRules],
    dnsOnly: [rule(['dns'], [name])],
    both: [connectRules, rule(['dns'], [name])],
  };
  const script = `const s = require('net').connect(${web.port}, '${name}');
s.on('connect', () => s.end('GET /n HTTP/1.0\\r\\n\\r\\n'));
s.on('data', (d) => console.log('net', String(d).split('\\r\\n')[0]));
s.on('error', (e) => console.log('net', e.code, e.syscall, e.message));
s.on('close', () => fetch('http://${name}:${web.port}/f').then((r) => r.text()).then((t) => console.log('fetch', t.trim()), (e) => console.log('fetch', e.name, e.message, e.cause && e.cause.code)));
`;
  const seen: Record<string, unknown> = {};
  try {
    for (const [key, rules] of Object.entries(policies)) {
      const v = (await client.createVm({ permissions: { network: { default: 'deny', rules } }, dns: { overrides: { [name]: ['127.0.0.1'] } } })).vmId;
      const js = await client.exec(v, 'node', ['-e', script]);
      const curl = await client.exec(v, 'curl', ['-sS', `http://${name}:${web.port}/c`], { timeoutMs: 60_000 });
      const denied = logs.filter((l) => l.msg === 'permission denied' && l.vmId === v).map((l) => `${l.operation} ${l.target}`);
      seen[key] = { js: js.stdout + js.stderr, curl: [curl.exitCode, curl.stdout, curl.stderr.replace(/after \d+ ms/, 'after N ms')], denied: [...new Set(denied)] };
      await client.disposeVm(v);
    }
  } finally {
    await web.close();
  }
  const port = web.port;
  assert.equal(seen, {
    connectOnly: {
      js: 'net ENOTFOUND getaddrinfo getaddrinfo ENOTFOUND svc.test\nfetch TypeError fetch failed ENOTFOUND\n',
      curl: [6, '', 'curl: (6) Could not resolve host: svc.test\n'],
      denied: ['dns svc.test'],
    },
    dnsOnly: {
      js: `net ECONNREFUSED connect connect ECONNREFUSED svc.test:${port}\nfetch TypeError fetch failed ECONNREFUSED\n`,
      curl: [7, '', `curl: (7) Failed to connect to svc.test port ${port} after N ms: Could not connect to server\n`],
      denied: [`connect svc.test:${port}`],
    },
    both: { js: 'net HTTP/1.1 200 OK\nfetch GET /f\n', curl: [0, 'GET /c\n', ''], denied: [] },
  });
});

test('a loopback listener takes only connects of its family (127.0.0.1 and 0.0.0.0: IPv4; ::1: IPv6; ::: both), as in Node on Linux', async () => {
  const out = await same("const net = require('net');\nconst tryc = (host, port) => new Promise((r) => { const c = net.connect(port, host); c.on('connect', () => { c.destroy(); r('connected'); }); c.on('error', (e) => r(e.code)); });\n(async () => {\n  for (const [bind, label] of [['127.0.0.1', 'v4'], ['::1', 'v6'], ['::', 'any6'], ['0.0.0.0', 'any4']]) {\n    const s = net.createServer((c) => c.end()).listen(0, bind);\n    await new Promise((r) => s.on('listening', r));\n    const port = s.address().port;\n    const out = [];\n    for (const h of ['127.0.0.1', '::1', 'localhost']) out.push(h + '=' + await tryc(h, port));\n    console.log(label, out.join(' '));\n    s.close();\n  }\n})();\n");
  assert.is(out.split('\n')[1], 'v6 127.0.0.1=ECONNREFUSED ::1=connected localhost=ECONNREFUSED');
});

test.after(async () => {
  await client.close();
});

test.run();
