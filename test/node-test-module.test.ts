import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

/**
 * node:test in guest JS is Node 20.19.2's own runner (vendor/node/lib/test.js and
 * internal/test_runner, src/js/guest/node/test-runner.ts): the same test file prints the same
 * TAP (stdout not a TTY) or spec report and ends with the same exit code in a VM as under the
 * host's node. Durations, and the stack frames inside the runtime, are the only differences
 * masked.
 */
const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w');

const hostEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NODE_OPTIONS' && k !== 'NODE_TEST_CONTEXT'));
let serial = 0;

interface Run { stdout: string; stderr: string; exitCode: number }

/** Runs `node [args] FILE` with the script as FILE in a fresh directory of the VM and of the host. */
async function both(script: string, args: string[] = [], file = 'main.js'): Promise<{ vm: Run; host: Run }> {
  const dir = `/w/t${++serial}`;
  await client.mkdir(vmId, dir);
  await client.writeFile(vmId, `${dir}/${file}`, script);
  const r = await client.exec(vmId, 'node', [...args, file], { cwd: dir });
  const hostDir = mkdtempSync(join(tmpdir(), 'agentos-node-test-'));
  writeFileSync(join(hostDir, file), script);
  let host: Run;
  try {
    host = { stdout: execFileSync(process.execPath, [...args, file], { cwd: hostDir, env: hostEnv, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }), stderr: '', exitCode: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; status: number };
    host = { stdout: e.stdout, stderr: e.stderr, exitCode: e.status };
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
  return { vm: { stdout: mask(r.stdout, dir), stderr: r.stderr, exitCode: r.exitCode ?? -1 }, host: { ...host, stdout: mask(host.stdout, hostDir) } };
}

/**
 * Durations, the directory, and stack frames (a TAP `stack:` block, a spec report's `at`
 * lines): the frames inside the runtime are its own, not Node's, and Node leaves the block
 * out where every frame is one of its internals.
 */
function mask(out: string, dir: string): string {
  return out
    .split(dir).join('<dir>')
    .replace(/duration_ms:? [\d.]+/g, 'duration_ms N')
    // The guest's clocks tick in whole milliseconds: the spec reporter leaves a 0 ms duration out.
    .replace(/ \([\d.]+ms\)/g, '')
    .replace(/^ +at .*\n/gm, '')
    .replace(/^( *)stack: \|-\n(?:\1  .*\n)*/gm, '');
}

/** The script must give the host's stdout and exit code; returns the VM's run. */
async function same(script: string, args: string[] = [], file = 'main.js'): Promise<Run> {
  const { vm, host } = await both(script, args, file);
  if (vm.stdout !== host.stdout) {
    const a = vm.stdout.split('\n');
    const b = host.stdout.split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    assert.unreachable(`stdout differs from line ${at + 1}:\n--- VM\n${a.slice(at, at + 8).join('\n')}\n--- host\n${b.slice(at, at + 8).join('\n')}\n--- stderr in the VM: ${vm.stderr}`);
  }
  assert.is(vm.exitCode, host.exitCode, `stderr in the VM: ${vm.stderr}\nhost: ${host.stderr}`);
  return vm;
}

const PASS_FAIL = `
const test = require('node:test');
const assert = require('node:assert');
test('passes', () => { assert.strictEqual(1, 1); });
test('fails', () => { assert.deepStrictEqual({ a: [1, 2] }, { a: [1, 3] }); });
test('throws a string', () => { throw 'not an error'; });
test('with subtests', async (t) => {
  await t.test('sub passes', () => {});
  await t.test('sub skipped', { skip: 'not today' }, () => { throw new Error('never runs'); });
  await t.test('sub todo fails', { todo: true }, () => { throw new Error('todo failures do not count'); });
});
test.skip('skipped');
test.todo('todo');
test('skip from inside', (t) => { t.skip('changed my mind'); });
test('diagnostic', (t) => { t.diagnostic('a note'); });
`;

test('passing, failing, skipped and todo tests and subtests: the host\'s TAP and exit code 1', async () => {
  const vm = await same(PASS_FAIL);
  assert.is(vm.exitCode, 1);
  assert.match(vm.stdout, /^not ok 2 - fails$/m);
  assert.match(vm.stdout, /^# fail 2$/m);
  assert.match(vm.stdout, /^# todo 2$/m);
  assert.match(vm.stdout, /^ {4}ok 2 - sub skipped # SKIP not today$/m);
});

test('only passing tests end with exit code 0, a failing todo does not fail the run', async () => {
  const vm = await same(`
    const { test } = require('node:test');
    test('a', () => {});
    test('todo that fails', { todo: 'later' }, () => { throw new Error('x'); });
  `);
  assert.is(vm.exitCode, 0);
  assert.match(vm.stdout, /^not ok 2 - todo that fails # TODO later$/m);
});

test('describe/it with before/after/beforeEach/afterEach: the hooks run in Node\'s order', async () => {
  const vm = await same(`
    const { describe, it, before, after, beforeEach, afterEach } = require('node:test');
    const assert = require('node:assert');
    const order = [];
    process.on('exit', () => console.log(order.join(',')));
    describe('outer', () => {
      before(() => order.push('before'));
      after(() => order.push('after'));
      beforeEach((t) => order.push('beforeEach:' + t.name));
      afterEach((t) => order.push('afterEach:' + t.name));
      it('one', () => order.push('one'));
      it('two', async () => { await new Promise((r) => setTimeout(r, 5)); order.push('two'); });
      it.skip('skipped it');
      it.todo('todo it');
      describe('inner', () => {
        it('deep', (t, done) => { setTimeout(() => { order.push('deep'); done(); }, 1); });
        it('deep fails', () => assert.ok(false));
      });
    });
    describe('hook fails', () => {
      before(() => { throw new Error('before broke'); });
      it('never runs', () => {});
    });
  `);
  assert.is(vm.exitCode, 1);
  assert.match(vm.stdout, /before,beforeEach:one,one,afterEach:one,beforeEach:two,two,afterEach:two,.*deep.*after$/m);
  assert.match(vm.stdout, /^# suites 3$/m);
});

test('async tests, callbacks, timeouts and the process waiting for pending tests', async () => {
  const vm = await same(`
    const { test } = require('node:test');
    test('resolves later', () => new Promise((r) => setTimeout(r, 30)));
    test('callback done', (t, done) => setImmediate(done));
    test('callback with an error', (t, done) => setImmediate(() => done(new Error('cb failed'))));
    test('rejects', async () => { await null; throw new RangeError('async failure'); });
    test('times out', { timeout: 10 }, () => new Promise((r) => setTimeout(r, 1000)));
    test('never settles, loop empties', () => new Promise(() => {}));
  `);
  assert.is(vm.exitCode, 1);
  assert.match(vm.stdout, /failureType: 'testTimeoutFailure'/);
  assert.match(vm.stdout, /error: 'test timed out after 10ms'/);
});

test('t.mock.fn, t.mock.method and the global mock: calls, results, restore', async () => {
  const vm = await same(`
    const { test, mock } = require('node:test');
    const assert = require('node:assert');
    test('fn', (t) => {
      const add = t.mock.fn((a, b) => a + b);
      add(1, 2); add(3, 4);
      assert.strictEqual(add.mock.callCount(), 2);
      assert.deepStrictEqual(add.mock.calls.map((c) => [c.arguments, c.result]), [[[1, 2], 3], [[3, 4], 7]]);
      add.mock.mockImplementation(() => 'swapped');
      assert.strictEqual(add(0, 0), 'swapped');
      add.mock.resetCalls();
      assert.strictEqual(add.mock.callCount(), 0);
    });
    test('method', (t) => {
      const obj = { value: () => 1 };
      const m = t.mock.method(obj, 'value', () => 2);
      assert.strictEqual(obj.value(), 2);
      assert.strictEqual(m.mock.calls.length, 1);
      t.mock.restoreAll();
      assert.strictEqual(obj.value(), 1);
    });
    test('times', (t) => {
      const fn = t.mock.fn(() => 'orig', () => 'once', { times: 1 });
      assert.deepStrictEqual([fn(), fn()], ['once', 'orig']);
    });
    test('global mock', () => {
      const f = mock.fn();
      f('x');
      assert.deepStrictEqual(f.mock.calls[0].arguments, ['x']);
      mock.reset();
    });
    test('a mock assertion fails', (t) => {
      const f = t.mock.fn();
      assert.strictEqual(f.mock.callCount(), 1);
    });
  `);
  assert.is(vm.exitCode, 1);
  assert.match(vm.stdout, /^# pass 4$/m);
});

test('the spec reporter (--test-reporter=spec) and only (--test-only)', async () => {
  const script = `
    const { test, describe, it } = require('node:test');
    test('plain', () => {});
    test.only('chosen', async (t) => { await t.test('child', () => {}); });
    describe('suite', () => { it('fails', () => { throw new Error('boom'); }); it.only('only it', () => {}); });
  `;
  const spec = await same(script, ['--test-reporter=spec']);
  assert.match(spec.stdout, /^✔ plain$/m);
  assert.match(spec.stdout, /^ {2}✖ fails$/m);
  assert.match(spec.stdout, /^ {4}Error: boom$/m);
  const only = await same(script, ['--test-only']);
  assert.match(only.stdout, /^ok 1 - plain # SKIP 'only' option not set$/m);
  const named = await same(script, ['--test-name-pattern', 'chosen', '--test-reporter', 'dot']);
  assert.is(named.exitCode, 0);
});

test('ESM: named and default imports of node:test; test/reporters; `test` without node: is a package name', async () => {
  await same(`
    import test, { describe, it, mock } from 'node:test';
    import * as reporters from 'node:test/reporters';
    import { isBuiltin, builtinModules } from 'node:module';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    console.log(typeof test, test.describe === describe, typeof mock.fn, Object.keys(reporters).sort().join());
    console.log(isBuiltin('node:test'), isBuiltin('test'), isBuiltin('node:test/reporters'), builtinModules.includes('test'));
    try { require('test'); } catch (e) { console.log(e.code); }
    try { await import('test'); } catch (e) { console.log(e.code); }
    describe('esm', () => { it('runs', () => {}); });
  `, [], 'main.mjs');
});

test('a guest\'s invalid asm.js module does not reach the daemon\'s stdout (the protocol stays whole)', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    function M() { 'use asm'; function add(a, b) { a = a | 0; b = b | 0; return a + b; } return { add: add }; }
    console.log(M().add(2, 3));
  `]);
  assert.is(r.stdout, '5\n');
  assert.is(r.exitCode, 0);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log(1)'])).stdout, '1\n');
});

test.after(async () => {
  await client.close();
});

test.run();
