import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

// The guest's console is Node's own (src/js/guest/console.ts): each script runs in a VM and under
// the host's Node 20, and both must print the same bytes to stdout and to stderr and exit alike.
const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w');

interface Run { stdout: string; stderr: string; exitCode: number | null }
// uvu sets FORCE_COLOR for itself; the host's node must print plain text, as the guest does.
const hostEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NODE_OPTIONS'));
/** The process id in a warning's `(node:PID)` is the only thing that may differ. */
const withoutPid = (r: Run): Run => ({ ...r, stdout: r.stdout.replace(/\(node:\d+\)/g, '(node:PID)'), stderr: r.stderr.replace(/\(node:\d+\)/g, '(node:PID)') });
let serial = 0;

/** Runs `node main.js` in the VM and on the host (stderr kept, unlike helpers/vm-and-host.ts); returns the host's run. */
async function same(script: string): Promise<Run> {
  const dir = `/w/t${++serial}`;
  await client.mkdir(vmId, dir);
  await client.writeFile(vmId, `${dir}/main.js`, script);
  const vm = await client.exec(vmId, 'node', ['main.js'], { cwd: dir });
  const hostDir = mkdtempSync(join(tmpdir(), 'guest-console-'));
  writeFileSync(join(hostDir, 'main.js'), script);
  const host = spawnSync(process.execPath, ['main.js'], { cwd: hostDir, env: hostEnv, encoding: 'utf8', timeout: 60_000 });
  rmSync(hostDir, { recursive: true, force: true });
  const expected = withoutPid({ stdout: host.stdout, stderr: host.stderr, exitCode: host.status });
  assert.equal(withoutPid({ stdout: vm.stdout, stderr: vm.stderr, exitCode: vm.exitCode ?? null }), expected);
  return expected;
}

test('log, info, debug, dirxml, warn and error format primitives, % directives and objects as Node does', async () => {
  const host = await same(`
    console.log(1);
    console.log();
    console.log(-0, 0, NaN, Infinity, -Infinity, 1e21, 0.1 + 0.2, 123n, -5n);
    console.log(true, false, null, undefined, 'text', '', 'a\\nb');
    console.log('100%');
    console.log('%s is %d and %i, %f %j %o %O %c%%', 'x', 42.5, 42.5, '1.5', { a: 1 }, [1], { b: { c: {} } }, 'color: red');
    console.log('%s', Symbol('s'), 'extra', 2);
    console.log(Symbol('alone'), { a: [1, 'x', { deep: { deeper: { deepest: 1 } } }] }, [undefined, , 3]);
    console.log(new Map([[1, { a: 1 }]]), new Set(['x']), new Error('boom').message, function named() {}, class K {});
    console.info('info', 1);
    console.debug('debug', 2n);
    console.dirxml('dirxml', { x: 1 });
    console.warn('warn', -0);
    console.error('error %d', 7, { e: true });
  `);
  assert.ok(host.stdout.startsWith('1\n\n-0 0 NaN Infinity -Infinity 1e+21 0.30000000000000004 123n -5n\n'));
  assert.is(host.stderr, "warn -0\nerror 7 { e: true }\n");
});

test('console.table prints Node\'s tables (columns, index, values, Map, Set, filter, wide characters)', async () => {
  const host = await same(`
    console.table([{ a: 1, b: 'Y' }, { a: 'Z', b: 2 }]);
    console.table([{ a: 1, b: 'Y' }, { a: 'Z', b: 2 }], ['a']);
    console.table([1, 'two', { three: 3 }, [4, 5]]);
    console.table({ row1: { x: 1 }, row2: { y: [1, 2, 3, 4] } });
    console.table(new Map([['k1', 1], ['k2', { v: 2 }]]));
    console.table(new Set([1, 'x', null]));
    console.table([{ 名前: '日本語', emoji: '🙂' }, { 名前: 'ascii' }]);
    console.table(new Uint8Array([1, 2]));
    console.table(5);
    console.table('not tabular');
    console.table([]);
    try { console.table([{ a: 1 }], 'a'); } catch (e) { console.log(e.code, e.message); }
  `);
  assert.ok(host.stdout.startsWith([
    '┌─────────┬─────┬─────┐',
    '│ (index) │ a   │ b   │',
    '├─────────┼─────┼─────┤',
    "│ 0       │ 1   │ 'Y' │",
    "│ 1       │ 'Z' │ 2   │",
    '└─────────┴─────┴─────┘',
    '',
  ].join('\n')));
  assert.match(host.stdout, 'ERR_INVALID_ARG_TYPE The "properties" argument must be an instance of Array. Received type string (\'a\')');
});

test('group and groupCollapsed indent every line of stdout and stderr, groupEnd undoes one level', async () => {
  const host = await same(`
    console.log('top');
    console.group('level 1');
    console.log('one\\ntwo');
    console.groupCollapsed();
    console.warn({ multi: 'line', object: { with: ['enough', 'keys', 'to', 'wrap', 'over', 'the', 'line', 'width', 'of', 'eighty'] } });
    console.group('level 3', 3);
    console.table([{ a: 1 }]);
    console.groupEnd();
    console.groupEnd();
    console.error('back to 1');
    console.groupEnd();
    console.groupEnd();
    console.log('top again');
    const { Console } = require('console');
    const wide = new Console({ stdout: process.stdout, groupIndentation: 4 });
    wide.group('four');
    wide.log('indented by four');
  `);
  assert.match(host.stdout, 'level 1\n  one\n  two\n');
  assert.match(host.stdout, '    indented by four\n');
  assert.match(host.stdout, '    level 3 3\n      ┌─────────┬───┐\n');
  assert.match(host.stderr, '    {\n      multi: \'line\',\n');
});

test('count and countReset keep per-label counts; an unknown label warns on stderr', async () => {
  const host = await same(`
    console.count();
    console.count();
    console.count('a');
    console.count({});
    console.count(null);
    console.countReset();
    console.count();
    console.countReset('never');
    console.count('a');
    try { console.count(Symbol('s')); } catch (e) { console.log(e.name, e.message); }
  `);
  assert.is(host.stdout, 'default: 1\ndefault: 2\na: 1\n[object Object]: 1\nnull: 1\ndefault: 1\na: 2\nTypeError Cannot convert a Symbol value to a string\n');
  assert.is(host.stderr, "(node:PID) Warning: Count for 'never' does not exist\n(Use `node --trace-warnings ...` to show where the warning was created)\n");
});

test('time, timeLog and timeEnd print label and duration in Node\'s format and warn about labels as Node does', async () => {
  // Durations vary: the script checks their format and prints them as <d>.
  const host = await same(`
    const lines = [];
    const write = process.stdout.write;
    process.stdout.write = (s) => lines.push(s);
    console.time();
    console.time('t');
    console.time('t');
    console.timeLog('t', 'extra', { data: 1 });
    console.timeLog('missing');
    console.timeEnd('t');
    console.timeEnd('t');
    console.timeEnd();
    console.timeEnd('missing too');
    process.stdout.write = write;
    for (const line of lines) {
      if (!/^(t|default): \\d+(\\.\\d{1,3})?(ms|s)( extra \\{ data: 1 \\})?\\n$/.test(line)) throw new Error('bad line ' + line);
      console.log(line.replace(/\\d+(\\.\\d{1,3})?(ms|s)/, '<d>').trimEnd());
    }
  `);
  assert.is(host.stdout, 't: <d> extra { data: 1 }\nt: <d>\ndefault: <d>\n');
  assert.match(host.stderr, "Warning: Label 't' already exists for console.time()");
  assert.match(host.stderr, "Warning: No such label 'missing' for console.timeLog()");
  assert.match(host.stderr, "Warning: No such label 't' for console.timeEnd()");
  assert.match(host.stderr, "Warning: No such label 'missing too' for console.timeEnd()");
});

test('dir takes inspect options and ignores custom inspect; assert prints only on failure', async () => {
  const host = await same(`
    const nested = { a: { b: { c: { d: { e: 1 } } } }, [Symbol('s')]: 1 };
    console.dir(nested);
    console.dir(nested, { depth: 0 });
    console.dir(nested, { depth: Infinity, compact: false });
    console.dir([1, 2, 3], { showHidden: true });
    console.dir({ [require('util').inspect.custom]: () => 'custom', plain: true });
    console.dir('a string', { colors: false });
    console.assert(true, 'never printed');
    console.assert(1 === 2);
    console.assert(false, 'failed %s', 'formatted', { x: 1 });
    console.assert(0, { an: 'object' });
  `);
  assert.match(host.stdout, "{ a: [Object], [Symbol(s)]: 1 }\n");
  assert.match(host.stdout, '[ 1, 2, 3, [length]: 3 ]\n');
  assert.is(host.stderr, 'Assertion failed\nAssertion failed: failed formatted { x: 1 }\nAssertion failed: [object Object]\n');
});

test('new Console writes to the streams it is given, with its own options and argument checks', async () => {
  const host = await same(`
    const { Console } = require('node:console');
    const { Writable } = require('stream');
    const sink = (name) => { const chunks = []; const s = new Writable({ write(c, e, cb) { chunks.push(String(c)); cb(); } }); s.chunks = chunks; s.label = name; return s; };
    const out = sink('out'), err = sink('err');
    const c = new Console({ stdout: out, stderr: err });
    c.log('to out', 1, { a: 1 });
    c.error('to err');
    c.table([{ x: 1 }]);
    c.count(); c.count();
    c.group('g'); c.warn('indented'); c.groupEnd();
    c.trace === c.trace;
    console.log(JSON.stringify(out.chunks), JSON.stringify(err.chunks));
    const old = Console(out);
    old.warn('old style: stderr is stdout');
    console.log(JSON.stringify(out.chunks.slice(-1)), old instanceof Console, c instanceof Console, console instanceof Console, {} instanceof Console);
    const colored = new Console({ stdout: out, colorMode: true });
    colored.log(1, 'str', { a: null });
    const opts = new Console({ stdout: out, inspectOptions: { breakLength: 3, compact: false } });
    opts.log({ a: 1, b: 2 });
    console.log(JSON.stringify(out.chunks.slice(-2)));
    for (const bad of [undefined, {}, { stdout: {} }, { stdout: out, stderr: 1 }, { stdout: out, colorMode: 'yes' }, { stdout: out, groupIndentation: -1 }, { stdout: out, colorMode: true, inspectOptions: { colors: true } }]) {
      try { new Console(bad); console.log('accepted'); } catch (e) { console.log(e.code, e.message); }
    }
    const throwing = new Console({ stdout: { write() { throw new Error('write failed'); } }, ignoreErrors: false });
    try { throwing.log('x'); } catch (e) { console.log('thrown:', e.message); }
  `);
  assert.match(host.stdout, '["to out 1 { a: 1 }\\n"');
  assert.match(host.stdout, 'ERR_CONSOLE_WRITABLE_STREAM Console expects a writable stream instance for stdout');
  assert.match(host.stdout, 'thrown: write failed');
  assert.match(host.stdout, '\\u001b[33m1\\u001b[39m');
});

test('console output goes through process.stdout.write and process.stderr.write as they are replaced, and survives a throwing write', async () => {
  const host = await same(`
    const seen = [];
    const realOut = process.stdout.write, realErr = process.stderr.write;
    process.stdout.write = function (chunk, cb) { seen.push('out:' + chunk); return true; };
    process.stderr.write = function (chunk) { seen.push('err:' + chunk); return true; };
    console.log('first', 1);
    console.error('second %s', 'x');
    console.log({ obj: true });
    process.emitWarning('a warning');
    process.nextTick(() => {
      process.stdout.write = () => { throw new Error('stdout broke'); };
      console.log('lost, as Node ignores write errors');
      console.info({ also: 'lost' });
      process.stdout.write = realOut;
      process.stderr.write = realErr;
      console.log(JSON.stringify(seen));
      console.log('survived');
      require('util').log === undefined;
    });
  `);
  assert.match(host.stdout, '"out:first 1\\n","err:second x\\n","out:{ obj: true }\\n","err:(node:');
  assert.match(host.stdout, 'Warning: a warning\\n(Use `node --trace-warnings ...` to show where the warning was created)\\n"]\nsurvived\n');
  assert.is(host.stderr, '');
});

test('the console keeps the stream it first wrote to, as Node binds process.stdout on first use', async () => {
  const host = await same(`
    const { Writable } = require('stream');
    const chunks = [];
    const fake = new Writable({ write(c, e, cb) { chunks.push(String(c)); cb(); } });
    console.log('before');
    Object.defineProperty(process, 'stdout', { value: fake, configurable: true });
    console.log('after: still the first stream');
    console.group();
    console.log('after loading the whole console');
    console._stdout = fake;
    console.log('to the fake');
    console.groupEnd();
    process.stderr.write(JSON.stringify(chunks) + '\\n');
  `);
  assert.is(host.stdout, 'before\nafter: still the first stream\n  after loading the whole console\n');
  assert.is(host.stderr, '["  to the fake\\n"]\n');
});

test('a stream set before the first console call is the one the console uses', async () => {
  const host = await same(`
    const { Writable } = require('stream');
    const chunks = [];
    Object.defineProperty(process, 'stdout', { value: new Writable({ write(c, e, cb) { chunks.push(String(c)); cb(); } }), configurable: true });
    console.log('to the replacement', 2);
    process.stderr.write(JSON.stringify(chunks) + '\\n');
  `);
  assert.is(host.stderr, '["to the replacement 2\\n"]\n');
});

test('the console object has the shape of Node\'s: keys, names, lengths, require(\'console\'), V8\'s extra methods', async () => {
  const host = await same(`
    const before = console.log;
    console.log(Object.keys(console).join());
    console.log(Object.getOwnPropertyNames(console).filter((k) => !Object.keys(console).includes(k)).join());
    console.log(Object.getOwnPropertySymbols(console).map(String).join());
    console.log(Object.keys(console).map((k) => k + ':' + typeof console[k] + ':' + console[k].name + ':' + console[k].length).join(' '));
    console.log(require('console') === console, require('node:console') === console, console instanceof console.Console);
    console.log(Object.prototype.toString.call(console), Object.getPrototypeOf(console), String(console.log), typeof console.log.prototype);
    console.log(JSON.stringify(Object.getOwnPropertyDescriptor(globalThis, 'console')), JSON.stringify(Object.getOwnPropertyDescriptor(console, 'log')));
    for (const m of ['log', 'warn', 'table', 'debug']) { try { new console[m](); } catch (e) { console.log(m, e.name); } }
    console.log(console.createTask('task').run(() => 'ran'), typeof console.context('ctx'), console.profile(), console.profileEnd(), console.timeStamp('x'));
    for (const bad of [[], [''], [1]]) { try { console.createTask(...bad); } catch (e) { console.log(e.name, e.message); } }
    try { console.createTask('t').run(1); } catch (e) { console.log(e.name, e.message); }
    before('a method taken before the console loaded still prints', console.log === before);
    const { log } = console;
    log('detached log');
    globalThis.console = { replaced: true };
    console.log === undefined;
    process.stdout.write(String(require('console').replaced) + ' ' + typeof require('console').log + '\\n');
  `);
  assert.match(host.stdout, 'log,warn,dir,time,timeEnd,timeLog,trace,assert,clear,count,countReset,group,groupEnd,table,debug,info,dirxml,error,groupCollapsed,Console,profile,profileEnd,timeStamp,context,createTask\n');
  assert.match(host.stdout, 'debug:function:debug:0');
  assert.match(host.stdout, 'undefined function\n');
});

test('console.trace prints the caller as its first frame; replaced methods are what the others call', async () => {
  const host = await same(`
    const lines = [];
    const write = process.stderr.write;
    process.stderr.write = (s) => lines.push(s);
    function caller() { console.trace('traced %s', 'here', { x: 1 }); }
    caller();
    process.stderr.write = write;
    const [head, first] = lines[0].split('\\n');
    console.log(head, '|', first.replace(/\\(.*\\)/, '(file)'));
    console.log = function (...args) { process.stdout.write('spy[' + args.length + ']: ' + args.join(' ').split('\\n')[0] + '\\n'); };
    console.table([{ a: 1 }]);
    console.count('c');
    console.group('g');
    console.dirxml('dirxml is its own binding, not log');
  `);
  assert.match(host.stdout, 'Trace: traced here { x: 1 } |     at caller (file)\n');
  assert.match(host.stdout, 'spy[1]: c: 1\n');
});

test('a frozen or extended console behaves as Node\'s does', async () => {
  await same(`
    console.extra = 1;
    console.log('extra' in console, console.extra, delete console.extra, 'extra' in console);
    Object.defineProperty(console, 'fixed', { value: 2, enumerable: false });
    console.log(Object.getOwnPropertyDescriptor(console, 'fixed'));
    Object.freeze(console);
    console.log(Object.isFrozen(console), Object.isExtensible(console), Object.keys(console).length);
    try { 'use strict'; Object.defineProperty(console, 'log', { value: 1 }); } catch (e) { console.log(e.name); }
    console.log(delete console.warn, typeof console.warn);
    console.table([{ frozen: true }]);
  `);
});

test('util.log writes through the same console', async () => {
  const host = await same(`
    const seen = [];
    const write = process.stdout.write;
    process.stdout.write = (s) => seen.push(s);
    require('util').log('logged', { a: 1 });
    process.stdout.write = write;
    console.log(seen.length, /^\\d{1,2} [A-Z][a-z]{2} \\d\\d:\\d\\d:\\d\\d - logged \\{ a: 1 \\}\\n$/.test(seen[0]));
  `);
  assert.is(host.stdout, '1 true\n');
});

test.after(async () => {
  await client.close();
});

test.run();
