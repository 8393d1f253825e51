import { firstAfterName } from './sorted-names.js';
import type { DirNode, FsNode, VirtualFs } from './vfs.js';

/** One directory being listed: its entries sorted, the next to give, and its names' prefix. */
interface Frame {
  readonly entries: Array<{ name: string; node: FsNode }>;
  readonly prefix: string;
  next: number;
}

/**
 * A tree listed depth first, each directory's entries by name (Node's readdir `recursive`
 * gives the same names: paths relative to `top`; symlinks are listed, never followed), a
 * page of at most `limit` entries at a time. `after`, the last name of the previous page,
 * is where the walk resumes: only the directories on its path are listed again, so a page
 * costs those directories plus what it returns, not the tree before it.
 */
export function readdirTree(vfs: VirtualFs, top: DirNode, after: string | null, limit: number): { entries: Array<{ name: string; node: FsNode }>; more: boolean } {
  const frames: Frame[] = [{ entries: vfs.entriesOf(top), prefix: '', next: 0 }];
  if (after !== null) resume(vfs, frames, after.split('/'));
  const entries: Array<{ name: string; node: FsNode }> = [];
  while (frames.length > 0 && entries.length < limit) {
    const frame = frames[frames.length - 1]!;
    const entry = frame.entries[frame.next++];
    if (!entry) {
      frames.pop();
      continue;
    }
    const name = frame.prefix + entry.name;
    entries.push({ name, node: entry.node });
    if (entry.node.kind === 'directory') frames.push({ entries: vfs.entriesOf(entry.node), prefix: `${name}/`, next: 0 });
  }
  return { entries, more: frames.some((f) => f.next < f.entries.length) };
}

/** Positions the walk just past `parts` (a relative path it gave before), even if that entry is gone since. */
function resume(vfs: VirtualFs, frames: Frame[], parts: string[]): void {
  for (let depth = 0; depth < parts.length; depth++) {
    const frame = frames[frames.length - 1]!;
    const part = parts[depth]!;
    frame.next = firstAfterName(frame.entries, part);
    const hit = frame.entries[frame.next - 1];
    // A directory on the path (or the last one given) is entered: what lies beneath it comes next.
    if (!hit || hit.name !== part || hit.node.kind !== 'directory') return;
    frames.push({ entries: vfs.entriesOf(hit.node), prefix: `${frame.prefix}${part}/`, next: 0 });
  }
}
