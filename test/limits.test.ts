import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

const { client, logs } = await startSidecar();
const exhausted = (limit: string) => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit);

test('wall-clock timeout: exit 124 with ERR_AGENTOS_TIMEOUT naming the limit', async () => {
  const { vmId } = await client.createVm();
  const r = await client.exec(vmId, 'node', ['-e', 'console.log("started"); while (true) {}'], { timeoutMs: 300 });
  assert.is(r.exitCode, 124);
  assert.is(r.error?.code, 'ERR_AGENTOS_TIMEOUT');
  assert.match(r.error!.message, /300 ms/);
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

test('an infinite loop in one VM (5 s budget) does not hold up another VM', async () => {
  const spinner = (await client.createVm({ limits: { cpuTimeLimitMs: 5000 } })).vmId;
  const other = (await client.createVm()).vmId;
  const started = performance.now();
  const spinning = client.exec(spinner, 'node', ['-e', 'while (true) {}']);
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 5; i++) {
    const r = await client.exec(other, 'node', ['-e', `console.log(${i})`]);
    assert.is(r.stdout, `${i}\n`);
  }
  const otherDone = performance.now() - started;
  assert.ok(otherDone < 2000, `the other VM took ${otherDone.toFixed(0)} ms`);
  const spun = await spinning;
  assert.is(spun.error?.code, 'ERR_AGENTOS_CPU_TIME_LIMIT');
  assert.ok(performance.now() - started >= 5000);
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
  assert.match(r.error!.message, /32 MiB/);
  assert.is(r.exitCode, 134);
  assert.ok(await eventually(() => exhausted('guest_heap_limit_mb')));
  assert.is((await client.exec(bomb, 'node', ['-e', 'console.log("next")'])).stdout, 'next\n');
});

test('typed arrays cannot grow past the heap budget', async () => {
  const { vmId } = await client.createVm({ limits: { heapLimitMb: 32 } });
  const r = await client.exec(vmId, 'node', ['-e', 'const keep = []; for (let i = 0; i < 1000; i++) keep.push(new Uint8Array(16 * 1024 * 1024).fill(1)); console.log("allocated 16 GB?")']);
  assert.not.equal(r.stdout, 'allocated 16 GB?\n');
  assert.ok(r.error?.code === 'ERR_AGENTOS_HEAP_LIMIT' || /RangeError/.test(r.stderr), `${r.error?.code} ${r.stderr}`);
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
  const running = [0, 1].map(() => client.exec(vmId, 'node', ['-e', 'setTimeout(() => {}, 300)']));
  await new Promise((r) => setTimeout(r, 50));
  const err = await rejection(() => client.exec(vmId, 'node', ['-e', '1']));
  assert.equal([err.code, err.data.capacity], ['ERR_AGENTOS_PROCESS_LIMIT', 2]);
  await Promise.all(running);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log(1)'])).stdout, '1\n');
});

test('stack overflow and string bombs are ordinary guest errors', async () => {
  const { vmId } = await client.createVm();
  const deep = await client.exec(vmId, 'node', ['-e', 'function f(n) { return f(n + 1) + 1 } f(0)']);
  assert.equal([deep.exitCode, /RangeError: Maximum call stack size exceeded/.test(deep.stderr)], [1, true]);
  const str = await client.exec(vmId, 'node', ['-e', 'let s = "x"; while (true) s += s']);
  assert.ok(str.exitCode !== 0);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log("fine")'])).stdout, 'fine\n');
});

test('disposing a VM kills its running processes, which report SIGKILL', async () => {
  const { vmId } = await client.createVm();
  const running = client.exec(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await client.disposeVm(vmId), { vmId, killedProcesses: 1 });
  const r = await running;
  assert.equal([r.exitCode, r.signal], [137, 'SIGKILL']);
});

test('timer delays are clamped to AGENTOS_MAX_TIMER_DELAY_MS', async () => {
  const { client: clamped } = await startSidecar({ env: { AGENTOS_MAX_TIMER_DELAY_MS: '50' } });
  const { vmId } = await clamped.createVm();
  const r = await clamped.exec(vmId, 'node', ['-e', 'const t = Date.now(); setTimeout(() => console.log(Date.now() - t < 2000), 3_600_000)']);
  assert.is(r.stdout, 'true\n');
  await clamped.close();
});

test.after(async () => {
  await client.close();
});

test.run();
