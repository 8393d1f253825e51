import { FsError, NodeSystemError } from './errors.js';
import { basename, components, dirname, normalize } from './paths.js';
import type { DirNode, FsNode, VirtualFs } from './vfs.js';

/** One entry to copy: its source node, and where it goes (`parent` indexes the plan). */
interface Step {
  readonly node: FsNode;
  readonly parent: number;
  readonly name: string;
}

/**
 * `fs.cp` / `fs.cpSync` as Node 20 does it (symlinks copied as links, a relative target
 * made absolute from where the link was; files overwritten; directories merged), with
 * Node's own errors. Hostile inputs are refused before anything is made: copying a
 * directory into itself or its own subdirectory is ERR_FS_CP_EINVAL, and a copy that
 * would not fit the VM's quota is ENOSPC. The source tree is listed first, so the copy
 * is bounded by what existed when it began even if the destination lies inside it.
 */
export function copyTree(vfs: VirtualFs, fromPath: string, toPath: string, recursive: boolean): void {
  const from = normalize(fromPath);
  const to = normalize(toPath);
  const src = vfs.lookup(from, 'lstat', false);
  const dest = lstatOrNone(vfs, to);
  if (dest === src) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', to, 'src and dest cannot be the same');
  if (dest && src.kind === 'directory' && dest.kind !== 'directory') {
    throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'EISDIR', to, `cannot overwrite non-directory ${to} with directory ${from}`);
  }
  if (dest && src.kind !== 'directory' && dest.kind === 'directory') {
    throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'ENOTDIR', to, `cannot overwrite directory ${to} with non-directory ${from}`);
  }
  if (src.kind === 'directory' && isLexicalSubdir(from, to)) throw subdirOfSelf(from, to);
  vfs.mkdirp(dirname(to));
  const parent = vfs.lookup(dirname(to), 'cp');
  if (parent.kind !== 'directory') throw new FsError('ENOTDIR', 'cp', to);
  // Through symlinks the destination can still lie inside the source: ask the tree itself.
  if (src.kind === 'directory') {
    for (let d: DirNode = parent; ; d = d.parent) {
      if (d === src) throw subdirOfSelf(from, to);
      if (d === d.parent) break;
    }
  }
  if (src.kind === 'directory' && !recursive) throw cpError('ERR_FS_EISDIR', 'EISDIR', from, `${from} is a directory (not copied)`);
  const plan = planCopy(vfs, src);
  const made: DirNode[] = [];
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i]!;
    const into = i === 0 ? parent : made[step.parent]!;
    const name = i === 0 ? basename(to) : step.name;
    const there = i === 0 ? dest : vfs.entryOf(into, name);
    const node = step.node;
    if (node.kind === 'directory') {
      if (there && there.kind !== 'directory') {
        throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'EISDIR', to, `cannot overwrite non-directory ${to} with directory ${from}`);
      }
      made[i] = there ?? vfs.makeDirIn(into, name, node.mode);
      continue;
    }
    if (there?.kind === 'directory') throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'ENOTDIR', to, `cannot overwrite directory ${to} with non-directory ${from}`);
    if (there === node) continue;
    if (node.kind === 'symlink') {
      if (there) vfs.unlinkIn(into, name);
      const target = node.target.startsWith('/') ? node.target : normalize(`${sourceDirOf(plan, i, from)}/${node.target}`);
      vfs.makeSymlinkIn(into, name, target);
      continue;
    }
    if (there?.kind === 'symlink') vfs.unlinkIn(into, name);
    const file = there?.kind === 'file' ? there : vfs.makeFileIn(into, name, node.mode);
    vfs.truncateNode(file, 0);
    vfs.writeAt(file, 0, node.data.subarray(0, node.size));
  }
}

/**
 * Lists the source tree (a stack, no recursion) and checks that a copy of it fits before
 * anything is made; the listing stops as soon as it no longer could, so it is bounded by
 * the quota, not by the size of the source.
 */
function planCopy(vfs: VirtualFs, top: FsNode): Step[] {
  const { bytes: usedBytes, inodes: usedInodes } = vfs.usage;
  const freeBytes = vfs.bounds.quotaBytes - usedBytes;
  const freeInodes = vfs.bounds.inodeLimit - usedInodes;
  const plan: Step[] = [{ node: top, parent: -1, name: '' }];
  let bytes = 0;
  for (let i = 0; i < plan.length; i++) {
    const node = plan[i]!.node;
    bytes += node.kind === 'file' ? node.size : node.kind === 'symlink' ? node.target.length : 0;
    if (plan.length > freeInodes || bytes > freeBytes) vfs.ensureRoom(bytes, plan.length, 'cp');
    if (node.kind !== 'directory') continue;
    for (const { name, node: child } of vfs.entriesOf(node)) plan.push({ node: child, parent: i, name });
  }
  return plan;
}

function lstatOrNone(vfs: VirtualFs, path: string): FsNode | undefined {
  try {
    return vfs.lookup(path, 'lstat', false);
  } catch (err) {
    if (err instanceof FsError && err.errno === 'ENOENT') return undefined;
    throw err;
  }
}

/** Node's isSrcSubdir: every component of `from` begins `to`. */
function isLexicalSubdir(from: string, to: string): boolean {
  const a = components(from);
  const b = components(to);
  return a.length < b.length && a.every((part, i) => part === b[i]);
}

/** The directory a planned entry was in, in the source (where a relative link points from). */
function sourceDirOf(plan: readonly Step[], i: number, from: string): string {
  const names: string[] = [];
  for (let at = plan[i]!.parent; at > 0; at = plan[at]!.parent) names.push(plan[at]!.name);
  const base = i === 0 ? dirname(from) : from;
  return names.length === 0 ? base : `${base}/${names.reverse().join('/')}`;
}

const PREFIXES: Record<string, string> = {
  ERR_FS_CP_EINVAL: 'Invalid src or dest',
  ERR_FS_CP_DIR_TO_NON_DIR: 'Cannot overwrite non-directory with directory',
  ERR_FS_CP_NON_DIR_TO_DIR: 'Cannot overwrite directory with non-directory',
  ERR_FS_EISDIR: 'Path is a directory',
};

function cpError(code: string, errno: 'EINVAL' | 'EISDIR' | 'ENOTDIR', path: string, info: string): NodeSystemError {
  return new NodeSystemError(code, PREFIXES[code]!, errno, 'cp', path, info);
}

function subdirOfSelf(from: string, to: string): NodeSystemError {
  return cpError('ERR_FS_CP_EINVAL', 'EINVAL', to, `cannot copy ${from} to a subdirectory of self ${to}`);
}
