import { Type } from '@sinclair/typebox';
import { Base64OrUtf8, VmId, encodingOf, request, strictObject } from './method.js';

const VmPath = Type.String({
  minLength: 1,
  description: 'a path in the VM filesystem: absolute, or relative to the VM cwd; it may not climb above `/`',
});

/** `socket`: the name of a Unix domain socket a guest listens on (S_IFSOCK in `mode`). */
export const FileType = Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('symlink'), Type.Literal('socket')]);

export const FileStat = strictObject({
  type: FileType,
  size: Type.Integer(),
  mode: Type.Integer(),
  uid: Type.Integer(),
  gid: Type.Integer(),
  ino: Type.Integer(),
  nlink: Type.Integer(),
  atimeMs: Type.Number(),
  mtimeMs: Type.Number(),
  ctimeMs: Type.Number(),
  birthtimeMs: Type.Number(),
  atimeNs: Type.String({ description: 'the same times in nanoseconds (decimal), exact' }),
  mtimeNs: Type.String(),
  ctimeNs: Type.String(),
});

export const FsWriteFile = request(
  'fs/writeFile',
  strictObject({
    vmId: VmId,
    path: VmPath,
    data: Type.String(),
    encoding: encodingOf('`data`', 'base64'),
    mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o7777 })),
    createParents: Type.Optional(Type.Boolean({ description: 'create missing parent directories (default true)' })),
  }),
  strictObject({ size: Type.Integer() }),
  'Create or replace a file.',
);

export const FsReadFile = request(
  'fs/readFile',
  strictObject({ vmId: VmId, path: VmPath, encoding: encodingOf('the `data` of the result', 'base64') }),
  strictObject({ data: Type.String(), encoding: Base64OrUtf8, size: Type.Integer() }),
  'Read a whole file.',
);

export const FsReaddir = request(
  'fs/readdir',
  strictObject({
    vmId: VmId,
    path: VmPath,
    after: Type.Optional(Type.String({ description: 'continue after this name: the `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, description: 'most entries in this answer (default and ceiling AGENTOS_FS_READDIR_PAGE_MAX)' })),
    recursive: Type.Optional(Type.Boolean({ description: 'the whole tree beneath, depth first, each name the path relative to `path` (symlinks listed, not followed), as Node\'s readdir `recursive`' })),
    withStats: Type.Optional(Type.Boolean({ description: 'each entry with its `stat` (as lstat)' })),
  }),
  strictObject({
    entries: Type.Array(strictObject({ name: Type.String(), type: FileType, stat: Type.Optional(FileStat) })),
    next: Type.Optional(Type.String({ description: 'present when more entries follow: pass it as `after` for the next page' })),
  }),
  'List a directory, sorted by name (recursive: depth first, each directory\'s entries by name), a page at a time.',
);

export const FsStat = request(
  'fs/stat',
  strictObject({ vmId: VmId, path: VmPath, followSymlinks: Type.Optional(Type.Boolean({ description: 'default true' })) }),
  FileStat,
  'Metadata of a path.',
);

export const FsMkdir = request(
  'fs/mkdir',
  strictObject({ vmId: VmId, path: VmPath, recursive: Type.Optional(Type.Boolean()), mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o7777 })) }),
  strictObject({ created: Type.Boolean() }),
  'Create a directory (with `recursive`, its parents too, and no error if it exists).',
);

export const FsRemove = request(
  'fs/remove',
  strictObject({ vmId: VmId, path: VmPath, recursive: Type.Optional(Type.Boolean()) }),
  strictObject({ removed: Type.Integer({ description: 'inodes removed' }) }),
  'Remove a file, link or empty directory; with `recursive`, a whole tree.',
);

export const FsRename = request(
  'fs/rename',
  strictObject({ vmId: VmId, from: VmPath, to: VmPath }),
  strictObject({}),
  'Move or rename an entry, as rename(2): an existing file at `to` is replaced, an existing empty directory too when `from` is one.',
);

export const FsCopy = request(
  'fs/copy',
  strictObject({ vmId: VmId, from: VmPath, to: VmPath, recursive: Type.Optional(Type.Boolean({ description: 'copy a directory and everything beneath it (default false)' })) }),
  strictObject({}),
  'Copy a file, or with `recursive` a tree, as Node\'s fs.cp: symlinks copied as links, files overwritten, directories merged.',
);

export const FsSymlink = request(
  'fs/symlink',
  strictObject({ vmId: VmId, target: Type.String({ minLength: 1, description: 'what the link points at, stored as given' }), path: VmPath }),
  strictObject({}),
  'Create a symbolic link at `path`.',
);

export const FsReadlink = request(
  'fs/readlink',
  strictObject({ vmId: VmId, path: VmPath }),
  strictObject({ target: Type.String() }),
  'The target of a symbolic link.',
);

export const FsChmod = request(
  'fs/chmod',
  strictObject({ vmId: VmId, path: VmPath, mode: Type.Integer({ minimum: 0, maximum: 0o7777 }) }),
  strictObject({}),
  'Set the permission bits of a path (through symlinks).',
);

const TimeNs = Type.String({ pattern: '^[0-9]{1,20}$', description: 'nanoseconds since the epoch, decimal' });
export const FsUtimes = request(
  'fs/utimes',
  strictObject({
    vmId: VmId,
    path: VmPath,
    atimeNs: TimeNs,
    mtimeNs: TimeNs,
    followSymlinks: Type.Optional(Type.Boolean({ description: 'default true; false sets the link\'s own times (lutimes)' })),
  }),
  strictObject({}),
  'Set access and modification times, exactly (nanoseconds).',
);

export const FsTruncate = request(
  'fs/truncate',
  strictObject({ vmId: VmId, path: VmPath, length: Type.Integer({ minimum: 0 }) }),
  strictObject({}),
  'Cut or extend (with zeros) a file to `length` bytes.',
);
