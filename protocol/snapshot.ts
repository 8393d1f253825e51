import { Type } from '@sinclair/typebox';
import { VmId, notification, request, strictObject } from './method.js';

export const SnapshotId = Type.String({ minLength: 1, maxLength: 64, description: 'id returned by vm/snapshot or snapshot/import' });
const WorkDoneToken = Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'report $/progress (begin, report, end) under this token' }));

const Held = strictObject({
  snapshotId: SnapshotId,
  bytes: Type.Integer({ description: 'file bytes it holds (symlink targets and extended attributes included), as the quota counts them' }),
  files: Type.Integer({ description: 'entries it holds: files, directories and symlinks, each name of a hard link, the root' }),
});

export const VmSnapshotRequest = request(
  'vm/snapshot',
  strictObject({ vmId: VmId }),
  Held,
  'Freeze an immutable image of a VM: its filesystem (contents, modes, owners, times, extended attributes, symlinks, hard links) and what vm/create took (env, cwd, limits, permissions, bindings). Copy-on-write: O(1) in the size of the VM. Processes are not part of it: it sees each file as the last filesystem call completed before it left it (the daemon runs one call at a time).',
);

export const VmFork = request(
  'vm/fork',
  strictObject({ vmId: VmId }),
  strictObject({ vmId: VmId }),
  'A new VM that starts as a copy of this one (vm/snapshot then vm/create, without holding the snapshot). Copy-on-write: neither sees what the other writes.',
);

export const SnapshotDispose = request(
  'snapshot/dispose',
  strictObject({ snapshotId: SnapshotId }),
  strictObject({ snapshotId: SnapshotId }),
  'Let go of a held snapshot. VMs made from it keep what they share with it.',
);

export const SnapshotList = request(
  'snapshot/list',
  strictObject({}),
  strictObject({ snapshots: Type.Array(strictObject({ snapshotId: SnapshotId, createdAt: Type.String(), bytes: Type.Integer(), files: Type.Integer() })) }),
  'The held snapshots.',
);

export const SnapshotExport = request(
  'snapshot/export',
  strictObject({ snapshotId: SnapshotId, workDoneToken: WorkDoneToken }),
  strictObject({
    exportId: Type.String({ description: 'names this export in its snapshot/exportChunk notifications' }),
    bytes: Type.Integer({ description: 'archive length' }),
    chunks: Type.Integer(),
    sha256: Type.String({ description: 'of the whole archive, hex' }),
  }),
  'Stream a held snapshot as a portable archive (tar, manifest first, format version 1): snapshot/exportChunk notifications in order, all sent before this answer.',
);

export const SnapshotExportChunk = notification(
  'snapshot/exportChunk',
  strictObject({ exportId: Type.String(), seq: Type.Integer({ minimum: 0 }), data: Type.String({ description: 'base64' }) }),
  'Sidecar → host: the next piece of a snapshot/export archive (concatenate by seq).',
);

export const SnapshotImport = request(
  'snapshot/import',
  strictObject({
    importId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'omit on the first chunk; then the id that answer gave' })),
    data: Type.String({ description: 'the next archive bytes, base64 (may be empty)' }),
    done: Type.Optional(Type.Boolean({ description: 'this is the last chunk: check the archive and make the snapshot' })),
    abort: Type.Optional(Type.Boolean({ description: 'drop the upload' })),
  }),
  strictObject({
    importId: Type.String(),
    received: Type.Integer({ description: 'archive bytes taken so far' }),
    snapshotId: Type.Optional(SnapshotId),
    bytes: Type.Optional(Type.Integer()),
    files: Type.Optional(Type.Integer()),
  }),
  'Upload an archive from snapshot/export in chunks; with `done` it is checked whole (format version, checksums, names) and held as a new snapshot.',
);
