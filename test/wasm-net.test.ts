import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closedPort, echoServer, gitServer, httpServer, httpsServer, patterned, sha256 } from './helpers/net-servers.js';
import { startSidecar, waitFor } from './helpers/sidecar.js';

/**
 * host_net for the command binaries, through the real daemon, against servers this test
 * starts on 127.0.0.1: curl, wget and git reach them under a rule that allows the
 * address, and get what Linux behind a firewall gives without one.
 */
const { client, logs } = await startSidecar();
const http = await httpServer();
const echo = await echoServer();
const tlsServer = await httpsServer();
const git = await gitServer({ 'README.md': '# small\n', 'src/main.c': 'int main(void) { return 0; }\n', 'data/bytes.txt': 'a\tb\r\nc\n' });

/** Connections to the test's servers allowed: a rule that names the loopback address itself. */
const allowLoopback = { network: { default: 'deny' as const, rules: [{ mode: 'allow' as const, operations: ['connect' as const, 'dns' as const], patterns: ['127.0.0.1:*', 'localhost:*'] }] } };
const allowedVm = async () => (await client.createVm({ permissions: allowLoopback })).vmId;

test('curl GET receives the exact bytes of a 3 MiB body', async () => {
  const v = await allowedVm();
  const size = 3 * 1024 * 1024 + 7;
  const r = await client.exec(v, 'curl', ['-sS', `http://127.0.0.1:${http.port}/bytes/${size}`], { timeoutMs: 60_000, outputEncoding: 'base64' });
  const body = Buffer.from(r.stdout, 'base64');
  assert.equal([r.exitCode, r.stderr, body.length, sha256(body)], [0, '', size, sha256(patterned(size))]);
});

test('curl POST sends the exact bytes of a file (every byte value), and the response comes back', async () => {
  const v = await allowedVm();
  const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
  await client.writeFile(v, '/tmp/payload.bin', payload);
  const before = http.requests.length;
  const r = await client.exec(v, 'curl', ['-sS', '--data-binary', '@/tmp/payload.bin', '-H', 'content-type: application/octet-stream', `http://127.0.0.1:${http.port}/echo`], { timeoutMs: 60_000, outputEncoding: 'base64' });
  const seen = http.requests.slice(before);
  assert.equal([r.exitCode, r.stderr, seen.length, seen[0]?.method, seen[0]?.body.equals(payload), Buffer.from(r.stdout, 'base64').equals(payload)], [0, '', 1, 'POST', true, true]);
});

test('wget saves the exact body to a file', async () => {
  const v = await allowedVm();
  const r = await client.exec(v, 'wget', ['-q', '-O', '/tmp/got.bin', `http://127.0.0.1:${http.port}/bytes/200000`], { timeoutMs: 60_000 });
  const got = await client.readFile(v, '/tmp/got.bin');
  assert.equal([r.exitCode, r.stdout, r.stderr, got.length, sha256(got)], [0, '', '', 200_000, sha256(patterned(200_000))]);
});

test('git clone over smart HTTP gets the repository\'s exact files and history', async () => {
  const v = await allowedVm();
  const r = await client.exec(v, 'git', ['clone', '-q', git.url, '/home/user/small'], { timeoutMs: 120_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  const files = await Promise.all(['README.md', 'src/main.c', 'data/bytes.txt'].map(async (f) => (await client.readFile(v, `/home/user/small/${f}`)).toString()));
  assert.equal(files, ['# small\n', 'int main(void) { return 0; }\n', 'a\tb\r\nc\n']);
  const log = await client.exec(v, 'sh', ['-c', 'cd /home/user/small && git log --format=%s && git status --short'], { timeoutMs: 60_000 });
  assert.equal([log.exitCode, log.stdout], [0, 'the one commit\n']);
});

test('curl does its own TLS (mbedTLS) over a host_net socket: https with the test\'s CA, and -k', async () => {
  const v = (await client.createVm({ permissions: allowLoopback, files: [{ path: '/tmp/ca.pem', data: tlsServer.cert, encoding: 'utf8' }] })).vmId;
  const r = await client.exec(v, 'curl', ['-sS', '--cacert', '/tmp/ca.pem', `https://127.0.0.1:${tlsServer.port}/s`], { timeoutMs: 60_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr], [0, 'GET /s\n', '']);
  const k = await client.exec(v, 'curl', ['-sSk', `https://localhost:${tlsServer.port}/k`], { timeoutMs: 60_000 });
  assert.equal([k.exitCode, k.stdout, k.stderr], [0, 'GET /k\n', '']);
});

test('a TCP client (curl telnet://, the set has no nc) sends stdin to an echo server, prints the echo, and ends when the server closes', async () => {
  const v = await allowedVm();
  const before = echo.received.length;
  const sent = 'line one\nline two\nquit\n';
  const r = await client.exec(v, 'curl', ['-sS', `telnet://127.0.0.1:${echo.port}`], { stdin: sent, timeoutMs: 60_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr, Buffer.concat(echo.received.slice(before)).toString()], [0, sent, '', sent]);
});

test('the VM\'s own loopback: curl reaches a guest server another process of the VM listens on (the set has no nc -l), and another VM does not reach it', async () => {
  const v = (await client.createVm()).vmId;
  const other = (await client.createVm()).vmId;
  const seen: string[] = [];
  const stop = client.onOutput((e) => {
    if (e.vmId === v) seen.push(e.data);
  });
  // Guest JS's net (the set has no server binary short of sshd): each connection gets one line, then the end.
  const server = "require('net').createServer((c) => c.end('hi from pid ' + process.pid + '\\n')).listen(7070, () => console.log('listening'))";
  const { pid } = await client.spawn(v, 'node', ['-e', server]);
  try {
    await waitFor(() => seen.join('').includes('listening'));
    const r = await client.exec(v, 'curl', ['-sS', 'telnet://127.0.0.1:7070'], { timeoutMs: 60_000 });
    assert.equal([r.exitCode, r.stdout, r.stderr], [0, `hi from pid ${pid}\n`, '']);
    const elsewhere = await client.exec(other, 'curl', ['-sS', 'telnet://127.0.0.1:7070'], { timeoutMs: 60_000 });
    assert.equal([elsewhere.exitCode, elsewhere.stdout], [7, '']);
  } finally {
    stop();
    await client.kill(v, pid, 'SIGKILL').catch(() => {});
  }
});

test('a refused connection (allowed, nothing listening) goes through non-blocking connect and poll to ECONNREFUSED: curl exit 7, as on Linux', async () => {
  const v = await allowedVm();
  const port = await closedPort();
  const r = await client.exec(v, 'curl', ['-sS', `http://127.0.0.1:${port}/`], { timeoutMs: 60_000 });
  assert.equal(r.exitCode, 7);
  assert.match(r.stderr, new RegExp(`^curl: \\(7\\) Failed to connect to 127\\.0\\.0\\.1 port ${port} after \\d+ ms: Could not connect to server\\n$`));
  // The host's curl says the same of the same port (its older version words the reason "Couldn't").
  let host = '';
  try {
    execFileSync('curl', ['-sS', `http://127.0.0.1:${port}/`], { stdio: 'pipe' });
  } catch (err) {
    host = String((err as { stderr: Buffer }).stderr);
  }
  assert.match(host, new RegExp(`^curl: \\(7\\) Failed to connect to 127\\.0\\.0\\.1 port ${port} after \\d+ ms: Could(?:n't| not) connect to server\\n$`));
});

test('without an allowing rule the connection is refused as a firewall refuses it, and the server sees nothing', async () => {
  const v = (await client.createVm()).vmId;
  const before = http.requests.length;
  const r = await client.exec(v, 'curl', ['-sS', `http://127.0.0.1:${http.port}/denied`], { timeoutMs: 60_000 });
  assert.equal(r.exitCode, 7);
  assert.match(r.stderr, new RegExp(`^curl: \\(7\\) Failed to connect to 127\\.0\\.0\\.1 port ${http.port} after \\d+ ms: Could not connect to server\\n$`));
  const named = await client.exec(v, 'curl', ['-sS', 'http://example.invalid/'], { timeoutMs: 60_000 });
  assert.equal([named.exitCode, named.stderr], [6, 'curl: (6) Could not resolve host: example.invalid\n']);
  assert.equal(http.requests.length, before);
});

test('sockets are let go when each process ends: more curls in a row than the VM may hold sockets at once', async () => {
  const { client: tight } = await startSidecar({ env: { AGENTOS_MAX_SOCKETS_PER_VM: '2' } });
  try {
    const v = (await tight.createVm({ permissions: allowLoopback })).vmId;
    const out: string[] = [];
    for (let i = 0; i < 5; i++) out.push((await tight.exec(v, 'curl', ['-sS', `http://127.0.0.1:${http.port}/n${i}`], { timeoutMs: 60_000 })).stdout);
    assert.equal(out, [0, 1, 2, 3, 4].map((i) => `GET /n${i}\n`));
  } finally {
    await tight.close();
  }
});

test.after(async () => {
  await client.close();
  await Promise.all([http.close(), echo.close(), git.close(), tlsServer.close()]);
  void logs;
});

test.run();
