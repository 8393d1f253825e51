/**
 * Forking a VM that holds 10,000 files and 50 MB (issue 14): the copy-on-write fork
 * (VirtualFs.freeze + a filesystem made from the image) against a full deep copy of the
 * same tree, both measured in this run, in this process (time, and heap + array-buffer
 * memory after GC per fork held); then vm/fork over RPC against the daemon, beside
 * vm/create of an empty VM (the floor of any VM creation over RPC).
 *
 *   node dist/bench/fork.js [--quick]     (npm run bench runs it too, as case 10)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SidecarClient } from '../src/client/client.js';
import { VirtualFs, type FsBounds } from '../src/fs/vfs.js';
import { resolveLimits } from '../src/limits/limits.js';
import { measure, summarize, type Summary } from './stats.js';

const DIRS = 100;
const FILES_PER_DIR = 100;
const FILE_BYTES = 5000; // 10,000 × 5,000 = 50,000,000 bytes

export interface ForkRow {
  what: string;
  stats?: Summary;
  value?: number;
  unit: string;
}

function bounds(): FsBounds {
  const l = resolveLimits({});
  return {
    quotaBytes: 64 * 1024 * 1024, inodeLimit: 20_000,
    pathMax: l.FS_PATH_MAX.value, nameMax: l.FS_NAME_MAX.value, symlinkFollowMax: l.FS_SYMLINK_FOLLOW_MAX.value, pathWalkMax: l.FS_PATH_WALK_MAX.value,
    packageJsonMaxBytes: l.PACKAGE_JSON_MAX_BYTES.value, packageJsonMaxDepth: l.PACKAGE_JSON_MAX_DEPTH.value, xattrValueMax: l.FS_XATTR_VALUE_MAX_BYTES.value,
  };
}

function fileBytes(seed: number): Uint8Array {
  const out = new Uint8Array(FILE_BYTES);
  for (let i = 0; i < FILE_BYTES; i++) out[i] = (seed * 31 + i) & 255;
  return out;
}

function populated(): VirtualFs {
  const fs = new VirtualFs(bounds());
  for (let d = 0; d < DIRS; d++) {
    fs.mkdir(`/project/d${d}`, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) fs.writeFile(`/project/d${d}/f${f}.txt`, fileBytes(d * FILES_PER_DIR + f));
  }
  return fs;
}

/** The baseline: what a fork costs without copy-on-write, every directory, file and byte copied. */
function deepCopy(source: VirtualFs): VirtualFs {
  const copy = new VirtualFs(source.bounds);
  const stack = ['/'];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const { name, node } of source.readdir(dir)) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (node.kind === 'directory') {
        copy.mkdir(path, { mode: node.mode });
        stack.push(path);
      } else if (node.kind === 'file') copy.writeFile(path, node.data.slice(0, node.size), { mode: node.mode });
    }
  }
  return copy;
}

/** V8's collector: the global one under --expose-gc, else one exposed now (npm run bench runs without the flag). */
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc ?? (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
/** Heap and array-buffer bytes in use after GC (twice, with a turn between: array buffers are freed a little later). */
const used = async () => {
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Time of each `make`, and the memory each result holds (mean over `held` kept alive at once). */
async function inProcess(held: number, make: () => unknown): Promise<{ times: number[]; bytesEach: number }> {
  const keep: unknown[] = [];
  const before = await used();
  const times: number[] = [];
  for (let i = 0; i < held; i++) {
    const t = performance.now();
    keep.push(make());
    times.push(performance.now() - t);
  }
  const bytesEach = ((await used()) - before) / held;
  keep.length = 0;
  return { times, bytesEach };
}

export async function forkBench(quick: boolean): Promise<ForkRow[]> {
  if (!gc) throw new Error('run with --expose-gc (node --expose-gc dist/bench/fork.js)');
  const rows: ForkRow[] = [];
  const KiB = 1024;
  const source = populated();
  const { bytes, inodes } = source.usage;
  rows.push({ what: 'VM filesystem forked: bytes / entries', value: bytes, unit: `bytes in ${inodes} entries` });

  // Copy-on-write: freeze, and a filesystem made from the image (its root adopted, as a VM's first lookup does).
  for (let i = 0; i < 5; i++) new VirtualFs(source.bounds, undefined, source.freeze()).exists('/project');
  const cow = await inProcess(quick ? 50 : 200, () => {
    const fork = new VirtualFs(source.bounds, undefined, source.freeze());
    fork.exists('/project/d0/f0.txt');
    return fork;
  });
  rows.push({ what: 'copy-on-write fork (freeze + new filesystem + one lookup), in process', stats: summarize(cow.times), unit: 'ms' });
  rows.push({ what: 'memory per copy-on-write fork held (heap + array buffers, after GC)', value: Math.round(cow.bytesEach / KiB * 10) / 10, unit: 'KiB' });

  const deep = await inProcess(quick ? 2 : 4, () => deepCopy(source));
  rows.push({ what: 'baseline: full deep copy of the same tree, in process', stats: summarize(deep.times), unit: 'ms' });
  rows.push({ what: 'memory per deep copy held (heap + array buffers, after GC)', value: Math.round(deep.bytesEach / KiB), unit: 'KiB' });

  // The first write of a fork: one 5,000-byte file rewritten (its directory's entries and its bytes copied).
  const writes = await inProcess(quick ? 50 : 200, () => {
    const fork = new VirtualFs(source.bounds, undefined, source.freeze());
    fork.writeFile('/project/d7/f7.txt', fileBytes(1));
    return fork;
  });
  rows.push({ what: 'fork, then its first write (one 5,000-byte file), in process', stats: summarize(writes.times), unit: 'ms' });
  rows.push({ what: 'memory per fork held after that write', value: Math.round(writes.bytesEach / KiB * 10) / 10, unit: 'KiB' });
  if (source.readFile('/project/d7/f7.txt')[0] !== fileBytes(7 * FILES_PER_DIR + 7)[0]) throw new Error('a fork\'s write showed in its source');

  // Over RPC: a VM with the same tree (written by guest JS), forked through the daemon.
  const client = await SidecarClient.start({ env: { NODE_OPTIONS: '--expose-gc', AGENTOS_LOG_LEVEL: 'warn', AGENTOS_MAX_VMS: '20000' } });
  const { vmId } = await client.createVm({ limits: { fsQuotaBytes: 64 * 1024 * 1024, fsInodeLimit: 20_000 } });
  const write = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    for (let d = 0; d < ${DIRS}; d++) {
      fs.mkdirSync('/project/d' + d, { recursive: true });
      for (let f = 0; f < ${FILES_PER_DIR}; f++) { const b = Buffer.alloc(${FILE_BYTES}); for (let i = 0; i < b.length; i++) b[i] = ((d * ${FILES_PER_DIR} + f) * 31 + i) & 255; fs.writeFileSync('/project/d' + d + '/f' + f + '.txt', b); }
    }`], { timeoutMs: 600_000 });
  if (write.exitCode !== 0) throw new Error(`populating the VM failed: ${write.stderr}`);
  const vmStats = await client.vmStats(vmId);
  rows.push({ what: 'VM forked over RPC: bytes / entries', value: vmStats.fs.bytes, unit: `bytes in ${vmStats.fs.inodes} entries` });
  const forks: string[] = [];
  const rpcFork = await measure(quick ? 20 : 100, async () => forks.push((await client.fork(vmId)).vmId), 5);
  rows.push({ what: 'vm/fork of that VM (RPC round trip)', stats: summarize(rpcFork), unit: 'ms' });
  const empties: string[] = [];
  const rpcCreate = await measure(quick ? 20 : 100, async () => empties.push((await client.createVm()).vmId), 5);
  rows.push({ what: 'baseline: vm/create of an empty VM (RPC round trip)', stats: summarize(rpcCreate), unit: 'ms' });
  for (const id of empties) await client.disposeVm(id);
  const daemonUsed = async () => {
    await client.stats({ gc: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const m = (await client.stats({ gc: true })).memory;
    return m.heapUsedBytes + m.externalBytes;
  };
  for (const id of forks.splice(0)) await client.disposeVm(id);
  const before = await daemonUsed();
  const held = quick ? 20 : 50;
  for (let i = 0; i < held; i++) forks.push((await client.fork(vmId)).vmId);
  rows.push({ what: 'daemon memory per forked VM held (heap + external, after GC; a VM\'s own state included)', value: Math.round(((await daemonUsed()) - before) / held / KiB * 10) / 10, unit: 'KiB' });
  for (const id of forks.splice(0)) await client.disposeVm(id);
  const before2 = await daemonUsed();
  for (let i = 0; i < held; i++) empties.push((await client.createVm()).vmId);
  rows.push({ what: 'baseline: daemon memory per empty VM held', value: Math.round(((await daemonUsed()) - before2) / held / KiB * 10) / 10, unit: 'KiB' });
  await client.close();
  return rows;
}

if (process.argv[1]?.endsWith('/fork.js') || process.argv[1]?.endsWith('/fork.ts')) {
  const rows = await forkBench(process.argv.includes('--quick'));
  for (const r of rows) {
    const s = r.stats;
    console.log(s ? `${r.what}: median ${s.median.toFixed(3)} ms, p95 ${s.p95.toFixed(3)}, min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)} (${s.samples})` : `${r.what}: ${r.value} ${r.unit}`);
  }
}
