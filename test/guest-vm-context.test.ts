import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar, waitForAsync } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

// Node's vm with real new contexts: each script runs in a VM and under the host's Node 20 and
// must print the same. The last test is a guest that creates contexts without end.
const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w');
const same = sameAsHost(client, vmId, 'guest-vm-context-');

test('globals in and out: sandbox keys, assignments, var and function declarations, delete', async () => {
  await same(`
const vm = require('vm');
const sb = { a: 1, f(x) { return x * 2; }, get g() { return 'getter:' + this.a; } };
console.log(vm.createContext(sb) === sb, vm.isContext(sb), vm.isContext({}));
console.log(vm.runInContext('a + f(3) + g', sb));
vm.runInContext('b = a + 1; var c = 10; function h() { return c; } this.d = 4; a = 100', sb);
console.log(Object.keys(sb).sort(), sb.a, sb.b, sb.c, typeof sb.h, sb.d, sb.h());
sb.c = 20;
console.log(vm.runInContext('c', sb), sb.h());
console.log(vm.runInContext('delete b', sb), vm.runInContext('typeof b', sb), 'b' in sb);
sb.window = sb;
console.log(vm.runInContext('this', sb) === vm.runInContext('window', sb), vm.runInContext('this === window', sb));
console.log(vm.runInContext('Object.keys(this).sort().join()', sb));
const proto = { inherited: 'yes' };
console.log(vm.runInNewContext('inherited', Object.create(proto)));
vm.runInContext('Object.defineProperty(this, "ro", { value: 42 })', sb);
vm.runInContext('ro = 0', sb);
console.log(sb.ro, vm.runInContext('ro', sb));
try { vm.runInContext('"use strict"; ro = 0', sb); } catch (e) { console.log(e.name, /read only/.test(e.message)); }
const fresh = {};
vm.runInNewContext('1', fresh);
console.log(Object.getOwnPropertyNames(fresh), Object.getOwnPropertySymbols(fresh));
const empty = vm.createContext();
console.log(Object.keys(empty), vm.runInContext('var z = 3; z', empty), empty.z);
`);
});

test('a new context has its own builtins and nothing of the runtime', async () => {
  await same(`
const vm = require('vm');
console.log(vm.runInNewContext('Array') !== Array, Array.isArray(vm.runInNewContext('[1, 2]')));
console.log(vm.runInNewContext('[1, 2]') instanceof Array, vm.runInNewContext('({})').constructor === Object);
console.log(vm.runInNewContext('typeof require + typeof process + typeof module + typeof setTimeout'));
console.log(vm.runInNewContext('Object.getOwnPropertyNames(globalThis).filter((k) => /^__/.test(k)).join()'));
console.log(vm.runInNewContext('Object.getOwnPropertyNames(globalThis).sort().join()') === vm.runInNewContext('Object.getOwnPropertyNames(globalThis).sort().join()'));
const ctx = vm.createContext({});
vm.runInContext('Array.prototype.mine = 1', ctx);
console.log([].mine, vm.runInContext('[].mine', ctx));
console.log(require('util').inspect(vm.runInNewContext('({ a: [1, { b: "x" }], n: null, d: new Date(0), m: new Map([[1, 2]]) })')));
const { types } = require('util');
console.log(types.isPromise(vm.runInNewContext('Promise.resolve(1)')), types.isMapIterator(vm.runInNewContext('new Map().keys()')), types.isSetIterator(vm.runInNewContext('new Set().values()')), types.isPromise({ [Symbol.toStringTag]: 'Promise' }));
`);
});

test('errors: classes of the context, file names and line offsets in stacks, syntax errors', async () => {
  await same(`
const vm = require('vm');
try { vm.runInNewContext('null.x', {}, 'foo.js'); } catch (e) { console.log(e instanceof TypeError, e.name, e.constructor.name, JSON.stringify(e.stack.split('\\n').slice(0, 5))); }
try { vm.runInNewContext('\\nfunction f() { throw new RangeError("r"); }\\nf()', {}, { filename: 'lo.js', lineOffset: 5 }); } catch (e) { console.log(e instanceof RangeError, e.stack.split('\\n').slice(4, 7).join('|')); }
try { vm.runInThisContext('null.y', { filename: 'this.js' }); } catch (e) { console.log(e instanceof TypeError, e.stack.split('\\n').slice(0, 5).join('|')); }
try { vm.runInNewContext('null.z', {}, { filename: 'quiet.js', displayErrors: false }); } catch (e) { console.log(e.stack.split('\\n').slice(0, 2).join('|')); }
try { new vm.Script('var = 1', { filename: 'bad.js' }); } catch (e) { console.log(e instanceof SyntaxError, e.message); }
try { vm.runInNewContext('throw 5'); } catch (e) { console.log(e); }
`);
});

test('timeouts end a script with ERR_SCRIPT_EXECUTION_TIMEOUT and leave the context usable', async () => {
  await same(`
const vm = require('vm');
const ctx = vm.createContext({ n: 0 });
try { vm.runInContext('while (true) n++', ctx, { timeout: 30 }); } catch (e) { console.log(e.code, e.message, e instanceof Error, e.constructor === vm.runInContext('Error', ctx)); }
console.log(ctx.n > 0, vm.runInContext('n = 1; n + 1', ctx));
try { new vm.Script('for (;;) {}').runInThisContext({ timeout: 20 }); } catch (e) { console.log(e.code, e.message, e instanceof Error); }
try { vm.runInNewContext('1', {}, { timeout: -1 }); } catch (e) { console.log(e.code, e.message); }
`);
});

test('a Script runs in many contexts; compileFunction with parsingContext and contextExtensions', async () => {
  await same(`
const vm = require('vm');
const s = new vm.Script('n = (typeof n === "number" ? n : 0) + 1');
const c1 = vm.createContext({}), c2 = vm.createContext({ n: 10 });
s.runInContext(c1); s.runInContext(c1); s.runInContext(c2);
console.log(c1.n, c2.n, s.runInNewContext({ n: 41 }), s.runInThisContext(), s.runInThisContext());
const fn = vm.compileFunction('return a + b + x + y', ['a', 'b'], { contextExtensions: [{ x: 100 }, { y: 1000 }] });
console.log(fn(1, 2), fn.length);
const inC1 = vm.compileFunction('return [Array, typeof n, n]', [], { parsingContext: c1 });
const [A, t, n] = inC1();
console.log(A !== Array, A === vm.runInContext('Array', c1), t, n);
const strict = vm.compileFunction('"use strict"; return this', []);
console.log(strict());
try { vm.compileFunction('throw new Error("cf")', [], { filename: 'cf.js', lineOffset: 3 })(); } catch (e) { console.log(e.stack.split('\\n')[1].trim()); }
try { vm.compileFunction('return', 'a'); } catch (e) { console.log(e.code); }
try { vm.compileFunction('return', [], { parsingContext: {} }); } catch (e) { console.log(e.code, e.message); }
try { vm.runInContext('1', {}); } catch (e) { console.log(e.code, e.message); }
try { vm.createContext('x'); } catch (e) { console.log(e.code, e.message); }
try { vm.isContext(1); } catch (e) { console.log(e.code, e.message); }
try { new vm.Script('1', { lineOffset: 'x' }); } catch (e) { console.log(e.code, e.message); }
`);
});

test('microtasks of a context run on the process queue; a callback of the context assigns new globals to the sandbox', async () => {
  await same(`
const vm = require('vm');
const ctx = vm.createContext({ log: (s) => console.log(s) });
vm.runInContext('Promise.resolve().then(() => log("context microtask")); log("script end")', ctx);
console.log('after run');
Promise.resolve().then(() => console.log('main microtask'));
const sb = { setTimeout };
vm.runInNewContext('setTimeout(() => { later = 3; this.other = 4; }, 0)', sb);
setTimeout(() => console.log(sb.later, sb.other), 5);
`);
});

test('a guest making contexts without end: dropped ones are collected, kept ones end at the heap limit, the daemon goes on', async () => {
  await client.writeFile(vmId, '/w/many.js', `
const vm = require('vm');
let sum = 0;
for (let i = 0; i < 20000; i++) sum += vm.runInNewContext('x + 1', { x: 1 });
for (let i = 0; i < 20000; i++) vm.createContext({ i });
console.log('dropped', sum);
const kept = [];
for (;;) { const c = vm.createContext({ i: kept.length }); vm.runInContext('i', c); kept.push(c); }
`);
  const r = await client.exec(vmId, 'node', ['/w/many.js'], { cwd: '/w' });
  assert.is(r.stdout, 'dropped 40000\n');
  assert.is.not(r.exitCode, 0);
  const after = await client.exec(vmId, 'node', ['-e', 'console.log(require("vm").runInNewContext("a * 2", { a: 21 }))']);
  assert.is(after.stdout, '42\n');
});

test('a script spinning in a context with a long timeout still ends when the process is killed', async () => {
  const { pid } = await client.spawn(vmId, 'node', ['-e', `
    const vm = require('vm');
    const ctx = vm.createContext({});
    vm.runInContext('while (true) {}', ctx, { timeout: 2 ** 31 });`]);
  await waitForAsync(async () => (await client.listProcesses(vmId)).processes.some((p) => p.pid === pid && p.usage.cpuMs > 200));
  const exit = client.waitForExit(vmId, pid);
  await client.kill(vmId, pid, 'SIGKILL');
  await exit;
  const after = await client.exec(vmId, 'node', ['-e', 'console.log(require("vm").runInNewContext("a + 1", { a: 1 }))']);
  assert.is(after.stdout, '2\n');
});

test.after(async () => {
  await client.close();
});
test.run();
