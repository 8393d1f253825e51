import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FsError } from '../src/fs/errors.js';
import { VirtualFs } from '../src/fs/vfs.js';

const bounds = { quotaBytes: 1000, inodeLimit: 20, pathMax: 4096, nameMax: 255, symlinkFollowMax: 40, pathWalkMax: 4096, packageJsonMaxBytes: 1024, packageJsonMaxDepth: 8, xattrValueMax: 64 };
const errno = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FsError) return err.errno;
    throw err;
  }
  return 'no error';
};
const bytes = (s: string) => Buffer.from(s);

test('symlinks resolve inside the tree, relative and absolute; loops are ELOOP', () => {
  const fs = new VirtualFs(bounds);
  fs.mkdir('/a/b', { recursive: true });
  fs.writeFile('/a/b/f', bytes('data'));
  fs.symlink('b/f', '/a/rel');
  fs.symlink('/a/b', '/abs');
  fs.symlink('../../../../a/b/f', '/a/b/up');
  assert.is(Buffer.from(fs.readFile('/a/rel')).toString(), 'data');
  assert.is(Buffer.from(fs.readFile('/abs/f')).toString(), 'data');
  assert.is(Buffer.from(fs.readFile('/a/b/up')).toString(), 'data');
  assert.is(fs.realpath('/abs/f'), '/a/b/f');
  assert.is(fs.stat('/a/rel', false).type, 'symlink');
  fs.symlink('/l2', '/l1');
  fs.symlink('/l1', '/l2');
  assert.is(errno(() => fs.readFile('/l1')), 'ELOOP');
});

test('rename follows POSIX rules', () => {
  const fs = new VirtualFs(bounds);
  fs.mkdir('/d/e', { recursive: true });
  fs.writeFile('/x', bytes('1'));
  fs.writeFile('/y', bytes('2'));
  fs.rename('/x', '/y');
  assert.is(Buffer.from(fs.readFile('/y')).toString(), '1');
  assert.is(errno(() => fs.rename('/d', '/d/e/inside')), 'EINVAL');
  assert.is(errno(() => fs.rename('/y', '/d')), 'EISDIR');
  fs.mkdir('/empty');
  fs.rename('/d/e', '/empty');
  assert.is(fs.stat('/empty').type, 'directory');
  assert.is(errno(() => fs.stat('/d/e')), 'ENOENT');
});

test('quota and inode accounting follow writes, truncation, links and removal', () => {
  const fs = new VirtualFs(bounds);
  fs.writeFile('/a', new Uint8Array(600));
  assert.is(errno(() => fs.writeFile('/b', new Uint8Array(600))), 'ENOSPC');
  fs.hardlink('/a', '/a2');
  fs.unlink('/a');
  assert.is(fs.usage.bytes, 600, 'the data lives on through the second link');
  fs.truncate('/a2', 100);
  assert.is(fs.usage.bytes, 100);
  fs.unlink('/a2');
  assert.equal(fs.usage, { bytes: 0, inodes: 1 });
  for (let i = 0; i < 19; i++) fs.writeFile(`/f${i}`, new Uint8Array(0));
  assert.is(errno(() => fs.writeFile('/one-too-many', new Uint8Array(0))), 'ENOSPC');
  assert.is(fs.remove('/f0'), 1);
  fs.writeFile('/fits-again', new Uint8Array(0));
});

test('sparse writes zero-fill and positional reads see them', () => {
  const fs = new VirtualFs(bounds);
  const file = fs.openFile('/s', { create: true });
  fs.writeAt(file, 10, bytes('end'));
  assert.is(file.size, 13);
  assert.equal([...fs.readAt(file, 8, 4)], [0, 0, 101, 110]);
});

test('`..` at the root stays at the root; NUL and long names are refused', () => {
  const fs = new VirtualFs(bounds);
  fs.writeFile('/top', bytes('t'));
  assert.is(Buffer.from(fs.readFile('/../../top')).toString(), 't');
  assert.is(errno(() => fs.readFile('/to\0p')), 'EINVAL');
  assert.is(errno(() => fs.readFile(`/${'x'.repeat(256)}`)), 'ENAMETOOLONG');
  assert.is(errno(() => fs.rmdir('/')), 'EBUSY');
});

test('lazy entries: made on first lookup or listing, counted then, ordinary once made, gone for good once removed', () => {
  const fs = new VirtualFs(bounds);
  fs.mkdir('/bin');
  const names = new Set(['ls', 'cat', 'sort']);
  fs.provide('/bin', { names: () => names, has: (n) => names.has(n), make: (n) => ({ data: bytes(`stub ${n}`), mode: 0o755 }) });
  const base = fs.usage.inodes;
  assert.is(Buffer.from(fs.readFile('/bin/cat')).toString(), 'stub cat');
  assert.is(fs.stat('/bin/cat').mode & 0o7777, 0o755);
  assert.is(fs.usage.inodes, base + 1, 'only the one looked up is made');
  assert.is(errno(() => fs.stat('/bin/nope')), 'ENOENT');
  assert.equal(fs.readdir('/bin').map((e) => e.name), ['cat', 'ls', 'sort']);
  assert.is(fs.usage.inodes, base + 3);
  fs.unlink('/bin/ls');
  assert.is(errno(() => fs.stat('/bin/ls')), 'ENOENT', 'a removed entry is not made again');
  fs.writeFile('/bin/cat', bytes('mine'));
  assert.is(Buffer.from(fs.readFile('/bin/cat')).toString(), 'mine');
  // A command that appears later shows up; a directory that still lists entries is not empty.
  names.add('jq');
  assert.is(errno(() => fs.rmdir('/bin')), 'ENOTEMPTY');
  assert.ok(fs.exists('/bin/jq'));
  fs.remove('/bin', true);
  assert.is(fs.usage.inodes, base - 1, 'removing the directory frees what it made');
  // A full filesystem goes without the entry instead of failing the lookup with ENOSPC.
  const full = new VirtualFs({ ...bounds, inodeLimit: 3 }); // the root, /bin, and room for one
  full.mkdir('/bin');
  full.provide('/bin', { names: () => ['a', 'b'], has: () => true, make: () => ({ data: bytes('x'), mode: 0o755 }) });
  assert.ok(full.exists('/bin/a'));
  assert.is(errno(() => full.stat('/bin/b')), 'ENOENT');
});

test('extended attributes: Linux namespaces, create/replace, a size bound, counted in the quota and freed with the file', () => {
  const fs = new VirtualFs(bounds);
  fs.writeFile('/f', bytes('data'));
  const used = fs.usage.bytes;
  fs.setxattr('/f', 'user.k', bytes('v1'));
  assert.is(Buffer.from(fs.getxattr('/f', 'user.k')).toString(), 'v1');
  assert.is(fs.usage.bytes, used + 'user.k'.length + 2);
  assert.is(errno(() => fs.setxattr('/f', 'user.k', bytes('x'), 'create')), 'EEXIST');
  assert.is(errno(() => fs.setxattr('/f', 'user.new', bytes('x'), 'replace')), 'ENODATA');
  fs.setxattr('/f', 'user.k', bytes('longer'), 'replace');
  assert.is(fs.usage.bytes, used + 'user.k'.length + 6);
  assert.is(errno(() => fs.setxattr('/f', 'bogus.k', bytes('x'))), 'ENOTSUP');
  assert.is(errno(() => fs.getxattr('/f', 'user.none')), 'ENODATA');
  assert.is(errno(() => fs.setxattr('/f', 'user.big', new Uint8Array(65))), 'E2BIG');
  assert.is(errno(() => fs.setxattr('/f', 'user.full', new Uint8Array(64).fill(1), undefined)), 'no error');
  assert.equal(fs.listxattr('/f').sort(), ['user.full', 'user.k']);
  fs.removexattr('/f', 'user.full');
  assert.is(errno(() => fs.removexattr('/f', 'user.full')), 'ENODATA');
  fs.unlink('/f');
  assert.is(fs.usage.bytes, used - 4, 'the file and its attributes are freed together');
  // Attributes share the byte quota: a full filesystem refuses one.
  const small = new VirtualFs({ ...bounds, quotaBytes: 10 });
  small.writeFile('/g', bytes('12345678'));
  assert.is(errno(() => small.setxattr('/g', 'user.k', bytes('v'))), 'ENOSPC');
});

test.run();
