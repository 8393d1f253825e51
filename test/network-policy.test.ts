// The network policy end to end through the real daemon (issue 12): `ask` rules for connect
// and dns (permission/request to the host, its answer reaching the guest), the per-VM byte
// and DNS limits (the guest's error, the "bounded limit exhausted" line), DNS denials, guest
// JS `dns` (lookup, resolve, reverse, lookupService, Resolver, the promises API) answered
// by the VM's broker from its dns overrides, and the permission counts vm/stats reports for
// the network scope. Servers only on 127.0.0.1, started here.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PermissionAnswer, PermissionRequestParams } from '../src/client/client.js';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const echo: Server = createServer((s) => s.pipe(s));
await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
const echoPort = (echo.address() as AddressInfo).port;
const web = createHttpServer((req, res) => res.end(`${req.method} ${req.url} host=${req.headers.host}`));
await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
const webPort = (web.address() as AddressInfo).port;

let answer: (r: PermissionRequestParams) => PermissionAnswer = () => ({ allow: false });
const asked: PermissionRequestParams[] = [];
const { client, logs } = await startSidecar({
  onPermissionRequest: (r) => {
    asked.push(r);
    return answer(r);
  },
});
const askedAbout = (vmId: string) => asked.filter((r) => r.vmId === vmId).map((r) => [r.scope, r.operation, r.target]);

async function run(vmId: string, script: string) {
  await client.writeFile(vmId, '/home/user/main.js', script);
  const r = await client.exec(vmId, 'node', ['main.js'], { env: { ECHO_PORT: String(echoPort), WEB_PORT: String(webPort) } });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** An error's fields as the guest prints them. */
const SHOW = `const show = (e) => JSON.stringify({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, hostname: e.hostname });`;

/** Connects to the echo server at HOST, sends "hello", prints the answer or the error. */
const EXCHANGE = `${SHOW}
const net = require('net');
const s = net.connect({ host: process.argv[2] ?? '127.0.0.1', port: Number(process.env.ECHO_PORT) }, () => { console.log('connected'); s.end('hello'); });
const got = [];
s.on('data', (d) => got.push(d));
s.on('error', (e) => console.log('error', show(e)));
s.on('close', () => console.log('got', JSON.stringify(Buffer.concat(got).toString())));
`;

const ASK_CONNECT = { network: { default: 'deny' as const, rules: [{ mode: 'ask' as const, operations: ['connect' as const], patterns: ['127.0.0.1:*'] }] } };

test('ask for connect: granted, the guest connects after the host answers; refused, ECONNREFUSED and one log line', async () => {
  answer = () => ({ allow: true });
  const yes = await client.createVm({ permissions: ASK_CONNECT });
  const granted = await run(yes.vmId, EXCHANGE);
  assert.is(granted.stdout, 'connected\ngot "hello"\n', granted.stderr);
  assert.equal(askedAbout(yes.vmId), [['network', 'connect', `127.0.0.1:${echoPort}`]]);
  assert.equal(asked.find((r) => r.vmId === yes.vmId)!.pid, 1);
  assert.equal((await client.vmStats(yes.vmId)).permissions.network, { allowed: 1, denied: 0, asked: 1 });

  answer = () => ({ allow: false });
  const no = await client.createVm({ permissions: ASK_CONNECT });
  const refused = await run(no.vmId, EXCHANGE);
  assert.is(refused.stdout, `error {"message":"connect ECONNREFUSED 127.0.0.1:${echoPort}","code":"ECONNREFUSED","errno":-111,"syscall":"connect"}\ngot ""\n`);
  assert.equal(askedAbout(no.vmId), [['network', 'connect', `127.0.0.1:${echoPort}`]]);
  const line = await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.vmId === no.vmId));
  assert.equal([line.level, line.scope, line.operation, line.target, line.reason], ['warn', 'network', 'connect', `127.0.0.1:${echoPort}`, `rule 127.0.0.1:*: the host did not allow it`]);
  const stats = await client.vmStats(no.vmId);
  assert.equal(stats.permissions.network, { allowed: 0, denied: 1, asked: 1 });
  assert.is(stats.network.denied, 1);
});

test('ask remembered for the VM: the second connect is not asked again, and counts as allowed', async () => {
  answer = () => ({ allow: true, remember: true });
  const { vmId } = await client.createVm({ permissions: ASK_CONNECT });
  assert.is((await run(vmId, EXCHANGE)).stdout, 'connected\ngot "hello"\n');
  assert.is((await run(vmId, EXCHANGE)).stdout, 'connected\ngot "hello"\n');
  assert.equal(askedAbout(vmId), [['network', 'connect', `127.0.0.1:${echoPort}`]]);
  assert.equal((await client.vmStats(vmId)).permissions.network, { allowed: 2, denied: 0, asked: 1 });
});

test('ask for dns: the name is asked about as a dns target; refused, the guest gets ENOTFOUND', async () => {
  answer = (r) => ({ allow: r.target === 'yes.example.test' });
  const { vmId } = await client.createVm({
    permissions: { network: { default: 'deny', rules: [{ mode: 'ask', operations: ['dns'], patterns: ['*.example.test'] }] } },
    dns: { overrides: { 'yes.example.test': ['192.0.2.1'], 'no.example.test': ['192.0.2.2'] } },
  });
  const r = await run(vmId, `${SHOW}
const dns = require('dns');
dns.lookup('yes.example.test', (err, address, family) => {
  console.log('yes', err ? show(err) : address + ' ' + family);
  dns.lookup('no.example.test', (err, address) => console.log('no', err ? show(err) : address));
});`);
  assert.is(r.stdout, 'yes 192.0.2.1 4\nno {"message":"getaddrinfo ENOTFOUND no.example.test","code":"ENOTFOUND","errno":-3008,"syscall":"getaddrinfo","hostname":"no.example.test"}\n', r.stderr);
  assert.equal(askedAbout(vmId), [['network', 'dns', 'yes.example.test'], ['network', 'dns', 'no.example.test']]);
  assert.equal((await client.vmStats(vmId)).permissions.network, { allowed: 1, denied: 1, asked: 2 });
});

test('bytes out per VM: the write past the limit fails the socket with ENOBUFS, one limit line, nothing more sent', async () => {
  const { vmId } = await client.createVm({ limits: { netBytesOut: 8 }, permissions: { network: { default: 'deny', rules: [{ mode: 'allow', patterns: [`127.0.0.1:${echoPort}`] }] } } });
  const r = await run(vmId, `${SHOW}
const s = require('net').connect({ host: '127.0.0.1', port: Number(process.env.ECHO_PORT) }, () => {
  s.write('12345');
  setTimeout(() => s.write('6789'), 50);
});
const got = [];
s.on('data', (d) => got.push(d));
s.on('error', (e) => console.log('error', show(e)));
s.on('close', () => console.log('got', JSON.stringify(Buffer.concat(got).toString())));`);
  assert.is(r.stdout, 'error {"message":"read ENOBUFS","code":"ENOBUFS","errno":-105,"syscall":"read"}\ngot "12345"\n', r.stderr);
  const line = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.vmId === vmId));
  assert.equal([line.level, line.limit, line.observed, line.capacity, line.env], ['warn', 'net_bytes_out_per_vm', 9, 8, 'AGENTOS_NET_BYTES_OUT_PER_VM']);
  const stats = await client.vmStats(vmId);
  assert.equal([stats.network.bytesOut, stats.network.bytesIn, stats.usage.limitHits], [5, 5, 1]);
});

test('bytes in per VM: what arrives past the limit fails the socket with ENOBUFS and the limit line', async () => {
  const { vmId } = await client.createVm({ limits: { netBytesIn: 4 }, permissions: { network: { default: 'deny', rules: [{ mode: 'allow', patterns: [`127.0.0.1:${echoPort}`] }] } } });
  const r = await run(vmId, EXCHANGE);
  assert.is(r.stdout, 'connected\nerror {"message":"read ENOBUFS","code":"ENOBUFS","errno":-105,"syscall":"read"}\ngot ""\n', r.stderr);
  const line = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.vmId === vmId));
  assert.equal([line.limit, line.observed, line.capacity, line.env], ['net_bytes_in_per_vm', 5, 4, 'AGENTOS_NET_BYTES_IN_PER_VM']);
  assert.equal((await client.vmStats(vmId)).network.bytesIn, 0);
});

test('dns lookups per second: the lookup past the limit is EAI_AGAIN with the limit line; overrides cost nothing', async () => {
  const { vmId } = await client.createVm({
    limits: { netDnsLookupsPerSecond: 1 },
    permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['dns'], patterns: ['*.invalid', '*.example.test'] }] } },
    dns: { overrides: { 'a.example.test': ['192.0.2.1'] } },
  });
  // Issued in one turn of the guest: both reach the daemon within the same second.
  const r = await run(vmId, `${SHOW}
const dns = require('dns');
const out = [];
const done = (tag) => (err, a) => { out.push(tag + ' ' + (err ? show(err) : a)); if (out.length === 4) console.log(out.join('\\n')); };
dns.lookup('first.invalid', done('1'));
dns.lookup('second.invalid', done('2'));
dns.lookup('a.example.test', done('3'));
dns.resolve4('third.invalid', done('4'));`);
  const lines = r.stdout.trim().split('\n').sort();
  assert.equal(lines, [
    '1 {"message":"getaddrinfo ENOTFOUND first.invalid","code":"ENOTFOUND","errno":-3008,"syscall":"getaddrinfo","hostname":"first.invalid"}',
    '2 {"message":"getaddrinfo EAI_AGAIN second.invalid","code":"EAI_AGAIN","errno":-3001,"syscall":"getaddrinfo","hostname":"second.invalid"}',
    '3 192.0.2.1',
    '4 {"message":"queryA EREFUSED third.invalid","code":"EREFUSED","syscall":"queryA","hostname":"third.invalid"}',
  ], r.stderr);
  const hits = logs.filter((l) => l.msg === 'bounded limit exhausted' && l.vmId === vmId);
  assert.equal(hits.map((l) => [l.limit, l.observed, l.capacity, l.env]), [
    ['net_dns_lookups_per_second', 2, 1, 'AGENTOS_NET_DNS_LOOKUPS_PER_SECOND'],
    ['net_dns_lookups_per_second', 2, 1, 'AGENTOS_NET_DNS_LOOKUPS_PER_SECOND'],
  ]);
  const stats = await client.vmStats(vmId);
  assert.equal([stats.network.dnsLookups, stats.usage.limitHits, stats.permissions.network.allowed], [1, 2, 4]);
});

test('dns denied: lookup, resolve, reverse and lookupService answer as a filtering resolver, each logged and counted', async () => {
  const { vmId } = await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['dns'], patterns: ['ok.example.test'] }] } }, dns: { overrides: { 'ok.example.test': ['192.0.2.7'] } } });
  const r = await run(vmId, `${SHOW}
const dns = require('dns');
(async () => {
  for (const [tag, call] of [
    ['lookup', () => dns.promises.lookup('blocked.example.test')],
    ['resolve4', () => dns.promises.resolve4('blocked.example.test')],
    ['resolveTxt', () => dns.promises.resolveTxt('blocked.example.test')],
    ['reverse', () => dns.promises.reverse('192.0.2.9')],
    ['lookupService', () => dns.promises.lookupService('192.0.2.9', 80)],
    ['allowed', () => dns.promises.lookup('ok.example.test')],
  ]) {
    try { console.log(tag, JSON.stringify(await call())); } catch (e) { console.log(tag, show(e)); }
  }
})();`);
  assert.is(r.stdout, [
    'lookup {"message":"getaddrinfo ENOTFOUND blocked.example.test","code":"ENOTFOUND","errno":-3008,"syscall":"getaddrinfo","hostname":"blocked.example.test"}',
    'resolve4 {"message":"queryA ENOTFOUND blocked.example.test","code":"ENOTFOUND","syscall":"queryA","hostname":"blocked.example.test"}',
    'resolveTxt {"message":"queryTxt ENOTFOUND blocked.example.test","code":"ENOTFOUND","syscall":"queryTxt","hostname":"blocked.example.test"}',
    'reverse {"message":"getHostByAddr ENOTFOUND 192.0.2.9","code":"ENOTFOUND","syscall":"getHostByAddr","hostname":"192.0.2.9"}',
    // Node 20.19.2's promises API names no hostname here (its onlookupservice reads this.host).
    'lookupService {"message":"getnameinfo ENOTFOUND","code":"ENOTFOUND","errno":-3008,"syscall":"getnameinfo"}',
    'allowed {"address":"192.0.2.7","family":4}',
    '',
  ].join('\n'), r.stderr);
  const denied = logs.filter((l) => l.msg === 'permission denied' && l.vmId === vmId);
  // One line per target per second: the name's three denials make one line, the address's two one.
  assert.equal(denied.map((l) => [l.scope, l.operation, l.target, l.reason]), [
    ['network', 'dns', 'blocked.example.test', 'the default'],
    ['network', 'dns', '192.0.2.9', 'the default'],
  ]);
  const stats = await client.vmStats(vmId);
  assert.equal([stats.network.denied, stats.permissions.network.denied, stats.permissions.network.allowed, stats.network.dnsLookups], [5, 5, 1, 0]);
});

test('guest dns: localhost, an override in every order and family, resolve and the Resolver, from the broker', async () => {
  const { vmId } = await client.createVm({
    permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['dns'], patterns: ['*.example.test'] }] } },
    dns: { overrides: { 'api.example.test': ['fd00::5', '192.0.2.5', '192.0.2.6'], 'v4.example.test': ['192.0.2.8'] } },
  });
  const r = await run(vmId, `${SHOW}
process.noDeprecation = true;
const dns = require('node:dns');
const { ADDRCONFIG, V4MAPPED, ALL } = dns;
(async () => {
  const p = require('dns/promises');
  console.log('same', p === dns.promises, typeof dns.Resolver, typeof p.Resolver);
  console.log('localhost', JSON.stringify(await p.lookup('localhost')));
  console.log('localhost6', JSON.stringify(await p.lookup('localhost', 6)));
  for (const order of ['verbatim', 'ipv4first', 'ipv6first']) console.log(order, JSON.stringify(await p.lookup('api.example.test', { all: true, order })));
  console.log('verbatim:false', JSON.stringify(await p.lookup('api.example.test', { all: true, verbatim: false })));
  console.log('family6', JSON.stringify(await p.lookup('api.example.test', { family: 6, all: true })));
  console.log('v4mapped', JSON.stringify(await p.lookup('v4.example.test', { family: 6, hints: V4MAPPED | ADDRCONFIG })));
  try { await p.lookup('v4.example.test', { family: 6 }); } catch (e) { console.log('no6', show(e)); }
  console.log('resolve4', JSON.stringify(await p.resolve4('api.example.test', { ttl: true })));
  console.log('resolve6', JSON.stringify(await p.resolve('api.example.test', 'AAAA')));
  console.log('any', JSON.stringify(await p.resolveAny('v4.example.test')));
  try { await p.resolveMx('api.example.test'); } catch (e) { console.log('mx', show(e)); }
  console.log('service', JSON.stringify(await p.lookupService('127.0.0.1', 22)), JSON.stringify(await p.lookupService('::1', 80)));
  console.log('reverse loopback', JSON.stringify(await p.reverse('127.0.0.1')));
  const r = new dns.Resolver();
  r.setServers(['192.0.2.53', '[2001:db8::1]:5353']);
  console.log('servers', JSON.stringify(r.getServers()));
  await new Promise((done) => r.resolve4('v4.example.test', (err, a) => { console.log('resolver', err ? show(err) : JSON.stringify(a)); done(); }));
  const c = new dns.Resolver();
  await new Promise((done) => {
    c.resolve4('v4.example.test', (err) => { console.log('cancelled', show(err)); done(); });
    c.cancel();
    console.log('cancel returned');
  });
  dns.setDefaultResultOrder('ipv4first');
  console.log('order', dns.getDefaultResultOrder());
  await new Promise((done) => dns.lookup('api.example.test', (err, address, family) => { console.log('default order', address, family); done(); }));
  await new Promise((done) => dns.lookup('', { all: true }, (err, list) => { console.log('empty', JSON.stringify(list)); done(); }));
  console.log('flags', ADDRCONFIG, V4MAPPED, ALL, dns.NOTFOUND, dns.NODATA, dns.CANCELLED);
  try { dns.lookup('x', { family: 5 }, () => {}); } catch (e) { console.log('family5', e.code); }
  try { dns.reverse('not-an-address', () => {}); } catch (e) { console.log('reverse', show(e)); }
})();`);
  assert.is(r.stdout, [
    'same true function function',
    'localhost {"address":"127.0.0.1","family":4}',
    'localhost6 {"address":"::1","family":6}',
    'verbatim [{"address":"fd00::5","family":6},{"address":"192.0.2.5","family":4},{"address":"192.0.2.6","family":4}]',
    'ipv4first [{"address":"192.0.2.5","family":4},{"address":"192.0.2.6","family":4},{"address":"fd00::5","family":6}]',
    'ipv6first [{"address":"fd00::5","family":6},{"address":"192.0.2.5","family":4},{"address":"192.0.2.6","family":4}]',
    'verbatim:false [{"address":"192.0.2.5","family":4},{"address":"192.0.2.6","family":4},{"address":"fd00::5","family":6}]',
    'family6 [{"address":"fd00::5","family":6}]',
    'v4mapped {"address":"::ffff:192.0.2.8","family":6}',
    'no6 {"message":"getaddrinfo ENOTFOUND v4.example.test","code":"ENOTFOUND","errno":-3008,"syscall":"getaddrinfo","hostname":"v4.example.test"}',
    'resolve4 [{"address":"192.0.2.5","ttl":0},{"address":"192.0.2.6","ttl":0}]',
    'resolve6 ["fd00::5"]',
    'any [{"address":"192.0.2.8","ttl":0,"type":"A"}]',
    'mx {"message":"queryMx ENODATA api.example.test","code":"ENODATA","syscall":"queryMx","hostname":"api.example.test"}',
    // The VM's loopback is named localhost whatever the host's hosts file says; services from the daemon's /etc/services.
    'service {"hostname":"localhost","service":"ssh"} {"hostname":"localhost","service":"http"}',
    'reverse loopback ["localhost"]',
    'servers ["192.0.2.53","[2001:db8::1]:5353"]',
    'resolver ["192.0.2.8"]',
    'cancel returned',
    'cancelled {"message":"queryA ECANCELLED v4.example.test","code":"ECANCELLED","syscall":"queryA","hostname":"v4.example.test"}',
    'order ipv4first',
    'default order 192.0.2.5 4',
    'empty []',
    'flags 32 8 16 ENOTFOUND ENODATA ECANCELLED',
    'family5 ERR_INVALID_ARG_VALUE',
    'reverse {"message":"getHostByAddr EINVAL not-an-address","code":"EINVAL","errno":-22,"syscall":"getHostByAddr","hostname":"not-an-address"}',
    '',
  ].join('\n'), r.stderr);
});

test('dns module shape and argument errors are as Node gives them', async () => {
  const { vmId } = await client.createVm();
  await client.mkdir(vmId, '/w');
  await sameAsHost(client, vmId, 'agentos-dns-')(`
const dns = require('dns');
const p = require('dns/promises');
const out = [];
out.push(Object.keys(dns).sort().join(','));
out.push(Object.keys(p).sort().join(','));
out.push(Object.getOwnPropertyNames(dns.Resolver.prototype).sort().join(','));
for (const bad of [() => dns.lookup(1, () => {}), () => dns.lookup('x', { hints: -1 }, () => {}), () => dns.lookupService('x', 80, () => {}), () => dns.lookupService('127.0.0.1', 'x', () => {}),
  () => dns.setServers(['bad address']), () => dns.resolve('x', 'BOGUS', () => {}), () => dns.setDefaultResultOrder('x'), () => new dns.Resolver({ timeout: -2 })]) {
  try { bad(); out.push('no throw'); } catch (e) { out.push(e.code + ' ' + e.name + ' ' + e.message); }
}
console.log(out.join('\\n'));
dns.lookup('127.0.0.1', { all: true }, (e, a) => console.log(JSON.stringify(a)));
dns.lookup('::1', (e, a, f) => console.log(a, f));
`);
});

test('http and net with a name use the broker lookup: the VM dns override leads to the server, the lookup event says where', async () => {
  const { vmId } = await client.createVm({
    permissions: { network: { default: 'deny', rules: [{ mode: 'allow', patterns: [`127.0.0.1:${webPort}`, `127.0.0.1:${echoPort}`, 'svc.example.test:*'] }] } },
    dns: { overrides: { 'svc.example.test': ['127.0.0.1'] } },
  });
  const r = await run(vmId, `
const http = require('http');
const net = require('net');
http.get('http://svc.example.test:' + process.env.WEB_PORT + '/x', (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => {
    console.log('http', res.statusCode, body);
    const s = net.connect({ host: 'svc.example.test', port: Number(process.env.ECHO_PORT) });
    s.on('lookup', (err, address, family, host) => console.log('lookup', err, address, family, host));
    s.on('connect', () => { console.log('net', s.remoteAddress); s.destroy(); });
  });
});`);
  assert.is(r.stdout, `http 200 GET /x host=svc.example.test:${webPort}\nlookup null 127.0.0.1 4 svc.example.test\nnet 127.0.0.1\n`, r.stderr);
});

test.after(async () => {
  await client.close();
  echo.close();
  web.close();
});

test.run();
