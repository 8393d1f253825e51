import { Type } from '@sinclair/typebox';
import { Base64OrUtf8, VmId, encodingOf, request, strictObject } from './method.js';

const VmPath = Type.String({
  minLength: 1,
  description: 'a path in the VM filesystem: absolute, or relative to the VM cwd; it may not climb above `/`',
});

export const FileType = Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('symlink')]);

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
  }),
  strictObject({
    entries: Type.Array(strictObject({ name: Type.String(), type: FileType })),
    next: Type.Optional(Type.String({ description: 'present when more entries follow: pass it as `after` for the next page' })),
  }),
  'List a directory, sorted by name, a page at a time.',
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
