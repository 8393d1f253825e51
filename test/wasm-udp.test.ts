import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { patterned } from './helpers/net-servers.js';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { hostTftpServer, TFTP_SERVER_JS } from './helpers/tftp-server.js';
import { section, sleb, str, uleb, vec } from './helpers/wasm-bytes.js';

/**
 * UDP for the command binaries (host_net SOCK_DGRAM) on the VM's UDP table, the one guest
 * JS `dgram` uses: curl's tftp:// (the set's one UDP client: no other binary imports
 * net_sendto but git-remote-http(s), which is curl) against a TFTP server this test starts
 * on the host's 127.0.0.1 and against one in guest JS inside the same VM; and each host_net
 * call, one by one, from a hand-assembled module talking to a guest JS `dgram` socket of
 * its VM (errnos as Linux gives them: checked against a Linux host when written).
 */
const { client, logs } = await startSidecar();
const served = patterned(3000);
const tftp = await hostTftpServer({ 'data.bin': served });

/** The test's server reached: a rule naming the loopback address (any port: a TFTP server answers from a new one). */
const allowLoopback = { network: { default: 'deny' as const, rules: [{ mode: 'allow' as const, operations: ['connect' as const], patterns: ['127.0.0.1'] }] } };

test('curl tftp:// fetches the exact bytes of a 3,000-byte file (6 DATA/ACK rounds) from the host\'s server under a rule, counted', async () => {
  const v = (await client.createVm({ permissions: allowLoopback })).vmId;
  const before = tftp.events.length;
  const r = await client.exec(v, 'curl', ['-sS', `tftp://127.0.0.1:${tftp.port}/data.bin`], { timeoutMs: 60_000, outputEncoding: 'base64' });
  const body = Buffer.from(r.stdout, 'base64');
  assert.equal([r.exitCode, r.stderr, body.length, body.equals(served)], [0, '', 3000, true]);
  assert.equal(tftp.events.slice(before), ['rrq data.bin']);
  const stats = await client.vmStats(v);
  // In: 6 DATA (5 × 516 + 4 + 440); out: the request (name, mode, curl's options) and 6 ACKs of 4.
  assert.is(stats.network.bytesIn, 5 * 516 + 444);
  assert.ok(stats.network.bytesOut > 6 * 4, String(stats.network.bytesOut));
  assert.equal([stats.network.denied, stats.network.udpSockets], [0, 0]);
  await client.disposeVm(v);
});

test('curl -T uploads the exact bytes of a file over tftp:// (a write request, 4 blocks)', async () => {
  const v = (await client.createVm({ permissions: allowLoopback })).vmId;
  const upload = Buffer.from(Array.from({ length: 1800 }, (_, i) => (i * 13 + 5) % 256));
  await client.writeFile(v, '/tmp/up.bin', upload);
  const before = tftp.events.length;
  const r = await client.exec(v, 'curl', ['-sS', '-T', '/tmp/up.bin', `tftp://127.0.0.1:${tftp.port}/up.bin`], { timeoutMs: 60_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr], [0, '', '']);
  const stored = await eventually(() => tftp.events.slice(before).find((e) => e.startsWith('stored ')));
  assert.equal(tftp.events.slice(before, before + 1), ['wrq up.bin']);
  assert.ok(Buffer.from(stored.split(' ')[2]!, 'base64').equals(upload));
  await client.disposeVm(v);
});

test('without a rule: a server in the world is refused as a firewall refuses (sendto EPERM), logged and counted; nothing leaves', async () => {
  const v = (await client.createVm()).vmId;
  // curl reports sendto's error and waits for an answer all the same (as under a Linux firewall's REJECT): bounded by -m.
  const r = await client.exec(v, 'curl', ['-sS', '-m', '1', 'tftp://192.0.2.1/data.bin'], { timeoutMs: 60_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr], [28, '', 'curl: (28) Operation not permitted\n']);
  const line = await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.target === 'udp 192.0.2.1:69' && l.vmId === v));
  assert.equal([line.operation, line.command], ['connect', 'curl']);
  const stats = await client.vmStats(v);
  assert.equal([stats.network.denied, stats.network.bytesOut, stats.network.bytesIn], [1, 0, 0]);
  await client.disposeVm(v);
});

test('without a rule, the host\'s 127.0.0.1 is not the VM\'s: the request goes to the VM\'s own loopback, where nobody listens, and the host\'s server sees nothing', async () => {
  const v = (await client.createVm()).vmId;
  const before = tftp.events.length;
  const r = await client.exec(v, 'curl', ['-sS', '--connect-timeout', '1', `tftp://127.0.0.1:${tftp.port}/data.bin`], { timeoutMs: 60_000 });
  assert.equal([r.exitCode, r.stdout, r.stderr], [28, '', 'curl: (28) Timeout was reached\n']);
  assert.equal(tftp.events.slice(before), []);
  const stats = await client.vmStats(v);
  assert.equal([stats.network.denied, stats.network.bytesOut], [0, 0]);
  await client.disposeVm(v);
});

test('within one VM: curl fetches from and uploads to a guest JS TFTP server over the VM\'s loopback (IPv4, and IPv6 through localhost), without the host\'s network', async () => {
  const v = (await client.createVm()).vmId;
  const r = await client.exec(v, 'node', ['-e', `${TFTP_SERVER_JS}
const { execFile } = require('child_process');
const files = { 'in-vm.txt': Buffer.from('x'.repeat(1500) + 'end\\n') };
require('fs').writeFileSync('/tmp/up.txt', 'uploaded '.repeat(100));
const server = serveTftp(require('dgram'), files, (line) => console.log(line.slice(0, 40)), (port) => {
  execFile('curl', ['-sS', 'tftp://127.0.0.1:' + port + '/in-vm.txt'], (err, out, errOut) => {
    console.log('get', err ? err.code : 0, out.length, out.slice(-8).trim(), JSON.stringify(errOut));
    execFile('curl', ['-sS', '-T', '/tmp/up.txt', 'tftp://localhost:' + port + '/copy.txt'], (err, out, errOut) => {
      console.log('put', err ? err.code : 0, JSON.stringify(out + errOut), String(files['copy.txt']) === 'uploaded '.repeat(100));
      server.close();
      setTimeout(() => process.exit(0), 600);
    });
  });
}, 'udp6', '::');
`], { timeoutMs: 60_000 });
  assert.is(r.stdout, 'rrq in-vm.txt\nget 0 1504 xxxxend ""\nwrq copy.txt\nstored copy.txt dXBsb2FkZWQgdXBsb2FkZWQg\nput 0 "" true\n', r.stderr);
  const stats = await client.vmStats(v);
  assert.equal([stats.network.bytesIn, stats.network.bytesOut, stats.network.denied], [0, 0, 0]);
  await client.disposeVm(v);
});

// ---- a hand-assembled UDP probe: host_net calls one by one, their errnos and out-params to stdout ----

const I32 = 0x7f;
const OUT = 0x1000;
const i32 = (n: number) => [0x41, ...sleb(n | 0)];
const call = (f: number) => [0x10, ...uleb(f)];
const load = (addr: number) => [...i32(addr), 0x28, 2, 0];
const store = (addr: number, value: number[]) => [...i32(addr), ...value, 0x36, 2, 0];
const u32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

const IMPORTS: Array<{ module: string; name: string; params: number }> = [
  { module: 'wasi_snapshot_preview1', name: 'proc_exit', params: 1 },
  { module: 'wasi_snapshot_preview1', name: 'fd_write', params: 4 },
  { module: 'wasi_snapshot_preview1', name: 'fd_close', params: 1 },
  { module: 'host_process', name: 'fd_dup', params: 2 },
  ...([['net_socket', 4], ['net_bind', 3], ['net_connect', 3], ['net_sendto', 7], ['net_recvfrom', 7], ['net_send', 5], ['net_recv', 5], ['net_getsockname', 3], ['net_getpeername', 3], ['net_poll', 4]] as const).map(([name, params]) => ({ module: 'host_net', name, params })),
];
const fn = (name: string) => IMPORTS.findIndex((i) => i.name === name);

/**
 * A program of host calls in a row: each step's errno goes to a slot, and every slot and
 * buffer lies in one region written to stdout at the end, so the test reads each call's
 * outcome and out-params at known offsets.
 */
class Probe {
  private readonly code: number[] = [];
  private readonly data: Array<{ at: number; bytes: number[] }> = [];
  private text = 0x100;
  private slot = OUT;

  /** Constant bytes in memory (an address text, a payload): their address and length. */
  bytes(value: string): [number, number] {
    const at = this.text;
    this.data.push({ at, bytes: [...Buffer.from(value)] });
    this.text += Buffer.byteLength(value) + 1;
    return [at, Buffer.byteLength(value)];
  }

  /** An out-param of `size` bytes in the written region; `init`: an in/out length's capacity. */
  out(size = 4, init?: number): number {
    const at = this.slot;
    this.slot += size;
    if (init !== undefined) this.data.push({ at, bytes: u32(init) });
    return at;
  }

  /** Calls `name` with `args` (instruction bytes each); returns the slot of its errno. */
  call(name: string, ...args: number[][]): number {
    const errno = this.out();
    this.code.push(...store(errno, [...args.flat(), ...call(fn(name))]));
    return errno;
  }

  /** A pollfd {fd, events, revents}, its fd copied from memory at run time. */
  pollfd(fdAt: number, events: number): number {
    const at = this.out(8);
    this.code.push(...store(at, load(fdAt)), ...store(at + 4, i32(events)));
    return at;
  }

  module(): Uint8Array {
    const iov = this.text;
    this.data.push({ at: iov, bytes: [...u32(OUT), ...u32(this.slot - OUT)] });
    const body = [0, ...this.code, ...i32(1), ...i32(iov), ...i32(1), ...i32(iov + 8), ...call(fn('fd_write')), 0x1a, ...i32(0), ...call(fn('proc_exit')), 0x0b];
    const types = [...IMPORTS.map((i) => [0x60, ...vec(Array.from({ length: i.params }, () => [I32])), ...vec(i.name === 'proc_exit' ? [] : [[I32]])]), [0x60, 0, 0]];
    return Uint8Array.from([
      0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...section(1, vec(types)),
      ...section(2, vec(IMPORTS.map((imp, i) => [...str(imp.module), ...str(imp.name), 0, ...uleb(i)]))),
      ...section(3, vec([uleb(types.length - 1)])),
      ...section(5, vec([[0, 1]])),
      ...section(7, vec([[...str('memory'), 2, 0], [...str('_start'), 0, ...uleb(IMPORTS.length)]])),
      ...section(10, vec([[...uleb(body.length), ...body]])),
      ...section(11, vec(this.data.map((d) => [0, ...i32(d.at), 0x0b, ...uleb(d.bytes.length), ...d.bytes]))),
    ]);
  }
}

test('each host_net UDP call against a guest JS dgram socket of the same VM: the errnos, sizes, addresses and readiness Linux gives', async () => {
  const p = new Probe();
  const AF_INET = 1, SOCK_DGRAM = 5, SOCK_NONBLOCK = 0x4000, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, POLLIN = 1, POLLOUT = 4;
  const [any, anyLen] = p.bytes('127.0.0.1:0');
  const [js, jsLen] = p.bytes('127.0.0.1:41234');
  const [nine, nineLen] = p.bytes('127.0.0.1:9');
  const [first, firstLen] = p.bytes('127.0.0.1:32768');
  const [hello, helloLen] = p.bytes('hello');
  const [again, againLen] = p.bytes('again');
  const fd1 = p.out(), dup = p.out(), fd2 = p.out(), fd3 = p.out(), scratch = p.out(16), scratchN = p.out();
  const text = () => ({ at: p.out(32), len: p.out(4, 32) });
  const e: Record<string, number> = {};
  e.socket = p.call('net_socket', i32(AF_INET), i32(SOCK_DGRAM), i32(0), i32(fd1));
  e.recvUnbound = p.call('net_recvfrom', load(fd1), i32(scratch), i32(16), i32(MSG_DONTWAIT), i32(scratchN), i32(0), i32(0));
  const unbound = text();
  e.nameUnbound = p.call('net_getsockname', load(fd1), i32(unbound.at), i32(unbound.len));
  e.bind = p.call('net_bind', load(fd1), i32(any), i32(anyLen));
  const bound = text();
  e.name = p.call('net_getsockname', load(fd1), i32(bound.at), i32(bound.len));
  const idle = p.pollfd(fd1, POLLIN | POLLOUT), idleReady = p.out();
  e.pollIdle = p.call('net_poll', i32(idle), i32(1), i32(0), i32(idleReady));
  const sent = p.out();
  e.sendto = p.call('net_sendto', load(fd1), i32(hello), i32(helloLen), i32(0), i32(js), i32(jsLen), i32(sent));
  const waiting = p.pollfd(fd1, POLLIN), waitingReady = p.out();
  e.pollWait = p.call('net_poll', i32(waiting), i32(1), i32(-1), i32(waitingReady));
  const cut = { n: p.out(), buf: p.out(4), from: text() };
  e.recvTrunc = p.call('net_recvfrom', load(fd1), i32(cut.buf), i32(4), i32(MSG_TRUNC), i32(cut.n), i32(cut.from.at), i32(cut.from.len));
  const second = { n: p.out(), buf: p.out(16), from: text() };
  e.recvSecond = p.call('net_recvfrom', load(fd1), i32(second.buf), i32(16), i32(0), i32(second.n), i32(second.from.at), i32(second.from.len));
  e.recvDrained = p.call('net_recvfrom', load(fd1), i32(scratch), i32(16), i32(MSG_DONTWAIT), i32(scratchN), i32(0), i32(0));
  e.sendNoPeer = p.call('net_send', load(fd1), i32(hello), i32(helloLen), i32(0), i32(scratchN));
  e.connect = p.call('net_connect', load(fd1), i32(js), i32(jsLen));
  const peer = text();
  e.peer = p.call('net_getpeername', load(fd1), i32(peer.at), i32(peer.len));
  const sentAgain = p.out();
  e.send = p.call('net_send', load(fd1), i32(again), i32(againLen), i32(0), i32(sentAgain));
  const plain = { n: p.out(), buf: p.out(16) };
  e.recv = p.call('net_recv', load(fd1), i32(plain.buf), i32(16), i32(0), i32(plain.n));
  // A dup holds the socket (and its port) after the first fd closes; the last close lets the port go.
  e.dup = p.call('fd_dup', load(fd1), i32(dup));
  e.close = p.call('fd_close', load(fd1));
  e.socket2 = p.call('net_socket', i32(AF_INET), i32(SOCK_DGRAM), i32(0), i32(fd2));
  e.portHeld = p.call('net_bind', load(fd2), i32(first), i32(firstLen));
  const viaDup = { sent: p.out(), n: p.out(), buf: p.out(16) };
  e.sendDup = p.call('net_send', load(dup), i32(again), i32(againLen), i32(0), i32(viaDup.sent));
  e.recvDup = p.call('net_recv', load(dup), i32(viaDup.buf), i32(16), i32(0), i32(viaDup.n));
  e.closeDup = p.call('fd_close', load(dup));
  e.rebind = p.call('net_bind', load(fd2), i32(first), i32(firstLen));
  e.connectNobody = p.call('net_connect', load(fd2), i32(nine), i32(nineLen));
  e.sendNobody = p.call('net_send', load(fd2), i32(hello), i32(1), i32(0), i32(scratchN));
  const refusedPoll = p.pollfd(fd2, POLLIN | POLLOUT), refusedReady = p.out();
  e.pollRefused = p.call('net_poll', i32(refusedPoll), i32(1), i32(0), i32(refusedReady));
  e.refused = p.call('net_recv', load(fd2), i32(scratch), i32(16), i32(MSG_DONTWAIT), i32(scratchN));
  e.afterRefused = p.call('net_recv', load(fd2), i32(scratch), i32(16), i32(MSG_DONTWAIT), i32(scratchN));
  e.socket3 = p.call('net_socket', i32(AF_INET), i32(SOCK_DGRAM | SOCK_NONBLOCK), i32(0), i32(fd3));
  e.taken = p.call('net_bind', load(fd3), i32(js), i32(jsLen));
  e.recvNonblocking = p.call('net_recvfrom', load(fd3), i32(scratch), i32(16), i32(0), i32(scratchN), i32(0), i32(0));

  const v = (await client.createVm()).vmId;
  await client.request(P.WasmRegister, { name: 'udpprobe', data: Buffer.from(p.module()).toString('base64'), vmId: v });
  // The guest JS side: answers each datagram with two, '0123456789' and 'second'; then runs the probe.
  const r = await client.exec(v, 'node', ['-e', `const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => { console.log('got', String(m), r.address, r.port); s.send('0123456789', r.port, r.address); s.send('second', r.port, r.address); });
s.bind(41234, '127.0.0.1', () => require('child_process').execFile('udpprobe', { encoding: 'buffer' }, (err, out) => {
  console.log('exit', err ? err.code : 0);
  console.log(out.toString('base64'));
  s.close();
}));
`], { timeoutMs: 60_000 });
  const lines = r.stdout.split('\n');
  assert.equal(lines.slice(0, 4), ['got hello 127.0.0.1 32768', 'got again 127.0.0.1 32768', 'got again 127.0.0.1 32768', 'exit 0'], r.stdout + r.stderr);
  const out = Buffer.from(lines[4]!, 'base64');
  const int = (at: number) => out.readInt32LE(at - OUT);
  const textAt = (t: { at: number; len: number }) => out.subarray(t.at - OUT, t.at - OUT + int(t.len)).toString();
  const bytesAt = (at: number, n: number) => out.subarray(at - OUT, at - OUT + n).toString();
  const errnos = Object.fromEntries(Object.entries(e).map(([k, at]) => [k, int(at)]));
  // WASI numbering: AGAIN 6, DESTADDRREQ 17, CONNREFUSED 14, ADDRINUSE 3.
  assert.equal(errnos, {
    socket: 0, recvUnbound: 6, nameUnbound: 0, bind: 0, name: 0, pollIdle: 0, sendto: 0, pollWait: 0, recvTrunc: 0, recvSecond: 0, recvDrained: 6,
    sendNoPeer: 17, connect: 0, peer: 0, send: 0, recv: 0, dup: 0, close: 0, socket2: 0, portHeld: 3, sendDup: 0, recvDup: 0, closeDup: 0, rebind: 0,
    connectNobody: 0, sendNobody: 0, pollRefused: 0,
    refused: 14, afterRefused: 6, socket3: 0, taken: 3, recvNonblocking: 6,
  });
  assert.equal(
    [textAt(unbound), textAt(bound), int(idleReady), out.readInt16LE(idle + 6 - OUT), int(sent), int(waitingReady), out.readInt16LE(waiting + 6 - OUT)],
    ['0.0.0.0:0', '127.0.0.1:32768', 1, POLLOUT, 5, 1, POLLIN],
  );
  // MSG_TRUNC: the datagram's whole size, 4 bytes of it, and the rest gone: the next is the next datagram.
  assert.equal([int(cut.n), bytesAt(cut.buf, 4), textAt(cut.from)], [10, '0123', '127.0.0.1:41234']);
  assert.equal([int(second.n), bytesAt(second.buf, 6), textAt(second.from)], [6, 'second', '127.0.0.1:41234']);
  assert.equal([textAt(peer), int(sentAgain), int(plain.n), bytesAt(plain.buf, 10)], ['127.0.0.1:41234', 5, 10, '0123456789']);
  // Through the dup: the 'second' left queued by the first exchange comes first (one socket, one queue).
  assert.equal([int(viaDup.sent), int(viaDup.n), bytesAt(viaDup.buf, 6)], [5, 6, 'second']);
  // A connected socket told its peer's port is closed: POLLOUT|POLLERR, then ECONNREFUSED once.
  assert.equal([int(refusedReady), out.readInt16LE(refusedPoll + 6 - OUT)], [1, POLLOUT | 8]);
  const stats = await client.vmStats(v);
  assert.equal([stats.network.udpSockets, stats.network.bytesOut, stats.network.denied], [0, 0, 0]);
  await client.disposeVm(v);
});

test.after(async () => {
  tftp.close();
  await client.close();
});

test.run();
