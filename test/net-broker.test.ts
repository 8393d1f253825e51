// The VM network broker (issue 12) through guest JS `net`: connects to a TCP echo server the
// test starts on the host's 127.0.0.1 under a rule naming it, the denial (errno and log line)
// without one, the address rule (loopback, private and metadata refused by default, also
// behind a DNS override of an allowed name), the VM's own loopback between two processes,
// and that another VM cannot reach it.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, startSidecar } from './helpers/sidecar.js';

const echo: Server = createServer((s) => s.pipe(s));
await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
const echoPort = (echo.address() as AddressInfo).port;

const { client, logs } = await startSidecar();

async function run(vmId: string, script: string, env: Record<string, string> = {}) {
  await client.writeFile(vmId, '/home/user/main.js', script);
  const r = await client.exec(vmId, 'node', ['main.js'], { env: { ECHO_PORT: String(echoPort), ...env } });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** Connects, sends "hello", prints what comes back, or the error's fields. */
const EXCHANGE = `const net = require('net');
const host = process.env.HOST ?? '127.0.0.1';
const s = net.connect({ host, port: Number(process.env.ECHO_PORT) }, () => s.end('hello'));
const got = [];
s.on('data', (d) => got.push(d));
s.on('error', (e) => console.log('error', JSON.stringify({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, hostname: e.hostname })));
s.on('close', () => console.log('got', JSON.stringify(Buffer.concat(got).toString())));
`;

test('connect to 127.0.0.1 under a rule naming it: the bytes come back', async () => {
  const { vmId } = await client.createVm({ permissions: { network: { default: 'deny', rules: [{ mode: 'allow', operations: ['connect'], patterns: [`127.0.0.1:${echoPort}`] }] } } });
  const r = await run(vmId, EXCHANGE);
  assert.is(r.stdout, 'got "hello"\n', r.stderr);
  const stats = await client.vmStats(vmId);
  assert.equal([stats.network.bytesOut, stats.network.bytesIn, stats.network.connectionsOpened, stats.network.connections], [5, 5, 1, 0]);
});

test('no policy: ECONNREFUSED as a firewall gives, and one log line', async () => {
  const { vmId } = await client.createVm();
  const r = await run(vmId, EXCHANGE);
  assert.is(r.stdout, `error {"message":"connect ECONNREFUSED 127.0.0.1:${echoPort}","code":"ECONNREFUSED","errno":-111,"syscall":"connect","address":"127.0.0.1","port":${echoPort}}\ngot ""\n`);
  const line = await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.vmId === vmId));
  assert.equal([line.level, line.scope, line.operation, line.target, line.reason], ['warn', 'network', 'connect', `127.0.0.1:${echoPort}`, 'loopback address (allowed only by a rule naming it)']);
  assert.is((await client.vmStats(vmId)).network.denied, 1);
});

test('loopback, private and metadata addresses are refused when only a name or * is allowed, also behind a DNS override', async () => {
  const { vmId } = await client.createVm({
    permissions: { network: { default: 'deny', rules: [{ mode: 'allow', patterns: ['*:*'] }] } },
    dns: { overrides: { 'api.example.test': ['127.0.0.1'], 'meta.example.test': ['169.254.169.254'], 'lan.example.test': ['10.1.2.3'], 'v6.example.test': ['::ffff:127.0.0.1'] } },
  });
  for (const host of ['127.0.0.1', 'api.example.test', 'meta.example.test', 'lan.example.test', 'v6.example.test', '::ffff:7f00:1', '169.254.169.254', '192.168.1.1', '0.0.0.0']) {
    const r = await run(vmId, EXCHANGE, { HOST: host });
    assert.ok(r.stdout.startsWith('error {"message":"connect ECONNREFUSED'), `${host}: ${r.stdout}${r.stderr}`);
  }
  const targets = logs.filter((l) => l.msg === 'permission denied' && l.vmId === vmId).map((l) => l.target);
  assert.ok(targets.includes(`api.example.test:${echoPort} (127.0.0.1:${echoPort})`), JSON.stringify(targets));
  assert.ok(targets.includes(`meta.example.test:${echoPort} (169.254.169.254:${echoPort})`));
  // A rule naming the address opens it, for the name that leads there too.
  const open = await client.createVm({
    permissions: { network: { default: 'deny', rules: [{ mode: 'allow', patterns: ['*.example.test:*', '127.0.0.0/8:*'] }] } },
    dns: { overrides: { 'api.example.test': ['127.0.0.1'] } },
  });
  assert.is((await run(open.vmId, EXCHANGE, { HOST: 'api.example.test' })).stdout, 'got "hello"\n');
});

test('in-VM loopback: a server in one process, a client in another; another VM cannot reach it', async () => {
  const { vmId } = await client.createVm();
  const server = `const net = require('net');
const srv = net.createServer((s) => { s.on('data', (d) => s.end('echo:' + d)); });
srv.listen(4000, () => console.log('listening', srv.address().port));
process.stdin.resume();
process.stdin.on('end', () => srv.close());
`;
  await client.writeFile(vmId, '/home/user/server.js', server);
  const { pid } = await client.spawn(vmId, 'node', ['server.js']);
  const exited = client.waitForExit(vmId, pid);
  let out = '';
  client.onOutput((e) => { if (e.pid === pid && e.vmId === vmId) out += e.data; });
  await eventually(() => out.includes('listening 4000'));
  const r = await run(vmId, EXCHANGE, { HOST: 'localhost', ECHO_PORT: '4000' });
  assert.is(r.stdout, 'got "echo:hello"\n', r.stderr);
  const other = await client.createVm({ permissions: { network: 'allow' } });

  const o = await run(other.vmId, EXCHANGE, { HOST: '127.0.0.1', ECHO_PORT: '4000' });
  assert.ok(o.stdout.startsWith('error {"message":"connect ECONNREFUSED 127.0.0.1:4000"'), o.stdout);
  await client.closeStdin(vmId, pid);
  assert.is((await exited).exitCode, 0);
});

test.after(async () => {
  await client.close();
  echo.close();
});

test.run();
