import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, lstatSync, writeFileSync, mkdirSync, symlinkSync, linkSync, utimesSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { rejection, startSidecar } from './helpers/sidecar.js';
import { describeTree } from './helpers/tree.js';

const QUOTA = 4 * 1024 * 1024;
const { client, logs } = await startSidecar({ env: { AGENTOS_FS_QUOTA_BYTES: String(QUOTA), AGENTOS_FS_EXPORT_CHUNK_BYTES: '4096' } });
const { vmId } = await client.createVm();
const work = mkdtempSync(join(tmpdir(), 'fs-bulk-'));

const LONG = `${'long-name-'.repeat(12)}end`;
const DEEP = Array.from({ length: 9 }, (_, i) => `level-${i}-${'x'.repeat(20)}`).join('/');
const BINARY = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));

/** A tree with every kind of entry and attribute fs/export keeps, made by the guest and the host. */
async function buildTree(vm: string, root: string): Promise<void> {
  await client.mkdir(vm, `${root}/sub/inner`, { recursive: true });
  await client.writeFile(vm, `${root}/bin.dat`, BINARY);
  await client.writeFile(vm, `${root}/empty`, '');
  await client.writeFile(vm, `${root}/sub/${LONG}`, 'long name\n');
  await client.writeFile(vm, `${root}/${DEEP}/deep.txt`, 'deep\n');
  await client.writeFile(vm, `${root}/sub/inner/exec.sh`, '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await client.symlink(vm, '../bin.dat', `${root}/sub/rel-link`);
  await client.symlink(vm, 'inner', `${root}/sub/dir-link`);
  const r = await client.exec(vm, 'node', ['-e', `
    const fs = require('fs');
    fs.linkSync('${root}/bin.dat', '${root}/sub/hard');
    fs.chmodSync('${root}/sub', 0o750);
    fs.writeFileSync('${root}/sub/secret', 's', { mode: 0o600 });
  `]);
  assert.is(r.stderr, '');
  await client.utimes(vm, `${root}/bin.dat`, 1_600_000_000_123_456_789n, 1_500_000_000_987_654_321n);
  await client.utimes(vm, `${root}/empty`, 1n, 0n);
  await client.utimes(vm, `${root}/sub/inner`, 1_700_000_000_000_000_001n, 1_400_000_000_000_000_000n);
  await client.utimes(vm, `${root}/sub`, 1_700_000_000_500_000_000n, 1_300_000_000_000_000_007n);
}

test('fs/export then fs/import into a second VM keeps every byte and attribute (plain and gzip)', async () => {
  await buildTree(vmId, '/src');
  const STATS = { contents: false, atime: true };
  const stats = await describeTree(client, vmId, '/src', STATS);
  const contents = await describeTree(client, vmId, '/src');
  assert.ok(stats.length >= 14, stats.join('\n'));
  const statsNow = await describeTree(client, vmId, '/src', STATS);
  for (const gzip of [false, true]) {
    const archive = await client.exportTree(vmId, '/src', { gzip });
    assert.is(archive[0] === 0x1f && archive[1] === 0x8b, gzip);
    // Exporting changed nothing it read, atimes included.
    assert.equal(await describeTree(client, vmId, '/src', STATS), statsNow);
    const { vmId: other } = await client.createVm();
    const result = await client.importTree(other, '/dst', archive, { chunkBytes: 1000 });
    assert.equal([result.done, result.entries, result.files, result.symlinks, result.hardlinks], [true, stats.length, 6, 2, 1]);
    assert.equal(await describeTree(client, other, '/dst', STATS), statsNow);
    assert.equal(await describeTree(client, other, '/dst'), contents);
    await client.disposeVm(other);
  }
});

test('fs/export streams chunks of AGENTOS_FS_EXPORT_CHUNK_BYTES with $/progress', async () => {
  const { ProgressType } = await import('vscode-jsonrpc/node');
  const progress: string[] = [];
  client.connection.onProgress(new ProgressType<{ kind: string }>(), 'exp-1', (v) => void progress.push(v.kind));
  const seqs: number[] = [];
  const off = client.onExportData((e) => e.streamId === 'mine' && seqs.push(e.seq));
  const result = await client.request(P.FsExport, { vmId, path: '/src', streamId: 'mine', workDoneToken: 'exp-1' });
  off();
  assert.is(result.streamId, 'mine');
  assert.equal(seqs, Array.from({ length: result.chunks }, (_, i) => i));
  assert.is(result.chunks, Math.ceil(result.bytes / 4096));
  assert.ok(result.chunks > 10);
  assert.equal(progress, ['begin', ...Array(result.chunks).fill('report'), 'end']);
});

test("the host's tar reads what fs/export writes (plain and gzip), attributes included", async () => {
  for (const gzip of [false, true]) {
    const archive = await client.exportTree(vmId, '/src', { gzip });
    const file = join(work, gzip ? 'out.tgz' : 'out.tar');
    writeFileSync(file, archive);
    const dir = join(work, gzip ? 'x-gz' : 'x-plain');
    mkdirSync(dir);
    execFileSync('tar', [gzip ? '-xzpf' : '-xpf', file, '-C', dir]);
    assert.ok(readFileSync(join(dir, 'bin.dat')).equals(BINARY));
    assert.is(readFileSync(join(dir, 'sub', LONG), 'utf8'), 'long name\n');
    assert.is(readFileSync(join(dir, DEEP, 'deep.txt'), 'utf8'), 'deep\n');
    assert.is(readlinkSync(join(dir, 'sub/rel-link')), '../bin.dat');
    assert.is(readlinkSync(join(dir, 'sub/dir-link')), 'inner');
    const bin = lstatSync(join(dir, 'bin.dat'), { bigint: true });
    assert.is(lstatSync(join(dir, 'sub/hard'), { bigint: true }).ino, bin.ino);
    assert.is(bin.mtimeNs, 1_500_000_000_987_654_321n);
    assert.is(lstatSync(join(dir, 'sub/inner/exec.sh')).mode & 0o7777, 0o755);
    assert.is(lstatSync(join(dir, 'sub/secret')).mode & 0o7777, 0o600);
    assert.is(lstatSync(join(dir, 'sub')).mode & 0o7777, 0o750);
    // (Not sub's: GNU tar makes symlinks last, through placeholders, which touches their directory after it set its time.)
    assert.is(lstatSync(join(dir, 'sub/inner'), { bigint: true }).mtimeNs, 1_400_000_000_000_000_000n);
    assert.is(lstatSync(join(dir, 'sub/secret')).uid, 1000);
    // tar -t agrees on the entries and their kinds.
    const listing = execFileSync('tar', [gzip ? '-tzvf' : '-tvf', file], { encoding: 'utf8' });
    assert.match(listing, /^hrw-r--r-- .* sub\/hard link to bin\.dat$/m);
    assert.match(listing, /^lrwxrwxrwx .* sub\/rel-link -> \.\.\/bin\.dat$/m);
  }
});

test("fs/import takes what the host's tar writes (GNU plain, pax gzipped)", async () => {
  const src = join(work, 'host-src');
  mkdirSync(join(src, 'a/b'), { recursive: true });
  writeFileSync(join(src, 'a/b/data.bin'), BINARY);
  writeFileSync(join(src, `a/${LONG}`), 'long');
  mkdirSync(join(src, DEEP), { recursive: true });
  writeFileSync(join(src, DEEP, 'f'), 'deep');
  chmodSync(join(src, 'a/b/data.bin'), 0o640);
  symlinkSync('b/data.bin', join(src, 'a/link'));
  linkSync(join(src, 'a/b/data.bin'), join(src, 'a/hard'));
  utimesSync(join(src, 'a/b/data.bin'), 1_000_000, 1_234_567.5);
  utimesSync(join(src, 'a/b'), 2_000_000, 2_345_678);
  for (const [format, flags] of [['gnu', '-cf'], ['posix', '-czf']] as const) {
    const file = join(work, `host-${format}.tar`);
    execFileSync('tar', [`--format=${format}`, flags, file, '-C', src, '.']);
    const into = `/from-${format}`;
    const result = await client.importTree(vmId, into, readFileSync(file), { chunkBytes: 3000 });
    assert.is(result.done, true);
    assert.ok((await client.readFile(vmId, `${into}/a/b/data.bin`)).equals(BINARY));
    assert.is((await client.readFile(vmId, `${into}/${DEEP}/f`)).toString(), 'deep');
    assert.is(await client.readlink(vmId, `${into}/a/link`), 'b/data.bin');
    const data = await client.stat(vmId, `${into}/a/b/data.bin`);
    assert.is(data.mode & 0o7777, 0o640);
    assert.is(data.nlink, 2);
    assert.is((await client.stat(vmId, `${into}/a/hard`)).ino, data.ino);
    // GNU's format holds whole seconds; pax the exact time.
    assert.is(data.mtimeNs, format === 'posix' ? '1234567500000000' : '1234567000000000');
    assert.is((await client.stat(vmId, `${into}/a/b`)).mtimeNs, '2345678000000000');
    assert.is((await client.readFile(vmId, `${into}/a/${LONG}`)).toString(), 'long');
  }
});

/** A ustar header block (for archives no honest tar writes). */
function header(name: string, opts: { type?: string; size?: number; linkname?: string; mode?: number } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write(`${(opts.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${(opts.size ?? 0).toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  h.write(opts.linkname ?? '', 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}
function file(name: string, data: string): Buffer {
  const body = Buffer.from(data);
  return Buffer.concat([header(name, { size: body.length }), body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
const END = Buffer.alloc(1024);

test('refused archives change nothing: traversal, links out, through a link, truncated, damaged, devices, over quota', async () => {
  await client.mkdir(vmId, '/target/keep', { recursive: true });
  await client.writeFile(vmId, '/target/keep/old', 'old');
  await client.symlink(vmId, '/etc', '/target/existing-link');
  await client.writeFile(vmId, '/outside', 'outside');
  const before = await describeTree(client, vmId, '/target');
  const usage = (await client.vmStats(vmId)).fs;
  const cases: Array<[string, Buffer, string, string?]> = [
    ['dot-dot', Buffer.concat([file('ok', 'fine'), file('a/../../escape', 'x'), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'a/../../escape'],
    ['absolute', Buffer.concat([file('/etc/evil', 'x'), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', '/etc/evil'],
    ['symlink out (relative)', Buffer.concat([header('up', { type: '2', linkname: '../../outside' }), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'up'],
    ['symlink out (absolute)', Buffer.concat([header('abs', { type: '2', linkname: '/outside' }), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'abs'],
    ['symlink then a file through it', Buffer.concat([header('d', { type: '2', linkname: 'keep' }), file('d/new', 'x'), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'd/new'],
    ['a file through an existing symlink', Buffer.concat([file('existing-link/passwd', 'x'), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'existing-link/passwd'],
    ['hard link out', Buffer.concat([header('h', { type: '1', linkname: '../outside' }), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'h'],
    ['hard link to a file not in the archive', Buffer.concat([header('h', { type: '1', linkname: 'keep/old' }), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'h'],
    ['a file replacing a directory', Buffer.concat([file('keep', 'x'), END]), 'ERR_AGENTOS_ARCHIVE_UNSAFE', 'keep'],
    ['truncated in an entry', Buffer.concat([file('ok', 'fine'), file('big', 'y'.repeat(3000))]).subarray(0, 1800), 'ERR_AGENTOS_ARCHIVE_INVALID'],
    ['no end blocks', Buffer.concat([file('ok', 'fine')]), 'ERR_AGENTOS_ARCHIVE_INVALID'],
    ['damaged checksum', Buffer.concat([file('ok', 'fine'), END]).fill(0x41, 20, 30), 'ERR_AGENTOS_ARCHIVE_INVALID'],
    ['a device', Buffer.concat([header('dev', { type: '3' }), END]), 'ERR_AGENTOS_ARCHIVE_INVALID'],
    ['not tar at all', Buffer.from('hello, this is not an archive'.repeat(40)), 'ERR_AGENTOS_ARCHIVE_INVALID'],
    ['over quota', Buffer.concat([file('first', 'ok'), header('huge', { size: QUOTA }), Buffer.alloc(8192)]), 'ERR_AGENTOS_FS_QUOTA'],
  ];
  for (const [what, archive, code, entry] of cases) {
    const err = await rejection(() => client.importTree(vmId, '/target', archive, { chunkBytes: 700 }));
    assert.is(err.code, code, `${what}: ${err.message}`);
    assert.match(err.message, /nothing was written/, what);
    if (entry) assert.is(err.data.path, entry, what);
    assert.equal(await describeTree(client, vmId, '/target'), before, what);
    assert.equal((await client.vmStats(vmId)).fs, usage, what);
  }
  assert.is((await client.readFile(vmId, '/outside')).toString(), 'outside');
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'fs_quota_bytes'));
  // A gzip bomb stops at the quota too, however far it would inflate.
  const { gzipSync } = await import('node:zlib');
  const bomb = gzipSync(Buffer.concat([header('zeros', { size: 64 * 1024 * 1024 }), Buffer.alloc(64 * 1024 * 1024)]));
  assert.is((await rejection(() => client.importTree(vmId, '/target', bomb))).code, 'ERR_AGENTOS_FS_QUOTA');
  assert.equal(await describeTree(client, vmId, '/target'), before);
  // The sessions ended: none is left open to use up the VM's imports.
  assert.is((await rejection(() => client.request(P.FsImport, { vmId, path: '/target', archive: '', importId: 'import-1' }))).code, 'ERR_AGENTOS_IMPORT_NOT_FOUND');
});

test('fs/import sessions are bounded per VM and end with it', async () => {
  const { vmId: vm } = await client.createVm({ limits: {} });
  const opened: string[] = [];
  for (let i = 0; i < 4; i++) opened.push((await client.request(P.FsImport, { vmId: vm, path: `/i${i}`, archive: file('a', 'x').toString('base64'), more: true })).importId);
  const full = await rejection(() => client.request(P.FsImport, { vmId: vm, path: '/i9', archive: '', more: true }));
  assert.equal([full.code, full.data.limit, full.data.capacity], ['ERR_AGENTOS_FS_IMPORT_LIMIT', 'fs_imports_per_vm', 4]);
  const done = await client.request(P.FsImport, { vmId: vm, path: '/i0', archive: END.toString('base64'), importId: opened[0]! });
  assert.equal([done.done, done.entries], [true, 1]);
  assert.is((await client.readFile(vm, '/i0/a')).toString(), 'x');
  await client.disposeVm(vm);
  assert.is((await rejection(() => client.request(P.FsImport, { vmId: vm, path: '/i1', archive: '', importId: opened[1]! }))).code, 'ERR_AGENTOS_VM_DISPOSED');
});

test('an fs/export of a file is that one entry; of a missing path, ENOENT', async () => {
  const tar = await client.exportTree(vmId, '/src/empty');
  assert.is(execFileSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8' }), 'empty\n');
  const err = await rejection(() => client.exportTree(vmId, '/nope'));
  assert.equal([err.code, err.data.errno], ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  assert.ok(gunzipSync(await client.exportTree(vmId, '/src/empty', { gzip: true })).equals(tar));
});

test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await client.close();
});

test.run();
