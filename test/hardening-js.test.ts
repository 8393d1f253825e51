import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, startSidecar } from './helpers/sidecar.js';

const { client, logs } = await startSidecar({ bindings: { f: () => 'answered' } });
const daemonPid = client.child.pid!;
const MiB = 1024 * 1024;
/** How much the daemon may grow while one guest floods it (guest heap capped at 32 MiB). */
const FLOOD_RSS_GROWTH_BOUND = 64 * MiB;

function rssBytes(): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemonPid}/status`, 'utf8'))![1]) * 1024;
}

/** Runs `code` in node on the host (Node 20, as the guest claims to be). */
function hostNode(args: string[]): { stdout: string; stderr: string; status: number } {
  // Plain output: the test runner may force colours, which console.log would then use.
  const { FORCE_COLOR: _force, NODE_OPTIONS: _options, ...env } = process.env;
  try {
    return { stdout: execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NODE_DISABLE_COLORS: '1' } }), stderr: '', status: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; status: number };
    return { stdout: e.stdout, stderr: e.stderr, status: e.status };
  }
}

/**
 * Spawns a flooding process (which prints "go" first, then floods), and once it floods:
 * a ping and another VM's exec. Records the order in which their answers and the flood's
 * exit arrive, and the daemon's RSS throughout.
 */
async function flood(limits: Record<string, number>, command: string, args: string[], copies = 1) {
  const { vmId } = await client.createVm({ limits: { heapLimitMb: 32, ...limits } });
  const { vmId: bystander } = await client.createVm();
  const order: string[] = [];
  const rssBefore = rssBytes();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes())), 10);
  let started!: () => void;
  const flooding = new Promise<void>((resolve) => (started = resolve));
  const pids = new Set<number>();
  const off = client.onOutput((e) => {
    if (e.vmId === vmId && pids.has(e.pid) && e.stream === 'stdout') started();
  });
  const exits = [];
  for (let i = 0; i < copies; i++) {
    const { pid } = await client.spawn(vmId, command, args);
    pids.add(pid);
    exits.push(client.waitForExit(vmId, pid).then((exit) => (order.push('exit'), exit)));
  }
  await flooding;
  const ping = client.request(P.SidecarPing, {}).then(() => order.push('ping'));
  const other = client.exec(bystander, 'node', ['-e', 'console.log("bystander")']).then((r) => (order.push('bystander'), r));
  const ended = await Promise.all(exits);
  await ping;
  const answer = await other;
  clearInterval(sampler);
  off();
  return { ended, order, answer, grew: rssPeak - rssBefore };
}

const floods: Array<[string, Record<string, number>, string, string[], string, number?]> = [
  ['process.exitCode in a loop', { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); for (;;) process.exitCode = 1'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ['process.exitCode changing in a loop', { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); for (let i = 0; ; i++) process.exitCode = i & 1'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ['clearTimeout(setTimeout(f)) in a loop', { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); for (;;) clearTimeout(setTimeout(() => {}))'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ["process.stdout.write('') in a loop", { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); for (;;) process.stdout.write("")'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ['process.on/off(SIGTERM) in a loop', { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); const f = () => {}; for (;;) { process.on("SIGTERM", f); process.off("SIGTERM", f) }'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ['4,000 setInterval(fn, 0)', { cpuTimeLimitMs: 1000, wallTimeLimitMs: 20_000 }, 'node', ['-e', 'console.log("go"); for (let i = 0; i < 4000; i++) setInterval(() => {}, 0)'], 'ERR_AGENTOS_CPU_TIME_LIMIT'],
  ['8 processes looping on fs calls', { cpuTimeLimitMs: 60_000, wallTimeLimitMs: 1500 }, 'node', ['-e', 'console.log("go"); const fs = require("fs"); for (;;) fs.existsSync("/tmp")'], 'ERR_AGENTOS_TIMEOUT', 8],
  ['a WASM shell looping on stat calls', { cpuTimeLimitMs: 60_000, wallTimeLimitMs: 1500 }, 'sh', ['-c', 'echo go; while :; do test -e /tmp; done'], 'ERR_AGENTOS_TIMEOUT'],
];

for (const [name, limits, command, args, code, copies] of floods) {
  test(`flood: ${name} ends with ${code}, while a ping and another VM are answered, and the daemon stays within ${FLOOD_RSS_GROWTH_BOUND / MiB} MiB`, async () => {
    const { ended, order, answer, grew } = await flood(limits, command, args, copies);
    for (const exit of ended) {
      assert.is(exit.error?.code, code);
      assert.is(exit.exitCode, 124);
    }
    assert.is(answer.stdout, 'bystander\n');
    assert.ok(order.indexOf('ping') < order.indexOf('exit'), `ping answered before the flood ended: ${order.join(',')}`);
    assert.ok(order.indexOf('bystander') < order.indexOf('exit'), `the other VM answered before the flood ended: ${order.join(',')}`);
    assert.ok(grew < FLOOD_RSS_GROWTH_BOUND, `the daemon grew ${(grew / MiB).toFixed(1)} MiB`);
  });
}

test('crypto: randomBytes returns what was asked, getRandomValues has Web Crypto\'s quota, errors as Node 20 gives them', async () => {
  const code = `
    const c = require('crypto');
    const show = (f) => { try { const r = f(); console.log('ok', r.length, r.some((b) => b !== 0)) } catch (e) { console.log(e.name, e.code, JSON.stringify(e.message), e instanceof DOMException, Object.prototype.toString.call(e)) } };
    show(() => c.randomBytes(70000));
    show(() => c.randomBytes(1 << 20));
    show(() => c.randomBytes(0));
    show(() => crypto.getRandomValues(new Uint8Array(65536)));
    show(() => crypto.getRandomValues(new Uint32Array(16384)));
    show(() => crypto.getRandomValues(new Uint8Array(70000)));
    show(() => crypto.getRandomValues(new Float32Array(4)));
    show(() => c.randomBytes(2 ** 31));
    show(() => c.randomBytes(1e12));
    show(() => c.randomBytes(-1));
    show(() => c.randomBytes(NaN));
    show(() => c.randomBytes('a'));
    console.log(String((() => { try { crypto.getRandomValues(new Uint8Array(70000)) } catch (e) { return e } })()));
  `;
  const { vmId } = await client.createVm();
  const r = await client.exec(vmId, 'node', ['-e', code]);
  const host = hostNode(['-e', code]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, host.stdout);
});

test('ESM: a static import of a VM file passes the permission check; builtins still load', async () => {
  const { vmId } = await client.createVm({ permissions: { fs: 'none' } });
  await client.writeFile(vmId, '/secret.json', '{"key":"s3cret"}');
  await client.writeFile(vmId, '/lib.mjs', 'export default "lib"');
  for (const code of ["import s from '/secret.json' with { type: 'json' }; console.log(s)", "import s from '/secret.json'; console.log(s)", "import l from '/lib.mjs'; console.log(l)"]) {
    const r = await client.exec(vmId, 'node', ['--input-type=module', '-e', code]);
    const target = /'(\/[^']+)'/.exec(code)![1];
    assert.equal([r.exitCode, r.stdout, r.stderr.replace(/v20\.\d+\.\d+/, 'v20')], [1, '', `Error: Cannot load '${target}': this VM gives guests no filesystem access\n\nNode.js v20\n`]);
  }
  const fine = await client.exec(vmId, 'node', ['--input-type=module', '-e', "import { readFileSync } from 'node:fs'; import path from 'path'; console.log(typeof readFileSync, path.join('a', 'b'))"]);
  assert.is(fine.stdout, 'function a/b\n');
});

test('ESM: JSON modules need the json import attribute, as in Node 20', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentos-esm-'));
  try {
    const files: Record<string, string> = {
      'data.json': '{"a":[1,2]}',
      'lib.mjs': 'export default 5;',
      'plain.mjs': "import d from './data.json'; console.log(d);",
      'with.mjs': "import d from './data.json' with { type: 'json' }; console.log(JSON.stringify(d));",
      'assert.mjs': "import d from './data.json' assert { type: 'json' }; console.log(JSON.stringify(d));",
      'wrong.mjs': "import l from './lib.mjs' with { type: 'json' }; console.log(l);",
      'css.mjs': "import d from './data.json' with { type: 'css' }; console.log(d);",
      'reexport.mjs': "export { default } from './data.json' with { type: 'json' }; import x from './reexport.mjs'; console.log(JSON.stringify(x));",
    };
    const { vmId } = await client.createVm();
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dir, name), text);
      await client.writeFile(vmId, `${dir}/${name}`, text);
    }
    for (const name of Object.keys(files).filter((n) => n.endsWith('.mjs') && n !== 'lib.mjs')) {
      const r = await client.exec(vmId, 'node', [`${dir}/${name}`]);
      const host = hostNode([join(dir, name)]);
      const firstError = (text: string) => text.split('\n').find((line) => /^\w*Error/.test(line)) ?? '';
      assert.equal([r.exitCode, r.stdout, firstError(r.stderr)], [host.status, host.stdout, firstError(host.stderr)], name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one identity: JS guests are the VM user WASM commands are', async () => {
  const { vmId } = await client.createVm();
  const js = await client.exec(vmId, 'node', ['-e', `
    const os = require('os'), fs = require('fs');
    fs.writeFileSync('/tmp/by-js', 'x');
    const u = os.userInfo();
    console.log([process.getuid(), process.geteuid(), process.getgid(), process.getegid(), u.uid, u.gid, u.username, u.homedir, os.homedir(), process.env.HOME, process.env.USER, fs.statSync('/tmp/by-js').uid].join(' '));
  `]);
  const wasm = await client.exec(vmId, 'sh', ['-c', 'echo "$(id -u) $(id -u) $(id -g) $(id -g) $(id -u) $(id -g) $(id -un) $HOME $HOME $HOME $USER $(stat -c %u /tmp/by-js)"']);
  assert.is(js.stderr, '');
  assert.is(js.stdout, wasm.stdout);
  assert.is(js.stdout, '1000 1000 1000 1000 1000 1000 user /home/user /home/user /home/user user 1000\n');
});

test('host calls: an argument JSON cannot carry rejects at once with a TypeError; the process goes on', async () => {
  const { vmId } = await client.createVm({ bindings: ['f'] });
  const expected = (value: string) => {
    try {
      JSON.stringify(eval(value));
    } catch (err) {
      return `TypeError ERR_INVALID_ARG_TYPE host.f: its arguments are not JSON-serializable (${(err as Error).message})`;
    }
    throw new Error('serializable');
  };
  const r = await client.exec(vmId, 'node', ['-e', `
    const show = (p) => p.then((v) => console.log('ok', v), (e) => console.log(e.name, e.code, e.message));
    (async () => {
      await show(host.f(1n));
      const cyclic = { a: 1 }; cyclic.self = cyclic;
      await show(host.f(cyclic));
      await show(host.f({ deep: [2n] }));
      await show(host.f(1, 'two'));
    })();
  `]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, [expected('[1n]'), expected('(() => { const c = { a: 1 }; c.self = c; return [c] })()'), expected('[{ deep: [2n] }]'), 'ok answered', ''].join('\n'));
});

test('host calls: a process may not have more than MAX_HOST_CALLS_IN_FLIGHT waiting', async () => {
  const { client: small } = await startSidecar({ env: { AGENTOS_MAX_HOST_CALLS_IN_FLIGHT: '3' }, bindings: { slow: () => new Promise((r) => setTimeout(() => r('late'), 200)) } });
  const { vmId } = await small.createVm({ bindings: ['slow'] });
  const r = await small.exec(vmId, 'node', ['-e', 'Promise.allSettled([1, 2, 3, 4].map(() => host.slow())).then((all) => console.log(all.map((s) => s.status === "fulfilled" ? s.value : s.reason.code).join(",")))']);
  assert.is(r.stdout, 'late,late,late,ERR_AGENTOS_HOST_CALL_LIMIT\n');
  await small.close();
});

test('the limits a flood hits are logged as bounded limits', async () => {
  assert.ok(await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'guest_cpu_time_limit_ms')));
});

test.after(async () => {
  await client.close();
});

test.run();
