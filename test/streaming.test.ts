import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { OutputEvent } from '../src/client/client.js';
import { eventually, rejection, startSidecar, waitFor, waitForAsync } from './helpers/sidecar.js';

const { client, logs } = await startSidecar({ env: { AGENTOS_PROCESS_OUTPUT_LIMIT_BYTES: String(256 * 1024) } });
const { vmId } = await client.createVm();

/** Collects one process's output events, in arrival order. */
function collect(pid: () => number) {
  const events: OutputEvent[] = [];
  const off = client.onOutput((e) => {
    if (e.vmId === vmId && e.pid === pid()) events.push(e);
  });
  const text = (stream: 'stdout' | 'stderr') => events.filter((e) => e.stream === stream).map((e) => e.data).join('');
  return { events, text, off };
}

test('an interactive guest echoes stdin line by line', async () => {
  let pid = 0;
  const out = collect(() => pid);
  ({ pid } = await client.spawn(vmId, 'node', ['-e', `
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\\n')) >= 0) { console.log('echo: ' + buf.slice(0, i).toUpperCase()); buf = buf.slice(i + 1); }
    });
    process.stdin.on('end', () => console.log('bye'));
  `]));
  const exited = client.waitForExit(vmId, pid);
  for (const word of ['one', 'two', 'three']) {
    await client.request(P.ProcessWrite, { vmId, pid, data: `${word}\n` });
    await eventually(() => out.text('stdout').includes(`echo: ${word.toUpperCase()}\n`));
  }
  await client.request(P.ProcessCloseStdin, { vmId, pid });
  const exit = await exited;
  assert.is(exit.exitCode, 0);
  assert.is(out.text('stdout'), 'echo: ONE\necho: TWO\necho: THREE\nbye\n');
  assert.ok(exit.usage.wallMs > 0);
  out.off();
  assert.is((await rejection(() => client.request(P.ProcessWrite, { vmId, pid, data: 'late' }))).code, 'ERR_AGENTOS_PROCESS_NOT_FOUND');
});

test('readFileSync(0) blocks until the host closes stdin', async () => {
  let pid = 0;
  const out = collect(() => pid);
  ({ pid } = await client.spawn(vmId, 'node', ['-e', 'console.log("reading"); const s = require("fs").readFileSync(0, "utf8"); console.log(s.length, s.trim())']));
  const exited = client.waitForExit(vmId, pid);
  await client.request(P.ProcessWrite, { vmId, pid, data: 'abc' });
  // The guest is inside readFileSync(0) with a partial stdin: it has printed, and not ended.
  await waitFor(() => out.text('stdout') === 'reading\n');
  await client.request(P.ProcessWrite, { vmId, pid, data: Buffer.from('def\n').toString('base64'), encoding: 'base64' });
  await client.request(P.ProcessCloseStdin, { vmId, pid });
  assert.is((await exited).exitCode, 0);
  assert.is(out.text('stdout'), 'reading\n7 abcdef\n');
  out.off();
});

test('10,000 small writes arrive complete and in order, stdout and stderr interleaved as written', async () => {
  let pid = 0;
  const out = collect(() => pid);
  ({ pid } = await client.spawn(vmId, 'node', ['-e', 'for (let i = 0; i < 10000; i++) { console.log(i); if (i % 1000 === 0) console.error("mark " + i) }']));
  const exit = await client.waitForExit(vmId, pid);
  assert.is(exit.exitCode, 0);
  const lines = out.text('stdout').trimEnd().split('\n').map(Number);
  assert.equal(lines, Array.from({ length: 10000 }, (_, i) => i));
  // Every stderr mark arrives, and each comes between the right stdout lines: after the
  // stdout line of its own number, before the next.
  assert.is(out.text('stderr'), Array.from({ length: 10 }, (_, i) => `mark ${i * 1000}\n`).join(''));
  let seen = -1;
  for (const e of out.events) {
    if (e.stream === 'stdout') seen = Number(e.data.trimEnd().split('\n').pop());
    else for (const m of e.data.matchAll(/mark (\d+)/g)) assert.is(Number(m[1]), seen, `mark ${m[1]} arrived after stdout line ${seen}`);
  }
  assert.ok(out.events.length < 10000, `writes are coalesced into ${out.events.length} events`);
  out.off();
});

test('a flood of output is capped with the warning, and the process stopped', async () => {
  let pid = 0;
  const out = collect(() => pid);
  ({ pid } = await client.spawn(vmId, 'node', ['-e', 'while (true) process.stdout.write("z".repeat(4096))']));
  const exit = await client.waitForExit(vmId, pid);
  assert.equal([exit.exitCode, exit.error?.code, exit.truncated], [141, 'ERR_AGENTOS_OUTPUT_LIMIT', true]);
  assert.is(out.text('stdout').length, 256 * 1024);
  assert.ok(await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'process_output_limit_bytes')));
  out.off();
});

test('kill: SIGTERM ends a guest (143); a guest handling SIGTERM gets the event; SIGKILL always ends it', async () => {
  const { pid } = await client.spawn(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  const exited = client.waitForExit(vmId, pid);
  await client.request(P.ProcessKill, { vmId, pid });
  assert.equal([(await exited).exitCode, (await exited).signal], [143, 'SIGTERM']);

  let handler = 0;
  const out = collect(() => handler);
  // The guest says "ready" once its handler is installed; the signal goes only after that.
  handler = (await client.spawn(vmId, 'node', ['-e', 'process.on("SIGTERM", () => { console.log("cleaning up"); process.exit(3) }); console.log("ready"); setInterval(() => {}, 1000)'])).pid;
  const handled = client.waitForExit(vmId, handler);
  await waitFor(() => out.text('stdout') === 'ready\n');
  await client.request(P.ProcessKill, { vmId, pid: handler, signal: 'SIGTERM' });
  assert.is((await handled).exitCode, 3);
  assert.is(out.text('stdout'), 'ready\ncleaning up\n');
  out.off();

  let stubborn = 0;
  const stubbornOut = collect(() => stubborn);
  stubborn = (await client.spawn(vmId, 'node', ['-e', 'process.on("SIGTERM", () => console.log("ignored")); console.log("ready"); while (true) {}'])).pid;
  const killed = client.waitForExit(vmId, stubborn);
  await waitFor(() => stubbornOut.text('stdout') === 'ready\n');
  await client.request(P.ProcessKill, { vmId, pid: stubborn, signal: 'SIGKILL' });
  stubbornOut.off();
  assert.equal([(await killed).exitCode, (await killed).signal], [137, 'SIGKILL']);
});

test('disposing a VM kills its processes, sends their process/exit, then answers', async () => {
  const { vmId: doomed } = await client.createVm();
  const order: string[] = [];
  const off = client.onExit((e) => e.vmId === doomed && order.push(`exit ${e.pid} ${e.signal}`));
  let ready = '';
  const offOut = client.onOutput((e) => {
    if (e.vmId === doomed) ready += `${e.pid}:${e.data}`;
  });
  await client.spawn(doomed, 'node', ['-e', 'console.log("ready"); setInterval(() => {}, 1000)']);
  await client.spawn(doomed, 'node', ['-e', 'console.log("ready"); while (true) {}']);
  // Both guests are running their loops before the VM goes.
  await waitFor(() => ready.includes('1:ready\n') && ready.includes('2:ready\n'));
  const answer = await client.disposeVm(doomed);
  order.push(`disposed ${answer.killedProcesses}`);
  off();
  offOut();
  assert.equal(order, ['exit 1 SIGKILL', 'exit 2 SIGKILL', 'disposed 2']);
});

test('$/cancelRequest cancels a running exec: the guest is killed, the request fails with ERR_AGENTOS_CANCELLED', async () => {
  const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
  const source = new CancellationTokenSource();
  const { vmId: cancelVm } = await client.createVm();
  // No time limit would end this loop soon (the default CPU budget is far longer than the test):
  // only the cancellation can. It is sent once the guest is seen spinning.
  const pending = client.connection.sendRequest(P.ProcessExec.method, { vmId: cancelVm, command: 'node', args: ['-e', 'require("fs").writeFileSync("/tmp/spinning", ""); while (true) {}'] }, source.token);
  await waitForAsync(() => client.request(P.FsStat, { vmId: cancelVm, path: '/tmp/spinning' }).then(() => true, () => false));
  source.cancel();
  const err = (await pending.then(() => null, (e: { data?: { code?: string } }) => e)) as { data?: { code?: string } } | null;
  assert.is(err?.data?.code, 'ERR_AGENTOS_CANCELLED');
  assert.is((await client.request(P.VmStats, { vmId: cancelVm })).processes.running, 0, 'the cancelled guest is gone');
  assert.is((await client.exec(cancelVm, 'node', ['-e', 'console.log("after")'])).stdout, 'after\n');
});

test('a spawned process of an unknown VM or command fails with a code', async () => {
  assert.is((await rejection(() => client.spawn('vm-404', 'node'))).code, 'ERR_AGENTOS_VM_NOT_FOUND');
  assert.is((await rejection(() => client.spawn(vmId, 'perl'))).code, 'ERR_AGENTOS_COMMAND_NOT_FOUND');
  assert.is((await rejection(() => client.request(P.ProcessKill, { vmId, pid: 9999 }))).code, 'ERR_AGENTOS_PROCESS_NOT_FOUND');
});

test.after(async () => {
  await client.close();
});

test.run();
