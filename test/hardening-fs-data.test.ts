import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { section, sleb, str, uleb, vec } from './helpers/wasm-bytes.js';
import { eventually, startSidecar } from './helpers/sidecar.js';

/**
 * The VM filesystem's accounting, data semantics, permission check and devices, attacked
 * from guest JS, from WASM (the shell and coreutils, and raw WASI calls) and over the
 * protocol, through the real daemon. Quota figures are vm/stats' exact numbers.
 */
const MiB = 1024 * 1024;
let sidecar: SidecarClient;
const { client, logs } = await startSidecar({
  bindings: {
    // The caller's VM usage while it runs (fds still open), for the guest to print.
    usage: async (_args, { vmId }) => (await sidecar.request(P.VmStats, { vmId })).fs,
  },
});
sidecar = client;

type Usage = { bytes: number; inodes: number };
const usage = async (vmId: string): Promise<Usage> => {
  const { fs } = await client.request(P.VmStats, { vmId });
  return { bytes: fs.bytes, inodes: fs.inodes };
};
/**
 * A VM whose lazily made entries (the /usr/bin command stubs, the /dev nodes) are all made
 * already, so the usage figures below move only with what a test does.
 */
const vm = async (params: Parameters<SidecarClient['createVm']>[0] = {}) => {
  const { vmId } = await client.createVm({ bindings: ['usage'], ...params });
  await client.exec(vmId, 'sh', ['-c', 'ls /usr/bin /dev > /dev/null'], { timeoutMs: 60_000 });
  return vmId;
};

/** Runs guest JS; fails on a non-zero exit or any stderr. */
async function js(vmId: string, source: string): Promise<string> {
  const r = await client.exec(vmId, 'node', ['-e', source], { timeoutMs: 60_000 });
  assert.is(r.stderr, '', `stderr of: ${source.slice(0, 200)}`);
  assert.is(r.exitCode, 0, source.slice(0, 200));
  return r.stdout;
}

async function sh(vmId: string, line: string) {
  return client.exec(vmId, 'sh', ['-c', line], { timeoutMs: 60_000 });
}
async function shOut(vmId: string, line: string): Promise<string> {
  const r = await sh(vmId, line);
  assert.is(r.exitCode, 0, `${line}\nexit ${r.exitCode}\nstderr: ${r.stderr}`);
  return r.stdout;
}

// ---- a hand-assembled WASI module: open a file, make one call with a 64-bit operand ----

const I32 = 0x7f;
const I64 = 0x7e;
const fnType = (params: number[], results: number[]) => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];

/**
 * A WASI command that opens `path` (under the preopen at fd 3, read-write, creating it)
 * and then calls `set_size` (fd_filestat_set_size(fd, operand)), `pwrite` (fd_pwrite of
 * "XY" at offset `operand`) or `allocate` (fd_allocate(fd, operand, 2)); it exits with that
 * call's errno (path_open's failure: 100 + errno).
 */
type ProbeCall = 'set_size' | 'pwrite' | 'allocate';
function wasiProbe(path: string, call: ProbeCall, operand: bigint): string {
  const types = vec([
    fnType([I32, I32, I32, I32, I32, I64, I64, I32, I32], [I32]), // 0 path_open
    fnType([I32, I64], [I32]), // 1 fd_filestat_set_size
    fnType([I32], []), // 2 proc_exit
    fnType([], []), // 3 _start
    fnType([I32, I32, I32, I64, I32], [I32]), // 4 fd_pwrite
    fnType([I32, I64, I64], [I32]), // 5 fd_allocate
  ]);
  const imp = (name: string, type: number) => [...str('wasi_snapshot_preview1'), ...str(name), 0, ...uleb(type)];
  const imports = vec([imp('path_open', 0), imp('fd_filestat_set_size', 1), imp('proc_exit', 2), imp('fd_pwrite', 4), imp('fd_allocate', 5)]);
  const pathBytes = Buffer.from(path);
  const body = [
    ...vec([[1, I32]]), // one i32 local: the errno
    // path_open(3, 0, 64, len, O_CREAT, all rights, all rights, 0, &fd @16)
    0x41, 3, 0x41, 0, 0x41, ...sleb(64n), 0x41, ...sleb(BigInt(pathBytes.length)), 0x41, 1,
    0x42, ...sleb(0x1fffffffn), 0x42, ...sleb(0x1fffffffn), 0x41, 0, 0x41, 16, 0x10, 0,
    0x22, 0, 0x04, 0x40, 0x20, 0, 0x41, ...sleb(100n), 0x6a, 0x10, 2, 0x0b,
    ...(call === 'set_size'
      ? [0x41, 16, 0x28, 2, 0, 0x42, ...sleb(operand), 0x10, 1]
      : call === 'pwrite'
        ? [0x41, 16, 0x28, 2, 0, 0x41, 32, 0x41, 1, 0x42, ...sleb(operand), 0x41, 24, 0x10, 3]
        : [0x41, 16, 0x28, 2, 0, 0x42, ...sleb(operand), 0x42, 2, 0x10, 4]),
    0x10, 2, // proc_exit(errno)
    0x0b,
  ];
  const data = (at: number, bytes: number[]) => [0, 0x41, ...sleb(BigInt(at)), 0x0b, ...uleb(bytes.length), ...bytes];
  const module = Buffer.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, vec([[3]])),
    ...section(5, vec([[0, 1]])),
    ...section(7, vec([[...str('memory'), 2, 0], [...str('_start'), 0, 5]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...section(11, vec([data(32, [48, 0, 0, 0, 2, 0, 0, 0]), data(48, [...Buffer.from('XY')]), data(64, [...pathBytes])])),
  ]);
  new WebAssembly.Module(module);
  return module.toString('base64');
}

async function runProbe(vmId: string, path: string, call: ProbeCall, operand: bigint): Promise<number> {
  const name = `probe-${call}`;
  await client.request(P.WasmRegister, { vmId, name, data: wasiProbe(path, call, operand) });
  const r = await client.exec(vmId, name, [], { cwd: '/', timeoutMs: 60_000 });
  assert.is(r.error, undefined, r.error?.message);
  return r.exitCode;
}
const WASI = { FBIG: 22, INVAL: 28, NOSPC: 51, ROFS: 69 };

// ---- 1. every directory entry counts against the inode limit ----

test('hard links: each name costs one inode unit; the limit stops them, exactly, and unlinking gives them back', async () => {
  const limit = 400;
  const v = await vm({ limits: { fsInodeLimit: limit } });
  await client.writeFile(v, '/t/f', 'data');
  const before = await usage(v);
  const out = await js(v, `
    const fs = require('fs');
    let made = 0, code;
    for (;;) { try { fs.linkSync('/t/f', '/t/l' + made); made++; } catch (e) { code = e.code; break; } }
    console.log(made, code, fs.statSync('/t/f').nlink);
  `);
  const made = limit - before.inodes;
  assert.is(out, `${made} ENOSPC ${made + 1}\n`);
  assert.equal(await usage(v), { bytes: before.bytes, inodes: limit }, 'every link charged; the refused one not');
  // The hit is logged (stderr lines arrive on their own pipe, so wait for it).
  await eventually(() => logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'fs_inode_limit' && l.capacity === limit));
  // The shell's ln is refused the same way, and a full VM makes no file either.
  const r = await sh(v, 'ln /t/f /t/more');
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /No space left on device/);
  assert.equal(await usage(v), { bytes: before.bytes, inodes: limit });
  // Unlinking every name but one gives back one unit each; the data stays until the last.
  await js(v, `const fs = require('fs'); for (let i = 0; i < ${made}; i++) fs.unlinkSync('/t/l' + i);`);
  assert.equal(await usage(v), before);
  assert.is((await client.readFile(v, '/t/f')).toString(), 'data');
  await shOut(v, 'ln /t/f /t/g && ln /t/g /t/h && rm /t/f /t/g');
  assert.equal(await usage(v), before, 'three names, then one: as before');
  assert.is((await client.readFile(v, '/t/h')).toString(), 'data');
  // Renaming one link over another of the same file changes nothing; over another file frees it.
  await client.writeFile(v, '/t/other', 'xyz');
  await js(v, `const fs = require('fs'); fs.linkSync('/t/h', '/t/h2'); fs.renameSync('/t/h', '/t/h2'); fs.renameSync('/t/h2', '/t/other');`);
  assert.equal(await usage(v), { bytes: before.bytes, inodes: before.inodes + 1 }, 'h and h2 left (other replaced)');
  assert.is((await client.readFile(v, '/t/other')).toString(), 'data');
});

// ---- 2. open-but-unlinked files ----

test('a file unlinked or renamed over while open: readable and writable through its fds, charged until the last close', async () => {
  const v = await vm();
  const base = await usage(v);
  const out = await js(v, `
    const fs = require('fs');
    (async () => {
      fs.writeFileSync('/big', Buffer.alloc(100000, 65));
      const fd = fs.openSync('/big', 'r+');
      const dup = fs.openSync('/big', 'r');
      fs.unlinkSync('/big');
      const during = await host.usage();
      const head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
      fs.writeSync(fd, Buffer.from('tail'), 0, 4, 100000);
      const st = fs.fstatSync(fd);
      const end = Buffer.alloc(4);
      fs.readSync(dup, end, 0, 4, 100000);
      fs.closeSync(fd);
      const oneLeft = await host.usage();
      fs.closeSync(dup);
      const after = await host.usage();
      console.log(JSON.stringify({ exists: fs.existsSync('/big'), head: head.toString(), end: end.toString(), size: st.size, nlink: st.nlink,
        during: during.bytes, oneLeft: oneLeft.bytes, after: after.bytes, inodes: [during.inodes, after.inodes] }));
    })();
  `);
  assert.equal(JSON.parse(out), {
    exists: false, head: 'AAAA', end: 'tail', size: 100004, nlink: 0,
    during: base.bytes + 100000, oneLeft: base.bytes + 100004, after: base.bytes, inodes: [base.inodes + 1, base.inodes],
  });
  assert.equal(await usage(v), base);

  // rename over an open file keeps the old contents for its fd; the new name has the new ones.
  const renamed = await js(v, `
    const fs = require('fs');
    (async () => {
      fs.writeFileSync('/old', 'old contents');
      fs.writeFileSync('/new', 'NEW');
      const fd = fs.openSync('/old', 'r');
      fs.renameSync('/new', '/old');
      const during = await host.usage();
      console.log(fs.readFileSync(fd, 'utf8'), fs.readFileSync('/old', 'utf8'), during.bytes);
      fs.closeSync(fd);
      console.log((await host.usage()).bytes);
    })();
  `);
  assert.is(renamed, `old contents NEW ${base.bytes + 15}\n${base.bytes + 3}\n`);
  await client.request(P.FsRemove, { vmId: v, path: '/old' });
  assert.equal(await usage(v), base);

  // A process that ends with the fd still open lets go at its end.
  await js(v, `const fs = require('fs'); fs.writeFileSync('/kept', Buffer.alloc(5000)); fs.openSync('/kept', 'r'); fs.unlinkSync('/kept');`);
  assert.equal(await usage(v), base, 'released when the process ended');
});

test('WASM fds (runner tables, inherited by children) keep an unlinked file too; the quota comes back after', async () => {
  const v = await vm();
  const base = await usage(v);
  await client.writeFile(v, '/home/user/f', 'kept through fd 3\n');
  assert.is(await shOut(v, 'exec 3< f; rm f; cat <&3; test -e f || echo gone'), 'kept through fd 3\ngone\n');
  assert.equal(await usage(v), base);
  await client.writeFile(v, '/home/user/g', 'first\n');
  assert.is(await shOut(v, '{ rm g; echo second > g; cat; cat g; } < g'), 'first\nsecond\n');
  await client.request(P.FsRemove, { vmId: v, path: '/home/user/g' });
  assert.equal(await usage(v), base);
  // Written through the open fd after the unlink: the bytes are charged while open, then freed.
  assert.is(await shOut(v, 'exec 4> h; rm h; echo more >&4; echo still >&4; exec 4>&-; ls'), '');
  assert.equal(await usage(v), base);
});

// ---- 3. sizes and offsets: one validation ----

test('guest JS sizes and offsets: Node\'s codes first, then the VM\'s one check; the quota never moves wrongly', async () => {
  const v = await vm({ limits: { fsQuotaBytes: MiB } });
  await client.writeFile(v, '/a', 'hello world');
  const base = await usage(v);
  const out = await js(v, `
    const fs = require('fs');
    const t = (f) => { try { const r = f(); return 'ok' + (r === undefined ? '' : ' ' + r); } catch (e) { return e.code + (e.code.startsWith('ERR_') ? ' ' + e.message : ''); } };
    const fd = fs.openSync('/a', 'r+');
    const lines = [
      t(() => fs.truncateSync('/a', 2.5)),
      t(() => fs.truncateSync('/a', NaN)),
      t(() => fs.truncateSync('/a', '3')),
      t(() => fs.truncateSync('/a', 2 ** 53)),
      t(() => fs.ftruncateSync(fd, Infinity)),
      t(() => fs.ftruncateSync(fd, 1e15)),
      t(() => fs.truncateSync('/a', ${MiB + 1})),
      t(() => fs.readSync(fd, Buffer.alloc(4), 0, 2, NaN)),
      t(() => fs.readSync(fd, Buffer.alloc(4), 0, 2, -2)),
      t(() => fs.readSync(fd, Buffer.alloc(4), 0, 10, 0)),
      t(() => fs.readSync(fd, Buffer.alloc(4), 1.5, 1, 0)),
      t(() => fs.writeSync(fd, Buffer.from('xy'), 0, 5, 0)),
      t(() => fs.writeSync(fd, Buffer.from('xy'), 0, -1, 0)),
      fs.statSync('/a').size,
    ];
    console.log(lines.join('\\n'));
  `);
  assert.is(out, [
    'ERR_OUT_OF_RANGE The value of "len" is out of range. It must be an integer. Received 2.5',
    'ERR_OUT_OF_RANGE The value of "len" is out of range. It must be an integer. Received NaN',
    'ERR_INVALID_ARG_TYPE The "len" argument must be of type number. Received type string (\'3\')',
    'ERR_OUT_OF_RANGE The value of "len" is out of range. It must be >= -9007199254740991 && <= 9007199254740991. Received 9_007_199_254_740_992',
    'ERR_OUT_OF_RANGE The value of "len" is out of range. It must be an integer. Received Infinity',
    'EFBIG',
    'EFBIG',
    'ERR_OUT_OF_RANGE The value of "position" is out of range. It must be an integer. Received NaN',
    'ERR_OUT_OF_RANGE The value of "position" is out of range. It must be >= -1 && <= 9007199254740991. Received -2',
    'ERR_OUT_OF_RANGE The value of "length" is out of range. It must be <= 4. Received 10',
    'ERR_OUT_OF_RANGE The value of "offset" is out of range. It must be an integer. Received 1.5',
    'ERR_OUT_OF_RANGE The value of "length" is out of range. It must be <= 2. Received 5',
    'ERR_OUT_OF_RANGE The value of "length" is out of range. It must be >= 0. Received -1',
    '11',
  ].join('\n') + '\n');
  assert.equal(await usage(v), base, 'no refused call moved the quota');

  // As Node on Linux: a negative length truncates to 0; a write position that is not a
  // whole number from 0 writes at the fd's own position (never at 0 by accident).
  const pos = await js(v, `
    const fs = require('fs');
    const fd = fs.openSync('/a', 'r+');
    fs.readSync(fd, Buffer.alloc(6), 0, 6, null);
    fs.writeSync(fd, Buffer.from('N'), 0, 1, NaN);
    fs.writeSync(fd, Buffer.from('M'), 0, 1, 2.5);
    fs.writeSync(fd, 'S', -5);
    console.log(fs.readFileSync('/a', 'utf8'));
    fs.truncateSync('/a', -1e12);
    fs.writeFileSync('/b', 'abc');
    fs.ftruncateSync(fs.openSync('/b', 'r+'), -1);
    console.log(fs.statSync('/a').size, fs.statSync('/b').size);
  `);
  assert.is(pos, 'hello NMSld\n0 0\n');
  assert.equal(await usage(v), { bytes: base.bytes - 11, inodes: base.inodes + 1 });
  // The 1 MiB quota still holds: a file can reach it and no further.
  const fill = await js(v, `
    const fs = require('fs');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
    console.log(t(() => fs.truncateSync('/a', ${MiB - base.bytes + 11})), t(() => fs.writeFileSync('/c', 'x')), t(() => fs.truncateSync('/a', ${MiB - base.bytes + 12})));
  `);
  assert.is(fill, 'ok ENOSPC ENOSPC\n');
  assert.equal(await usage(v), { bytes: MiB, inodes: base.inodes + 1 });
});

test('WASI sizes and offsets: fd_filestat_set_size and fd_pwrite get EINVAL for what is no byte count, EFBIG past the quota', async () => {
  const v = await vm({ limits: { fsQuotaBytes: MiB } });
  await client.writeFile(v, '/w', 'hello');
  // Each probe's /usr/bin entry is made on its first run: run both once before measuring.
  assert.is(await runProbe(v, 'w', 'set_size', 5n), 0);
  assert.is(await runProbe(v, 'w', 'pwrite', -1n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'allocate', -1n), WASI.INVAL);
  const base = await usage(v);
  assert.is(await runProbe(v, 'w', 'set_size', -1_000_000_000_000n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'set_size', -1n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'set_size', 2n ** 53n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'set_size', 2n ** 62n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'set_size', BigInt(MiB + 1)), WASI.FBIG);
  assert.is(await runProbe(v, 'w', 'pwrite', -1n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'pwrite', -(2n ** 63n)), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'pwrite', BigInt(MiB)), WASI.FBIG);
  assert.is(await runProbe(v, 'w', 'allocate', -(2n ** 40n)), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'allocate', 2n ** 53n), WASI.INVAL);
  assert.is(await runProbe(v, 'w', 'allocate', BigInt(MiB)), WASI.FBIG);
  assert.equal(await usage(v), base, 'nothing refused was charged');
  assert.is((await client.readFile(v, '/w')).toString(), 'hello');
  assert.is(await runProbe(v, 'w', 'pwrite', 7n), 0);
  assert.equal([...(await client.readFile(v, '/w'))], [...Buffer.from('hello'), 0, 0, ...Buffer.from('XY')]);
  assert.is(await runProbe(v, 'w', 'allocate', 7n), 0);
  assert.equal([...(await client.readFile(v, '/w'))], [...Buffer.from('hello'), 0, 0, ...Buffer.from('XY')], 'fallocate never shrinks or rewrites');
  assert.is(await runProbe(v, 'w', 'allocate', 10n), 0);
  assert.equal([...(await client.readFile(v, '/w'))], [...Buffer.from('hello'), 0, 0, ...Buffer.from('XY'), 0, 0, 0], 'grown with zeros');
  assert.is(await runProbe(v, 'w', 'set_size', 2n), 0);
  assert.equal(await usage(v), { bytes: base.bytes - 3, inodes: base.inodes });
  // The shell's own truncate and dd go through the same check.
  const r = await sh(v, 'truncate -s 2000000 /w');
  assert.is(r.exitCode, 1);
  assert.equal(await usage(v), { bytes: base.bytes - 3, inodes: base.inodes });
});

// ---- 4. truncate, then write past the new end: the gap reads as zeros ----

test('truncate then write past the new end: the cut-off bytes never come back (JS, and truncate + dd)', async () => {
  const v = await vm();
  const out = await js(v, `
    const fs = require('fs');
    fs.writeFileSync('/s', 'ABCDEFGHIJ');
    const fd = fs.openSync('/s', 'r+');
    fs.ftruncateSync(fd, 6);
    fs.writeSync(fd, 'XY', 8);
    fs.writeFileSync('/p', 'abcdefghij');
    fs.truncateSync('/p', 4);
    fs.truncateSync('/p', 7);
    // A big file cut to a little: the same, whichever way its memory is given back.
    fs.writeFileSync('/q', Buffer.alloc(100000, 66));
    fs.truncateSync('/q', 10);
    fs.appendFileSync('/q', 'Z');
    fs.writeSync(fs.openSync('/q', 'r+'), 'E', 20);
    console.log(JSON.stringify([fs.readFileSync('/s', 'latin1'), fs.readFileSync('/p', 'latin1'), fs.readFileSync('/q', 'latin1')]));
  `);
  assert.equal(JSON.parse(out), ['ABCDEF\0\0XY', 'abcd\0\0\0', `${'B'.repeat(10)}Z${'\0'.repeat(9)}E`]);
  await client.writeFile(v, '/home/user/d', 'ABCDEFGHIJ');
  await shOut(v, 'truncate -s 6 d && printf XY | dd of=d bs=1 seek=8 conv=notrunc 2>/dev/null');
  assert.equal([...(await client.readFile(v, '/home/user/d'))], [...Buffer.from('ABCDEF'), 0, 0, ...Buffer.from('XY')]);
});

// ---- 5. one permission check for every mutating call ----

test('a read-only VM: nothing mutates it, by path or by fd, from JS, WASM, spawn file actions or the host ABI', async () => {
  const v = await vm({ permissions: { fs: 'read-only' }, files: [{ path: '/home/user/r.txt', data: 'read only', encoding: 'utf8' }] });
  assert.is(await runProbe(v, 'home/user/r.txt', 'set_size', 0n), 100 + WASI.ROFS, 'a WASI open for writing is refused');
  const base = await usage(v);
  const out = await js(v, `
    const fs = require('fs');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
    const fd = fs.openSync('/home/user/r.txt', 'r');
    console.log([
      t(() => fs.ftruncateSync(fd, 0)), t(() => fs.fchmodSync(fd, 0)), t(() => fs.writeSync(fd, 'x')),
      t(() => fs.truncateSync('/home/user/r.txt', 0)), t(() => fs.chmodSync('/home/user/r.txt', 0)),
      t(() => fs.openSync('/home/user/r.txt', 'r+')), t(() => fs.openSync('/home/user/new', 'wx')),
      t(() => fs.openSync('/home/user/new2', fs.constants.O_CREAT | fs.constants.O_RDONLY)),
      t(() => fs.utimesSync('/home/user/r.txt', 1, 1)), t(() => fs.linkSync('/home/user/r.txt', '/home/user/l')),
      t(() => fs.renameSync('/home/user/r.txt', '/home/user/s')), t(() => fs.unlinkSync('/home/user/r.txt')),
      t(() => fs.symlinkSync('/x', '/home/user/sl')), t(() => fs.mkdirSync('/home/user/d')),
      t(() => fs.appendFileSync('/home/user/r.txt', 'x')), t(() => fs.copyFileSync('/home/user/r.txt', '/home/user/c')),
    ].join(' '));
    const st = fs.statSync('/home/user/r.txt');
    console.log(st.size, (st.mode & 0o777).toString(8), fs.readFileSync(fd, 'utf8'));
    // The devices are /dev's and stay usable, as under a read-only root on Linux.
    const nul = fs.openSync('/dev/null', 'w');
    const b = Buffer.alloc(8);
    console.log(fs.writeSync(nul, 'discarded'), t(() => fs.writeFileSync('/dev/null', 'x')), fs.readSync(fs.openSync('/dev/zero', 'r'), b, 0, 8, null));
    // O_CREAT of a file that is there creates nothing: a read-only open of it reads, as on Linux.
    console.log(fs.readFileSync(fs.openSync('/home/user/r.txt', fs.constants.O_CREAT | fs.constants.O_RDONLY), 'utf8'));
  `);
  assert.is(out, `${Array(16).fill('EROFS').join(' ')}\n9 644 read only\n9 ok 8\nread only\n`);
  assert.is(await shOut(v, 'echo x > /dev/null && head -c 3 /dev/zero | wc -c'), '3\n');
  // WASM: coreutils by path, the shell's redirections (spawn file actions), chmod/truncate through host_fs.
  for (const line of ['truncate -s 0 r.txt', 'chmod 000 r.txt', 'echo x > r.txt', 'echo x >> r.txt', 'touch n', 'ln r.txt l', 'mv r.txt s', 'rm r.txt', 'mkdir d', 'setfattr -n user.k -v 1 r.txt']) {
    const r = await sh(v, line);
    assert.is.not(r.exitCode, 0, `${line} must fail`);
    assert.match(r.stderr, /Read-only file system|read-only/i, `${line}: ${r.stderr}`);
  }
  assert.is(await runProbe(v, 'home/user/r.txt', 'set_size', 0n), 100 + WASI.ROFS);
  const st = await client.request(P.FsStat, { vmId: v, path: '/home/user/r.txt' });
  assert.equal([st.size, st.mode & 0o777], [9, 0o644]);
  assert.is((await client.readFile(v, '/home/user/r.txt')).toString(), 'read only');
  assert.equal(await usage(v), base);
  // The host is not bound by the guests' permission.
  await client.writeFile(v, '/home/user/host.txt', 'host');
  assert.is((await client.readFile(v, '/home/user/host.txt')).toString(), 'host');
});

test('ftruncate needs an fd open for writing (EINVAL, as Linux) even in a read-write VM; fchmod does not', async () => {
  const v = await vm();
  await client.writeFile(v, '/f', 'contents');
  const out = await js(v, `
    const fs = require('fs');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
    const ro = fs.openSync('/f', 'r');
    const wo = fs.openSync('/f', 'a');
    console.log(t(() => fs.ftruncateSync(ro, 0)), t(() => fs.writeSync(ro, 'x')), t(() => fs.readSync(wo, Buffer.alloc(1))), t(() => fs.fchmodSync(ro, 0o600)));
    console.log(fs.statSync('/f').size, (fs.statSync('/f').mode & 0o777).toString(8));
  `);
  assert.is(out, 'EINVAL EBADF EBADF ok\n8 600\n');
});

test('permissions none: every call, by path or fd, is EACCES', async () => {
  const v = await vm({ permissions: { fs: 'none' }, files: [{ path: '/n', data: 'no', encoding: 'utf8' }] });
  const out = await js(v, `
    const fs = require('fs');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
    console.log(t(() => fs.readFileSync('/n')), t(() => fs.openSync('/n', 'r')), t(() => fs.statSync('/n')), t(() => fs.ftruncateSync(3, 0)), t(() => fs.writeFileSync('/m', 'x')));
    fs.writeFileSync('/dev/stdout', 'its own stdout is no file\\n');
  `);
  assert.is(out, 'EACCES EACCES EACCES EACCES EACCES\nits own stdout is no file\n');
});

// ---- 6. devices: one model for every kind of process ----

test('devices from guest JS: /dev/urandom and /dev/random give random bytes, /dev/zero zeros, /dev/null discards', async () => {
  const v = await vm({ limits: { fsQuotaBytes: MiB } });
  const base = await usage(v);
  const out = await js(v, `
    const fs = require('fs');
    const read = (path, n) => { const fd = fs.openSync(path, 'r'); const b = Buffer.alloc(n, 7); const got = fs.readSync(fd, b, 0, n, null); fs.closeSync(fd); return [got, b]; };
    const [n1, r1] = read('/dev/urandom', 4096);
    const [, r2] = read('/dev/urandom', 4096);
    const [n3, r3] = read('/dev/random', 64);
    const [n4, z] = read('/dev/zero', 70000);
    const distinct = new Set(r1).size;
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
    fs.writeFileSync('/dev/null', Buffer.alloc(${2 * MiB}));
    const fd = fs.openSync('/dev/null', 'w');
    for (let i = 0; i < 4; i++) fs.writeSync(fd, Buffer.alloc(${MiB}));
    fs.appendFileSync('/dev/null', 'x');
    console.log(JSON.stringify({ n1, distinct: distinct > 200, differ: !r1.equals(r2), n3, random3: new Set(r3).size > 8, n4, zeros: z.subarray(0, n4).every((b) => b === 0),
      untouched: z[n4], nullSize: fs.statSync('/dev/null').size, nullRead: fs.readFileSync('/dev/null').length,
      zeroWhole: t(() => fs.readFileSync('/dev/zero')), urandomWhole: t(() => fs.readFileSync('/dev/urandom')) }));
  `);
  assert.equal(JSON.parse(out), {
    n1: 4096, distinct: true, differ: true, n3: 64, random3: true, n4: 65536, zeros: true, untouched: 7,
    nullSize: 0, nullRead: 0, zeroWhole: 'EFBIG', urandomWhole: 'EFBIG',
  });
  assert.equal(await usage(v), base, 'six MiB written to /dev/null in a 1 MiB VM, none stored');
  // The protocol and WASM see the same devices; a symlink to one is the device.
  await client.writeFile(v, '/dev/null', 'host bytes');
  assert.is((await client.readFile(v, '/dev/null')).length, 0);
  // (The WASM ln -s refuses absolute targets, so JS makes the links.)
  await js(v, `require('fs').symlinkSync('/dev/zero', '/tmp/z'); require('fs').symlinkSync('/dev/null', '/tmp/n');`);
  assert.is(await shOut(v, 'head -c 5 /tmp/z | od -An -tx1'), ' 00 00 00 00 00\n');
  assert.is(await shOut(v, 'echo hi > /tmp/n && cat /tmp/n | wc -c'), '0\n');
  assert.is(await js(v, `console.log(require('fs').readFileSync('/tmp/n').length)`), '0\n');
  assert.equal(await usage(v), { bytes: base.bytes + '/dev/zero'.length + '/dev/null'.length, inodes: base.inodes + 2 });
});

test('devices are /dev\'s, not the VM\'s: there in a full VM, free of the inode limit, and removing one frees nothing', async () => {
  const { vmId: v } = await client.createVm({ bindings: ['usage'], limits: { fsInodeLimit: 200 } });
  const out = await js(v, `
    const fs = require('fs');
    (async () => {
      fs.writeFileSync('/f', 'x');
      let code;
      for (let i = 0; ; i++) { try { fs.linkSync('/f', '/l' + i); } catch (e) { code = e.code; break; } }
      const full = await host.usage();
      const fd = fs.openSync('/dev/null', 'w');
      fs.writeSync(fd, 'gone');
      const b = Buffer.alloc(16);
      fs.readSync(fs.openSync('/dev/urandom', 'r'), b, 0, 16, null);
      const names = fs.readdirSync('/dev').join(',');
      const after = await host.usage();
      fs.unlinkSync('/dev/zero');
      const removed = await host.usage();
      console.log(code, full.inodes, after.inodes, removed.inodes, names, b.some((x) => x !== 0));
    })();
  `);
  assert.is(out, 'ENOSPC 200 200 200 null,random,urandom,zero true\n');
});

test.after(async () => {
  await client.close();
});

test.run();
