import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { rejection, startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar({ env: { AGENTOS_FS_QUOTA_BYTES: String(1024 * 1024), AGENTOS_FS_READDIR_PAGE_MAX: '5' } });
const { vmId } = await client.createVm();
const { vmId: readOnly } = await client.createVm({ permissions: { fs: 'read-only' } });

async function fails(call: () => Promise<unknown>): Promise<[string, unknown]> {
  const err = await rejection(call);
  return [err.code, err.data.errno];
}

test('fs/rename: moves files and directories; rename(2) errors', async () => {
  await client.mkdir(vmId, '/r/a/deep', { recursive: true });
  await client.writeFile(vmId, '/r/a/deep/f', 'f');
  await client.writeFile(vmId, '/r/file', 'x');
  await client.mkdir(vmId, '/r/full/x', { recursive: true });
  assert.equal(await client.rename(vmId, '/r/a', '/r/b'), {});
  assert.is((await client.readFile(vmId, '/r/b/deep/f')).toString(), 'f');
  await client.writeFile(vmId, '/r/other', 'o');
  await client.rename(vmId, '/r/other', '/r/file');
  assert.is((await client.readFile(vmId, '/r/file')).toString(), 'o');
  assert.equal(await fails(() => client.rename(vmId, '/r/missing', '/r/z')), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  assert.equal(await fails(() => client.rename(vmId, '/r/file', '/r/b')), ['ERR_AGENTOS_FS_IS_DIRECTORY', 'EISDIR']);
  assert.equal(await fails(() => client.rename(vmId, '/r/b', '/r/file')), ['ERR_AGENTOS_FS_NOT_DIRECTORY', 'ENOTDIR']);
  assert.equal(await fails(() => client.rename(vmId, '/r/b', '/r/full')), ['ERR_AGENTOS_FS_NOT_EMPTY', 'ENOTEMPTY']);
  assert.equal(await fails(() => client.rename(vmId, '/r/b', '/r/b/deep/in')), ['ERR_AGENTOS_INVALID_PATH', 'EINVAL']);
  const climb = await rejection(() => client.rename(vmId, '/r/file', '../../../x'));
  assert.equal([climb.code, climb.data.field], ['ERR_AGENTOS_INVALID_PATH', '/to']);
  // The host drives the VM: a read-only VM's permissions bind its guests, not the host (as fs/writeFile).
  assert.equal(await client.rename(readOnly, '/tmp', '/tmp2'), {});
});

test('fs/copy: a file, a tree with recursive; Node cp errors', async () => {
  await client.mkdir(vmId, '/c/src/sub', { recursive: true });
  await client.writeFile(vmId, '/c/src/sub/f', 'data', { mode: 0o640 });
  await client.symlink(vmId, 'sub/f', '/c/src/link');
  assert.equal(await client.copy(vmId, '/c/src/sub/f', '/c/one'), {});
  assert.equal([(await client.readFile(vmId, '/c/one')).toString(), (await client.stat(vmId, '/c/one')).mode & 0o777], ['data', 0o640]);
  const notRecursive = await rejection(() => client.copy(vmId, '/c/src', '/c/dst'));
  assert.equal([notRecursive.code, notRecursive.data.errno], ['ERR_AGENTOS_FS_IS_DIRECTORY', 'EISDIR']);
  assert.equal(await client.copy(vmId, '/c/src', '/c/dst', { recursive: true }), {});
  assert.is((await client.readFile(vmId, '/c/dst/sub/f')).toString(), 'data');
  // A relative link is copied as Node copies it: made absolute from where it was.
  assert.is(await client.readlink(vmId, '/c/dst/link'), '/c/src/sub/f');
  assert.equal(await fails(() => client.copy(vmId, '/c/src', '/c/src/sub/in', { recursive: true })), ['ERR_AGENTOS_INVALID_PATH', 'EINVAL']);
  assert.equal(await fails(() => client.copy(vmId, '/c/nope', '/c/x')), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  await client.writeFile(vmId, '/c/big', Buffer.alloc(600 * 1024));
  assert.equal(await fails(() => client.copy(vmId, '/c/big', '/c/big2')), ['ERR_AGENTOS_FS_QUOTA', 'ENOSPC']);
  await client.remove(vmId, '/c/big');
});

test('fs/symlink and fs/readlink', async () => {
  assert.equal(await client.symlink(vmId, '../anywhere/at/all', '/s1'), {});
  assert.is(await client.readlink(vmId, '/s1'), '../anywhere/at/all');
  assert.equal(await fails(() => client.symlink(vmId, 'x', '/s1')), ['ERR_AGENTOS_FS_EXISTS', 'EEXIST']);
  assert.equal(await fails(() => client.symlink(vmId, 'x', '/no/such/dir/l')), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  assert.equal(await fails(() => client.readlink(vmId, '/tmp')), ['ERR_AGENTOS_INVALID_PATH', 'EINVAL']);
  assert.equal(await fails(() => client.readlink(vmId, '/nothing')), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  const nul = await rejection(() => client.symlink(vmId, 'a\0b', '/s2'));
  assert.equal([nul.code, nul.data.field], ['ERR_AGENTOS_INVALID_PATH', '/target']);
  // The guest sees the link as the host made it.
  const r = await client.exec(vmId, 'node', ['-e', 'console.log(require("fs").readlinkSync("/s1"))']);
  assert.is(r.stdout, '../anywhere/at/all\n');
});

test('fs/chmod, fs/utimes (exact ns, lutimes) and fs/truncate', async () => {
  await client.writeFile(vmId, '/m', 'hello world');
  await client.symlink(vmId, 'm', '/m-link');
  assert.equal(await client.chmod(vmId, '/m-link', 0o4711), {});
  assert.is((await client.stat(vmId, '/m')).mode, 0o104711);
  assert.equal(await client.utimes(vmId, '/m', 123_456_789_123_456_789n, 987_654_321_987_654_321n), {});
  const st = await client.stat(vmId, '/m');
  assert.equal([st.atimeNs, st.mtimeNs], ['123456789123456789', '987654321987654321']);
  await client.utimes(vmId, '/m-link', 5n, 7n, { followSymlinks: false });
  const link = await client.stat(vmId, '/m-link', { followSymlinks: false });
  assert.equal([link.atimeNs, link.mtimeNs], ['5', '7']);
  assert.is((await client.stat(vmId, '/m')).mtimeNs, '987654321987654321');
  assert.equal(await client.truncate(vmId, '/m', 5), {});
  assert.is((await client.readFile(vmId, '/m')).toString(), 'hello');
  await client.truncate(vmId, '/m', 8);
  assert.equal([...(await client.readFile(vmId, '/m'))], [104, 101, 108, 108, 111, 0, 0, 0]);
  assert.equal(await fails(() => client.truncate(vmId, '/tmp', 0)), ['ERR_AGENTOS_FS_IS_DIRECTORY', 'EISDIR']);
  assert.equal(await fails(() => client.truncate(vmId, '/m', 2 * 1024 * 1024)), ['ERR_AGENTOS_FS_ERROR', 'EFBIG']);
  assert.equal(await fails(() => client.chmod(vmId, '/none', 0o600)), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  assert.equal(await fails(() => client.utimes(vmId, '/none', 1n, 1n)), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
  const badMode = await rejection(() => client.request(P.FsChmod, { vmId, path: '/m', mode: 0o10000 }));
  assert.is(badMode.code, 'ERR_AGENTOS_INVALID_PARAMS');
  const badTime = await rejection(() => client.request(P.FsUtimes, { vmId, path: '/m', atimeNs: '-1', mtimeNs: '1' }));
  assert.is(badTime.code, 'ERR_AGENTOS_INVALID_PARAMS');
});

test('fs/readdir recursive with stats, paged (AGENTOS_FS_READDIR_PAGE_MAX = 5), resuming after the last name', async () => {
  await client.mkdir(vmId, '/t/a/b', { recursive: true });
  for (const f of ['/t/a/b/1', '/t/a/b/2', '/t/a/z', '/t/c', '/t/d/e']) await client.writeFile(vmId, f, f);
  await client.symlink(vmId, '/t', '/t/loop');
  const names: string[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await client.request(P.FsReaddir, { vmId, path: '/t', recursive: true, withStats: true, ...(after ? { after } : {}) });
    pages++;
    assert.ok(page.entries.length <= 5);
    for (const e of page.entries) {
      names.push(`${e.name}:${e.type}`);
      assert.is(e.stat!.type, e.type);
    }
    after = page.next;
  } while (after);
  // Depth first, by name, as Node's readdirSync(..., {recursive: true}) lists the same tree; the link not followed.
  assert.equal(names, ['a:directory', 'a/b:directory', 'a/b/1:file', 'a/b/2:file', 'a/z:file', 'c:file', 'd:directory', 'd/e:file', 'loop:symlink']);
  assert.is(pages, 2);
  const node = await client.exec(vmId, 'node', ['-e', 'console.log(require("fs").readdirSync("/t/a", { recursive: true }).sort().join(","))']);
  assert.is(node.stdout, 'b,b/1,b/2,z\n');
  const flat = await client.request(P.FsReaddir, { vmId, path: '/t/a/b', withStats: true });
  assert.equal(flat.entries.map((e) => [e.name, e.stat!.size]), [['1', 8], ['2', 8]]);
  assert.equal(await fails(() => client.request(P.FsReaddir, { vmId, path: '/t/c', recursive: true })), ['ERR_AGENTOS_FS_NOT_DIRECTORY', 'ENOTDIR']);
  assert.equal(await fails(() => client.request(P.FsReaddir, { vmId, path: '/t/none', recursive: true })), ['ERR_AGENTOS_FS_NOT_FOUND', 'ENOENT']);
});

test.after(async () => {
  await client.close();
});

test.run();
