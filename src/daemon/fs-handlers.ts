import type { Static } from '@sinclair/typebox';
import * as P from '../../protocol/index.js';
import { AgentosError, hostFs } from '../errors.js';
import { copyTree } from '../fs/copy-tree.js';
import { readdirTree } from '../fs/readdir-tree.js';
import { statOf, type FsNode } from '../fs/vfs.js';
import type { FsOperation } from '../permissions/fs.js';
import type { Limits } from '../limits/limits.js';
import type { Vm } from '../vm/vm.js';

/** A VM and a host path in it, past the permission check (handlers.ts's `fsOf`). */
export type FsOf = (vmId: string, path: string, operation: FsOperation, syscall: string, field?: string) => { vm: Vm; path: string };

/**
 * The fs/* methods beyond read, write, list, stat, mkdir and remove: each is the VFS call a
 * guest makes for the same thing, so host and guest get the same errors (hostFs maps the
 * errno to the stable code, keeping `errno` and `path` in the data).
 */
export function fsMethodHandlers(fsOf: FsOf, limits: Limits) {
  const fsReaddir = (p: Static<typeof P.FsReaddir.params>): Static<typeof P.FsReaddir.result> => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'scandir');
    // A page at a time (`after` → `next`): one answer is bounded however large the directory or tree.
    const limit = Math.min(p.limit ?? Infinity, limits.FS_READDIR_PAGE_MAX.value);
    const page = hostFs(() => {
      if (!p.recursive) return vm.fs.readdirPage(path, p.after ?? null, limit);
      const top = vm.fs.lookup(path, 'scandir');
      if (top.kind !== 'directory') throw new AgentosError('ERR_AGENTOS_FS_NOT_DIRECTORY', `ENOTDIR: not a directory, scandir '${path}'`, { errno: 'ENOTDIR', path });
      return readdirTree(vm.fs, top, p.after ?? null, limit);
    });
    const entry = ({ name, node }: { name: string; node: FsNode }) => (p.withStats ? { name, type: node.kind, stat: statOf(node) } : { name, type: node.kind });
    const entries = page.entries.map(entry);
    return page.more && entries.length > 0 ? { entries, next: entries[entries.length - 1]!.name } : { entries };
  };
  const fsRename = (p: Static<typeof P.FsRename.params>) => {
    const { vm, path: from } = fsOf(p.vmId, p.from, 'rename', 'rename', '/from');
    const { path: to } = fsOf(p.vmId, p.to, 'rename', 'rename', '/to');
    hostFs(() => vm.fs.rename(from, to));
    return {};
  };
  const fsCopy = (p: Static<typeof P.FsCopy.params>) => {
    const { vm, path: from } = fsOf(p.vmId, p.from, 'read', 'cp', '/from');
    const { path: to } = fsOf(p.vmId, p.to, 'write', 'cp', '/to');
    hostFs(() => copyTree(vm.fs, from, to, p.recursive === true));
    return {};
  };
  const fsSymlink = (p: Static<typeof P.FsSymlink.params>) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'create', 'symlink');
    if (p.target.includes('\0')) throw new AgentosError('ERR_AGENTOS_INVALID_PATH', 'target contains a NUL byte', { field: '/target' });
    hostFs(() => vm.fs.symlink(p.target, path));
    return {};
  };
  const fsReadlink = (p: Static<typeof P.FsReadlink.params>) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'readlink');
    return { target: hostFs(() => vm.fs.readlink(path)) };
  };
  const fsChmod = (p: Static<typeof P.FsChmod.params>) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'chmod', 'chmod');
    hostFs(() => vm.fs.chmod(path, p.mode));
    return {};
  };
  const fsUtimes = (p: Static<typeof P.FsUtimes.params>) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'utimes', 'utime');
    hostFs(() => vm.fs.utimes(path, BigInt(p.atimeNs), BigInt(p.mtimeNs), p.followSymlinks !== false));
    return {};
  };
  const fsTruncate = (p: Static<typeof P.FsTruncate.params>) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'truncate', 'truncate');
    hostFs(() => vm.fs.truncate(path, p.length));
    return {};
  };
  return new Map<string, (params: never) => unknown>([
    [P.FsReaddir.method, fsReaddir],
    [P.FsRename.method, fsRename],
    [P.FsCopy.method, fsCopy],
    [P.FsSymlink.method, fsSymlink],
    [P.FsReadlink.method, fsReadlink],
    [P.FsChmod.method, fsChmod],
    [P.FsUtimes.method, fsUtimes],
    [P.FsTruncate.method, fsTruncate],
  ]);
}
