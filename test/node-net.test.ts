// The guest's `net` (issue 11): isIP, BlockList, SocketAddress and the autoSelectFamily
// defaults are compared line by line with the host's Node 20; Socket and Server run with no
// network (a VM whose policy denies the network: permissions.network 'deny'), so their denial
// errors and event order are asserted exactly as Node reports a firewalled connect and a
// denied listen. test/net-*.test.ts cover the network itself (issue 12).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({ permissions: { network: 'deny' } });
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'node-net-');

/** Runs `script` in the VM only: the host may have a network (and run as root), so it is not a reference for denials. */
let vmOnly = 0;
async function inVm(script: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const dir = `/w/vm${++vmOnly}`;
  await client.mkdir(vmId, dir);
  await client.writeFile(vmId, `${dir}/main.js`, script);
  const r = await client.exec(vmId, 'node', ['main.js'], { cwd: dir });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}



test('isIP, isIPv4 and isIPv6 answer as Node for every form', async () => {
  const out = await same("const net = require('net');\nconst inputs = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.1.1.1', '1.1.1', '::', '::1', '1::', 'fe80::1%eth0', 'fe80::1%', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', 'x::1', '', 'localhost', ' 1.1.1.1', '1.1.1.1 ', 123, null, undefined, {}, '0:0:0:0:0:0:0:0', '2001:db8::ff00:42:8329', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'ABCD::EF'];\nfor (const i of inputs) console.log(JSON.stringify([String(i), net.isIP(i), net.isIPv4(i), net.isIPv6(i)]));\n");
  assert.ok(out.includes('["fe80::1%eth0",6,false,true]'));
});

test('BlockList rules, checks and errors, SocketAddress and the autoSelectFamily defaults are Node\'s', async () => {
  const out = await same("const net = require('net');\nconst show = (f) => { try { return JSON.stringify(f()); } catch (e) { return [e.name, e.code, e.message].join(' | '); } };\nconst b = new net.BlockList();\nb.addAddress('1.2.3.4');\nb.addRange('10.0.0.1', '10.0.0.9');\nb.addSubnet('8592:757c:efae:4e45::', 64, 'ipv6');\nb.addSubnet('192.168.0.0', 16);\nb.addAddress('::1', 'ipv6');\nb.addAddress(new net.SocketAddress({ address: '2001:0db8:0000:0000:0000:0000:0000:0001', family: 'ipv6' }));\nconsole.log(JSON.stringify(b.rules));\nfor (const [a, f] of [['1.2.3.4'], ['1.2.3.5'], ['10.0.0.5'], ['10.0.0.10'], ['::ffff:10.0.0.5', 'ipv6'], ['::ffff:1.2.3.4', 'ipv6'], ['8592:757c:efae:4e45:1::', 'ipv6'], ['8592:757c:efae:4e46::', 'ipv6'], ['192.168.254.3'], ['192.169.0.1'], ['::1', 'ipv6'], ['2001:db8::1', 'ipv6'], ['nonsense'], ['1.2.3.4', 'ipv6']])\n  console.log(a, f, show(() => b.check(a, f)));\nconsole.log(show(() => b.addRange('10.0.0.9', '10.0.0.1')).split(' Received')[0]);\nconsole.log(show(() => b.addSubnet('1.2.3.0', 33)));\nconsole.log(show(() => b.addSubnet('::', 129, 'ipv6')));\nconsole.log(show(() => b.addAddress(1)));\nconsole.log(show(() => b.addAddress('1.2.3.4', 'ipv5')));\nconsole.log(show(() => b.addAddress('1.2.3')));\nfor (const o of [{}, { address: '::1', family: 'ipv6', port: 5 }, { address: 'foo' }, { family: 'IPV6' }, { address: '::1' }, { port: 65536 }, { port: -1 }, { flowlabel: -1 }, { family: 'x' }, { address: 1 }, { address: 'fe80:0:0::1%1', family: 'ipv6', flowlabel: 7 }])\n  console.log(show(() => new net.SocketAddress(o).toJSON()));\nconsole.log(show(() => new net.SocketAddress(1)));\nconsole.log(net.SocketAddress.isSocketAddress(new net.SocketAddress()), net.SocketAddress.isSocketAddress({}));\nconsole.log(show(() => net.getDefaultAutoSelectFamily()), show(() => net.getDefaultAutoSelectFamilyAttemptTimeout()));\nfor (const v of [0, 5, 500, 1.5, '5', -1, 2 ** 31]) console.log(show(() => net.setDefaultAutoSelectFamilyAttemptTimeout(v)), net.getDefaultAutoSelectFamilyAttemptTimeout());\nfor (const v of [false, 1, 'true', true]) console.log(show(() => net.setDefaultAutoSelectFamily(v)), net.getDefaultAutoSelectFamily());\n");
  assert.ok(out.includes('::ffff:10.0.0.5 ipv6 true'));
});

test('connect is refused and listen denied through the error event, in Node\'s order and with Node\'s fields', async () => {
  const vm = await inVm("const net = require('net');\nconst pick = (e) => JSON.stringify({ name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, hostname: e.hostname });\nconst log = [];\nconst s = net.connect(1, '127.0.0.1', () => log.push('connect callback'));\nlog.push(`sync: connecting=${s.connecting} pending=${s.pending} readyState=${s.readyState}`);\ns.on('lookup', () => log.push('lookup'));\ns.on('connect', () => log.push('connect'));\ns.on('error', (e) => log.push(`error ${pick(e)} connecting=${s.connecting} destroyed=${s.destroyed}`));\ns.on('close', (hadError) => {\n  log.push(`close ${hadError}`);\n  const s2 = new net.Socket();\n  s2.on('error', (e) => log.push(`s2 error ${pick(e)}`));\n  s2.on('close', () => {\n    log.push('s2 close');\n    const srv = net.createServer(() => log.push('connection'));\n    srv.on('listening', () => log.push('listening'));\n    srv.on('error', (e) => {\n      log.push(`server error ${pick(e)} listening=${srv.listening} address=${JSON.stringify(srv.address())}`);\n      const bad = [() => net.connect({ port: 70000 }), () => net.connect({ port: 'x' }), () => net.connect({}), () => net.connect({ port: 1, host: 5 }), () => net.createServer().listen(-1), () => net.createServer().listen({ port: 65536 })];\n      for (const f of bad) try { f(); log.push('no throw'); } catch (e) { log.push(`throws ${e.name} ${e.code} ${e.message}`); }\n      console.log(log.join('\\n'));\n    });\n    srv.listen(process.env.LISTEN_PORT ? Number(process.env.LISTEN_PORT) : 80);\n    log.push(`after listen: listening=${srv.listening}`);\n  });\n  s2.connect({ port: 2, host: '127.0.0.1' });\n});\n");
  const pick = (o: object) => JSON.stringify({ name: 'Error', ...o });
  assert.is(vm.stdout, [
    'sync: connecting=true pending=true readyState=opening',
    `error ${pick({ message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 1 })} connecting=false destroyed=true`,
    'close true',
    `s2 error ${pick({ message: 'connect ECONNREFUSED 127.0.0.1:2', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 2 })}`,
    's2 close',
    'after listen: listening=false',
    `server error ${pick({ message: 'listen EACCES: permission denied 0.0.0.0:80', code: 'EACCES', errno: -13, syscall: 'listen', address: '0.0.0.0', port: 80 })} listening=false address=null`,
    'throws RangeError ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type number (70000).',
    'throws RangeError ERR_SOCKET_BAD_PORT Port should be >= 0 and < 65536. Received type string (\'x\').',
    'throws TypeError ERR_MISSING_ARGS The "options" or "port" or "path" argument must be specified',
    'throws TypeError ERR_INVALID_ARG_TYPE The "hostname" argument must be of type string. Received type number (5)',
    'throws RangeError ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (-1).',
    'throws RangeError ERR_SOCKET_BAD_PORT options.port should be >= 0 and < 65536. Received type number (65536).',
    '',
  ].join('\n'), vm.stderr);
});

test('a name other than localhost or an IP fails as getaddrinfo ENOTFOUND, after a lookup event', async () => {
  const vm = await inVm(`const net = require('net');
const s = net.connect(80, 'example.invalid');
s.on('lookup', (e, a, f, h) => console.log('lookup', e && e.code, h));
s.on('error', (e) => console.log('error', e.message, e.code, e.errno, e.syscall, e.hostname));
s.on('close', (h) => console.log('close', h));`);
  assert.is(vm.stdout, 'lookup ENOTFOUND example.invalid\nerror getaddrinfo ENOTFOUND example.invalid ENOTFOUND -3008 getaddrinfo example.invalid\nclose true\n', vm.stderr);
});

test.after(async () => {
  await client.close();
});
test.run();
