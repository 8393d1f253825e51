import { Type } from '@sinclair/typebox';
import { VmId, notification, request, strictObject } from './method.js';

const VmPath = Type.String({ minLength: 1, description: 'a path in the VM filesystem: absolute, or relative to the VM cwd' });
const StreamId = Type.String({ minLength: 1, maxLength: 128 });
const ProgressToken = Type.Union([Type.String(), Type.Integer()], { description: 'report $/progress (begin, report per chunk, end) under this token' });

export const FsExport = request(
  'fs/export',
  strictObject({
    vmId: VmId,
    path: VmPath,
    gzip: Type.Optional(Type.Boolean({ description: 'gzip the tar stream (default false)' })),
    streamId: Type.Optional(StreamId),
    workDoneToken: Type.Optional(ProgressToken),
  }),
  strictObject({
    streamId: Type.String(),
    chunks: Type.Integer({ description: 'fs/exportData notifications sent, all before this answer' }),
    bytes: Type.Integer({ description: 'the archive\'s size, as sent' }),
    entries: Type.Integer(),
  }),
  'A directory tree (or one file) as a POSIX pax tar stream: modes, owners, exact times, symlinks (as links), hard links and extended attributes kept; names relative to `path`. The archive arrives as fs/exportData notifications under `streamId` (the host\'s, or one made up) of at most AGENTOS_FS_EXPORT_CHUNK_BYTES each, in order, all before this answer.',
);

export const FsExportData = notification(
  'fs/exportData',
  strictObject({ vmId: VmId, streamId: Type.String(), seq: Type.Integer({ minimum: 0 }), data: Type.String({ description: 'base64' }) }),
  'Sidecar → host: the next chunk of an fs/export archive.',
);

export const FsImport = request(
  'fs/import',
  strictObject({
    vmId: VmId,
    path: VmPath,
    archive: Type.String({ description: 'the next chunk of a tar stream (gzip recognised), base64' }),
    importId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'continue this import (from the answer to its first chunk)' })),
    more: Type.Optional(Type.Boolean({ description: 'more chunks follow (default false: this chunk ends the archive, which is then applied)' })),
  }),
  strictObject({
    importId: Type.String(),
    done: Type.Boolean(),
    receivedBytes: Type.Integer(),
    entries: Type.Optional(Type.Integer()),
    files: Type.Optional(Type.Integer()),
    directories: Type.Optional(Type.Integer()),
    symlinks: Type.Optional(Type.Integer()),
    hardlinks: Type.Optional(Type.Integer()),
    bytes: Type.Optional(Type.Integer({ description: 'file bytes written' })),
  }),
  'Unpack a tar stream into the directory `path` (made if missing), in one call or in chunks (`more`, then `importId`). Each entry is checked as it arrives and the whole archive before anything is written: names outside `path` (absolute, `..`), symlinks pointing out of it, entries through a symlink or file, hard links to anything but an earlier entry, devices, damaged or truncated archives and archives past the VM\'s quota are refused, and a refused import leaves the VM exactly as it was (its session ends).',
);

export const FsWatch = request(
  'fs/watch',
  strictObject({ vmId: VmId, path: VmPath, recursive: Type.Optional(Type.Boolean({ description: 'everything beneath too (default false: the entries of `path` itself)' })) }),
  strictObject({ watchId: Type.String() }),
  'Watch a directory (or a file) for changes by anyone (guest JS, WASM commands, the host): fs/changed notifications, coalesced per turn of the daemon\'s event loop, until fs/unwatch or the VM ends.',
);

export const FsUnwatch = request(
  'fs/unwatch',
  strictObject({ vmId: VmId, watchId: Type.String({ minLength: 1, maxLength: 64 }) }),
  strictObject({ removed: Type.Boolean({ description: 'false: no such watch (already removed)' }) }),
  'Stop a watch; no fs/changed for it follows the answer.',
);

export const FsChangeKind = Type.Union([Type.Literal('created'), Type.Literal('modified'), Type.Literal('deleted'), Type.Literal('renamed')]);

export const FsChanged = notification(
  'fs/changed',
  strictObject({
    vmId: VmId,
    watchId: Type.String(),
    changes: Type.Array(strictObject({
      kind: FsChangeKind,
      path: Type.String({ description: 'the VM path (for renamed: the new one)' }),
      oldPath: Type.Optional(Type.String({ description: 'renamed: where it was' })),
      type: Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('symlink'), Type.Literal('socket')]),
    })),
    overflow: Type.Optional(Type.Boolean({ description: 'more changes happened than AGENTOS_FS_WATCH_QUEUE_MAX held; those past it are lost: rescan' })),
  }),
  'Sidecar → host: what changed under a watch during one turn of the daemon\'s event loop, in order, repeats folded (a file created then written is one `created`).',
);
