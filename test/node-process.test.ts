// Process events, usage and the modules of the node-suite part of issue 11 (os,
// worker_threads): each script runs in a VM through the daemon and under the host's Node 20,
// and stdout, exit code and (where Node's text is stable) stderr must be the same.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});

interface Outcome { stdout: string; stderr: string; exitCode: number }

async function inVm(args: string[]): Promise<Outcome> {
  const r = await client.exec(vmId, 'node', args);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

function onHost(args: string[]): Outcome {
  // Without the test runner's colour settings: Node would colour numbers in console.log.
  const { FORCE_COLOR, NO_COLOR, NODE_OPTIONS, ...env } = process.env;
  void [FORCE_COLOR, NO_COLOR, NODE_OPTIONS];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: '/tmp', env });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? -1 };
}

/** The error line of an uncaught error's report (Node prints the source line above it, the VM does not). */
const errorLine = (stderr: string) => stderr.split('\n').find((l) => /^\w*Error\b/.test(l));
/** Warnings name the pid, which differs. */
const withoutPid = (stderr: string) => stderr.replace(/\(node:\d+\)/g, '(node:PID)');

async function same(code: string, compare: 'stdout' | 'stderr-error' | 'stderr' = 'stdout', flags: string[] = []) {
  const args = [...flags, '-e', code];
  const [vm, host] = [await inVm(args), onHost(args)];
  assert.is(vm.stdout, host.stdout, `stdout of ${code}`);
  assert.is(vm.exitCode, host.exitCode, `exit code of ${code}`);
  if (compare === 'stderr-error') assert.is(errorLine(vm.stderr), errorLine(host.stderr), `error of ${code}`);
  if (compare === 'stderr') assert.is(withoutPid(vm.stderr), withoutPid(host.stderr), `stderr of ${code}`);
  return vm;
}

test('beforeExit runs when the loop empties, again after the work it started, then exit', async () => {
  await same(`
    process.on('exit', (c) => console.log('exit', c, process.exitCode));
    let n = 0;
    process.on('beforeExit', (c) => { console.log('beforeExit', c, n); if (n++ < 2) setTimeout(() => console.log('timer', n), 1); });
    Promise.resolve().then(() => console.log('microtask'));
    console.log('main');`);
  await same(`process.exitCode = 3; process.on('beforeExit', (c) => console.log('beforeExit', c)); process.on('exit', (c) => console.log('exit', c))`);
});

test('exit listeners run once, see the code and may change it', async () => {
  await same(`process.on('exit', (c) => { console.log('exit', c); process.exitCode = 5 }); process.exit(2)`);
  await same(`process.on('exit', (c) => { console.log('exit', c); process.exit(9) }); process.on('exit', () => console.log('second')); process.exit(2)`);
  await same(`process.on('exit', function (c) { console.log(this === process, arguments.length, c) }); setTimeout(() => {}, 1)`);
});

test('an uncaught exception runs the exit listeners with code 1', async () => {
  await same(`process.on('exit', (c) => console.log('exit', c)); throw new RangeError('boom')`, 'stderr-error');
  await same(`process.on('exit', (c) => { console.log('exit', c); process.exitCode = 4 }); setTimeout(() => { throw new Error('late') }, 1)`, 'stderr-error');
  await same(`process.on('uncaughtException', (e, origin) => console.log('caught', e.message, origin)); process.on('exit', (c) => console.log('exit', c)); throw new Error('x')`);
});

test('unhandled rejections: unhandledRejection, else uncaughtException with its origin, else exit 1', async () => {
  await same(`
    process.on('unhandledRejection', (reason, p) => console.log('unhandled', reason.message, p instanceof Promise));
    Promise.reject(new Error('first'));
    setTimeout(() => console.log('still running'), 5);`);
  await same(`async function f() { throw new TypeError('in async') } process.on('unhandledRejection', (r) => console.log(r.name, r.message)); f()`);
  await same(`process.on('uncaughtException', (e, origin) => console.log('caught', e.message, origin)); Promise.reject(new Error('r'))`);
  await same(`process.on('exit', (c) => console.log('exit', c)); Promise.reject(new Error('nobody'))`, 'stderr-error');
  await same(`const p = Promise.reject(new Error('handled later')); p.catch(() => console.log('caught in time'))`);
});

test('process.emitWarning: the warning event and Node\'s text on stderr', async () => {
  await same(`
    process.on('warning', (w) => console.log('warning', w.name, w.code, w.message, w instanceof Error));
    process.emitWarning('plain');
    process.emitWarning('typed', 'CustomWarning', 'C01');
    process.emitWarning('opts', { type: 'OtherWarning', code: 'O1', detail: 'more' });
    process.emitWarning(new Error('an error'));
    console.log('sync first');`, 'stderr');
  await same(`process.on('warning', (w) => console.log(w.message)); process.emitWarning('quiet')`, 'stderr', ['--no-warnings']);
  await same(`process.on('warning', (w) => console.log(w.message)); process.emitWarning('old', 'DeprecationWarning')`, 'stderr', ['--no-deprecation']);
  await same(`try { process.emitWarning(1) } catch (e) { console.log(e.code, e.name) }`);
});

test('memoryUsage, cpuUsage and resourceUsage have Node\'s shape and real values', async () => {
  await same(`
    const m = process.memoryUsage();
    console.log(Object.keys(m).join(), Object.values(m).every((v) => Number.isInteger(v) && v >= 0), m.heapUsed > 0 && m.heapUsed <= m.heapTotal, m.rss > 0, typeof process.memoryUsage.rss());
    const before = process.cpuUsage();
    let x = 0; for (let i = 0; i < 5e6; i++) x += i;
    const d = process.cpuUsage(before);
    console.log(before.user > 0, d.user > 0, d.system >= 0, Object.keys(d).join());
    const r = process.resourceUsage();
    console.log(Object.keys(r).join(), r.userCPUTime > 0, r.maxRSS > 0);
    for (const bad of [1, { user: -1, system: 0 }, { user: 1 }]) { try { process.cpuUsage(bad) } catch (e) { console.log(e.code, e.message) } }`);
});

test('os: the host\'s processors, memory as the limits give it, Linux\'s constants', async () => {
  await same(`
    const os = require('os');
    const cpus = os.cpus();
    console.log(cpus.length > 0, cpus.length === os.availableParallelism(), cpus.every((c) => typeof c.model === 'string' && typeof c.speed === 'number' && Object.keys(c.times).join() === 'user,nice,sys,idle,irq'));
    console.log(os.totalmem() > 0, os.freemem() > 0 && os.freemem() <= os.totalmem(), os.release().length > 0, os.type(), os.platform(), os.EOL === '\\n', os.devNull);
    console.log(os.constants.signals.SIGTERM, os.constants.signals.SIGKILL, os.constants.errno.ENOENT, os.constants.errno.EACCES, os.constants.priority.PRIORITY_HIGH, os.loadavg().length);`);
  const vm = await inVm(['-e', 'console.log(require("os").totalmem())']);
  assert.is(vm.stdout, `${128 * 1024 * 1024}\n`, 'totalmem is the process heap limit');
});

test('worker_threads: the main thread, environment data, a Worker path checked as Node checks it', async () => {
  await same(`
    const w = require('worker_threads');
    console.log(w.isMainThread, w.threadId, w.parentPort, w.workerData);
    w.setEnvironmentData('k', 1); console.log(w.getEnvironmentData('k'));
    w.setEnvironmentData('k', undefined); console.log(w.getEnvironmentData('k'));`);
  await same(`try { new (require('worker_threads').Worker)('x.js') } catch (e) { console.log(e.code, e.message) }`);
});

test('process.env stores strings, process.features and process.config as Node\'s build', async () => {
  await same(`
    process.env.N = 42; process.env.U = undefined; process.env[''] = 'x';
    console.log(typeof process.env.N, process.env.N, process.env.U, process.env[''], delete process.env.NOPE, 'N' in process.env);
    delete process.env.N; console.log('N' in process.env, Object.hasOwn(process.env, 'hasOwnProperty'));
    try { Object.defineProperty(process.env, 'G', { get() { return 1 } }) } catch (e) { console.log(e.code) }
    console.log(Object.keys(process.features).join(), typeof process.config.variables.v8_enable_i18n_support, process.release.name);`);
});

test('tty: stdio are not terminals', async () => {
  const r = await inVm(['-e', `const tty = require('tty'); console.log(tty.isatty(0), tty.isatty(1), tty.isatty(2)); try { new tty.WriteStream(1) } catch (e) { console.log(e.code) }`]);
  assert.is(r.stdout, 'false false false\nERR_TTY_INIT_FAILED\n');
});

test('diagnostics_channel: publish, subscribe, stores and tracing as in Node', async () => {
  await same(`
    const dc = require('diagnostics_channel');
    const ch = dc.channel('c');
    console.log(ch.hasSubscribers, dc.hasSubscribers('c'), dc.channel('c') === ch);
    const seen = (m, name) => console.log('got', JSON.stringify(m), name);
    dc.subscribe('c', seen);
    console.log(ch.hasSubscribers);
    ch.publish({ a: 1 });
    console.log(dc.unsubscribe('c', seen), dc.unsubscribe('c', seen), ch.hasSubscribers);
    const tc = dc.tracingChannel('t');
    const log = (e) => (ctx) => console.log(e, JSON.stringify(ctx));
    tc.subscribe({ start: log('start'), end: log('end'), error: log('error'), asyncStart: log('asyncStart'), asyncEnd: log('asyncEnd') });
    console.log(tc.traceSync((x) => x * 2, { id: 1 }, null, 21));
    try { tc.traceSync(() => { throw new Error('e') }, { id: 2 }) } catch (e) { console.log('threw', e.message) }
    tc.tracePromise(async () => 'v', { id: 3 }).then((v) => console.log('resolved', v));
    try { ch.subscribe(1) } catch (e) { console.log(e.code) }`);
});

test('vm runs code in this context (new contexts: guest-vm-context.test.ts)', async () => {
  await same(`
    const vm = require('vm');
    console.log(vm.runInThisContext('1 + 2'), new vm.Script('globalThis.q = 5; q * 2').runInThisContext(), vm.compileFunction('return a + b', ['a', 'b'])(2, 3));
    try { new vm.Script('let let = 1') } catch (e) { console.log(e.name) }
    try { vm.runInThisContext('throw new TypeError("t")', { filename: 'named.js' }) } catch (e) { console.log(e.name, e.message, /named\.js/.test(e.stack)) }
    console.log(vm.isContext({}));`);
});

test('perf_hooks: createHistogram counts as Node\'s', async () => {
  await same(`
    const { createHistogram, performance, constants } = require('perf_hooks');
    const h = createHistogram();
    console.log(h.min, h.max, h.count, h.exceeds, Number.isNaN(h.mean));
    for (const v of [5, 1, 9, 3, 3]) h.record(v);
    console.log(h.min, h.max, h.mean, h.count, h.percentile(50), h.percentile(100), [...h.percentiles.keys()].length > 0);
    try { h.record(0) } catch (e) { console.log(e.code) }
    try { h.percentile(0) } catch (e) { console.log(e.code) }
    h.reset(); console.log(h.count, typeof performance.now(), constants.NODE_PERFORMANCE_GC_MAJOR);`);
});

test.after(async () => {
  await client.close();
});

test.run();
