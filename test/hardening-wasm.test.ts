// What a hostile WASM module can do to the daemon: each attack runs through the real
// daemon, with a bystander that must still answer. The modules are assembled byte by byte
// here (no wat toolchain needed).
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, startSidecar } from './helpers/sidecar.js';
import { section, sleb, str, uleb, vec } from './helpers/wasm-bytes.js';

const MiB = 1024 * 1024;
const I32 = 0x7f;
const I64 = 0x7e;

const i32 = (n: number) => [0x41, ...sleb(n | 0)];
const i64 = (n: number | bigint) => [0x42, ...sleb(n)];
const call = (f: number) => [0x10, ...uleb(f)];
const load = (addr: number) => [...i32(addr), 0x28, 2, 0];

interface Import { module: string; name: string; params: number[]; results: number[] }

/** A WASI command: the imports (functions), a memory, optional tables and data, and `_start`. */
function command(o: { imports: Import[]; memoryPages: number; tables?: Array<{ min: number; max?: number }>; data?: Array<{ at: number; bytes: number[] | Uint8Array }>; start: number[] }): Uint8Array {
  const types = [...o.imports.map((i) => [0x60, ...vec(i.params.map((t) => [t])), ...vec(i.results.map((t) => [t]))]), [0x60, 0, 0]];
  const startType = types.length - 1;
  const body = [1, 1, I32, ...o.start, 0x0b]; // one i32 local
  return Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types)),
    ...section(2, vec(o.imports.map((imp, i) => [...str(imp.module), ...str(imp.name), 0, ...uleb(i)]))),
    ...section(3, vec([uleb(startType)])),
    ...(o.tables ? section(4, vec(o.tables.map((t) => [0x70, t.max === undefined ? 0 : 1, ...uleb(t.min), ...(t.max === undefined ? [] : uleb(t.max))]))) : []),
    ...section(5, vec([[0, ...uleb(o.memoryPages)]])),
    ...section(7, vec([[...str('memory'), 2, 0], [...str('_start'), 0, ...uleb(o.imports.length)]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...(o.data ? section(11, vec(o.data.map((d) => [0, ...i32(d.at), 0x0b, ...uleb(d.bytes.length), ...d.bytes]))) : []),
  ]);
}

const wasi = (name: string, params: number[], results = [I32]): Import => ({ module: 'wasi_snapshot_preview1', name, params, results });
const PROC_EXIT = wasi('proc_exit', [I32], []);
const FD_WRITE = wasi('fd_write', [I32, I32, I32, I32]);
const PATH_OPEN = wasi('path_open', [I32, I32, I32, I32, I32, I64, I64, I32, I32]);
const u32s = (...values: number[]) => [...Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; }))];
const bytesOf = (s: string) => [...Buffer.from(s)];

/** The daemon's peak resident set (VmHWM), in bytes. */
function peakRss(client: SidecarClient): number {
  const pid = (client as unknown as { child: ChildProcess }).child.pid!;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const register = (client: SidecarClient, name: string, bytes: Uint8Array, vmId?: string) =>
  client.request(P.WasmRegister, { name, data: Buffer.from(bytes).toString('base64'), ...(vmId ? { vmId } : {}) });
const ping = (client: SidecarClient) => client.request(P.SidecarPing, {});

test('fd_write of 28 iovecs × 64 MiB aliasing one buffer: a short write of one call\'s worth, the daemon stays small', async () => {
  const { client } = await startSidecar();
  // Memory: 64 MiB of zeros at 0, then at 64 MiB the iovecs, the path and the results.
  const base = 64 * MiB;
  const IOVS = base, PATH = base + 28 * 8, FD = base + 512, N = base + 516, OUT_IOV = base + 520, SCRATCH = base + 528;
  const flood = command({
    imports: [PROC_EXIT, FD_WRITE, PATH_OPEN],
    memoryPages: 1025,
    data: [{ at: IOVS, bytes: Array.from({ length: 28 }, () => u32s(0, 64 * MiB)).flat() }, { at: PATH, bytes: bytesOf('out.bin') }, { at: OUT_IOV, bytes: u32s(N, 4) }],
    start: [
      // path_open(3, 0, "out.bin", O_CREAT, FD_WRITE, 0, 0, &fd); exit with its errno if any
      ...i32(3), ...i32(0), ...i32(PATH), ...i32(7), ...i32(1), ...i64(64), ...i64(0), ...i32(0), ...i32(FD), ...call(2),
      0x22, 0, 0x04, 0x40, 0x20, 0, ...call(0), 0x0b,
      // fd_write(fd, iovs, 28, &n); then the 4 bytes of n to stdout; exit with the errno
      ...load(FD), ...i32(IOVS), ...i32(28), ...i32(N), ...call(1),
      ...i32(1), ...i32(OUT_IOV), ...i32(1), ...i32(SCRATCH), ...call(1), 0x1a,
      ...call(0),
    ],
  });
  await register(client, 'flood', flood);
  const runs = [0, 1, 2].map(async () => {
    const { vmId } = await client.createVm({ cwd: '/' });
    const r = await client.exec(vmId, 'flood', [], { outputEncoding: 'base64' });
    return { r, size: (await client.request(P.FsStat, { vmId, path: '/out.bin' })).size };
  });
  const pongs = await Promise.all([0, 1, 2, 3].map(() => ping(client)));
  assert.is(pongs.length, 4);
  for (const { r, size } of await Promise.all(runs)) {
    assert.is(r.exitCode, 0, r.stderr);
    // One call carries at most AGENTOS_WASM_CALL_MAX_BYTES (1 MiB): a short write, as POSIX allows.
    assert.is(Buffer.from(r.stdout, 'base64').readUInt32LE(0), MiB);
    assert.is(size, MiB);
  }
  // Before the bound it peaked at 5.5 GB; now three 64 MiB modules and their runners.
  const peak = peakRss(client);
  assert.ok(peak < 1024 * MiB, `daemon peak RSS ${Math.round(peak / MiB)} MiB`);
  await client.close();
});

test('iovec counts past IOV_MAX, paths past PATH_MAX: EINVAL and ENAMETOOLONG before anything is copied', async () => {
  const { client } = await startSidecar();
  const openLong = command({
    imports: [PROC_EXIT, FD_WRITE, PATH_OPEN],
    memoryPages: 512,
    start: [
      ...i32(3), ...i32(0), ...i32(0), ...i32(32 * MiB), ...i32(1), ...i64(64), ...i64(0), ...i32(0), ...i32(0), ...call(2), ...call(0),
    ],
  });
  const manyIovs = command({ imports: [PROC_EXIT, FD_WRITE], memoryPages: 1, start: [...i32(1), ...i32(0), ...i32(1025), ...i32(16), ...call(1), ...call(0)] });
  await register(client, 'openlong', openLong);
  await register(client, 'manyiovs', manyIovs);
  const { vmId } = await client.createVm({ cwd: '/' });
  assert.is((await client.exec(vmId, 'openlong')).exitCode, 37); // ENAMETOOLONG
  assert.is((await client.exec(vmId, 'manyiovs')).exitCode, 28); // EINVAL
  await ping(client);
  await client.close();
});

test('tables: 20 × 10M entries is refused with ERR_AGENTOS_WASM_MEMORY_LIMIT; table.grow past the cap fails as the program expects', async () => {
  const { client, logs } = await startSidecar();
  const tables = command({ imports: [PROC_EXIT], memoryPages: 1, tables: Array.from({ length: 20 }, () => ({ min: 10_000_000, max: 10_000_000 })), start: [] });
  await register(client, 'tables', tables);
  const { vmId } = await client.createVm();
  const runs = await Promise.all([0, 1, 2].map(() => client.exec(vmId, 'tables')));
  for (const r of runs) {
    assert.equal([r.exitCode, r.error?.code], [126, 'ERR_AGENTOS_WASM_MEMORY_LIMIT']);
    assert.match(r.stderr, /its tables start at 200000000 entries together, more than the cap of 1048576 \(AGENTOS_WASM_MAX_TABLE_ENTRIES\)/);
  }
  const line = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'wasm_max_table_entries'));
  assert.equal([line.capacity, line.observed, line.env], [1_048_576, 200_000_000, 'AGENTOS_WASM_MAX_TABLE_ENTRIES']);
  // table.grow(ref.null, 10M) on a table with no maximum: -1, as when the engine refuses.
  const grow = command({
    imports: [PROC_EXIT], memoryPages: 1, tables: [{ min: 1 }],
    start: [0xd0, 0x70, ...i32(10_000_000), 0xfc, 15, 0, ...i32(-1), 0x46, 0x04, 0x40, ...i32(0), ...call(0), 0x0b, ...i32(1), ...call(0)],
  });
  await register(client, 'grow', grow);
  assert.is((await client.exec(vmId, 'grow')).exitCode, 0);
  const peak = peakRss(client);
  assert.ok(peak < 1024 * MiB, `daemon peak RSS ${Math.round(peak / MiB)} MiB`);
  await client.close();
});

test('table bytes count with linear memory in the VM budget', async () => {
  const { client } = await startSidecar();
  // 1M entries (8 MiB counted) and one page; it sleeps in poll_oneoff (a host call), so it counts what it holds.
  const SUB = 0;
  const sleeper = command({
    imports: [PROC_EXIT, wasi('poll_oneoff', [I32, I32, I32, I32])],
    memoryPages: 1,
    tables: [{ min: 1_048_576, max: 1_048_576 }],
    data: [{ at: SUB, bytes: [...Array(8).fill(0), 0, ...Array(7).fill(0), ...u32s(1, 0), ...u32s(0x3b9aca00 * 0 + 0x77359400, 0), ...Array(16).fill(0)] }],
    start: [...i32(SUB), ...i32(64), ...i32(1), ...i32(128), ...call(1), ...call(0)],
  });
  await register(client, 'sleeper', sleeper);
  const tight = (await client.createVm({ limits: { wasmMaxMemoryBytes: 64 * 1024, vmWasmMemoryBytes: 12 * MiB } })).vmId;
  const runs = [0, 1].map(() => client.exec(tight, 'sleeper', [], { timeoutMs: 4000 }));
  const results = await Promise.all(runs);
  const stopped = results.filter((r) => r.error?.code === 'ERR_AGENTOS_WASM_MEMORY_LIMIT');
  assert.is(stopped.length, 1, JSON.stringify(results.map((r) => r.error)));
  // Linear memory alone is at most 2 × 64 KiB: what passed the budget is the two tables' 2 × 8 MiB.
  const error = stopped[0]!.error!;
  assert.equal([error.limit, error.capacity], ['vm_wasm_memory_bytes', 12 * MiB]);
  assert.ok(error.observed! >= 16 * MiB && error.observed! <= 16 * MiB + 128 * 1024, String(error.observed));
  assert.match(error.message, /linear memory and tables came to 1[67] MiB together, past the budget of 12 MiB/);
  await client.close();
});

test('a module with a 60 MB import section is checked off the daemon thread and refused by count; a bystander answers', async () => {
  const { client, logs } = await startSidecar();
  const bystander = (await client.createVm()).vmId;
  // 200,000 imports of one function type: past AGENTOS_WASM_MAX_SECTION_ENTRIES (100,000).
  const many = 200_000;
  const entry = [...str('m'), ...str('f'), 0, 0];
  const imports = new Uint8Array(uleb(many).length + many * entry.length);
  imports.set(uleb(many));
  for (let i = 0; i < many; i++) imports.set(entry, uleb(many).length + i * entry.length);
  const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec([[0x60, 0, 0]]))]), Buffer.from([2, ...uleb(imports.length)]), imports]);
  // And one of a few imports whose names fill 60 MB: within every count, walked in one pass.
  const big = 'x'.repeat(15 * MiB);
  const names = [0, 1, 2, 3].map(() => [...str('m'), ...uleb(big.length)]);
  const wide = Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec([[0x60, 0, 0]]))]),
    Buffer.from([2, ...uleb(1 + names.reduce((n, h) => n + h.length + big.length + 2, 0)), 4]),
    ...names.map((h) => Buffer.concat([Buffer.from(h), Buffer.from(big), Buffer.from([0, 0])])),
  ]);
  const vm = (await client.createVm({ limits: { fsQuotaBytes: 256 * MiB } })).vmId;
  await client.request(P.FsWriteFile, { vmId: vm, path: '/tmp/imp.wasm', data: module.toString('base64'), mode: 0o755 });
  await client.request(P.FsWriteFile, { vmId: vm, path: '/tmp/wide.wasm', data: wide.toString('base64'), mode: 0o755 });
  const hostile = client.exec(vm, '/tmp/imp.wasm');
  const wideRun = client.exec(vm, '/tmp/wide.wasm');
  assert.is((await client.exec(bystander, 'node', ['-e', 'console.log("hi")'])).stdout, 'hi\n');
  await ping(client);
  const r = await hostile;
  assert.equal([r.exitCode, r.error?.code], [126, 'ERR_AGENTOS_WASM_MODULE_LIMIT']);
  assert.match(r.stderr, /section 2 declares 200000 entries, more than 100000 \(AGENTOS_WASM_MAX_SECTION_ENTRIES\)/);
  const line = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'wasm_max_section_entries'));
  assert.equal([line.capacity, line.observed], [100_000, 200_000]);
  // The wide one passes the checks; the engine finds nothing to run it with (it imports m.xxx…).
  const w = await wideRun;
  assert.is(w.exitCode, 127, w.stderr.slice(0, 200));
  const peak = peakRss(client);
  assert.ok(peak < 1536 * MiB, `daemon peak RSS ${Math.round(peak / MiB)} MiB`);
  await client.close();
});

const HOST_PROCESS = (name: string, arity: number): Import => ({ module: 'host_process', name, params: Array(arity).fill(I32), results: [I32] });
const SPAWN_V3 = HOST_PROCESS('proc_spawn_v3', 17);
const WAITPID = HOST_PROCESS('proc_waitpid_v3', 4);

/** One packed posix_spawn OPEN action (command ABI §3.2): fd ← path, read-only. */
function openAction(fd: number, path: string): number[] {
  return [...u32s(3, fd, 0, 0, 0, Buffer.byteLength(path)), ...bytesOf(path)];
}

/** A module that spawns `program` with `actions` `times` times, then exits with the last errno (0: it waited for the child). */
function spawner(program: string, actions: number[], times = 1, extraStart: number[] = []): Uint8Array {
  const PATH = 0, ACT = 256, PID = 1024, STATUS = 1028, ERR = 1032;
  const spawn = [
    ...i32(PATH), ...i32(Buffer.byteLength(program)), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(ACT), ...i32(actions.length),
    ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(PID), ...call(1),
  ];
  const loop = Array.from({ length: times }, () => [...i32(ERR), ...spawn, 0x36, 2, 0]).flat();
  return command({
    imports: [PROC_EXIT, SPAWN_V3, WAITPID, PATH_OPEN],
    memoryPages: 1,
    data: [{ at: PATH, bytes: bytesOf(program) }, { at: ACT, bytes: actions }, { at: 2048, bytes: bytesOf('f') }],
    start: [
      ...extraStart, ...loop,
      ...load(ERR), 0x04, 0x40, ...load(ERR), ...call(0), 0x0b,
      ...load(PID), ...i32(0), ...i32(STATUS), ...i32(PID + 16), ...call(2), 0x1a,
      ...i32(0), ...call(0),
    ],
  });
}

test('the jail holds for a child\'s file actions and host_fs absolute paths; the secret is untouched', async () => {
  const { client, logs } = await startSidecar();
  await register(client, 'cat', readFileSync(new URL('./fixtures/wasm/cat.wasm', import.meta.url)));
  const { vmId } = await client.createVm({
    cwd: '/',
    files: [{ path: '/secret/key.txt', data: 'TOP-SECRET', encoding: 'utf8', mode: 0o600 }, { path: '/jail/ok.txt', data: 'inside', encoding: 'utf8' }],
  });
  const jail = { preopens: [{ name: '/', path: '/jail' }] };
  const narrow = { preopens: [{ name: '/sandbox', path: '/jail' }] };
  // A child that reads its stdin, opened by a file action on the secret.
  await register(client, 'leak', spawner('/usr/bin/cat', openAction(0, '/secret/key.txt')), vmId);
  await register(client, 'inside', spawner('/usr/bin/cat', openAction(0, '/ok.txt')), vmId);
  await register(client, 'climb', spawner('/usr/bin/cat', openAction(0, '/../secret/key.txt')), vmId);
  await register(client, 'narrow', spawner('/usr/bin/cat', openAction(0, '/secret/key.txt')), vmId);
  const leak = await client.exec(vmId, 'leak', [], jail);
  // "/" is the jail: /secret/key.txt is /jail/secret/key.txt, which does not exist.
  assert.equal([leak.exitCode, leak.stdout], [44, '']);
  assert.equal([(await client.exec(vmId, 'climb', [], jail)).exitCode], [44]);
  const inside = await client.exec(vmId, 'inside', [], jail);
  assert.equal([inside.exitCode, inside.stdout], [0, 'inside']);
  // A path no preopen covers: ENOTCAPABLE.
  assert.equal((await client.exec(vmId, 'narrow', [], narrow)).exitCode, 76);
  // host_fs chmod and setxattr with absolute paths.
  const CHMOD: Import = { module: 'host_fs', name: 'chmod', params: [I32, I32, I32, I32], results: [I32] };
  const SETXATTR: Import = { module: 'host_fs', name: 'path_setxattr', params: Array(9).fill(I32), results: [I32] };
  const path = '/secret/key.txt';
  const fsAttack = (op: 'chmod' | 'xattr') => command({
    imports: [PROC_EXIT, op === 'chmod' ? CHMOD : SETXATTR],
    memoryPages: 1,
    data: [{ at: 0, bytes: bytesOf(path) }, { at: 64, bytes: bytesOf('user.pwned') }, { at: 128, bytes: bytesOf('yes') }],
    start: op === 'chmod'
      ? [...i32(-1), ...i32(0), ...i32(path.length), ...i32(0o777), ...call(1), ...call(0)]
      : [...i32(-1), ...i32(0), ...i32(path.length), ...i32(64), ...i32(10), ...i32(128), ...i32(3), ...i32(0), ...i32(1), ...call(1), ...call(0)],
  });
  await register(client, 'chmodder', fsAttack('chmod'), vmId);
  await register(client, 'xattrer', fsAttack('xattr'), vmId);
  for (const name of ['chmodder', 'xattrer']) {
    assert.is((await client.exec(vmId, name, [], jail)).exitCode, 44, name);
    assert.is((await client.exec(vmId, name, [], narrow)).exitCode, 76, name);
  }
  const check = await client.exec(vmId, 'node', ['-e', `const fs = require("fs"); console.log(fs.readFileSync("/secret/key.txt", "utf8"), (fs.statSync("/secret/key.txt").mode & 0o777).toString(8))`]);
  assert.is(check.stdout, 'TOP-SECRET 600\n');
  // Without a jail, the same child reads what its parent names (the ABI at work).
  const free = await client.exec(vmId, 'leak');
  assert.equal([free.exitCode, free.stdout], [0, 'TOP-SECRET']);
  assert.not.ok(logs.some((l) => l.level === 'error'));
  await client.close();
});

test('a spawn refused for overflowing the open-files limit gives back its pid: no phantom processes', async () => {
  const { client } = await startSidecar();
  await register(client, 'cat', readFileSync(new URL('./fixtures/wasm/cat.wasm', import.meta.url)));
  const { vmId } = await client.createVm({ cwd: '/', limits: { maxOpenFiles: 8, maxProcesses: 4 }, files: [{ path: '/f', data: 'x', encoding: 'utf8' }] });
  // Opens /f four times (the parent's limit), then spawns 10 times with one more OPEN action each.
  const PREOPEN = 0x40000003; // the agentOS ABI's hidden preopen range (the module imports host_process)
  const openF = Array.from({ length: 4 }, () => [...i32(PREOPEN), ...i32(0), ...i32(2048), ...i32(1), ...i32(0), ...i64(2), ...i64(0), ...i32(0), ...i32(1040), ...call(3), 0x1a]).flat();
  // The child drops stdio and opens two more: within the fd count, past the open-files limit.
  const close = (fd: number) => u32s(1, fd, 0, 0, 0, 0);
  const actions = [...close(0), ...close(1), ...close(2), ...openAction(9, '/f'), ...openAction(10, '/f')];
  await register(client, 'overflow', spawner('/usr/bin/cat', actions, 10, openF), vmId);
  const r = await client.exec(vmId, 'overflow');
  // EMFILE every time; had a pid leaked, the fourth would have been EAGAIN (the VM holds 4).
  assert.is(r.exitCode, 33, r.stderr);
  const after = await Promise.all([0, 1, 2].map(() => client.exec(vmId, 'cat', [], { stdin: 'a' })));
  assert.equal(after.map((x) => x.stdout), ['a', 'a', 'a']);
  await client.close();
});

test('a spawned child\'s argv is bounded as exec\'s is: E2BIG', async () => {
  const { client } = await startSidecar({ env: { AGENTOS_ARGV_LIMIT_BYTES: '4096' } });
  await register(client, 'cat', readFileSync(new URL('./fixtures/wasm/cat.wasm', import.meta.url)));
  const { vmId } = await client.createVm({ cwd: '/' });
  const ARGV = 4096;
  const big = command({
    imports: [PROC_EXIT, SPAWN_V3],
    memoryPages: 1,
    data: [{ at: 0, bytes: bytesOf('/usr/bin/cat') }, { at: ARGV, bytes: Array(8192).fill(0x61) }],
    start: [
      ...i32(0), ...i32(12), ...i32(ARGV), ...i32(8192), ...i32(0), ...i32(0), ...i32(0), ...i32(0),
      ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(0), ...i32(60000), ...call(1), ...call(0),
    ],
  });
  await register(client, 'bigargv', big, vmId);
  assert.is((await client.exec(vmId, 'bigargv')).exitCode, 1); // E2BIG
  await ping(client);
  await client.close();
});

test('spawn requests are checked field by field: types, sizes, fds, pipes and the jail', async () => {
  const { checkSpawnRequest } = await import('../src/wasm/spawn-request.js');
  const { PipeTable } = await import('../src/process/pipes.js');
  const pipes = new PipeTable(4096, 4);
  const live = pipes.create();
  const { CommandSockets } = await import('../src/net/command-sockets.js');
  const sockets = new CommandSockets(() => { throw new Error('no network in this test'); }, 4096, 4);
  const liveSocket = sockets.create(4);
  const hits: string[] = [];
  const bounds = { pathMax: 4096, argvMaxBytes: 64, envMaxBytes: 64, actionsMaxBytes: 1024, maxOpenFiles: 8, pipes, sockets, preopens: [{ name: '/', vmPath: '/jail' }], onLimit: (limit: string) => hits.push(limit) };
  const good = {
    path: '/usr/bin/cat', searchPath: null, argv: ['cat'], env: ['A=b'], cwd: '/', actions: new Uint8Array(0),
    fds: [{ fd: 0, kind: 'pipe', vmPath: '', root: '', rights: '1', inheriting: '0', fdflags: 0, pipe: { id: live.id, end: 'r', buffer: new SharedArrayBuffer(8) } }],
    flags: 0, sigdef: [0, 0], sigmask: [0, 0], ignored: [0, 0], pgroup: 0, umask: 0o22,
  };
  const checked = checkSpawnRequest(good, bounds);
  // The pipe's ring is the VM's own, never the buffer the request named.
  assert.is(checked.fds[0]!.pipe!.buffer, live.buffer);
  const errno = (change: Record<string, unknown>) => {
    try {
      checkSpawnRequest({ ...good, ...change }, bounds);
      return 'accepted';
    } catch (err) {
      return (err as { errno: string }).errno;
    }
  };
  assert.is(errno({ argv: 'cat' }), 'EINVAL');
  assert.is(errno({ argv: [1] }), 'EINVAL');
  assert.is(errno({ argv: ['x'.repeat(64)] }), 'E2BIG');
  assert.is(errno({ env: ['A='.padEnd(80, 'b')] }), 'E2BIG');
  assert.equal(hits, ['argv_limit_bytes', 'env_limit_bytes']);
  assert.is(errno({ path: 'x'.repeat(5000) }), 'ENAMETOOLONG');
  assert.is(errno({ cwd: '/a\0b' }), 'EINVAL');
  assert.is(errno({ flags: 0x100 }), 'EINVAL');
  assert.is(errno({ umask: -1 }), 'EINVAL');
  assert.is(errno({ sigmask: [0, 2 ** 33] }), 'EINVAL');
  assert.is(errno({ actions: new Uint8Array(2048) }), 'E2BIG');
  assert.is(errno({ fds: Array.from({ length: 20 }, (_, fd) => ({ ...good.fds[0], fd })) }), 'EINVAL');
  assert.is(errno({ fds: [{ ...good.fds[0], fd: -1 }] }), 'EINVAL');
  assert.is(errno({ fds: [{ ...good.fds[0], kind: 'socket' }] }), 'EINVAL');
  assert.is(errno({ fds: [{ ...good.fds[0], kind: 'socket', socket: { id: 999 } }] }), 'EBADF');
  // A socket's shared memory, like a pipe's ring, is the VM's own, never what the request named.
  const withSocket = checkSpawnRequest({ ...good, fds: [{ ...good.fds[0], kind: 'socket', socket: { id: liveSocket.id, buffers: { control: new SharedArrayBuffer(16) } } }] }, bounds);
  assert.is(withSocket.fds[0]!.socket!.buffers.control, liveSocket.buffers.control);
  assert.is(errno({ fds: [{ ...good.fds[0], pipe: { id: 999, end: 'r' } }] }), 'EBADF');
  assert.is(errno({ fds: [{ fd: 3, kind: 'dir', vmPath: '/secret', root: '/', rights: '1', inheriting: '0', fdflags: 0 }] }), 'ENOTCAPABLE');
  assert.is(errno({ fds: [{ fd: 3, kind: 'dir', vmPath: '/jail/sub', root: '/jail', rights: '1', inheriting: '0', fdflags: 0 }] }), 'accepted');
});

test.run();
