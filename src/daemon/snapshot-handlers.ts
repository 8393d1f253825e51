import type { SendProgress } from './progress.js';
import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import * as P from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import type { Limits } from '../limits/limits.js';
import { warnLimitExhausted, type Logger } from '../log.js';
import { fsBounds } from '../vm/fs-bounds.js';
import type { VmRegistry } from '../vm/registry.js';
import { archivePieces, readArchive } from '../vm/snapshot-archive.js';
import type { SnapshotStore, VmSnapshot } from '../vm/snapshots.js';
import type { Vm } from '../vm/vm.js';

export interface SnapshotDeps {
  vms: VmRegistry;
  snapshots: SnapshotStore;
  limits: Limits;
  log: Logger;
  /** Sends one notification; `whenWritable` waits while the host is behind (event-sink.ts). */
  notify(type: typeof P.SnapshotExportChunk.type, params: Static<typeof P.SnapshotExportChunk.params>, bytes: number): void;
  whenWritable(): Promise<void>;
  progress: SendProgress;
}

/** An upload in progress: its chunks, bounded by SNAPSHOT_ARCHIVE_MAX_BYTES. */
interface Upload {
  chunks: Buffer[];
  received: number;
}

/**
 * vm/snapshot, vm/fork, vm/create's `snapshot`, and the snapshot/* methods. A snapshot is
 * frozen in one synchronous step (VirtualFs.freeze), so it holds every file as the last
 * filesystem call before that turn of the event loop left it; guest processes go on.
 */
export function createSnapshotHandlers(d: SnapshotDeps) {
  const { vms, snapshots, limits } = d;
  const uploads = new Map<string, Upload>();
  let uploadsIssued = 0;
  let exportsIssued = 0;

  const freeze = (vm: Vm): VmSnapshot => ({ fs: vm.fs.freeze(), config: vm.config });

  const vmSnapshot = (p: Static<typeof P.VmSnapshotRequest.params>): Static<typeof P.VmSnapshotRequest.result> => {
    const vm = vms.get(p.vmId);
    snapshots.checkRoom(vm.fs.usage.bytes);
    const held = snapshots.add(freeze(vm));
    vm.log.info({ snapshotId: held.id, bytes: held.bytes, files: held.files }, 'vm snapshot taken');
    return { snapshotId: held.id, bytes: held.bytes, files: held.files };
  };

  const vmFork = (p: Static<typeof P.VmFork.params>): Static<typeof P.VmFork.result> => ({ vmId: vms.create({}, freeze(vms.get(p.vmId))).id });

  /** vm/create with `snapshot`: no other field, since the snapshot is the whole configuration. */
  const createFrom = (p: Static<typeof P.VmCreate.params>): Vm => {
    const other = Object.keys(p).find((key) => key !== 'snapshot');
    if (other) throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `vm/create with \`snapshot\` takes no \`${other}\`: a VM made from a snapshot is configured as the snapshot's VM was`, { field: `/${other}` });
    return vms.create({}, snapshots.get(p.snapshot!));
  };

  const snapshotDispose = (p: Static<typeof P.SnapshotDispose.params>) => {
    snapshots.dispose(p.snapshotId);
    return { snapshotId: p.snapshotId };
  };

  const snapshotList = () => ({
    snapshots: snapshots.list().map((s) => ({ snapshotId: s.id, createdAt: s.createdAt.toISOString(), bytes: s.bytes, files: s.files })),
  });

  /**
   * Streams the archive as snapshot/exportChunk notifications of SNAPSHOT_EXPORT_CHUNK_BYTES,
   * waiting whenever the host falls behind, so an export holds one chunk at a time beyond
   * the snapshot itself. The snapshot is immutable: a dispose meanwhile does not disturb it.
   */
  const snapshotExport = async (p: Static<typeof P.SnapshotExport.params>): Promise<Static<typeof P.SnapshotExport.result>> => {
    const held = snapshots.get(p.snapshotId);
    const exportId = `export-${++exportsIssued}`;
    const chunkBytes = limits.SNAPSHOT_EXPORT_CHUNK_BYTES.value;
    const token = p.workDoneToken;
    const hash = createHash('sha256');
    let seq = 0;
    let bytes = 0;
    let buffer = Buffer.alloc(chunkBytes);
    let filled = 0;
    let lastPercent = -1;
    const send = async () => {
      const data = buffer.subarray(0, filled).toString('base64');
      d.notify(P.SnapshotExportChunk.type, { exportId, seq: seq++, data }, data.length);
      filled = 0;
      buffer = Buffer.alloc(chunkBytes);
      if (token !== undefined) {
        const percentage = Math.min(99, Math.floor((bytes / Math.max(1, held.bytes)) * 100));
        if (percentage !== lastPercent) d.progress(token, { kind: 'report', percentage, message: `${bytes} archive bytes sent` });
        lastPercent = percentage;
      }
      await d.whenWritable();
    };
    if (token !== undefined) d.progress(token, { kind: 'begin', title: `exporting ${held.id} (${held.bytes} bytes in ${held.files} entries)`, percentage: 0 });
    try {
      for (const piece of archivePieces(held)) {
        hash.update(piece);
        bytes += piece.byteLength;
        for (let at = 0; at < piece.byteLength; ) {
          const n = Math.min(piece.byteLength - at, chunkBytes - filled);
          buffer.set(piece.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === chunkBytes) await send();
        }
      }
      if (filled > 0) await send();
    } finally {
      if (token !== undefined) d.progress(token, { kind: 'end', message: `exported ${bytes} bytes in ${seq} chunks` });
    }
    return { exportId, bytes, chunks: seq, sha256: hash.digest('hex') };
  };

  const snapshotImport = (p: Static<typeof P.SnapshotImport.params>): Static<typeof P.SnapshotImport.result> => {
    let importId = p.importId;
    let upload: Upload | undefined;
    if (importId === undefined) {
      const max = limits.SNAPSHOT_IMPORTS_MAX.value;
      if (uploads.size >= max) {
        warnLimitExhausted(d.log, { limit: 'snapshot_imports_max', observed: uploads.size + 1, capacity: max, env: 'AGENTOS_SNAPSHOT_IMPORTS_MAX' });
        throw new AgentosError('ERR_AGENTOS_SNAPSHOT_LIMIT', `${max} snapshot imports are in progress already; finish or abort one (snapshot/import with \`abort\`)`, {
          limit: 'snapshot_imports_max', capacity: max, observed: uploads.size + 1, env: 'AGENTOS_SNAPSHOT_IMPORTS_MAX',
        });
      }
      importId = `import-${++uploadsIssued}`;
      upload = { chunks: [], received: 0 };
      uploads.set(importId, upload);
    } else {
      upload = uploads.get(importId);
      if (!upload) throw new AgentosError('ERR_AGENTOS_SNAPSHOT_NOT_FOUND', `no snapshot import '${importId}' is in progress (never begun, finished, aborted or refused)`, { field: '/importId' });
    }
    if (p.abort) {
      uploads.delete(importId);
      return { importId, received: upload.received };
    }
    const data = Buffer.from(p.data, 'base64');
    const max = limits.SNAPSHOT_ARCHIVE_MAX_BYTES.value;
    if (upload.received + data.length > max) {
      uploads.delete(importId);
      warnLimitExhausted(d.log, { limit: 'snapshot_archive_max_bytes', observed: upload.received + data.length, capacity: max, env: 'AGENTOS_SNAPSHOT_ARCHIVE_MAX_BYTES' });
      throw new AgentosError('ERR_AGENTOS_SNAPSHOT_TOO_LARGE', `the archive passes ${max} bytes (AGENTOS_SNAPSHOT_ARCHIVE_MAX_BYTES) at ${upload.received + data.length}; the import is dropped`, {
        limit: 'snapshot_archive_max_bytes', capacity: max, observed: upload.received + data.length, env: 'AGENTOS_SNAPSHOT_ARCHIVE_MAX_BYTES',
      });
    }
    upload.chunks.push(data);
    upload.received += data.length;
    if (!p.done) return { importId, received: upload.received };
    uploads.delete(importId);
    const snapshot = readArchive(Buffer.concat(upload.chunks), { fs: importBounds(limits) });
    const held = snapshots.add(snapshot);
    d.log.info({ snapshotId: held.id, archiveBytes: upload.received, bytes: held.bytes, files: held.files }, 'snapshot imported');
    return { importId, received: upload.received, snapshotId: held.id, bytes: held.bytes, files: held.files };
  };

  return {
    createFrom,
    stats: () => ({ ...snapshots.stats, importsInProgress: uploads.size }),
    requests: [
      [P.VmSnapshotRequest.method, vmSnapshot],
      [P.VmFork.method, vmFork],
      [P.SnapshotDispose.method, snapshotDispose],
      [P.SnapshotList.method, snapshotList],
      [P.SnapshotExport.method, snapshotExport],
      [P.SnapshotImport.method, snapshotImport],
    ] as Array<[string, (params: never) => unknown]>,
  };
}

/**
 * The filesystem an import rebuilds its tree in: the daemon's path rules, and room for
 * whatever an archive within SNAPSHOT_ARCHIVE_MAX_BYTES can hold (every entry costs at
 * least one 512-byte header). The VM made from it is checked against its own quota.
 */
function importBounds(limits: Limits) {
  const archiveMax = limits.SNAPSHOT_ARCHIVE_MAX_BYTES.value;
  return fsBounds(limits, archiveMax, Math.ceil(archiveMax / 512) + 1);
}
