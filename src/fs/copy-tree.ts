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
 * made absolute from where the link was; files overwritten unless `force: false`; directories merged), with
 * Node's own errors. Hostile inputs are refused before anything is made: copying a
 * directory into itself or its own subdirectory is ERR_FS_CP_EINVAL, and a copy that
 * would not fit the VM's quota is ENOSPC. The source tree is listed first, so the copy
 * is bounded by what existed when it began even if the destination lies inside it.
 */
export function copyTree(vfs: VirtualFs, fromPath: string, toPath: string, recursive: boolean, existing: { force?: boolean; errorOnExist?: boolean } = {}): void {
  const from = normalize(fromPath);
  const to = normalize(toPath);
  const src = vfs.lookup(from, 'lstat', false);
  const dest = lstatOrNone(vfs, to);
  if (dest === src) throw cpError('ERR_FS_CP_EINVAL', to, 'src and dest cannot be the same');
  if (dest && src.kind === 'directory' && dest.kind !== 'directory') {
    throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', to, `cannot overwrite non-directory ${to} with directory ${from}`);
  }
  if (dest && src.kind !== 'directory' && dest.kind === 'directory') {
    throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', to, `cannot overwrite directory ${to} with non-directory ${from}`);
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
  if (src.kind === 'directory' && !recursive) throw cpError('ERR_FS_EISDIR', from, `${from} is a directory (not copied)`);
  const plan = planCopy(vfs, src, dest);
  const made: DirNode[] = [];
  for (let i = 0; i < plan.length; i++) {
    const step = plan[i]!;
    const into = i === 0 ? parent : made[step.parent]!;
    const name = i === 0 ? basename(to) : step.name;
    const there = i === 0 ? dest : vfs.entryOf(into, name);
    const node = step.node;
    // Node checks each entry as it checks the top: the same answers, naming the entry.
    const itemTo = () => (i === 0 ? to : destPathOf(plan, i, to));
    const itemFrom = () => (i === 0 ? from : `${sourceDirOf(plan, i, from)}/${name}`);
    if (there === node) throw cpError('ERR_FS_CP_EINVAL', itemTo(), 'src and dest cannot be the same');
    if (node.kind === 'directory') {
      if (there && there.kind !== 'directory') {
        throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', itemTo(), `cannot overwrite non-directory ${itemTo()} with directory ${itemFrom()}`);
      }
      made[i] = there ?? vfs.makeDirIn(into, name, node.mode);
      continue;
    }
    if (there?.kind === 'directory') throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', itemTo(), `cannot overwrite directory ${itemTo()} with non-directory ${itemFrom()}`);
    // `force: false` leaves a file that is there (Node's mayCopyFile), or with `errorOnExist` refuses it.
    if (node.kind !== 'symlink' && there && existing.force === false) {
      if (existing.errorOnExist) throw cpError('ERR_FS_CP_EEXIST', itemTo(), `${itemTo()} already exists`);
      continue;
    }
    if (node.kind === 'symlink') {
      copyLink(vfs, node, normalize(`${sourceDirOf(plan, i, from)}/${node.target}`), into, name, there, itemTo());
      continue;
    }
    // As Node's cp: a socket's name cannot be copied (what it names lives in a process).
    if (node.kind === 'socket') throw cpError('ERR_FS_CP_SOCKET', itemTo(), `cannot copy a socket file: ${itemTo()}`);
    if (there?.kind === 'symlink') vfs.unlinkIn(into, name);
    const file = there?.kind === 'file' ? there : vfs.makeFileIn(into, name, node.mode);
    vfs.truncateNode(file, 0);
    vfs.writeAt(file, 0, node.data.subarray(0, node.size));
  }
}

/**
 * Lists the source tree (a stack, no recursion) and checks that a copy of it fits before
 * anything is made; the listing stops as soon as it no longer could, so it is bounded by
 * the quota, not by the size of the source. What is counted is what the copy adds: an
 * entry already at the destination (a directory merged into, a file or link overwritten)
 * costs no inode, and an overwritten file or link gives back its old bytes.
 */
function planCopy(vfs: VirtualFs, top: FsNode, topDest: FsNode | undefined): Step[] {
  const { bytes: usedBytes, inodes: usedInodes } = vfs.usage;
  const freeBytes = vfs.bounds.quotaBytes - usedBytes;
  const freeInodes = vfs.bounds.inodeLimit - usedInodes;
  const plan: Step[] = [{ node: top, parent: -1, name: '' }];
  /** Each step's counterpart already at the destination, if any. */
  const existing: Array<FsNode | undefined> = [topDest];
  let bytes = 0;
  let inodes = 0;
  for (let i = 0; i < plan.length; i++) {
    const node = plan[i]!.node;
    const there = existing[i];
    bytes += sizeOf(node) - (there && there.kind !== 'directory' && node.kind !== 'directory' ? sizeOf(there) : 0);
    if (!there) inodes++;
    if (inodes > freeInodes || bytes > freeBytes) vfs.ensureRoom(Math.max(bytes, 0), inodes, 'cp');
    if (node.kind !== 'directory') continue;
    for (const { name, node: child } of vfs.entriesOf(node)) {
      plan.push({ node: child, parent: i, name });
      existing.push(there?.kind === 'directory' ? vfs.entryOf(there, name) : undefined);
    }
  }
  return plan;
}

/** The bytes a node holds against the quota. */
function sizeOf(node: FsNode): number {
  return node.kind === 'file' ? node.size : node.kind === 'symlink' ? node.target.length : 0;
}

function lstatOrNone(vfs: VirtualFs, path: string): FsNode | undefined {
  try {
    return vfs.lookup(path, 'lstat', false);
  } catch (err) {
    if (err instanceof FsError && err.errno === 'ENOENT') return undefined;
    throw err;
  }
}

/** Node's isSrcSubdir: `to` is `from` or lies beneath it, by name. */
function isLexicalSubdir(from: string, to: string): boolean {
  const b = components(to);
  return components(from).every((part, i) => part === b[i]);
}

/**
 * A symlink copied as Node's onLink does: its target made absolute from where it was; an
 * existing link at the destination replaced, unless one link lies within the other.
 */
function copyLink(vfs: VirtualFs, link: FsNode & { kind: 'symlink' }, resolved: string, into: DirNode, name: string, there: FsNode | undefined, destPath: string): void {
  const target = link.target.startsWith('/') ? link.target : resolved;
  if (there && there.kind !== 'symlink') {
    const err = new FsError('EEXIST', 'symlink', destPath);
    err.message = `EEXIST: file already exists, symlink '${target}' -> '${destPath}'`;
    throw err;
  }
  if (there?.kind === 'symlink') {
    const existing = there.target.startsWith('/') ? normalize(there.target) : normalize(`${dirname(destPath)}/${there.target}`);
    if (isLexicalSubdir(target, existing)) throw cpError('ERR_FS_CP_EINVAL', destPath, `cannot copy ${target} to a subdirectory of self ${existing}`);
    if (vfs.stat(target).type === 'directory' && isLexicalSubdir(existing, target)) {
      throw cpError('ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY', destPath, `cannot overwrite ${existing} with ${target}`);
    }
    vfs.unlinkIn(into, name);
  }
  vfs.makeSymlinkIn(into, name, target);
}

/** Where a planned entry goes, as a path (for messages and relative links; rare, so walked on demand). */
function destPathOf(plan: readonly Step[], i: number, to: string): string {
  const names: string[] = [];
  for (let at = i; at > 0; at = plan[at]!.parent) names.push(plan[at]!.name);
  return `${to}/${names.reverse().join('/')}`;
}

/** The directory a planned entry was in, in the source (where a relative link points from). */
function sourceDirOf(plan: readonly Step[], i: number, from: string): string {
  const names: string[] = [];
  for (let at = plan[i]!.parent; at > 0; at = plan[at]!.parent) names.push(plan[at]!.name);
  const base = i === 0 ? dirname(from) : from;
  return names.length === 0 ? base : `${base}/${names.reverse().join('/')}`;
}

function cpError(code: ConstructorParameters<typeof NodeSystemError>[0], path: string, info: string): NodeSystemError {
  return new NodeSystemError(code, 'cp', path, info);
}

function subdirOfSelf(from: string, to: string): NodeSystemError {
  return cpError('ERR_FS_CP_EINVAL', to, `cannot copy ${from} to a subdirectory of self ${to}`);
}
