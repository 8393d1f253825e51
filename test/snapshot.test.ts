import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';
import { buildTree, dump, run, xattrs } from './helpers/vm-tree.js';

test('vm/snapshot then vm/create {snapshot}: every byte and attribute, inode numbers and hard links included', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm();
  await buildTree(client, vmId);
  const before = await client.vmStats(vmId);
  const snap = await client.snapshot(vmId);
  assert.equal(snap, { snapshotId: 'snap-1', bytes: before.fs.bytes, files: before.fs.inodes });
  const source = await dump(client, vmId);
  const { vmId: copy } = await client.createVm({ snapshot: snap.snapshotId });
  const copied = await dump(client, copy);
  assert.equal(copied, source);
  // The tree holds what the builder made (so the comparison above compares something).
  const text = source.find((e) => e.p === '/home/user/tree/text.txt')!;
  assert.is(Number(text.nlink), 3);
  assert.is(source.find((e) => e.p === '/home/user/tree/deep/hard-link')!.ino, text.ino);
  // utimes(1100000000.654321) as libuv sets it (the double's ns cut to whole microseconds:
  // host Node on Linux stats 1100000000654320000 too), kept exactly.
  assert.is(source.find((e) => e.p === '/home/user/tree/exec.sh')!.mtimeNs, '1100000000654320000');
  assert.is(source.find((e) => e.p === '/home/user/tree/abs-link')!.target, '/home/user/tree/deep');
  assert.equal(await xattrs(client, copy), await xattrs(client, vmId));
  assert.match((await xattrs(client, copy))[0]!, 'user.color=0x626c7565');
  const stats = await client.vmStats(copy);
  assert.equal(stats.fs, before.fs);
  await client.close();
});

test('a VM made from a snapshot is configured as its source: env, cwd, limits, permissions, bindings', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({
    env: { FOO: 'bar' },
    cwd: '/work/here',
    limits: { fsQuotaBytes: 5_000_000, fsInodeLimit: 900, maxOpenFiles: 40 },
    permissions: { fs: 'read-only' },
    bindings: ['ping'],
  });
  await client.writeFile(vmId, '/work/here/data.txt', 'host-written');
  const { snapshotId } = await client.snapshot(vmId);
  const { vmId: copy } = await client.createVm({ snapshot: snapshotId });
  const probe = "console.log(process.env.FOO, process.cwd(), require('fs').readFileSync('data.txt', 'utf8'), typeof host.ping); try { require('fs').writeFileSync('x', '1') } catch (e) { console.log(e.code) }";
  const a = await client.exec(vmId, 'node', ['-e', probe]);
  const b = await client.exec(copy, 'node', ['-e', probe]);
  assert.is(a.stdout, 'bar /work/here host-written function\nEROFS\n');
  assert.is(b.stdout, a.stdout);
  const [sa, sb] = [await client.vmStats(vmId), await client.vmStats(copy)];
  assert.equal(sb.fs, sa.fs);
  assert.is(sb.fs.quotaBytes, 5_000_000);
  assert.is(sb.fs.inodeLimit, 900);
  // vm/create takes nothing else with a snapshot: the snapshot is the whole configuration.
  const err = await rejection(() => client.createVm({ snapshot: snapshotId, env: { A: 'b' } }));
  assert.is(err.code, 'ERR_AGENTOS_INVALID_PARAMS');
  assert.is(err.data.field, '/env');
  assert.is((await rejection(() => client.createVm({ snapshot: 'snap-99' }))).code, 'ERR_AGENTOS_SNAPSHOT_NOT_FOUND');
  await client.close();
});

test('vm/fork diverges both ways (files, dirs, deletes, renames, hard links, xattrs, modes) while the parent stays as it was', async () => {
  const { client } = await startSidecar();
  const { vmId: parent } = await client.createVm();
  await buildTree(client, parent);
  const parentBefore = await dump(client, parent);
  const parentXattrs = await xattrs(client, parent);
  const { vmId: child } = await client.fork(parent);
  const childBefore = await dump(client, child);
  assert.equal(withoutAtimes(childBefore), withoutAtimes(parentBefore));
  await run(client, child, String.raw`
    const fs = require('fs');
    const t = '/home/user/tree';
    fs.writeFileSync(t + '/text.txt', 'changed through the first name\n');
    fs.appendFileSync(t + '/deep/a/b/c/d/e/bytes.bin', 'tail');
    fs.mkdirSync(t + '/new-dir/inner', { recursive: true });
    fs.writeFileSync(t + '/new-dir/inner/new.txt', 'new');
    fs.unlinkSync(t + '/empty.bin');
    fs.rmSync(t + '/deep/a/b/c/d', { recursive: true });
    fs.renameSync(t + '/exec.sh', t + '/moved.sh');
    fs.renameSync(t + '/empty', t + '/new-dir/empty-moved');
    fs.linkSync(t + '/moved.sh', t + '/moved-link');
    fs.chmodSync(t + '/hard-link-2', 0o600);
    fs.symlinkSync('moved.sh', t + '/rel-link2');
  `);
  const set = await client.exec(child, 'setfattr', ['-n', 'user.color', '-v', 'red', '/home/user/tree/deep/hard-link']);
  assert.is(set.exitCode, 0);
  // The child sees its changes, through every name of a shared inode.
  const seen = await run(client, child, String.raw`
    const fs = require('fs');
    const t = '/home/user/tree';
    console.log(fs.readFileSync(t + '/hard-link-2', 'utf8').trim(), fs.statSync(t + '/text.txt').mode.toString(8), fs.statSync(t + '/text.txt').nlink,
      fs.existsSync(t + '/empty.bin'), fs.existsSync(t + '/deep/a/b/c/d'), fs.statSync(t + '/moved.sh').nlink, fs.readdirSync(t + '/new-dir').join(','));
  `);
  assert.is(seen, 'changed through the first name 100600 3 false false 2 empty-moved,inner\n');
  // The parent is exactly as it was (but the times its own dumps read, which are its own).
  const parentAfter = await dump(client, parent);
  assert.equal(withoutAtimes(parentAfter), withoutAtimes(parentBefore));
  assert.equal(await xattrs(client, parent), parentXattrs);
  assert.match((await client.exec(child, 'getfattr', ['-n', 'user.color', '--only-values', '/home/user/tree/text.txt'])).stdout, 'red');
  // And a write in the parent after the fork never shows in the child.
  await client.writeFile(parent, '/home/user/tree/text.txt', 'parent wrote');
  await client.remove(parent, '/home/user/tree/new-file-in-parent').catch(() => {});
  await client.writeFile(parent, '/home/user/tree/parent-only.txt', 'p');
  assert.is((await client.readFile(child, '/home/user/tree/text.txt')).toString(), 'changed through the first name\n');
  assert.is((await rejection(() => client.stat(child, '/home/user/tree/parent-only.txt'))).code, 'ERR_AGENTOS_FS_NOT_FOUND');
  assert.is((await client.readFile(parent, '/home/user/tree/deep/hard-link')).toString(), 'parent wrote');
  await client.close();
});

test('a snapshot taken while a process writes through an open fd: the snapshot has what was written before it, the writer goes on in its own VM only', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm();
  const outputs: string[] = [];
  client.onOutput((e) => outputs.push(e.data));
  // Writes 'a', says so, then for each stdin line writes it through the same fd.
  const { pid } = await client.spawn(vmId, 'node', ['-e', String.raw`
    const fs = require('fs');
    const fd = fs.openSync('/tmp/log.txt', 'a');
    fs.writeSync(fd, 'a');
    console.log('ready');
    process.stdin.on('data', (d) => { fs.writeSync(fd, d.toString().trim()); console.log('size ' + fs.fstatSync(fd).size); if (d.toString().includes('end')) { fs.closeSync(fd); process.exit(0); } });
  `]);
  const exited = client.waitForExit(vmId, pid);
  await until(() => outputs.join('').includes('ready'));
  const { snapshotId } = await client.snapshot(vmId);
  await client.writeStdin(vmId, pid, 'b\n');
  await until(() => outputs.join('').includes('size 2'));
  const { vmId: fork } = await client.fork(vmId);
  await client.writeStdin(vmId, pid, 'end\n');
  await exited;
  assert.ok(outputs.join('').includes('size 5'), outputs.join(''));
  assert.is((await client.readFile(vmId, '/tmp/log.txt')).toString(), 'abend');
  assert.is((await client.readFile(fork, '/tmp/log.txt')).toString(), 'ab');
  const { vmId: fromSnapshot } = await client.createVm({ snapshot: snapshotId });
  assert.is((await client.readFile(fromSnapshot, '/tmp/log.txt')).toString(), 'a');
  await client.close();
});

test('quota accounting stays right in parent and fork, each charged for what it holds', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({ limits: { fsQuotaBytes: 3_000_000 } });
  await client.writeFile(vmId, '/data/big.bin', new Uint8Array(2_000_000).fill(7));
  const { vmId: fork } = await client.fork(vmId);
  const [p0, f0] = [await client.vmStats(vmId), await client.vmStats(fork)];
  assert.equal(f0.fs, p0.fs);
  // Each has the same room left: a fork does not get the parent's room, nor take it.
  const room = 3_000_000 - p0.fs.bytes;
  assert.ok(room > 900_000 && room < 1_000_000, String(room));
  assert.is((await rejection(() => client.writeFile(fork, '/data/more.bin', new Uint8Array(room + 1)))).code, 'ERR_AGENTOS_FS_QUOTA');
  await client.writeFile(fork, '/data/more.bin', new Uint8Array(room));
  assert.is((await rejection(() => client.writeFile(fork, '/data/one-more.bin', new Uint8Array(1)))).code, 'ERR_AGENTOS_FS_QUOTA');
  await client.writeFile(vmId, '/data/other.bin', new Uint8Array(500_000));
  await client.remove(fork, '/data/big.bin');
  const [p1, f1] = [await client.vmStats(vmId), await client.vmStats(fork)];
  assert.is(p1.fs.bytes, p0.fs.bytes + 500_000);
  assert.is(p1.fs.inodes, p0.fs.inodes + 1);
  assert.is(f1.fs.bytes, p0.fs.bytes - 2_000_000 + room);
  assert.is(f1.fs.inodes, p0.fs.inodes);
  // The parent's own room is untouched by what the fork used.
  await client.writeFile(vmId, '/data/rest.bin', new Uint8Array(room - 500_000));
  assert.is((await client.vmStats(vmId)).fs.bytes, 3_000_000);
  await client.close();
});

test('snapshot/dispose frees its slot and bytes; count and bytes are bounded, with the limit logged', async () => {
  const { client, logs } = await startSidecar({ env: { AGENTOS_SNAPSHOT_MAX_COUNT: '2', AGENTOS_SNAPSHOT_MAX_BYTES: '3000000' } });
  const { vmId } = await client.createVm();
  await client.writeFile(vmId, '/a.bin', new Uint8Array(1_000_000));
  const s1 = await client.snapshot(vmId);
  const s2 = await client.snapshot(vmId);
  const third = await rejection(() => client.snapshot(vmId));
  assert.is(third.code, 'ERR_AGENTOS_SNAPSHOT_LIMIT');
  assert.equal([third.data.limit, third.data.capacity, third.data.observed], ['snapshot_max_count', 2, 3]);
  let stats = await client.stats();
  assert.equal(stats.snapshots, { held: 2, bytes: s1.bytes + s2.bytes, created: 2, disposed: 0, importsInProgress: 0 });
  assert.equal((await client.listSnapshots()).snapshots.map((s) => s.snapshotId), ['snap-1', 'snap-2']);
  assert.equal(await client.disposeSnapshot(s1.snapshotId), { snapshotId: s1.snapshotId });
  assert.is((await rejection(() => client.disposeSnapshot(s1.snapshotId))).code, 'ERR_AGENTOS_SNAPSHOT_NOT_FOUND');
  assert.is((await rejection(() => client.createVm({ snapshot: s1.snapshotId }))).code, 'ERR_AGENTOS_SNAPSHOT_NOT_FOUND');
  stats = await client.stats();
  assert.equal(stats.snapshots, { held: 1, bytes: s2.bytes, created: 2, disposed: 1, importsInProgress: 0 });
  // Bytes: a second 1 MB file makes the next snapshot pass 3,000,000 with the one held.
  await client.writeFile(vmId, '/b.bin', new Uint8Array(1_000_000));
  const big = await rejection(() => client.snapshot(vmId));
  assert.is(big.code, 'ERR_AGENTOS_SNAPSHOT_LIMIT');
  assert.is(big.data.limit, 'snapshot_max_bytes');
  assert.is(big.data.capacity, 3_000_000);
  await client.disposeSnapshot(s2.snapshotId);
  const s3 = await client.snapshot(vmId);
  assert.is(s3.snapshotId, 'snap-3');
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'snapshot_max_count'));
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'snapshot_max_bytes'));
  // A VM from a disposed snapshot's fork keeps its files: what it shares is not freed from under it.
  const { vmId: copy } = await client.createVm({ snapshot: s3.snapshotId });
  await client.disposeSnapshot(s3.snapshotId);
  assert.is((await client.readFile(copy, '/b.bin')).length, 1_000_000);
  await client.close();
});

test('snapshot/dispose frees the file versions only the snapshot held', async () => {
  const { client } = await startSidecar({ env: { NODE_OPTIONS: '--expose-gc' } });
  const held = async () => {
    await client.stats({ gc: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { memory } = await client.stats({ gc: true });
    return memory.externalBytes + memory.heapUsedBytes;
  };
  const MB = 1024 * 1024;
  const { vmId } = await client.createVm();
  const before = await held();
  await client.writeFile(vmId, '/big.bin', new Uint8Array(32 * MB).fill(1));
  const { snapshotId } = await client.snapshot(vmId);
  // The VM lets go of its version; only the snapshot holds the 32 MB now.
  await client.writeFile(vmId, '/big.bin', 'x');
  const withSnapshot = await held();
  assert.ok(withSnapshot - before > 24 * MB, `the snapshot holds ${(withSnapshot - before) / MB} MB`);
  await client.disposeSnapshot(snapshotId);
  const after = await held();
  assert.ok(withSnapshot - after > 24 * MB, `disposing freed ${(withSnapshot - after) / MB} MB`);
  assert.is((await client.readFile(vmId, '/big.bin')).toString(), 'x');
  await client.close();
});

/** A dump without access times (the dumps' own reads set them). */
function withoutAtimes(entries: Array<{ atimeNs: string; atimeMs?: unknown }>): unknown[] {
  return entries.map(({ atimeNs: _ns, atimeMs: _ms, ...rest }) => rest);
}

async function until(check: () => boolean): Promise<void> {
  await eventually(check);
}
test.run();
