/** How a child ended, as waitpid reports it. */
export interface ChildStatus {
  pid: number;
  /** 0–255; 0 when a signal ended it. */
  exitCode: number;
  /** The signal that ended it, or 0. */
  signal: number;
}

/**
 * One process's children and the statuses not yet collected by waitpid. A child stays
 * here as a zombie until it is waited for (as on Linux), so a later wait finds it; the
 * parent's end drops them all.
 */
/** What process/list shows of a zombie. */
export interface ZombieInfo {
  pid: number;
  pgid: number;
  command: string;
  argv: readonly string[];
  startedAt: Date;
  cpuMs: number;
  wallMs: number;
}

export class Children {
  private readonly running = new Map<number, { pgid: number }>();
  private readonly zombies = new Map<number, ChildStatus & { pgid: number; info?: ZombieInfo }>();
  private wakers: Array<() => void> = [];

  get pids(): number[] {
    return [...this.running.keys()];
  }

  add(pid: number, pgid: number, ended: Promise<{ exitCode: number; signal: number; cpuMs?: number; wallMs?: number }>, shown?: Omit<ZombieInfo, 'cpuMs' | 'wallMs'>): void {
    this.running.set(pid, { pgid });
    void ended.then(({ exitCode, signal, cpuMs, wallMs }) => {
      this.running.delete(pid);
      const info = shown ? { ...shown, cpuMs: cpuMs ?? 0, wallMs: wallMs ?? 0 } : undefined;
      this.zombies.set(pid, { pid, exitCode: signal ? 0 : exitCode & 0xff, signal, pgid, ...(info ? { info } : {}) });
      this.wake();
    });
  }

  /** Children that ended and have not been waited for. */
  zombieList(): ZombieInfo[] {
    return [...this.zombies.values()].flatMap((z) => (z.info ? [z.info] : []));
  }

  /**
   * Collects a child that has ended: `pid` > 0 that child, -1 any, 0 or < -1 a process
   * group (`group` is the caller's for 0). Returns pid 0 when matching children exist but
   * none has ended, and null when none matches at all (ECHILD).
   */
  collect(pid: number, group: number): ChildStatus | null {
    const matches = matcher(pid, group);
    for (const [child, status] of this.zombies) {
      if (!matches(child, status.pgid)) continue;
      this.zombies.delete(child);
      return { pid: status.pid, exitCode: status.exitCode, signal: status.signal };
    }
    for (const [child, { pgid }] of this.running) if (matches(child, pgid)) return { pid: 0, exitCode: 0, signal: 0 };
    return null;
  }

  /**
   * Resolves when a matching child has ended (at once if one already has), or at
   * `wake()` (a signal came): checked again here because a child may end between the
   * guest's collect and its wait.
   */
  changed(pid: number, group: number): Promise<void> {
    const matches = matcher(pid, group);
    for (const [child, status] of this.zombies) if (matches(child, status.pgid)) return Promise.resolve();
    if (![...this.running].some(([child, { pgid }]) => matches(child, pgid))) return Promise.resolve();
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }
}

function matcher(pid: number, group: number): (child: number, pgid: number) => boolean {
  return (child, pgid) => (pid > 0 ? child === pid : pid === -1 ? true : pgid === (pid === 0 ? group : -pid));
}
