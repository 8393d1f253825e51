/**
 * worker_threads in a VM: a Worker is another JS process of the VM (src/js/guest/node/worker.ts).
 * The same scripts run in a VM and under the host's Node 20 and must print the same: messages
 * both ways, workerData, eval workers, 'error' and 'exit' and their order, terminate,
 * process.exit in a worker, nested workers, a flood of messages. A worker that spawns workers
 * without end meets the VM's process limit, and the daemon goes on serving.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar, waitForAsync } from './helpers/sidecar.js';

const MAX_PROCESSES = 12;
const { client } = await startSidecar();
const { vmId } = await client.createVm({ limits: { maxProcesses: MAX_PROCESSES } } as never);
const hostDir = mkdtempSync(join(tmpdir(), 'agentos-workers-'));
const hostEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete hostEnv.FORCE_COLOR;
delete hostEnv.NODE_OPTIONS;

type Files = Record<string, string>;
interface Run { stdout: string; stderr: string; exitCode: number | null }

async function inVm(files: Files): Promise<Run> {
  for (const [name, text] of Object.entries(files)) await client.writeFile(vmId, `/home/user/${name}`, text);
  const r = await client.exec(vmId, 'node', ['p.js']);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** Waits until no node process of the VM is running (the workers ended with their parent). */
async function noNodeLeft(): Promise<void> {
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.every((p) => p.command !== 'node' || p.state === 'zombie'));
}

function onHost(files: Files): Run {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(hostDir, name), text);
  try {
    const stdout = execFileSync(process.execPath, ['p.js'], { cwd: hostDir, encoding: 'utf8', timeout: 60_000, env: hostEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    return { stdout, stderr: '', exitCode: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; status: number | null };
    return { stdout: e.stdout, stderr: e.stderr, exitCode: e.status };
  }
}

/** Same stdout and exit code in the VM as under host Node; returns the stdout. */
async function sameAsHost(files: Files): Promise<string> {
  const host = onHost(files);
  const vm = await inVm(files);
  assert.is(vm.stdout, host.stdout, `VM stderr: ${vm.stderr}`);
  assert.is(vm.exitCode, host.exitCode);
  return vm.stdout;
}

test('messages both ways, workerData, threadId, isMainThread, online before the first message, exit 0', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { Worker, isMainThread, threadId } = require('worker_threads');
      console.log('main', isMainThread, threadId);
      const w = new Worker('./w.js', { workerData: { n: 3, list: [1, 'two'], when: new Date(0), bytes: new Uint8Array([1, 2]) } });
      const events = [];
      console.log('threadId > 0', w.threadId > 0);
      const id = w.threadId;
      w.on('online', () => events.push('online'));
      w.on('message', (m) => {
        events.push('message ' + JSON.stringify(m));
        if (m.ready) w.postMessage({ square: 7, map: new Map([[1, 'a']]) });
      });
      w.on('exit', (code) => {
        console.log(events.join('\\n'));
        console.log('exit', code, w.threadId);
      });
    `,
    'w.js': `
      const { parentPort, workerData, isMainThread, threadId } = require('worker_threads');
      parentPort.postMessage({ ready: true, isMainThread, threadIdPositive: threadId > 0, data: workerData, isU8: workerData.bytes instanceof Uint8Array, date: workerData.when instanceof Date });
      parentPort.once('message', (m) => {
        parentPort.postMessage({ squared: m.square * m.square, mapped: m.map.get(1) });
      });
    `,
  });
  assert.match(out, /^main true 0\nthreadId > 0 true\nonline\nmessage/);
  assert.match(out, /"squared":49,"mapped":"a"/);
  assert.match(out, /exit 0 -1\n$/);
});

test("eval workers, argv and env: a copy of the parent's process.env and environment data, argv after [worker eval]", async () => {
  await sameAsHost({
    'p.js': `
      const { Worker, setEnvironmentData } = require('worker_threads');
      process.env.FROM_PARENT = 'yes';
      setEnvironmentData('shared', { n: 1 });
      const w = new Worker(\`
        const { parentPort, getEnvironmentData } = require('worker_threads');
        process.env.FROM_WORKER = 'set';
        parentPort.postMessage([process.argv.slice(1), process.env.FROM_PARENT, typeof require, getEnvironmentData('shared')]);
      \`, { eval: true, argv: ['a', 1] });
      w.on('message', (m) => console.log(JSON.stringify(m)));
      w.on('exit', (code) => console.log('exit', code, process.env.FROM_WORKER));
    `,
  });
});

test('an uncaught exception in the worker: the messages before it, then error (class, message, code), then exit 1', async () => {
  await sameAsHost({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('./w.js');
      w.on('message', (m) => console.log('message', m));
      w.on('error', (e) => console.log('error', e instanceof RangeError, e.message, e.code));
      w.on('exit', (code) => console.log('exit', code));
    `,
    'w.js': `
      const { parentPort } = require('worker_threads');
      parentPort.postMessage('before');
      setTimeout(() => { throw Object.assign(new RangeError('boom'), { code: 'E_BOOM' }); }, 1);
    `,
  });
});

test('process.exit(n) in a worker ends only the worker; terminate() resolves with 1', async () => {
  await sameAsHost({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('process.exit(7)', { eval: true });
      w.on('exit', async (code) => {
        console.log('worker exit', code);
        const busy = new Worker('setInterval(() => {}, 1000); require("worker_threads").parentPort.postMessage("up")', { eval: true });
        busy.on('exit', (c) => console.log('busy exit event', c));
        busy.once('message', async () => {
          const code = await busy.terminate();
          console.log('terminate resolved', code);
          console.log('again', await busy.terminate());
          console.log('parent still here');
        });
      });
    `,
  });
});

test("nested workers, and stdout of workers reaching the parent's stdout or worker.stdout", async () => {
  const out = await sameAsHost({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('./w.js', { workerData: 2 });
      w.on('message', (m) => console.log('top got', m));
      w.on('exit', (code) => {
        const quiet = new Worker('console.log("into the stream")', { eval: true, stdout: true });
        let text = '';
        quiet.stdout.setEncoding('utf8');
        quiet.stdout.on('data', (d) => { text += d; });
        quiet.on('exit', () => console.log('captured', JSON.stringify(text)));
      });
    `,
    'w.js': `
      const { Worker, parentPort, workerData, isMainThread } = require('worker_threads');
      if (workerData > 0) {
        const inner = new Worker(__filename, { workerData: workerData - 1 });
        inner.on('message', (m) => parentPort.postMessage('via ' + workerData + ': ' + m));
      } else {
        parentPort.postMessage('leaf, main thread: ' + isMainThread);
      }
    `,
  });
  assert.match(out, /top got via 2: via 1: leaf, main thread: false/);
});

test('a MessagePort transferred to a worker (in workerData and in postMessage): messages both ways, its close reaches the other end', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { Worker, MessageChannel, receiveMessageOnPort } = require('worker_threads');
      const a = new MessageChannel();
      const b = new MessageChannel();
      const w = new Worker('./w.js', { workerData: { port: a.port2 }, transferList: [a.port2] });
      const log = [];
      a.port1.on('message', (m) => {
        log.push('a got ' + JSON.stringify(m));
        if (m === 'a ready') w.postMessage({ port: b.port2, hello: 'b' }, [b.port2]);
      });
      b.port1.on('message', (m) => {
        log.push('b got ' + JSON.stringify(m));
        b.port1.postMessage('reply to b');
      });
      b.port1.on('close', () => {
        log.push('b closed');
        a.port1.close();
      });
      w.on('exit', (code) => console.log(log.join('\\n') + '\\nexit ' + code));
      const local = new MessageChannel();
      local.port1.postMessage({ n: 1 });
      setImmediate(() => console.log('receiveMessageOnPort', JSON.stringify(receiveMessageOnPort(local.port2)), receiveMessageOnPort(local.port2)));
    `,
    'w.js': `
      const { parentPort, workerData } = require('worker_threads');
      workerData.port.postMessage('a ready');
      parentPort.once('message', ({ port, hello }) => {
        port.postMessage('hello from ' + hello);
        port.once('message', (m) => {
          workerData.port.postMessage('worker saw ' + m);
          port.close();
        });
      });
    `,
  });
  assert.match(out, /a got "a ready"/);
  assert.match(out, /b got "hello from b"/);
  assert.match(out, /a got "worker saw reply to b"/);
  assert.match(out, /b closed\nexit 0/);
  assert.match(out, /receiveMessageOnPort \{"message":\{"n":1\}\} undefined/);
});

test('a worker that floods its parent with messages: every one arrives, in order', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('const p = require("worker_threads").parentPort; for (let i = 0; i < 5000; i++) p.postMessage({ i, pad: "x".repeat(100) });', { eval: true });
      let next = 0, wrong = 0;
      w.on('message', (m) => { if (m.i !== next++) wrong++; });
      w.on('exit', (code) => console.log('got', next, 'out of order', wrong, 'exit', code));
    `,
  });
  assert.is(out, 'got 5000 out of order 0 exit 0\n');
});

test('unref: a worker does not keep its parent alive, and ends with it', async () => {
  const out = await sameAsHost({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
      w.unref();
      w.on('exit', () => console.log('never: the parent ends first'));
      process.on('exit', () => console.log('parent exits'));
    `,
  });
  assert.is(out, 'parent exits\n');
  // Its worker ended with it: nothing of the VM is left running.
  await noNodeLeft();
});

test('process.exit in the parent ends its running (referenced) workers, nested ones too', async () => {
  const vm = await inVm({
    'p.js': `
      const { Worker } = require('worker_threads');
      const w = new Worker('./w.js');
      w.on('message', (m) => { console.log(m); process.exit(3); });
    `,
    'w.js': `
      const { Worker, parentPort } = require('worker_threads');
      const inner = new Worker('setInterval(() => {}, 1000); require("worker_threads").parentPort.postMessage("inner up")', { eval: true });
      inner.on('message', (m) => parentPort.postMessage(m));
      setInterval(() => {}, 1000);
    `,
  });
  assert.is(vm.stdout, 'inner up\n');
  assert.is(vm.exitCode, 3);
  await noNodeLeft();
});

test('a hostile worker that spawns workers in a loop meets the process limit (ERR_WORKER_INIT_FAILED); the daemon and the VM go on', async () => {
  const TOTAL = 40;
  const vm = await inVm({
    'p.js': `
      const { Worker } = require('worker_threads');
      let failed = 0, other = 0, exits = 0;
      for (let i = 0; i < ${TOTAL}; i++) {
        const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
        w.unref();
        w.on('error', (e) => (e.code === 'ERR_WORKER_INIT_FAILED' ? failed++ : other++));
        w.on('exit', (code) => { if (code === 1) exits++; });
      }
      // Failures are reported on the next tick: all are in by the first immediate.
      setImmediate(() => console.log(failed >= ${TOTAL - MAX_PROCESSES + 1}, other, exits === failed));
    `,
  });
  assert.is(vm.stdout, 'true 0 true\n');
  assert.is(vm.exitCode, 0);
  // Its workers ended with it; the VM starts processes again.
  const again = await client.exec(vmId, 'node', ['-e', `new (require('worker_threads').Worker)("require('worker_threads').parentPort.postMessage(1)", { eval: true }).on('message', (m) => console.log('ok', m))`]);
  assert.is(again.stdout, 'ok 1\n');
});

test.after(async () => {
  await client.close();
});
test.run();
