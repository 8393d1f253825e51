import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, rejection, startSidecar, waitFor, waitForAsync } from './helpers/sidecar.js';

const { client, logs } = await startSidecar();
const exhausted = (limit: string) => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit);

test('wall-clock timeout: exit 124 with ERR_AGENTOS_TIMEOUT naming the limit', async () => {
  const { vmId } = await client.createVm();
  // Long enough for the guest to start and print on a loaded machine; the loop never ends by itself.
  const r = await client.exec(vmId, 'node', ['-e', 'console.log("started"); while (true) {}'], { timeoutMs: 3000 });
  assert.is(r.exitCode, 124);
  assert.is(r.error?.code, 'ERR_AGENTOS_TIMEOUT');
  assert.match(r.error!.message, /3000 ms/);
  assert.is(r.stdout, 'started\n', 'output written before the loop is kept');
  const idle = await client.exec(vmId, 'node', ['-e', 'setInterval(() => {}, 10)'], { timeoutMs: 200 });
  assert.equal([idle.exitCode, idle.error?.code], [124, 'ERR_AGENTOS_TIMEOUT']);
});

test('CPU budget: exit 124 with ERR_AGENTOS_CPU_TIME_LIMIT, the value and its variable', async () => {
  const { vmId } = await client.createVm({ limits: { cpuTimeLimitMs: 300 } });
  const r = await client.exec(vmId, 'node', ['-e', 'let x = 0; while (true) { x++ }']);
  assert.is(r.exitCode, 124);
  assert.is(r.error?.code, 'ERR_AGENTOS_CPU_TIME_LIMIT');
  assert.is(r.error?.capacity, 300);
  assert.ok(r.error!.observed! >= 300);
  assert.match(r.error!.message, /AGENTOS_GUEST_CPU_TIME_LIMIT_MS/);
  const line = await eventually(() => exhausted('guest_cpu_time_limit_ms'));
  assert.equal([line.level, line.capacity], ['warn', 300]);
  assert.ok(typeof line.fill_percent === 'number' && line.fill_percent >= 100);
  // The VM is fine afterwards.
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log("ok")'])).stdout, 'ok\n');
});

// A 1 s CPU budget: guest threads run at nice 19, so beside two busy host processes a guest
// gets ~1.5% of a core and a 5 s budget took longer than the 300 s wall budget to spend.
test('an infinite loop in one VM (1 s budget) does not hold up another VM', async () => {
  const spinner = (await client.createVm({ limits: { cpuTimeLimitMs: 1000 } })).vmId;
  const other = (await client.createVm()).vmId;
  let spinning = '';
  const off = client.onOutput((e) => {
    if (e.vmId === spinner) spinning += e.data;
  });
  const { pid } = await client.spawn(spinner, 'node', ['-e', 'console.log("spinning"); while (true) {}']);
  let ended = false;
  const spun = client.waitForExit(spinner, pid).finally(() => (ended = true));
  await waitFor(() => spinning === 'spinning\n');
  // Five execs in the other VM all answer while the loop is still running: before it is stopped.
  for (let i = 0; i < 5; i++) {
    const r = await client.exec(other, 'node', ['-e', `console.log(${i})`]);
    assert.is(r.stdout, `${i}\n`);
  }
  assert.not.ok(ended, 'the other VM answered only after the loop had been stopped');
  const exit = await spun;
  off();
  assert.equal([exit.exitCode, exit.error?.code, exit.error?.capacity], [124, 'ERR_AGENTOS_CPU_TIME_LIMIT', 1000]);
  assert.ok(exit.error!.observed! >= 1000, `stopped after ${exit.error!.observed} ms of CPU`);
});

test('heap bomb: ERR_AGENTOS_HEAP_LIMIT while a second VM still answers', async () => {
  const bomb = (await client.createVm({ limits: { heapLimitMb: 32 } })).vmId;
  const other = (await client.createVm()).vmId;
  const exploding = client.exec(bomb, 'node', ['-e', 'const keep = []; while (true) keep.push({ a: Math.random(), s: "x" + Math.random() })']);
  const answer = await client.exec(other, 'node', ['-e', 'console.log("alive")']);
  assert.is(answer.stdout, 'alive\n');
  const r = await exploding;
  assert.is(r.error?.code, 'ERR_AGENTOS_HEAP_LIMIT');
  assert.is(r.error?.capacity, 32);
  assert.is(r.error?.env, 'AGENTOS_GUEST_HEAP_LIMIT_MB');
  assert.match(r.error!.message, /32 MiB exhausted; the isolate was disposed \(its heap at that moment is not measured\)/);
  // V8 disposed the isolate at the limit: its heap cannot be read, so nothing claims to be observed.
  assert.is(r.error?.observed, undefined);
  assert.is(r.exitCode, 134);
  const line = await eventually(() => exhausted('guest_heap_limit_mb'));
  assert.equal([line.capacity, line.observed, line.fill_percent], [32, 'not measured', undefined]);
  assert.is((await client.exec(bomb, 'node', ['-e', 'console.log("next")'])).stdout, 'next\n');
});

test('typed arrays cannot grow past the heap budget', async () => {
  const { vmId } = await client.createVm({ limits: { heapLimitMb: 32 } });
  const r = await client.exec(vmId, 'node', ['-e', 'const keep = []; for (let i = 0; i < 1000; i++) keep.push(new Uint8Array(16 * 1024 * 1024).fill(1)); console.log("allocated 16 GB?")']);
  // Array buffers are counted against the isolate's budget: the allocation past it fails
  // in the guest, as it would in Node, and the process ends with the uncaught error.
  assert.equal([r.exitCode, r.stdout, r.error], [1, '', undefined]);
  assert.match(r.stderr, /^RangeError: Array buffer allocation failed\n/);
  const stats = await client.request(P.SidecarStats, {});
  assert.ok(stats.memory.rssBytes < 1024 * 1024 * 1024, `daemon RSS ${stats.memory.rssBytes}`);
});

test('guest JS has no WebAssembly, so no uncounted wasm memory', async () => {
  const { vmId } = await client.createVm();
  const r = await client.exec(vmId, 'node', ['-e', 'try { new WebAssembly.Memory({ initial: 1, maximum: 65536 }).grow(60000) } catch (e) { console.log(e.name) } console.log(typeof globalThis.WebAssembly, Object.getOwnPropertyNames(globalThis).includes("WebAssembly"))']);
  assert.is(r.stdout, 'ReferenceError\nundefined false\n');
});

test('runaway output is capped: truncated, ERR_AGENTOS_OUTPUT_LIMIT and a warning', async () => {
  const { vmId } = await client.createVm({ limits: { outputLimitBytes: 100_000 } });
  const r = await client.exec(vmId, 'node', ['-e', 'while (true) console.log("y".repeat(999))']);
  assert.is(r.truncated, true);
  assert.is(r.stdout.length, 100_000);
  assert.is(r.error?.code, 'ERR_AGENTOS_OUTPUT_LIMIT');
  assert.ok(await eventually(() => exhausted('process_output_limit_bytes')));
});

test('timers, argv, env and stdin are bounded', async () => {
  const { vmId } = await client.createVm();
  const timers = await client.exec(vmId, 'node', ['-e', 'try { for (let i = 0; i < 5000; i++) setTimeout(() => {}, 100000) } catch (e) { console.log(e.code, e.message) } process.exit(0)']);
  assert.match(timers.stdout, /^ERR_AGENTOS_TIMER_LIMIT too many live timers: this process may hold 4096 \(AGENTOS_MAX_TIMERS_PER_PROCESS\)/);
  assert.ok(await eventually(() => exhausted('max_timers_per_process')));
  const fds = await client.exec(vmId, 'node', ['-e', 'const fs = require("fs"); try { for (let i = 0; i < 300; i++) fs.openSync("/tmp/f" + i, "w") } catch (e) { console.log(e.code) }']);
  assert.is(fds.stdout, 'EMFILE\n');
  assert.ok(await eventually(() => exhausted('max_open_files_per_process')));
  const argv = await rejection(() => client.exec(vmId, 'node', ['-e', '1', 'a'.repeat(1024 * 1024 + 1)]));
  assert.equal([argv.code, argv.data.field, argv.data.env], ['ERR_AGENTOS_ARGS_LIMIT', '/args', 'AGENTOS_ARGV_LIMIT_BYTES']);
  const env = await rejection(() => client.exec(vmId, 'node', ['-e', '1'], { env: { BIG: 'e'.repeat(1024 * 1024) } }));
  assert.is(env.code, 'ERR_AGENTOS_ARGS_LIMIT');
  assert.ok(await eventually(() => exhausted('argv_limit_bytes')));
});

test('processes per VM are bounded', async () => {
  const { vmId } = await client.createVm({ limits: { maxProcesses: 2 } });
  // Two processes that run until the host ends them hold both slots.
  const pids = [(await client.spawn(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)'])).pid, (await client.spawn(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)'])).pid];
  const err = await rejection(() => client.exec(vmId, 'node', ['-e', '1']));
  assert.equal([err.code, err.data.capacity, err.data.observed, err.data.env], ['ERR_AGENTOS_PROCESS_LIMIT', 2, 3, 'AGENTOS_MAX_PROCESSES_PER_VM']);
  const exits = pids.map((pid) => client.waitForExit(vmId, pid));
  for (const pid of pids) await client.request(P.ProcessKill, { vmId, pid, signal: 'SIGKILL' });
  await Promise.all(exits);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log(1)'])).stdout, '1\n');
});

test('stack overflow and string bombs are ordinary guest errors', async () => {
  const { vmId } = await client.createVm();
  const deep = await client.exec(vmId, 'node', ['-e', 'function f(n) { return f(n + 1) + 1 } f(0)']);
  assert.equal([deep.exitCode, /RangeError: Maximum call stack size exceeded/.test(deep.stderr)], [1, true]);
  const str = await client.exec(vmId, 'node', ['-e', 'let s = "x"; while (true) s += s']);
  assert.equal([str.exitCode, str.error], [1, undefined]);
  assert.match(str.stderr, /^RangeError: Invalid string length\n/);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log("fine")'])).stdout, 'fine\n');
});

test('disposing a VM kills its running processes, which report SIGKILL', async () => {
  const { vmId } = await client.createVm();
  // An exec's process exists once the request is read: the dispose behind it finds it.
  const running = client.exec(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  await waitForAsync(async () => (await client.request(P.VmStats, { vmId })).processes.running === 1);
  assert.equal(await client.disposeVm(vmId), { vmId, killedProcesses: 1 });
  const r = await running;
  assert.equal([r.exitCode, r.signal], [137, 'SIGKILL']);
});

test('timer delays are clamped to AGENTOS_MAX_TIMER_DELAY_MS', async () => {
  const { client: clamped } = await startSidecar({ env: { AGENTOS_MAX_TIMER_DELAY_MS: '50' } });
  const { vmId } = await clamped.createVm();
  // An hour's timer fires, and no sooner than the clamp: without the clamp this exec would
  // end at the wall-clock limit instead, with nothing printed.
  const r = await clamped.exec(vmId, 'node', ['-e', 'const t = Date.now(); setTimeout(() => console.log("fired", Date.now() - t >= 45), 3_600_000)']);
  assert.equal([r.exitCode, r.error, r.stdout], [0, undefined, 'fired true\n']);
  await clamped.close();
});

test.after(async () => {
  await client.close();
});

test.run();
