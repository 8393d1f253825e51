import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, startSidecar } from './helpers/sidecar.js';

/**
 * Guests that would stall the daemon thread through the filesystem and module lookup: each
 * attack gets its exact error, fast, and a bystander (ping, another VM's exec) answers
 * while the attacker keeps at it. Where the behaviour is Node's, the same snippet runs on
 * the host's Node and the answers are compared.
 */
const { client, logs } = await startSidecar();
const bystander = (await client.createVm()).vmId;

async function node(vmId: string, code: string, args: string[] = []): Promise<string> {
  const r = await client.exec(vmId, 'node', ['-e', code, ...args], { timeoutMs: 120_000 });
  assert.is(r.exitCode, 0, r.stderr);
  return r.stdout;
}

async function fsStats(vmId: string): Promise<{ bytes: number; inodes: number }> {
  const { fs } = await client.request(P.VmStats, { vmId });
  return { bytes: fs.bytes, inodes: fs.inodes };
}

/**
 * Runs `attack` in a loop in a guest of `vmId` (after `setup`) until the host says stop,
 * and meanwhile pings the daemon and runs `echo` in another VM: both must answer while
 * the attacker is still going. Returns the attacker's iteration count and last outcome.
 */
async function underAttack(vmId: string, setup: string, attack: string): Promise<{ n: number; last: unknown }> {
  const code = `const fs = require('fs'); ${setup}; let n = 0, last;
    console.log('ready');
    while (!fs.existsSync('/tmp/stop')) {
      try { last = (() => { ${attack} })() ?? 'ok'; } catch (e) { last = { code: e.code, message: e.message }; }
      n++;
    }
    console.log(JSON.stringify({ n, last }));`;
  const order: string[] = [];
  let stdout = '';
  const exits: Array<{ pid: number; exitCode: number }> = [];
  const offExit = client.onExit((e) => e.vmId === vmId && exits.push(e));
  const offOut = client.onOutput((e) => {
    if (e.vmId === vmId && e.stream === 'stdout') stdout += e.encoding === 'base64' ? Buffer.from(e.data, 'base64').toString() : e.data;
  });
  try {
    const { pid } = await client.spawn(vmId, 'node', ['-e', code], { timeoutMs: 120_000 });
    const exited = eventually(() => exits.find((e) => e.pid === pid), 120_000).then((e) => {
      order.push('attacker exit');
      return e;
    });
    await eventually(() => stdout.includes('ready\n') || exits.some((e) => e.pid === pid), 60_000);
    await client.request(P.SidecarPing, {});
    order.push('ping');
    const echo = await client.exec(bystander, 'node', ['-e', 'console.log("hi")']);
    assert.is(echo.stdout, 'hi\n');
    order.push('bystander exec');
    await client.writeFile(vmId, '/tmp/stop', '');
    const exit = await exited;
    assert.is(exit.exitCode, 0, stdout);
    assert.equal(order, ['ping', 'bystander exec', 'attacker exit']);
    await client.request(P.FsRemove, { vmId, path: '/tmp/stop' });
    return JSON.parse(stdout.slice(stdout.indexOf('ready\n') + 6)) as { n: number; last: unknown };
  } finally {
    offExit();
    offOut();
  }
}

/** The same Node snippet on the host's Node, in a fresh directory standing for the VM's `root`. */
function onHostNode(code: string, root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentos-fs-paths-'));
  try {
    return execFileSync(process.execPath, ['-e', code, dir], { encoding: 'utf8' }).split(dir).join(root);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('path resolution is bounded by the components it walks, links expanded included', async () => {
  const { vmId } = await client.createVm();
  // 40 links, each through the previous one and 800 `x/..` steps: within the 40 links
  // Linux allows, but ~64,000 components to walk.
  const setup = `fs.mkdirSync('/w/x', { recursive: true });
    let prev = '/w';
    for (let i = 0; i < 40; i++) { fs.symlinkSync(prev + '/x/..'.repeat(800), '/w/l' + i); prev = '/w/l' + i; }`;
  const r = await underAttack(vmId, setup, `if (fs.existsSync('/w/l39')) return 'exists'; fs.statSync('/w/l39');`);
  assert.ok(r.n >= 1);
  assert.equal(r.last, { code: 'ELOOP', message: "ELOOP: too many symbolic links encountered, stat '/w/l39'" });
  const out = await node(vmId, `const fs = require('fs'); const tries = [];
    for (const f of [() => fs.mkdirSync('/w/l39/' + 'd/'.repeat(60), { recursive: true }), () => fs.writeFileSync('/w/l39/f', 'x'), () => fs.realpathSync('/w/l39'), () => fs.readdirSync('/w/l39')]) {
      try { f(); tries.push('ok'); } catch (e) { tries.push(e.code); }
    }
    // A shorter chain, within the bound, still resolves.
    fs.symlinkSync('/w' + '/x/..'.repeat(100), '/w/m0');
    for (let i = 1; i < 10; i++) fs.symlinkSync('/w/m' + (i - 1) + '/x/..'.repeat(100), '/w/m' + i);
    tries.push(fs.realpathSync('/w/m9'), fs.statSync('/w/m9/x').isDirectory());
    console.log(JSON.stringify(tries));`);
  assert.equal(JSON.parse(out), ['ELOOP', 'ELOOP', 'ELOOP', 'ELOOP', '/w', true]);
  const hit = await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'fs_path_walk_max'));
  assert.equal([hit.capacity, hit.env], [4096, 'AGENTOS_FS_PATH_WALK_MAX']);
  // Nothing was made under the loop: the mkdir -p failed before making anything.
  assert.equal(await client.request(P.FsReaddir, { vmId, path: '/w/x' }), { entries: [] });
  await client.disposeVm(vmId);
});

test('mkdir -p is one walk and answers as Node 20 does (a file on the way, a dangling link, what it made first)', async () => {
  const code = `const fs = require('fs'); const R = process.argv[1]; const out = [];
    fs.writeFileSync(R + '/f', ''); fs.symlinkSync(R + '/nowhere', R + '/dang'); fs.mkdirSync(R + '/real'); fs.symlinkSync(R + '/real', R + '/link');
    for (const p of [R + '/f', R + '/f/x', R + '/dang/x', R + '/link/n/m', R + '/link/n/m']) {
      try { out.push(fs.mkdirSync(p, { recursive: true }) ?? null); } catch (e) { out.push([e.code, e.message]); }
    }
    out.push(fs.existsSync(R + '/nowhere'), fs.existsSync(R + '/real/n/m'));
    console.log(JSON.stringify(out));`;
  const { vmId } = await client.createVm();
  const ours = await node(vmId, `require('fs').mkdirSync('/r'); ${code}`, ['/r']);
  assert.equal(JSON.parse(ours), JSON.parse(onHostNode(code, '/r')));
  assert.equal(JSON.parse(ours).slice(0, 4), [
    ['EEXIST', "EEXIST: file already exists, mkdir '/r/f'"], ['ENOTDIR', "ENOTDIR: not a directory, mkdir '/r/f/x'"],
    ['ENOENT', "ENOENT: no such file or directory, mkdir '/r/dang/x'"], '/r/link/n',
  ]);
  await client.disposeVm(vmId);
});

const CP_CASES = `const fs = require('fs'); const R = process.argv[1]; const out = [];
  fs.mkdirSync(R + '/a/b', { recursive: true }); fs.writeFileSync(R + '/a/b/f', 'data'); fs.writeFileSync(R + '/file', 'x');
  fs.symlinkSync('b/f', R + '/a/rel');
  const cases = [[R + '/a', R + '/a/b/c', { recursive: true }], [R + '/a', R + '/a', { recursive: true }], [R + '/a', R + '/x'],
    [R + '/a', R + '/file', { recursive: true }], [R + '/file', R + '/a', { recursive: true }], [R + '/nope', R + '/z', { recursive: true }],
    [R + '/a', R + '/copy/deeper', { recursive: true }], [R + '/a', R + '/copy/deeper', { recursive: true }]];
  for (const [s, d, o] of cases) {
    try { fs.cpSync(s, d, o); out.push('ok'); }
    catch (e) { out.push(e.code.startsWith('ERR_') ? { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message } : { code: e.code, message: e.message }); }
  }
  const list = (d, pre = '') => fs.readdirSync(d).sort().flatMap((n) => { const st = fs.lstatSync(d + '/' + n);
    return st.isDirectory() ? [pre + n + '/', ...list(d + '/' + n, pre + n + '/')] : st.isSymbolicLink() ? [pre + n + ' -> ' + fs.readlinkSync(d + '/' + n)] : [pre + n + ' ' + fs.readFileSync(d + '/' + n, 'utf8')]; });
  out.push(list(R + '/copy'));
  console.log(JSON.stringify(out));`;

test('fs.cpSync: a directory into itself is refused as Node 20 refuses it; every other answer matches Node too', async () => {
  const { vmId } = await client.createVm();
  const ours = await node(vmId, `require('fs').mkdirSync('/r'); ${CP_CASES}`, ['/r']);
  const hosts = onHostNode(CP_CASES, '/r');
  assert.equal(JSON.parse(ours), JSON.parse(hosts));
  const first = JSON.parse(ours)[0];
  assert.equal(first, {
    code: 'ERR_FS_CP_EINVAL', errno: 22, syscall: 'cp', path: '/r/a/b/c',
    message: 'Invalid src or dest: cp returned EINVAL (cannot copy /r/a to a subdirectory of self /r/a/b/c) /r/a/b/c',
  });
  await client.disposeVm(vmId);
});

test('fs.cpSync into itself through a symlink is refused too (Node misses it), while the daemon keeps answering', async () => {
  const { vmId } = await client.createVm();
  const r = await underAttack(vmId, `fs.mkdirSync('/a/b/c', { recursive: true }); fs.symlinkSync('/a/b', '/l')`, `fs.cpSync('/a', '/l/c/d', { recursive: true })`);
  assert.equal(r.last, { code: 'ERR_FS_CP_EINVAL', message: 'Invalid src or dest: cp returned EINVAL (cannot copy /a to a subdirectory of self /l/c/d) /l/c/d' });
  // Nothing was copied.
  assert.equal(await client.request(P.FsReaddir, { vmId, path: '/a/b/c' }), { entries: [] });
  await client.disposeVm(vmId);
});

test('a copy that cannot fit is refused before it makes anything, and leaves the quota exact', async () => {
  const { vmId } = await client.createVm({ limits: { fsQuotaBytes: 1024 * 1024, fsInodeLimit: 400 } });
  await node(vmId, `const fs = require('fs'); fs.mkdirSync('/big/sub', { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync('/big/sub/' + i, Buffer.alloc(150 * 1024, 1));
    fs.mkdirSync('/many'); for (let i = 0; i < 150; i++) fs.writeFileSync('/many/' + i, '');`);
  const before = await fsStats(vmId);
  const out = await node(vmId, `const fs = require('fs'); const codes = [];
    for (const [s, d] of [['/big', '/big2'], ['/many', '/many2'], ['/many', '/many3']]) {
      try { fs.cpSync(s, d, { recursive: true }); codes.push('ok'); } catch (e) { codes.push(e.code); }
    }
    console.log(JSON.stringify([codes, fs.existsSync('/big2'), fs.readdirSync('/many2').length, fs.existsSync('/many3')]));`);
  // /big2 needs 600 KiB more (over 1 MiB); /many2 fits; /many3 would pass the 400 inodes.
  assert.equal(JSON.parse(out), [['ENOSPC', 'ok', 'ENOSPC'], false, 150, false]);
  assert.equal(await fsStats(vmId), { bytes: before.bytes, inodes: before.inodes + 151 });
  await client.disposeVm(vmId);
});

test('rm of a 16,000-deep tree: no stack overflow, every inode given back', async () => {
  const { vmId } = await client.createVm({ limits: { fsInodeLimit: 20_000 } });
  // Renames build a tree deeper than any path can spell.
  await node(vmId, `const fs = require('fs'); fs.mkdirSync('/top'); fs.writeFileSync('/top/leaf', 'abc');
    for (let i = 0; i < 16000; i++) { fs.mkdirSync('/n'); fs.renameSync('/top', '/n/d'); fs.renameSync('/n', '/top'); }`);
  const before = await fsStats(vmId);
  const out = await node(vmId, `const fs = require('fs'); const r = [];
    fs.symlinkSync('/top' + '/d'.repeat(1000), '/s');
    const deeper = '/s' + '/d'.repeat(1500);
    for (const f of [() => fs.statSync(deeper).isDirectory(), () => fs.realpathSync(deeper), () => fs.cpSync('/top', '/copy', { recursive: true })]) { try { r.push(f()); } catch (e) { r.push(e.code); } }
    fs.unlinkSync('/s');
    fs.rmSync('/top', { recursive: true }); r.push(fs.existsSync('/top'));
    console.log(JSON.stringify(r));`);
  // The real path of a directory deeper than PATH_MAX is ENAMETOOLONG, as getcwd says on Linux; the copy cannot fit the inodes.
  assert.equal(JSON.parse(out), [true, 'ENAMETOOLONG', 'ENOSPC', false]);
  assert.equal(await fsStats(vmId), { bytes: before.bytes - 3, inodes: before.inodes - 16_002 });
  // The same through the protocol.
  await node(vmId, `const fs = require('fs'); fs.mkdirSync('/top');
    for (let i = 0; i < 16000; i++) { fs.mkdirSync('/n'); fs.renameSync('/top', '/n/d'); fs.renameSync('/n', '/top'); }`);
  assert.equal(await client.request(P.FsRemove, { vmId, path: '/top', recursive: true }), { removed: 16_001 });
  assert.equal(await fsStats(vmId), { bytes: before.bytes - 3, inodes: before.inodes - 16_002 });
  await client.disposeVm(vmId);
});

test('a failed bare require from a 2,040-deep directory is bounded work; resolution still works there', async () => {
  const { vmId } = await client.createVm();
  const deep = `/${'d/'.repeat(2040)}`.slice(0, -1);
  // A module in the deep directory that requires what it is told to (from there).
  await node(vmId, `const fs = require('fs'); fs.mkdirSync(process.argv[1], { recursive: true });
    fs.writeFileSync(process.argv[1] + '/m.js', 'module.exports = (name) => require(name)');
    fs.mkdirSync('/node_modules/pkg', { recursive: true }); fs.writeFileSync('/node_modules/pkg/index.js', 'module.exports = 42');`, [deep]);
  const load = `const deepRequire = require(${JSON.stringify(`${deep}/m.js`)})`;
  const r = await underAttack(vmId, load, `deepRequire('nope')`);
  // Node's require stack: the requiring file, then its own requirer (the -e script).
  assert.equal(r.last, { code: 'MODULE_NOT_FOUND', message: `Cannot find module 'nope'\nRequire stack:\n- ${deep}/m.js\n- /home/user/[eval]` });
  assert.is(await node(vmId, `${load}; console.log(deepRequire('pkg'))`), '42\n');
  // A node_modules at every level makes a lookup walk more than the bound: refused, fast.
  await node(vmId, `const fs = require('fs'); let p = ''; for (const part of process.argv[1].split('/').slice(1)) { p += '/' + part; fs.mkdirSync(p + '/node_modules'); }`, [deep]);
  const bounded = await underAttack(vmId, load, `deepRequire('nope')`);
  assert.equal(bounded.last, {
    code: 'ELOOP',
    message: `Cannot find module 'nope' from '${deep}': resolving it walked more than 4096 path components (AGENTOS_FS_PATH_WALK_MAX)`,
  });
  await client.disposeVm(vmId);
});

test('readdir of 20,000 entries: WASM ls and rm -r are linear, fs/readdir answers in pages', async () => {
  // The default CPU budget: a guest starved by busy processes beside the daemon is charged
  // only what guest threads really used (guest-threads-cpu.ts), and ls answers the stats
  // of a listing from its pages (stat-memo.ts). The test asserts on output, never on time.
  const { vmId } = await client.createVm({ limits: { fsInodeLimit: 30_000 } });
  await node(vmId, `const fs = require('fs'); fs.mkdirSync('/big'); for (let i = 0; i < 20000; i++) fs.writeFileSync('/big/f' + String(i).padStart(5, '0'), '');`);
  const ls = await client.exec(vmId, 'sh', ['-c', 'ls /big > /tmp/listing; wc -l < /tmp/listing; head -n 2 /tmp/listing; tail -n 1 /tmp/listing'], { timeoutMs: 240_000 });
  assert.equal([ls.exitCode, ls.stdout, ls.stderr], [0, '20000\nf00000\nf00001\nf19999\n', '']);
  // Pages: at most AGENTOS_FS_READDIR_PAGE_MAX (10,000) each, `next` until the last.
  const first = await client.request(P.FsReaddir, { vmId, path: '/big' });
  assert.equal([first.entries.length, first.entries[0]!.name, first.next], [10_000, 'f00000', 'f09999']);
  const second = await client.request(P.FsReaddir, { vmId, path: '/big', after: first.next! });
  assert.equal([second.entries.length, second.entries[0]!.name, second.next], [10_000, 'f10000', undefined]);
  // Removing what was listed, and adding behind the cursor, never makes a page skip or repeat.
  const small = await client.request(P.FsReaddir, { vmId, path: '/big', limit: 3 });
  assert.equal([small.entries.map((e) => e.name), small.next], [['f00000', 'f00001', 'f00002'], 'f00002']);
  await node(vmId, `const fs = require('fs'); for (const n of ['f00000', 'f00001', 'f00002', 'f00004']) fs.unlinkSync('/big/' + n); fs.writeFileSync('/big/a-new', '')`);
  const after = await client.request(P.FsReaddir, { vmId, path: '/big', after: small.next!, limit: 3 });
  assert.equal(after.entries.map((e) => e.name), ['f00003', 'f00005', 'f00006']);
  await client.exec(vmId, 'sh', ['-c', 'rm -r /tmp/none 2>/dev/null; true']); // makes the rm command's stub first
  const before = await fsStats(vmId);
  const rm = await client.exec(vmId, 'sh', ['-c', 'rm -r /big && echo gone'], { timeoutMs: 240_000 });
  assert.equal([rm.exitCode, rm.stdout, rm.stderr], [0, 'gone\n', '']);
  assert.equal((await fsStats(vmId)).inodes, before.inodes - 19_998);
  await client.disposeVm(vmId);
});

test.after(async () => {
  await client.close();
});

test.run();
