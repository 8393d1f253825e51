import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { rejection, startSidecar } from './helpers/sidecar.js';

const { client, logs } = await startSidecar({ env: { AGENTOS_FS_QUOTA_BYTES: String(1024 * 1024) } });
const { vmId } = await client.createVm();

test('files round-trip as base64 and utf8, binary intact', async () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.equal(await client.request(P.FsWriteFile, { vmId, path: '/data/bin', data: bytes.toString('base64') }), { size: 256 });
  assert.ok((await client.readFile(vmId, '/data/bin')).equals(bytes));
  await client.request(P.FsWriteFile, { vmId, path: 'notes.txt', data: 'héllo ✓', encoding: 'utf8' });
  const back = await client.request(P.FsReadFile, { vmId, path: '/home/user/notes.txt', encoding: 'utf8' });
  assert.equal(back, { data: 'héllo ✓', encoding: 'utf8', size: Buffer.byteLength('héllo ✓') });
});

test('readdir, stat, mkdir and remove', async () => {
  assert.equal(await client.request(P.FsMkdir, { vmId, path: '/a/b/c', recursive: true }), { created: true });
  assert.equal(await client.request(P.FsMkdir, { vmId, path: '/a/b/c', recursive: true }), { created: false });
  assert.is((await rejection(() => client.request(P.FsMkdir, { vmId, path: '/a/b' }))).code, 'ERR_AGENTOS_FS_EXISTS');
  await client.writeFile(vmId, '/a/b/f.txt', 'x');
  assert.equal(await client.request(P.FsReaddir, { vmId, path: '/a/b' }), { entries: [{ name: 'c', type: 'directory' }, { name: 'f.txt', type: 'file' }] });
  const st = await client.request(P.FsStat, { vmId, path: '/a/b/f.txt' });
  assert.equal([st.type, st.size, st.mode & 0o170000], ['file', 1, 0o100000]);
  assert.is((await rejection(() => client.request(P.FsRemove, { vmId, path: '/a' }))).code, 'ERR_AGENTOS_FS_NOT_EMPTY');
  assert.equal(await client.request(P.FsRemove, { vmId, path: '/a', recursive: true }), { removed: 4 });
  const gone = await rejection(() => client.request(P.FsStat, { vmId, path: '/a' }));
  assert.equal([gone.code, gone.data.errno], ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  assert.is((await rejection(() => client.request(P.FsReadFile, { vmId, path: '/tmp' }))).code, 'ERR_AGENTOS_FS_IS_DIRECTORY');
  assert.is((await rejection(() => client.request(P.FsRemove, { vmId, path: '/' }))).code, 'ERR_AGENTOS_INVALID_PATH');
});

test('host paths can never leave the VM root', async () => {
  const hostPasswd = readFileSync('/etc/passwd');
  const attempts = ['../../../etc/passwd', '/../etc/passwd', '/home/../../etc/passwd', 'a/../../../../x', '/tmp/\0/x', `/${'n'.repeat(300)}`, `/${'d/'.repeat(2100)}x`];
  for (const path of attempts) {
    const err = await rejection(() => client.request(P.FsWriteFile, { vmId, path, data: 'pwned', encoding: 'utf8' }));
    assert.is(err.code, 'ERR_AGENTOS_INVALID_PATH', `${path.slice(0, 40)}: ${err.message}`);
    assert.is((await rejection(() => client.request(P.FsReadFile, { vmId, path }))).code, 'ERR_AGENTOS_INVALID_PATH');
  }
  assert.ok(readFileSync('/etc/passwd').equals(hostPasswd));
  // Inside the VM, /etc/passwd is the VM's own (absent) file, not the host's.
  assert.is((await rejection(() => client.request(P.FsReadFile, { vmId, path: '/etc/passwd' }))).code, 'ERR_AGENTOS_FS_NOT_FOUND');
});

test('guest paths and symlinks stay inside the VM too', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    fs.symlinkSync('/../../../../etc', '/tmp/escape');
    fs.symlinkSync('../../../../../../etc/passwd', '/tmp/rel');
    const tries = ['/../../etc/passwd', '../../../../etc/passwd', '/tmp/escape/passwd', '/tmp/rel', '/proc/self/environ'];
    for (const p of tries) { try { fs.readFileSync(p); console.log('READ', p) } catch (e) { console.log(e.code) } }
    try { fs.readFileSync('/tmp/\\0x') } catch (e) { console.log(e.code) }
    try { fs.writeFileSync('/tmp/' + 'x'.repeat(300), '') } catch (e) { console.log(e.code) }
    fs.symlinkSync('/tmp/loop1', '/tmp/loop2'); fs.symlinkSync('/tmp/loop2', '/tmp/loop1');
    try { fs.readFileSync('/tmp/loop1') } catch (e) { console.log(e.code) }
  `]);
  assert.is(r.stderr, '');
  // A NUL byte in a path is refused before the VM sees it, with Node's own error.
  assert.is(r.stdout, 'ENOENT\nENOENT\nENOENT\nENOENT\nENOENT\nERR_INVALID_ARG_VALUE\nENAMETOOLONG\nELOOP\n');
});

test('the byte quota stops writes with ENOSPC / ERR_AGENTOS_FS_QUOTA and a warning', async () => {
  const big = Buffer.alloc(700 * 1024, 1).toString('base64');
  await client.request(P.FsWriteFile, { vmId, path: '/big1', data: big });
  const err = await rejection(() => client.request(P.FsWriteFile, { vmId, path: '/big2', data: big }));
  assert.is(err.code, 'ERR_AGENTOS_FS_QUOTA');
  assert.match(err.message, /1048576 bytes/);
  const guest = await client.exec(vmId, 'node', ['-e', 'try { require("fs").writeFileSync("/big3", "x".repeat(700 * 1024)) } catch (e) { console.log(e.code) }']);
  assert.is(guest.stdout, 'ENOSPC\n');
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'fs_quota_bytes' && l.vmId === vmId));
  // Space comes back when files go.
  await client.request(P.FsRemove, { vmId, path: '/big1' });
  await client.request(P.FsWriteFile, { vmId, path: '/big2', data: big });
  const stats = await client.request(P.VmStats, { vmId });
  assert.ok(stats.fs.bytes >= 700 * 1024 && stats.fs.bytes < 800 * 1024, String(stats.fs.bytes));
});

test('VMs do not see each other\'s files', async () => {
  const other = (await client.createVm()).vmId;
  await client.writeFile(other, '/secret', 'mine');
  assert.is((await rejection(() => client.readFile(vmId, '/secret'))).code, 'ERR_AGENTOS_FS_NOT_FOUND');
  const r = await client.exec(vmId, 'node', ['-e', 'console.log(require("fs").existsSync("/secret"))']);
  assert.is(r.stdout, 'false\n');
});

test('guest filesystem permissions: read-only and none', async () => {
  const ro = (await client.createVm({ permissions: { fs: 'read-only' }, files: [{ path: '/data.txt', data: 'ro', encoding: 'utf8' }] })).vmId;
  const r = await client.exec(ro, 'node', ['-e', 'const fs = require("fs"); console.log(fs.readFileSync("/data.txt", "utf8")); try { fs.writeFileSync("/x", "y") } catch (e) { console.log(e.code) }']);
  assert.is(r.stdout, 'ro\nEROFS\n');
  const none = (await client.createVm({ permissions: { fs: 'none' }, files: [{ path: '/data.txt', data: 'no', encoding: 'utf8' }] })).vmId;
  const n = await client.exec(none, 'node', ['-e', 'try { require("fs").readFileSync("/data.txt") } catch (e) { console.log(e.code) }']);
  assert.is(n.stdout, 'EACCES\n');
  // The host itself is not bound by guest permissions.
  assert.is((await client.readFile(none, '/data.txt')).toString(), 'no');
});

test.after(async () => {
  await client.close();
});

test.run();
