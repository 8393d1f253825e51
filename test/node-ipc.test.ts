/**
 * child_process IPC between processes of a VM (fork, stdio 'ipc', process.send), through
 * the real daemon: the same parent and child scripts run in a VM and under the host's
 * Node 20, and their output must be the same; the daemon's bounds on queued messages
 * (per channel, per VM) end a flood with ENOBUFS and a "bounded limit exhausted" line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, startSidecar } from './helpers/sidecar.js';

const CHANNEL_BYTES = 256 * 1024;
const VM_BYTES = 400_000;
const { client, logs } = await startSidecar({ env: { AGENTOS_IPC_CHANNEL_QUEUE_BYTES: String(CHANNEL_BYTES), AGENTOS_IPC_VM_QUEUE_BYTES: String(VM_BYTES) } });
const { vmId } = await client.createVm({});
const hostDir = mkdtempSync(join(tmpdir(), 'agentos-ipc-'));
const hostEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete hostEnv.FORCE_COLOR;

type Files = Record<string, string>;

/** Runs p.js (with its sibling files) in the VM, in /home/user. */
async function inVm(files: Files) {
  for (const [name, text] of Object.entries(files)) await client.writeFile(vmId, `/home/user/${name}`, text);
  return client.exec(vmId, 'node', ['p.js']);
}

/** The same files under the host's node, in a scratch directory. */
function onHost(files: Files): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(hostDir, name), text);
  return execFileSync(process.execPath, ['p.js'], { cwd: hostDir, encoding: 'utf8', timeout: 60_000, env: hostEnv });
}

async function sameAsHost(files: Files): Promise<string> {
  const vm = await inVm(files);
  assert.is(vm.stderr, '');
  assert.is(vm.stdout, onHost(files));
  assert.is(vm.exitCode, 0);
  return vm.stdout;
}

test('json round trip: what a child gets and sends back, its channel as Node sets it up, disconnect, exit', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const c = fork('c.js', ['a1']);
      console.log('parent', c.connected, typeof c.send, typeof c.channel.ref, typeof c.channel.unref, c.stdio.length, c.stdin, c.stdout);
      const values = ['s', 1.5, -0, null, true, [1, 'two', { three: 3 }], { nested: { a: [null, false] }, u: undefined, d: new Date(0), f() {} }, '\\u2028 é 💥'];
      let got = 0;
      c.once('message', (info) => {
        console.log('child says', JSON.stringify(info));
        c.on('message', (m) => {
          console.log('reply', JSON.stringify(m));
          if (++got === values.length) c.disconnect();
        });
      });
      c.on('disconnect', () => console.log('parent disconnect', c.connected, c.channel));
      c.on('exit', (code, signal) => console.log('exit', code, signal));
      for (const v of values) console.log('sent', c.send(v));
    `,
    'c.js': `
      process.send({ argv: process.argv.slice(2), connected: process.connected, send: typeof process.send, fd: process.channel.fd, env: [process.env.NODE_CHANNEL_FD, process.env.NODE_CHANNEL_SERIALIZATION_MODE] });
      process.on('message', (m) => process.send({ got: m, type: typeof m }));
    `,
  });
  assert.match(out, /^parent true function function function 4 null null\n/);
  assert.match(out, /child says \{"argv":\["a1"\],"connected":true,"send":"function","fd":3,"env":\[null,null\]\}\n/);
  assert.match(out, /reply \{"got":\{"nested":\{"a":\[null,false\]\},"d":"1970-01-01T00:00:00.000Z"\},"type":"object"\}\n/);
  assert.match(out, /parent disconnect false null\nexit 0 null\n$/);
});

test('advanced serialization: Map, Set, BigInt, Date, typed arrays and Buffers, undefined, cycles', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const util = require('util');
      const c = fork('c.js', { serialization: 'advanced' });
      const cyclic = { name: 'c' }; cyclic.self = cyclic;
      const values = [new Map([[1, { a: 1n }]]), new Set(['x']), { big: 2n ** 70n }, new Date(5), new Uint16Array([1, 2, 65535]), Buffer.from('hi'), { u: undefined, n: NaN }, cyclic, [, 1], /re/g];
      let got = 0;
      c.on('message', (m) => {
        console.log(util.inspect(m, { depth: 4 }));
        if (++got === values.length) c.disconnect();
      });
      for (const v of values) c.send(v);
      try { c.send({ f() {} }); } catch (e) { console.log('threw', e.name, e.message); }
    `,
    'c.js': `
      process.on('message', (m) => process.send({ m, cycle: m && m.self === m, buf: Buffer.isBuffer(m), ctor: m && m.constructor && m.constructor.name }));
    `,
  });
  assert.match(out, /Map\(1\) \{ 1 => \{ a: 1n \} \}/);
  assert.match(out, /cycle: true/);
});

test('order: thousands of messages each way arrive all and in order', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const c = fork('c.js');
      const N = 3000;
      let next = 0, bad = 0;
      c.on('message', (m) => {
        if (m.i !== next) bad++;
        next++;
        if (m.done) { console.log('parent got', next, 'bad', bad, 'child saw', m.seen, m.sum); c.disconnect(); }
      });
      for (let i = 0; i < N; i++) c.send({ i, pad: 'x'.repeat(i % 50) });
    `,
    'c.js': `
      const N = 3000;
      let seen = 0, sum = 0, bad = 0;
      process.on('message', (m) => {
        if (m.i !== seen) bad++;
        seen++; sum += m.i;
        if (seen === N) {
          for (let i = 0; i < N - 1; i++) process.send({ i });
          process.send({ i: N - 1, done: true, seen, sum: sum + ':' + bad });
        }
      });
    `,
  });
  assert.is(out, 'parent got 3000 bad 0 child saw 3000 4498500:0\n');
});

test('disconnect from the child: both sides see it, once; a second disconnect is Node\'s error', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const c = fork('c.js');
      const events = [];
      c.on('message', (m) => events.push('message ' + m));
      c.on('disconnect', () => events.push('disconnect ' + c.connected));
      c.on('exit', (code) => { events.push('exit ' + code); });
      c.on('close', (code) => { events.push('close ' + code); console.log(events.join('; ')); });
    `,
    'c.js': `
      process.send('before');
      process.on('disconnect', () => console.log('child disconnect', process.connected, process.channel));
      process.disconnect();
      try { process.disconnect(); } catch (e) { console.log('again', e.code, e.message); }
    `,
  });
  assert.is(out, 'again ERR_IPC_DISCONNECTED IPC channel is already disconnected\nchild disconnect false null\nmessage before; disconnect false; exit 0; close 0\n');
});

test('disconnect from the parent: the child sees it and ends; send after disconnect gives ERR_IPC_CHANNEL_CLOSED to its callback or as \'error\'', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const c = fork('c.js');
      c.once('message', (m) => {
        console.log('ready', m);
        c.disconnect();
        console.log('connected', c.connected, c.channel);
        console.log('returns', c.send('late', (err) => console.log('callback', err.name, err.code, err.message)));
        c.once('error', (err) => console.log('error event', err.code, err.message));
        c.send('later');
        c.on('disconnect', () => console.log('disconnect event'));
      });
      c.on('exit', (code, signal) => console.log('exit', code, signal));
    `,
    // Its exit code says what it saw (its output would race the parent's).
    'c.js': `
      process.on('message', () => {});
      process.on('disconnect', () => {
        process.send('x', (err) => { process.exitCode = !process.connected && process.channel === null && err.code === 'ERR_IPC_CHANNEL_CLOSED' ? 7 : 1; });
      });
      process.send('up');
    `,
  });
  assert.match(out, /^ready up\nconnected false null\nreturns false\n/);
  assert.match(out, /callback Error ERR_IPC_CHANNEL_CLOSED Channel closed\n/);
  assert.match(out, /error event ERR_IPC_CHANNEL_CLOSED Channel closed\n/);
  assert.match(out, /exit 7 null\n$/);
});

test('the child\'s exit ends the channel: what it sent first arrives, then \'disconnect\', then \'exit\'', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { fork } = require('child_process');
      const c = fork('c.js');
      const events = [];
      c.on('message', (m) => events.push('message ' + m));
      c.on('disconnect', () => events.push('disconnect'));
      c.on('exit', (code) => events.push('exit ' + code));
      c.on('close', (code) => { events.push('close ' + code); console.log(events.join('; '), c.connected); });
    `,
    'c.js': `
      process.on('message', () => {});
      for (let i = 0; i < 3; i++) process.send(i);
      process.exitCode = 3;
      process.channel.unref();
    `,
  });
  assert.is(out, 'message 0; message 1; message 2; disconnect; exit 3; close 3 false\n');
});

test('argument errors as Node gives them: the message, stdio without or with two ipc, sync with ipc, serialization, handles', async () => {
  const out = await sameAsHost({
    'p.js': `
      const cp = require('child_process');
      const show = (f) => { try { f(); console.log('no error'); } catch (e) { console.log(e.name, e.code, e.message); } };
      show(() => cp.fork('c.js', { stdio: ['pipe', 'pipe', 'pipe'] }));
      show(() => cp.spawn('node', ['c.js'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc', 'ipc'] }));
      show(() => cp.spawnSync('node', ['c.js'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }));
      show(() => cp.fork('c.js', { serialization: 'xml' }));
      const c = cp.fork('c.js');
      show(() => c.send());
      show(() => c.send(Symbol('s')));
      show(() => c.send(() => 1));
      show(() => c.send('m', null, 'opts'));
      show(() => c.send('m', { not: 'a handle' }));
      show(() => c.send(1n));
      const cyclic = {}; cyclic.self = cyclic;
      show(() => c.send(cyclic));
      c.disconnect();
      const s = cp.spawn('node', ['c.js', 'send'], { stdio: ['inherit', 'inherit', 'ipc', 'inherit'] });
      s.on('message', (m) => { console.log('spawned child says', m); s.disconnect(); });
    `,
    'c.js': `
      if (process.argv[2] === 'send') process.send({ fd: process.channel.fd });
    `,
  });
  assert.match(out, /^Error ERR_CHILD_PROCESS_IPC_REQUIRED Forked processes must have an IPC channel, missing value 'ipc' in options.stdio\n/);
  assert.match(out, /spawned child says \{ fd: 2 \}\n$/);
});

/** Sends 1000-character messages to `c` until one fails: [index of the first false, how many were sent, the error]. */
const FLOOD = `
  function flood(c) {
    const msg = 'x'.repeat(1000);
    let firstFalse = -1, sent = 0, error;
    c.on('error', (e) => { if (!error) error = e; });
    for (let i = 0; i < 1000 && !error; i++) {
      if (!c.send(msg, (err) => { if (!err) sent++; else if (!error) error = err; }) && firstFalse < 0) firstFalse = i;
    }
    return new Promise((resolve) => setImmediate(() => resolve([firstFalse, sent, error && error.code, error && error.syscall, error && error.errno].join(' '))));
  }
`;

test('backpressure and a flood: send turns false past Node\'s mark, the channel\'s bound, then the VM\'s, end it with ENOBUFS, logged; the bytes come back', async () => {
  // The children never read (their main program waits on a stdin nobody writes): what the parent sends stays queued.
  const files = {
    'p.js': `${FLOOD}
      const { fork } = require('child_process');
      (async () => {
        const stdio = ['pipe', 'inherit', 'inherit', 'ipc'];
        const a = fork('c.js', { stdio }), b = fork('c.js', { stdio });
        console.log('a', await flood(a));
        console.log('b', await flood(b));
        for (const c of [a, b]) {
          c.on('exit', (code, signal) => console.log('exit', code, signal, c.connected));
          c.kill('SIGKILL');
        }
      })();
    `,
    'c.js': 'require("fs").readSync(0, Buffer.alloc(1));',
  };
  // Each message is 1000 characters, its quotes and the newline: 1003 bytes.
  const size = 1003;
  const perChannel = Math.floor(CHANNEL_BYTES / size);
  const expected = `a ${Math.ceil(131072 / size) - 1} ${perChannel} ENOBUFS write -105\nb ${Math.ceil(131072 / size) - 1} ${Math.floor((VM_BYTES - perChannel * size) / size)} ENOBUFS write -105\nexit null SIGKILL false\nexit null SIGKILL false\n`;
  for (let round = 0; round < 2; round++) {
    const r = await inVm(files);
    assert.is(r.stderr, '');
    assert.is(r.stdout, expected);
  }
  for (const limit of ['ipc_channel_queue_bytes', 'ipc_vm_queue_bytes']) {
    await eventually(() => logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === limit && l.env === `AGENTOS_${limit.toUpperCase()}`));
  }
  // The VM, and the daemon, go on.
  const after = await client.exec(vmId, 'node', ['-e', 'console.log("still here")']);
  assert.is(after.stdout, 'still here\n');
});

test.after(async () => {
  await client.close();
});

test.run();
