import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import { ProgressType } from 'vscode-jsonrpc/node';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from '../src/fs/tar-format.js';
import { readTar, type ReadEntry } from '../src/fs/tar-read.js';
import { rejection, startSidecar } from './helpers/sidecar.js';
import { buildTree, dump, withoutInos, xattrs } from './helpers/vm-tree.js';

test('export → import in a second daemon → create: every byte and attribute, hard links still one inode', async () => {
  const a = await startSidecar({ env: { AGENTOS_SNAPSHOT_EXPORT_CHUNK_BYTES: '65536' } });
  const { vmId } = await a.client.createVm({ env: { WHO: 'exported' }, limits: { maxOpenFiles: 50 } });
  await buildTree(a.client, vmId);
  const { snapshotId, bytes, files } = await a.client.snapshot(vmId);
  const source = await dump(a.client, vmId);
  const sourceXattrs = await xattrs(a.client, vmId);
  const progress: unknown[] = [];
  a.client.connection.onProgress(new ProgressType<unknown>(), 'export-1-token', (value) => void progress.push(value));
  const exported = await a.client.exportSnapshot(snapshotId, { workDoneToken: 'export-1-token' });
  assert.is(exported.archive.length, exported.bytes);
  assert.is(createHash('sha256').update(exported.archive).digest('hex'), exported.sha256);
  assert.is(exported.chunks, Math.ceil(exported.bytes / 65536));
  assert.ok(exported.chunks > 4, `${exported.chunks} chunks`);
  // $/progress: begin, reports, end, in that order.
  const kinds = (progress as Array<{ kind: string }>).map((p) => p.kind);
  assert.is(kinds[0], 'begin');
  assert.is(kinds.at(-1), 'end');
  assert.ok(kinds.slice(1, -1).length > 0 && kinds.slice(1, -1).every((k) => k === 'report'), kinds.join(','));
  // Any tar reader can list it: the manifest first, then the tree under fs/.
  const names = [...readTar(exported.archive)].map((e) => e.name);
  assert.is(names[0], 'agentos-snapshot.json');
  assert.ok(names.includes(`fs/home/user/tree/${'n'.repeat(150)}.txt`));
  assert.ok(names.every((n, i) => i === 0 || n.startsWith('fs/')));

  const b = await startSidecar();
  const imported = await b.client.importSnapshot(exported.archive, { chunkBytes: 100_000 });
  assert.equal([imported.bytes, imported.files, imported.received], [bytes, files, exported.bytes]);
  const { vmId: there } = await b.client.createVm({ snapshot: imported.snapshotId! });
  const copied = await dump(b.client, there);
  assert.equal(withoutInos(copied), withoutInos(source));
  assert.equal(await xattrs(b.client, there), sourceXattrs);
  assert.is((await b.client.exec(there, 'node', ['-e', 'console.log(process.env.WHO)'])).stdout, 'exported\n');
  assert.equal((await b.client.vmStats(there)).fs, (await a.client.vmStats(vmId)).fs);
  // And back again: the re-export of the import holds the same tree.
  const again = await b.client.exportSnapshot(imported.snapshotId!);
  const manifest = (archive: Buffer) => JSON.parse([...readTar(archive)][0]!.data.toString()) as { entries: unknown[] };
  assert.equal(manifest(again.archive).entries, manifest(exported.archive).entries);
  await b.client.close();
  await a.client.close();
});

/** A small real archive to damage. */
async function smallArchive(): Promise<Buffer> {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm();
  await client.writeFile(vmId, '/home/user/a.txt', 'some bytes');
  const { archive } = await client.exportSnapshot((await client.snapshot(vmId)).snapshotId);
  await client.close();
  return archive;
}

/** Writes entries back as an archive, after `edit` changed them. */
function rebuild(archive: Buffer, edit: (entries: ReadEntry[]) => ReadEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of edit([...readTar(archive)])) {
    out.push(encodeHeader(e), e.data, Buffer.alloc(padding(e.data.length)));
  }
  out.push(END_OF_ARCHIVE);
  return Buffer.concat(out);
}

function withManifest(archive: Buffer, change: (m: Record<string, unknown>) => void): Buffer {
  return rebuild(archive, (entries) => {
    const m = JSON.parse(entries[0]!.data.toString()) as Record<string, unknown>;
    change(m);
    const data = Buffer.from(JSON.stringify(m));
    return [{ ...entries[0]!, data, size: data.length }, ...entries.slice(1)];
  });
}

test('refused archives: newer version, truncated, damaged, traversal, absolute, link to nothing, past the limit; the daemon goes on', async () => {
  const archive = await smallArchive();
  const { client, logs } = await startSidecar({ env: { AGENTOS_SNAPSHOT_ARCHIVE_MAX_BYTES: String(archive.length + 4096) } });
  const refused = async (bytes: Buffer) => rejection(() => client.importSnapshot(bytes, { chunkBytes: 4096 }));

  // Unchanged, it imports (so every refusal below is the change's doing).
  assert.type((await client.importSnapshot(archive)).snapshotId, 'string');

  const newer = await refused(withManifest(archive, (m) => (m.version = 2)));
  assert.is(newer.code, 'ERR_AGENTOS_SNAPSHOT_VERSION');
  assert.match(newer.message, 'format version 2; this sidecar reads version 1');

  for (const cut of [archive.length - 512, archive.length - 700, archive.length - 1024, 700, 100]) {
    const err = await refused(archive.subarray(0, cut));
    assert.is(err.code, 'ERR_AGENTOS_SNAPSHOT_TRUNCATED', `cut at ${cut}: ${err.message}`);
  }

  const header = Buffer.from(archive);
  header[5] ^= 0x20; // a name byte of the manifest's header
  const badSum = await refused(header);
  assert.is(badSum.code, 'ERR_AGENTOS_SNAPSHOT_DAMAGED');
  assert.match(badSum.message, 'fails its checksum');

  const bytes = rebuild(archive, (entries) => entries.map((e) => (e.name === 'fs/home/user/a.txt' ? { ...e, data: Buffer.from('other byte') } : e)));
  const badData = await refused(bytes);
  assert.is(badData.code, 'ERR_AGENTOS_SNAPSHOT_DAMAGED');
  assert.match(badData.message, "the bytes of 'home/user/a.txt' differ");

  const notJson = await refused(rebuild(archive, (entries) => [{ ...entries[0]!, data: Buffer.from('{nope'), size: 5 }, ...entries.slice(1)]));
  assert.is(notJson.code, 'ERR_AGENTOS_SNAPSHOT_DAMAGED');

  const notSnapshot = await refused(rebuild(archive, (entries) => entries.slice(1)));
  assert.is(notSnapshot.code, 'ERR_AGENTOS_SNAPSHOT_DAMAGED');
  assert.match(notSnapshot.message, 'not an agentOS snapshot archive');

  // Names that would land outside the tree, whatever the manifest says.
  for (const name of ['fs/home/../../etc/passwd', '/etc/passwd', 'fs//etc/x', 'other/x', 'fs/./x', 'fs/home/user/../../..']) {
    const evil = rebuild(archive, (entries) => [...entries, { ...entries.at(-1)!, name }]);
    const err = await refused(evil);
    assert.is(err.code, 'ERR_AGENTOS_SNAPSHOT_UNSAFE_PATH', `${name}: ${err.message}`);
  }
  // An entry inside a symlink the archive made: refused, not followed.
  const viaLink = withManifest(
    rebuild(archive, (entries) => [...entries, { ...entries.at(-1)!, name: 'fs/escape', type: 'symlink', size: 0, data: Buffer.alloc(0), linkname: '/' }, { ...entries.at(-1)!, name: 'fs/escape/x' }]),
    (m) => {
      const entries = m.entries as Array<Record<string, unknown>>;
      const last = entries.at(-1)!;
      entries.push({ ...last, path: 'escape', type: 'symlink', target: '/', size: undefined, sha256: undefined }, { ...last, path: 'escape/x' });
    },
  );
  assert.is((await refused(viaLink)).code, 'ERR_AGENTOS_SNAPSHOT_UNSAFE_PATH');
  const dangling = rebuild(archive, (entries) => [...entries, { ...entries.at(-1)!, name: 'fs/home/user/l', type: 'hardlink', size: 0, data: Buffer.alloc(0), linkname: 'fs/nothing' }]);
  const danglingErr = await refused(withManifest(dangling, (m) => (m.entries as unknown[]).push({ path: 'home/user/l', type: 'link', linkTo: 'nothing' })));
  assert.is(danglingErr.code, 'ERR_AGENTOS_SNAPSHOT_UNSAFE_PATH');

  const big = Buffer.concat([archive, Buffer.alloc(8192)]);
  const tooBig = await refused(big);
  assert.is(tooBig.code, 'ERR_AGENTOS_SNAPSHOT_TOO_LARGE');
  assert.equal([tooBig.data.limit, tooBig.data.capacity], ['snapshot_archive_max_bytes', archive.length + 4096]);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'snapshot_archive_max_bytes'));

  // Nothing refused was held, no upload lingers, and the daemon serves on.
  const { snapshots } = await client.stats();
  assert.equal([snapshots.held, snapshots.created, snapshots.importsInProgress], [1, 1, 0]);
  assert.type((await client.importSnapshot(archive)).snapshotId, 'string');
  await client.close();
});

test('a version-1 archive written before the tar fold (src/vm/tar.ts) still imports, every byte and attribute', async () => {
  // Written by the daemon of 3567058 from buildTree: its long names are in pax headers named 'PaxHeader'.
  const archive = gunzipSync(readFileSync(new URL('fixtures/snapshot-v1/tree.tar.gz', import.meta.url)));
  const expected = JSON.parse(readFileSync(new URL('fixtures/snapshot-v1/tree.json', import.meta.url), 'utf8')) as { dump: unknown; xattrs: string[] };
  assert.ok(archive.includes('PaxHeader\0'), 'the fixture is in the old writer\'s layout');
  const { client } = await startSidecar();
  const imported = await client.importSnapshot(archive, { chunkBytes: 100_000 });
  const { vmId } = await client.createVm({ snapshot: imported.snapshotId! });
  assert.equal(withoutInos(await dump(client, vmId)), expected.dump);
  assert.equal(await xattrs(client, vmId), expected.xattrs);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log(process.env.WHO)'])).stdout, 'version 1\n');
  await client.close();
});

test('an import past the importing daemon\'s quota for its VM is refused at vm/create, with the quota named', async () => {
  const a = await startSidecar();
  const { vmId } = await a.client.createVm();
  await a.client.writeFile(vmId, '/big.bin', new Uint8Array(2_000_000));
  const { archive } = await a.client.exportSnapshot((await a.client.snapshot(vmId)).snapshotId);
  await a.client.close();
  const b = await startSidecar({ env: { AGENTOS_FS_QUOTA_BYTES: '1000000' } });
  const { snapshotId } = await b.client.importSnapshot(archive);
  const err = await rejection(() => b.client.createVm({ snapshot: snapshotId! }));
  assert.is(err.code, 'ERR_AGENTOS_SNAPSHOT_LIMIT');
  assert.equal([err.data.limit, err.data.capacity], ['fs_quota_bytes', 1_000_000]);
  assert.is((await b.client.listVms()).vms.length, 0);
  await b.client.close();
});

test('imports in progress are bounded; abort frees one', async () => {
  const { client } = await startSidecar({ env: { AGENTOS_SNAPSHOT_IMPORTS_MAX: '1' } });
  const first = await client.request(P.SnapshotImport, { data: '' });
  const second = await rejection(() => client.request(P.SnapshotImport, { data: '' }));
  assert.is(second.code, 'ERR_AGENTOS_SNAPSHOT_LIMIT');
  assert.is(second.data.limit, 'snapshot_imports_max');
  assert.is((await client.stats()).snapshots.importsInProgress, 1);
  await client.request(P.SnapshotImport, { importId: first.importId, data: '', abort: true });
  assert.is((await client.stats()).snapshots.importsInProgress, 0);
  assert.is((await rejection(() => client.request(P.SnapshotImport, { importId: first.importId, data: '' }))).code, 'ERR_AGENTOS_SNAPSHOT_NOT_FOUND');
  assert.type((await client.request(P.SnapshotImport, { data: '' })).importId, 'string');
  await client.close();
});

test.run();
