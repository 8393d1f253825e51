import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

const FIXTURES = new URL('./fixtures/wasm/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`${name}.wasm`, FIXTURES));
const register = (client: SidecarClient, name: string, vmId?: string) =>
  client.request(P.WasmRegister, { name, data: fixture(name).toString('base64'), ...(vmId ? { vmId } : {}) });

const { client, logs } = await startSidecar();
for (const name of ['echo', 'cat', 'wc', 'seq', 'files', 'hog', 'spin', 'sleep', 'recurse', 'slurp', 'bigmem']) await register(client, name);
/** Bytes of `seq 1 100000`'s whole output. */
const seq1To100000Length = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('').length;
const exhausted = (limit: string) => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit);

test('WASI commands run with args, stdin, exit codes; stdout and stderr are captured', async () => {
  // A stock wasi-libc has no cwd: its relative paths start at "/" (the VM cwd reaches it as PWD).
  const { vmId } = await client.createVm({ cwd: '/', files: [{ path: '/home/user/a.txt', data: 'alpha\n', encoding: 'utf8' }] });
  assert.is((await client.exec(vmId, 'echo', ['hello', 'wasm'])).stdout, 'hello wasm\n');
  const cat = await client.exec(vmId, 'cat', ['home/user/a.txt', '-', '/home/user/a.txt'], { stdin: 'from stdin\n' });
  assert.equal([cat.exitCode, cat.stdout], [0, 'alpha\nfrom stdin\nalpha\n']);
  const missing = await client.exec(vmId, '/usr/bin/cat', ['nope']);
  assert.equal([missing.exitCode, missing.stderr], [1, 'cat: nope: No such file or directory\n']);
  const seq = await client.exec(vmId, 'seq', ['1', '100000']);
  const wc = await client.exec(vmId, 'wc', [], { stdin: seq.stdout });
  assert.is(wc.stdout, '100000\n');
});

test('a real program: the SQLite shell builds a database file of 10,000 rows and queries it', async () => {
  await register(client, 'sqlite3');
  const { vmId } = await client.createVm({ cwd: '/' });
  const create = await client.exec(vmId, 'sqlite3', ['/home/user/app.db'], {
    stdin: `CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000)
      INSERT INTO t(name, n) SELECT 'row' || x, x * 2 FROM c;
      SELECT count(*), sum(n), max(name) FROM t;`,
  });
  assert.is(create.stderr, '');
  assert.equal([create.exitCode, create.stdout], [0, '10000|100010000|row9999\n']);
  // A second process opens the same file; the host and guest JS see it too.
  const query = await client.exec(vmId, 'sqlite3', ['/home/user/app.db', 'SELECT name, n FROM t WHERE id = 4242;']);
  assert.is(query.stdout, 'row4242|8484\n');
  const header = await client.exec(vmId, 'node', ['-p', 'require("fs").readFileSync("/home/user/app.db").subarray(0, 15).toString()']);
  assert.is(header.stdout, 'SQLite format 3\n');
  const bad = await client.exec(vmId, 'sqlite3', ['/home/user/app.db', 'SELECT nope FROM t;']);
  assert.is(bad.exitCode, 1);
  assert.match(bad.stderr, /no such column: nope/);
});

test('a WASM program and a JS program in one VM see the same files', async () => {
  const { vmId } = await client.createVm();
  await client.exec(vmId, 'node', ['-e', 'require("fs").mkdirSync("out"); require("fs").writeFileSync("in.txt", "abc")']);
  const r = await client.exec(vmId, 'files', ['/home/user/in.txt', '/home/user/out/rev.txt', '/home/user/out']);
  assert.equal([r.exitCode, r.stdout], [0, 'rev.txt\n']);
  const back = await client.exec(vmId, 'node', ['-p', 'require("fs").readFileSync("out/rev.txt", "utf8")']);
  assert.is(back.stdout, 'cba\n');
  assert.is((await client.readFile(vmId, '/home/user/out/rev.txt')).toString(), 'cba');
});

test('no path a WASM program names can leave its preopen: not .., not absolute, not a symlink', async () => {
  const { vmId } = await client.createVm({
    cwd: '/',
    files: [
      { path: '/secret.txt', data: 'host-side secret', encoding: 'utf8' },
      { path: '/sandbox/inside.txt', data: 'inside', encoding: 'utf8' },
    ],
  });
  // Symlinks made by the host (or guest JS) that point out of the sandbox directory.
  await client.exec(vmId, 'node', ['-e', 'const fs = require("fs"); fs.symlinkSync("/", "/sandbox/abs"); fs.symlinkSync("../secret.txt", "/sandbox/rel")']);
  const only = { preopens: [{ name: '/', path: '/sandbox' }] };
  assert.is((await client.exec(vmId, 'cat', ['/inside.txt'], only)).stdout, 'inside');
  for (const path of ['/../secret.txt', '/abs/secret.txt', '/rel', '../secret.txt']) {
    // Outside the preopen nothing exists: ENOENT, nothing read.
    const r = await client.exec(vmId, 'cat', [path], only);
    assert.equal([r.exitCode, r.stdout, r.stderr], [1, '', `cat: ${path}: No such file or directory\n`], path);
  }
  // The symlink resolves as if the sandbox were the root: /abs/inside.txt is the sandbox's own.
  assert.is((await client.exec(vmId, 'cat', ['/abs/inside.txt'], only)).stdout, 'inside');
  // A preopen outside the VM is refused, and the refused request holds no process slot.
  const { vmId: small } = await client.createVm({ limits: { maxProcesses: 1 } });
  for (let i = 0; i < 3; i++) {
    const bad = await rejection(() => client.exec(small, 'echo', [], { preopens: [{ name: '/', path: '/../..' }] }));
    assert.is(bad.code, 'ERR_AGENTOS_INVALID_PATH');
  }
  assert.is((await client.exec(small, 'echo', ['slot', 'free'])).stdout, 'slot free\n');
});

test('warmup compiles once; later runs, in any VM, never compile again', async () => {
  const { client: fresh } = await startSidecar();
  await register(fresh, 'echo');
  const progress: unknown[] = [];
  fresh.connection.onProgress(new (await import('vscode-jsonrpc/node')).ProgressType(), 'warm-1', (value) => {
    progress.push(value);
  });
  const warm = await fresh.request(P.WasmWarmup, { name: 'echo', workDoneToken: 'warm-1' });
  assert.is(warm.cached, false);
  await eventually(() => progress.length === 2);
  assert.equal(progress.map((v) => (v as { kind: string }).kind), ['begin', 'end']);
  assert.is((await fresh.request(P.WasmWarmup, { name: 'echo' })).cached, true);
  const a = (await fresh.createVm()).vmId;
  const b = (await fresh.createVm()).vmId;
  await Promise.all([fresh.exec(a, 'echo', ['1']), fresh.exec(b, 'echo', ['2']), fresh.exec(a, 'echo', ['3'])]);
  const stats = await fresh.request(P.SidecarStats, {});
  assert.is(stats.wasm.compiles, 1);
  assert.ok(stats.wasm.cacheHits >= 3);
  // Concurrent first runs of a new module share one compile too.
  await register(fresh, 'cat');
  await Promise.all([1, 2, 3, 4].map(() => fresh.exec(a, 'cat', [], { stdin: 'x' })));
  assert.is((await fresh.request(P.SidecarStats, {})).wasm.compiles, 2);
  await fresh.close();
});

test('linear memory is capped: growth fails as the guest expects, oversized modules are refused', async () => {
  const { vmId } = await client.createVm({ limits: { wasmMaxMemoryBytes: 32 * 1024 * 1024 } });
  const hog = await client.exec(vmId, 'hog');
  // hog grows 1 MiB at a time until memory.grow fails: with its first pages, 31 more fit under 32 MiB.
  assert.equal([hog.exitCode, hog.stdout, hog.stderr], [0, 'got 31 MiB (checksum 465)\n', '']);
  const big = await client.exec(vmId, 'bigmem');
  assert.is(big.error?.code, 'ERR_AGENTOS_WASM_MEMORY_LIMIT');
  assert.match(big.stderr, /4096 pages .* more than the cap of 512 pages/);
  const under = await client.exec((await client.createVm({ limits: { wasmMaxMemoryBytes: 512 * 1024 * 1024 } })).vmId, 'bigmem');
  assert.is(under.exitCode, 0);
});

test('CPU and wall budgets stop a spinning WASM program while another VM keeps working', async () => {
  const spinner = (await client.createVm({ limits: { cpuTimeLimitMs: 500 } })).vmId;
  const other = (await client.createVm()).vmId;
  const spinning = client.exec(spinner, 'spin');
  const waiting = client.exec(spinner, 'sleep', ['30'], { timeoutMs: 300 });
  assert.is((await client.exec(other, 'echo', ['still', 'here'])).stdout, 'still here\n');
  const spun = await spinning;
  assert.equal([spun.exitCode, spun.error?.code], [124, 'ERR_AGENTOS_CPU_TIME_LIMIT']);
  const waited = await waiting;
  assert.equal([waited.exitCode, waited.error?.code], [124, 'ERR_AGENTOS_TIMEOUT']);
});

test('fuel: a deterministic work budget ends a runaway loop with ERR_AGENTOS_WASM_FUEL, exit 124', async () => {
  const { vmId } = await client.createVm({ limits: { wasmMaxFuel: 200_000 } });
  const spun = await client.exec(vmId, 'spin');
  // observed is read from the module's fuel counter: every unit of the budget, plus the charge that trapped.
  assert.equal([spun.exitCode, spun.error?.code, spun.error?.capacity, spun.error?.observed], [124, 'ERR_AGENTOS_WASM_FUEL', 200_000, 200_001]);
  assert.match(spun.error!.message, /fuel ran out/);
  const line = await eventually(() => exhausted('wasm_max_fuel'));
  assert.equal([line.capacity, line.observed], [200_000, 200_001]);
  // Enough fuel for real work: the same commands run, metered.
  assert.is((await client.exec(vmId, 'echo', ['metered'])).stdout, 'metered\n');
  const seq = await client.exec(vmId, 'seq', ['1', '1000']);
  assert.equal([seq.exitCode, seq.stdout.split('\n').length], [0, 1001]);
  // Deterministic: the same budget stops the same program at the same point, part way
  // through its output (so the budget, not the end of the work, stopped it both times).
  const { vmId: tight } = await client.createVm({ limits: { wasmMaxFuel: 30_000 } });
  const a = await client.exec(tight, 'seq', ['1', '100000']);
  const b = await client.exec(tight, 'seq', ['1', '100000']);
  assert.equal([a.exitCode, a.error?.code, b.exitCode, b.error?.code], [124, 'ERR_AGENTOS_WASM_FUEL', 124, 'ERR_AGENTOS_WASM_FUEL']);
  assert.ok(a.stdout.length > 0 && a.stdout.length < seq1To100000Length, `stopped after ${a.stdout.length} bytes`);
  assert.is(b.stdout, a.stdout);
});

test('runaway recursion is a clear trap, not a crash', async () => {
  const { vmId } = await client.createVm();
  const r = await client.exec(vmId, 'recurse');
  assert.is(r.exitCode, 134);
  assert.is(r.error?.code, 'ERR_AGENTOS_WASM_TRAP');
  assert.match(r.stderr, /wasm trap: (RuntimeError|RangeError)/);
  assert.is((await client.exec(vmId, 'echo', ['ok'])).stdout, 'ok\n');
  // With a call-depth bound the same program stops at the bound, with its own code.
  const { vmId: bounded } = await client.createVm({ limits: { wasmMaxCallDepth: 500 } });
  const deep = await client.exec(bounded, 'recurse');
  assert.equal([deep.exitCode, deep.error?.code, deep.error?.capacity], [134, 'ERR_AGENTOS_WASM_STACK_LIMIT', 500]);
  assert.ok(await eventually(() => exhausted('wasm_max_call_depth')));
  const fine = await client.exec(bounded, 'seq', ['1', '3']);
  assert.equal([fine.exitCode, fine.stdout], [0, '1\n2\n3\n']);
  const cat = await client.exec(bounded, 'cat', [], { stdin: 'depth-bounded cat\n' });
  assert.is(cat.stdout, 'depth-bounded cat\n');
});

test('bad modules fail with ERR_AGENTOS_WASM_COMPILE and the engine\'s message', async () => {
  const { vmId } = await client.createVm();
  const notWasm = await rejection(() => client.request(P.WasmRegister, { name: 'junk', data: Buffer.from('#!/bin/sh\n').toString('base64') }));
  assert.is(notWasm.code, 'ERR_AGENTOS_WASM_COMPILE');
  const truncated = fixture('echo').subarray(0, 400);
  await client.request(P.WasmRegister, { vmId, name: 'broken', data: Buffer.from(truncated).toString('base64') });
  const r = await client.exec(vmId, 'broken');
  assert.is(r.error?.code, 'ERR_AGENTOS_WASM_COMPILE');
  assert.match(r.error!.message, /cannot load the module: /);
  const warm = await rejection(() => client.request(P.WasmWarmup, { vmId, name: 'broken' }));
  assert.is(warm.code, 'ERR_AGENTOS_WASM_COMPILE');
});

test('a spawned WASM command streams: stdin in, output out, exit event', async () => {
  const { vmId } = await client.createVm();
  const chunks: string[] = [];
  let pid = 0;
  const off = client.onOutput((e) => e.vmId === vmId && e.pid === pid && chunks.push(e.data));
  ({ pid } = await client.spawn(vmId, 'cat'));
  const exited = client.waitForExit(vmId, pid);
  await client.request(P.ProcessWrite, { vmId, pid, data: 'one\n' });
  await eventually(() => chunks.join('') === 'one\n');
  await client.request(P.ProcessWrite, { vmId, pid, data: 'two\n' });
  await client.request(P.ProcessCloseStdin, { vmId, pid });
  assert.is((await exited).exitCode, 0);
  assert.is(chunks.join(''), 'one\ntwo\n');
  off();
});

test('VM-scoped commands, paths to .wasm files, and a daemon-wide commands directory', async () => {
  const { vmId } = await client.createVm({ files: [{ path: '/opt/tools/greet.wasm', data: fixture('echo').toString('base64') }] });
  assert.is((await client.exec(vmId, '/opt/tools/greet.wasm', ['by', 'path'])).stdout, 'by path\n');
  await client.request(P.WasmRegister, { vmId, name: 'greet', path: '/opt/tools/greet.wasm' });
  assert.is((await client.exec(vmId, 'greet', ['registered'])).stdout, 'registered\n');
  const other = (await client.createVm()).vmId;
  assert.is((await rejection(() => client.exec(other, 'greet'))).code, 'ERR_AGENTOS_COMMAND_NOT_FOUND');

  const dir = mkdtempSync(join(tmpdir(), 'agentos-commands-'));
  copyFileSync(new URL('echo.wasm', FIXTURES), join(dir, 'say'));
  // The first directory that holds a name wins over the agentOS set's binary of that name.
  copyFileSync(new URL('wc.wasm', FIXTURES), join(dir, 'tac'));
  writeFileSync(join(dir, 'README'), 'not a module');
  const { client: withDir } = await startSidecar({ env: { AGENTOS_COMMANDS_DIR: dir } });
  const commands = withDir.initializeResult!.capabilities.commands;
  assert.ok(commands.includes('say') && !commands.includes('README'), commands.join(' '));
  const vm = (await withDir.createVm()).vmId;
  assert.is((await withDir.exec(vm, 'say', ['from', 'dir'])).stdout, 'from dir\n');
  assert.match((await withDir.exec(vm, 'tac', [], { stdin: 'a\nb\n' })).stdout, /^\s*2\b/);
  await withDir.close();
  // Set but empty: no directory at all, not even the agentOS set.
  const { client: bare } = await startSidecar({ env: { AGENTOS_COMMANDS_DIR: '' } });
  assert.equal(bare.initializeResult!.capabilities.commands, ['node']);
  await bare.close();
});

test('the runner heap ceiling: a small one fails with ERR_AGENTOS_WASM_RUNNER_HEAP_LIMIT and the warning; the default runs', async () => {
  const bigFile = Buffer.alloc(40 * 1024 * 1024, 7).toString('base64');
  // One read of the whole file: the per-call bound is raised so the 40 MiB cross in one call.
  const { client: small, logs: smallLogs } = await startSidecar({ env: { AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB: '8', AGENTOS_WASM_CALL_MAX_BYTES: String(64 * 1024 * 1024) } });
  await register(small, 'slurp');
  await register(small, 'echo');
  const vm = (await small.createVm()).vmId;
  await small.request(P.FsWriteFile, { vmId: vm, path: '/big.bin', data: bigFile });
  const r = await small.exec(vm, 'slurp', ['/big.bin']);
  assert.is(r.error?.code, 'ERR_AGENTOS_WASM_RUNNER_HEAP_LIMIT');
  assert.match(r.error!.message, /8 MiB .*AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB/);
  const line = await eventually(() => smallLogs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'v8_heap_bytes'));
  assert.equal([line.capacity, line.env], [8 * 1024 * 1024, 'AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB']);
  // The runner's heap as read when the allocation failed: below the ceiling it could not pass.
  assert.ok(typeof line.observed === 'number' && line.observed > 0 && line.observed < 8 * 1024 * 1024, `observed ${line.observed}`);
  assert.is(r.error?.observed, line.observed);
  assert.is(line.fill_percent, Math.round(((line.observed as number) / (8 * 1024 * 1024)) * 1000) / 10);
  assert.is((await small.exec(vm, 'echo', ['daemon', 'fine'])).stdout, 'daemon fine\n');
  // A VM may raise its own ceiling above the sidecar's.
  const roomy = (await small.createVm({ limits: { wasmRunnerHeapLimitMb: 256 } })).vmId;
  await small.request(P.FsWriteFile, { vmId: roomy, path: '/big.bin', data: bigFile });
  assert.is((await small.exec(roomy, 'slurp', ['/big.bin'])).exitCode, 0);
  await small.close();

  // Under the default ceiling the same run succeeds, while a guest JS isolate doing the
  // same work still meets its own 128 MiB budget: the two budgets are separate.
  const vmId = (await client.createVm()).vmId;
  await client.request(P.FsWriteFile, { vmId, path: '/big.bin', data: bigFile });
  // Under the default per-call bound (AGENTOS_WASM_CALL_MAX_BYTES, 1 MiB) the one read is
  // short, as POSIX allows: slurp, which reads once, reports it and exits 1.
  const ok = await client.exec(vmId, 'slurp', ['/big.bin']);
  assert.equal([ok.exitCode, ok.error, ok.stdout], [1, undefined, `read ${1024 * 1024} of ${40 * 1024 * 1024} bytes\n`]);
  const js = await client.exec(vmId, 'node', ['-e', 'const keep = []; for (let i = 0; i < 6; i++) keep.push(require("fs").readFileSync("/big.bin")); console.log(keep.length)']);
  assert.equal([js.exitCode, js.stdout, js.error], [1, '', undefined]);
  assert.match(js.stderr, /^RangeError: Array buffer allocation failed\n/);
});

test('AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB: 0, negative and junk fall back to 2048 with a warning', async () => {
  for (const value of ['0', '-5', 'lots']) {
    const { client: c, logs: l } = await startSidecar({ env: { AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB: value } });
    const row = c.initializeResult!.limits.find((x) => x.name === 'WASM_RUNNER_HEAP_LIMIT_MB')!;
    assert.is(row.value, 2048, value);
    const warn = await eventually(() => l.find((x) => x.msg === 'ignored an invalid limit value; using the default' && x.limit === 'WASM_RUNNER_HEAP_LIMIT_MB'));
    assert.equal([warn.level, warn.rejected, warn.using], ['warn', value, 2048]);
    await c.close();
  }
});

/** Spawns `count` growspin processes in each VM; resolves their exit events as they come. */
async function spawnGrowspins(c: SidecarClient, vms: string[], count: number) {
  const procs: Array<{ vmId: string; pid: number; exit: Promise<import('../src/client/client.js').ExitEvent> }> = [];
  for (const vmId of vms) {
    for (let i = 0; i < count; i++) {
      const { pid } = await c.spawn(vmId, 'growspin');
      procs.push({ vmId, pid, exit: c.waitForExit(vmId, pid) });
    }
  }
  const exited = new Set<number>();
  procs.forEach((p, i) => void p.exit.then(() => exited.add(i)));
  return { procs, exited };
}

test('linear memory across processes: past the VM budget the largest is stopped, even one that never calls the host', async () => {
  const MiB = 1024 * 1024;
  // Run slots enough for every growspin of a VM at once (with one, the others wait parked, never growing).
  const { client, logs } = await startSidecar({ env: { AGENTOS_CPU_SLOTS_PER_VM: '4' } });
  const exhausted = (limit: string) => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit);
  await register(client, 'growspin');
  // growspin grows to 64 MiB and spins without a host call: silent, so it counts at its
  // 128 MiB cap. Three in a 256 MiB VM are one too many, whenever the meter sees them.
  const tight = (await client.createVm({ limits: { vmWasmMemoryBytes: 256 * MiB } })).vmId;
  const roomy = (await client.createVm()).vmId;
  const { procs, exited } = await spawnGrowspins(client, [tight], 3);
  const neighbour = await spawnGrowspins(client, [roomy], 1);
  const stopped = await Promise.race(procs.map((p) => p.exit));
  assert.equal([stopped.exitCode, stopped.error?.code], [137, 'ERR_AGENTOS_WASM_MEMORY_LIMIT']);
  assert.match(stopped.error!.message, /this VM's WASM processes.*256 MiB.*limits\.vmWasmMemoryBytes or AGENTOS_VM_WASM_MEMORY_BYTES/);
  const line = await eventually(() => exhausted('vm_wasm_memory_bytes'));
  assert.equal([line.capacity, line.env], [256 * MiB, 'AGENTOS_VM_WASM_MEMORY_BYTES']);
  // One stopped, the two left fit: they run on, and so does the VM within its own budget.
  assert.is(exited.size, 1, 'only the largest is stopped');
  assert.is((await client.request(P.VmStats, { vmId: tight })).processes.running, 2);
  assert.is(neighbour.exited.size, 0, 'a VM within its own budget is left alone');
  for (const p of [...procs, ...neighbour.procs]) await client.request(P.ProcessKill, { vmId: p.vmId, pid: p.pid, signal: 'SIGKILL' }).catch(() => undefined);
  const rest = await Promise.all([...procs, ...neighbour.procs].map((p) => p.exit));
  assert.equal(rest.filter((e) => e.error?.code === 'ERR_AGENTOS_WASM_MEMORY_LIMIT').length, 1);
  assert.equal(rest.filter((e) => e.signal === 'SIGKILL' && !e.error).length, 3);
  assert.is((await client.exec(tight, 'echo', ['fine'])).stdout, 'fine\n');
  await client.close();
});

test('linear memory of the whole sidecar is bounded across VMs too', async () => {
  const MiB = 1024 * 1024;
  const { client: c, logs: l } = await startSidecar({ env: { AGENTOS_SIDECAR_WASM_MEMORY_BYTES: String(256 * MiB), AGENTOS_CPU_SLOTS_PER_VM: '4' } });
  await register(c, 'growspin');
  const vms = await Promise.all([c.createVm(), c.createVm()]);
  // Four at 128 MiB each against 256 MiB: two must go, from either VM.
  const { procs, exited } = await spawnGrowspins(c, vms.map((v) => v.vmId), 2);
  await eventually(() => exited.size >= 2);
  const gone = await Promise.all(procs.filter((_, i) => exited.has(i)).map((p) => p.exit));
  assert.equal(gone.map((e) => e.error?.code), ['ERR_AGENTOS_WASM_MEMORY_LIMIT', 'ERR_AGENTOS_WASM_MEMORY_LIMIT']);
  assert.match(gone[0]!.error!.message, /the sidecar's WASM processes.*AGENTOS_SIDECAR_WASM_MEMORY_BYTES/);
  await eventually(() => l.find((x) => x.msg === 'bounded limit exhausted' && x.limit === 'sidecar_wasm_memory_bytes'));
  assert.is(exited.size, 2, 'the two left fit the budget and run on');
  await c.close();
});

test.after(async () => {
  await client.close();
});

test.run();
