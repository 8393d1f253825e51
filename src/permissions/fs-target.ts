import { absolute, normalize } from '../fs/paths.js';
import type { VirtualFs } from '../fs/vfs.js';

/**
 * The path a permission rule is judged against: the canonical one, so a symlink, `..` or
 * a second hard link cannot reach a path the policy refuses by another name. `follow`: the
 * final component's symlink is followed (open, stat, chmod, …); without it (unlink,
 * rename, lstat, readlink, a symlink made there) the entry itself is meant: its parent's
 * canonical path and its own name. A name that is not there yet is judged where it would be.
 */
export function canonicalPath(vfs: VirtualFs, path: string, follow: boolean): string {
  const p = normalize(absolute('/', path));
  if (follow) {
    try {
      return vfs.realpath(p);
    } catch {
      // Not there (yet): where it would be.
    }
  }
  const slash = p.lastIndexOf('/');
  const name = p.slice(slash + 1);
  if (name === '') return p;
  try {
    const parent = vfs.realpath(slash === 0 ? '/' : p.slice(0, slash));
    return parent === '/' ? `/${name}` : `${parent}/${name}`;
  } catch {
    return p;
  }
}

/**
 * Every entry beneath the directory `dir` (canonical), for operations that act on a whole
 * tree at once (rm -r, rename, cp -r): each is judged as if named, so a policy that guards
 * a path inside cannot be sidestepped by acting on its ancestor. Symlinks are not followed.
 */
export function* entriesBeneath(vfs: VirtualFs, dir: string): Generator<string> {
  const todo = [dir];
  for (let at = todo.pop(); at !== undefined; at = todo.pop()) {
    let entries: ReturnType<VirtualFs['readdir']>;
    try {
      if (vfs.lookup(at, 'scandir', false).kind !== 'directory') continue;
      entries = vfs.readdir(at);
    } catch {
      continue;
    }
    for (const { name, node } of entries) {
      const path = at === '/' ? `/${name}` : `${at}/${name}`;
      yield path;
      if (node.kind === 'directory') todo.push(path);
    }
  }
}
