import type { HostStat } from './wasi.js';

/**
 * Stats a process makes in a row, answered without a call to the daemon. The agentOS libc's
 * stat() is six host calls on one path (path_filestat_get, then host_fs's mode twice, size,
 * blocks, owner), and `ls` stats every entry it lists: 20,000 entries were 120,000 calls to
 * the daemon (5-7 s). Listing pages carry each entry's lstat (as NFS's READDIRPLUS), and a
 * stat keeps its answer for the calls that follow.
 *
 * Correct as long as only stats and listings happen in between: the runner drops it all at
 * any other host call (before and after it), so a process never sees an answer older than
 * its own last write, read, clock or wait, through which alone it could learn of another
 * process's change. Each answer serves at most FRESH_USES calls, so a process that only
 * stats (a shell's `while test -e f`) still asks the daemon again and sees the change.
 * Its size is bounded by what the listings since the last other call returned, so by the
 * VM's inode limit.
 */
const FRESH_USES = 6;

interface Entry {
  stat: HostStat;
  uses: number;
}

export class StatMemo {
  private readonly entries = new Map<string, Entry>();
  /** Set by the runner for the duration of a host call of the stat family. */
  active = false;

  get(vmPath: string, follow: boolean, root: string | undefined): HostStat | undefined {
    if (!this.active) return undefined;
    const key = keyOf(vmPath, follow, root);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (++entry.uses >= FRESH_USES) this.entries.delete(key);
    return entry.stat;
  }

  put(vmPath: string, follow: boolean, root: string | undefined, stat: HostStat): void {
    if (this.active) this.entries.set(keyOf(vmPath, follow, root), { stat, uses: 0 });
  }

  /** An entry a listing returned with its lstat: what stat() says too, unless it is a link. */
  listed(dir: string, name: string, root: string | undefined, stat: HostStat): void {
    const vmPath = dir === '/' ? `/${name}` : `${dir}/${name}`;
    this.put(vmPath, false, root, stat);
    if (stat.type !== 'symlink') this.put(vmPath, true, root, stat);
  }

  clear(): void {
    if (this.entries.size > 0) this.entries.clear();
  }
}

function keyOf(vmPath: string, follow: boolean, root: string | undefined): string {
  return `${follow ? 1 : 0}${root ?? ''}\0${vmPath}`;
}
