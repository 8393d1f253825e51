// async_hooks (issue 11, node-gaps): each script runs in a VM through the daemon and under
// the host's Node 20; stdout and exit code must be the same. Outputs are logs of which store
// each callback saw, in the order the callbacks ran.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});

async function same(code: string): Promise<string> {
  const args = ['-e', code];
  const vm = await client.exec(vmId, 'node', args);
  const { FORCE_COLOR, NO_COLOR, NODE_OPTIONS, ...env } = process.env;
  void [FORCE_COLOR, NO_COLOR, NODE_OPTIONS];
  const host = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: '/tmp', env });
  assert.is(vm.stdout, host.stdout, `stdout of ${code}`);
  assert.is(vm.exitCode, host.status, `exit code of ${code}`);
  return vm.stdout;
}

const prelude = `const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const als = new AsyncLocalStorage(); const log = []; const p = (t) => log.push(t + ' ' + JSON.stringify(als.getStore()));
process.on('exit', () => console.log(log.sort().join('\\n')));`;
// Sorted at exit: Node's own order of a 1 ms timer against an immediate depends on timing.

test('AsyncLocalStorage.run reaches timers, immediates, ticks, microtasks, promise callbacks and fs callbacks', async () => {
  const out = await same(`${prelude}
    als.run({ a: 1 }, () => {
      p('sync');
      setTimeout(() => p('timeout'), 1);
      setImmediate(() => p('immediate'));
      process.nextTick(() => p('tick'));
      queueMicrotask(() => p('microtask'));
      Promise.resolve().then(() => p('then')).finally(() => p('finally'));
      Promise.reject(new Error('x')).catch(() => p('catch'));
      require('fs').stat('/', () => setTimeout(() => p('fs'), 5));
    });
    p('outside');`);
  assert.ok(out.includes('fs {"a":1}'));
});

test('nested run, exit, enterWith and disable', async () => {
  await same(`${prelude}
    als.run(1, () => { als.run(2, () => { p('inner'); setTimeout(() => p('inner-timer'), 1); }); p('outer'); als.exit(() => { p('exited'); setTimeout(() => p('exit-timer'), 2); }); });
    p('top');
    als.enterWith('entered'); p('after-enterWith');
    setTimeout(() => { p('timer-entered'); als.enterWith('cb'); p('cb'); }, 3);
    setTimeout(() => { p('next-timer'); als.disable(); p('disabled'); als.run(9, () => p('re-enabled')); }, 4);`);
});

test('snapshot, bind, AsyncResource scope and EventEmitter listeners run in the context of emit', async () => {
  await same(`${prelude}
    const EE = require('events');
    const e = new EE(); e.on('x', () => p('listener'));
    const bound = als.run('bound', () => AsyncLocalStorage.bind(() => p('bound-call')));
    const snap = als.run('snap', () => AsyncLocalStorage.snapshot());
    const res = als.run('res', () => new AsyncResource('R'));
    als.run('other', () => { bound(); snap(() => p('snapshot')); res.runInAsyncScope(() => p('resource')); res.bind(() => p('res-bind'))(); e.emit('x'); });
    console.log(typeof res.asyncId(), res.asyncId() === res.runInAsyncScope(() => require('async_hooks').executionAsyncId()));
    console.log(res.bind(function (a, b) {}).length, 'asyncResource' in res.bind(() => {}));`);
});

test('createHook: init/before/after/destroy for a timeout and an AsyncResource; validation errors', async () => {
  await same(`const ah = require('async_hooks'); const ev = [];
    const types = new Map();
    // Only the resources this script makes: Node also reports its stdio pipes and ticks of its own.
    const mine = (id) => ['Timeout', 'MINE'].includes(types.get(id));
    const h = ah.createHook({ init(id, type, trigger, resource) { types.set(id, type); if (mine(id)) ev.push('init ' + type); },
      before(id) { if (mine(id)) ev.push('before ' + types.get(id)); }, after(id) { if (mine(id)) ev.push('after ' + types.get(id)); },
      destroy(id) { if (mine(id)) ev.push('destroy ' + types.get(id)); } }).enable();
    // Sorted at exit: whether the destroy queue (an immediate) runs before a 1 ms timer depends on timing in Node too.
    setTimeout(() => {}, 1); process.on('exit', () => { h.disable(); console.log(ev.sort().join('\\n')); });
    const r = new ah.AsyncResource('MINE'); r.runInAsyncScope(() => {}); r.emitDestroy();
    try { ah.createHook({ init: 1 }); } catch (e) { console.log(e.code, e.message); }
    try { new ah.AsyncResource(5); } catch (e) { console.log(e.code); }
    console.log(Object.keys(ah).sort().join());`);
});

test('a context is not lost across a chain of then() calls made inside run', async () => {
  await same(`${prelude}
    als.run('chain', () => Promise.resolve(1).then((v) => { p('one'); return new Promise((r) => setTimeout(r, 1)); }).then(() => p('two')));`);
});

test('v8.serialize writes the bytes host Node writes, and deserialize reads them back', async () => {
  await same(`const v8 = require('v8'); const util = require('util');
    const o = { x: 1 };
    const vals = [1, -1, 2 ** 31, -0, 0.5, NaN, 'abc', 'h\u00e9llo', '\u65e5\u672c', 'a\u65e5', true, null, undefined, 123n, -(2n ** 70n), [1, 2, 'x'], [1, , 3], [], { a: 1, 2: 'b', z: [{}] },
      new Date(5), /a.b/gi, new Map([[1, 'a']]), new Set(['s']), Buffer.from('hi'), new Uint16Array([1, 2]), new ArrayBuffer(3), Object(5), Object('str'), Object(false), new Float64Array([1.5]), [o, o], { big: 'x'.repeat(200) }];
    for (const v of vals) { const b = v8.serialize(v); console.log(b.toString('hex'), util.inspect(v8.deserialize(b))); }
    for (const bad of [() => {}, Symbol('s')]) try { v8.serialize(bad); } catch (e) { console.log(e.constructor.name, e.message); }
    const ser = new v8.Serializer(); ser.writeHeader(); ser.writeUint32(300); ser.writeDouble(2.5); ser.writeUint64(1, 2); ser.writeValue('v');
    const buf = ser.releaseBuffer(); console.log(buf.toString('hex'));
    const de = new v8.Deserializer(buf); de.readHeader(); console.log(de.getWireFormatVersion(), de.readUint32(), de.readDouble(), de.readUint64(), de.readValue());`);
});

test('v8 heap statistics carry the keys Node gives, with the isolate\'s figures', async () => {
  await same(`const v8 = require('v8'); const s = v8.getHeapStatistics();
    console.log(Object.keys(s).join(), s.used_heap_size > 0, s.heap_size_limit >= s.used_heap_size, s.total_heap_size >= s.used_heap_size);
    console.log(v8.getHeapSpaceStatistics().map((x) => x.space_name).includes('old_space'), Object.keys(v8.getHeapSpaceStatistics()[0]).join());
    console.log(typeof v8.cachedDataVersionTag(), v8.cachedDataVersionTag() === v8.cachedDataVersionTag(), v8.setFlagsFromString('--no-lazy'));
    try { v8.setFlagsFromString(1); } catch (e) { console.log(e.code); }`);
});

test.after(async () => {
  await client.close();
});

test('cluster (Node\'s own): a guest process is the primary; fork starts a worker that talks back over IPC', async () => {
  await client.writeFile(vmId, '/home/user/w.js', "const c = require('cluster'); process.send({ id: c.worker.id, isWorker: c.isWorker, env: process.env.FROM_PRIMARY, unique: process.env.NODE_UNIQUE_ID });");
  // From a file: as in Node, a worker forked from `node -e` would evaluate the primary's code again.
  await client.writeFile(vmId, '/home/user/primary.js', `const c = require('cluster'); const E = require('events');
    c.on('setup', (s) => console.log('setup', s.silent, s.exec));
    console.log(c.isPrimary, c.isMaster, c.isWorker, c instanceof E, Object.keys(c.workers).length, c.schedulingPolicy === c.SCHED_RR);
    c.setupPrimary({ exec: '/home/user/w.js' });
    const w = c.fork({ FROM_PRIMARY: 'yes' });
    w.on('message', (m) => { console.log('message', JSON.stringify(m)); w.disconnect(); });
    c.on('exit', (worker, code, signal) => console.log('exit', worker.id, code, signal, worker.exitedAfterDisconnect));`);
  const vm = await client.exec(vmId, 'node', ['/home/user/primary.js']);
  assert.is(vm.stdout, 'true true false true 0 true\nsetup false /home/user/w.js\nsetup false /home/user/w.js\nmessage {"id":1,"isWorker":true,"env":"yes"}\nexit 1 0 null true\n');
  assert.is(vm.exitCode, 0);
});

test.run();
