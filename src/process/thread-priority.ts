import { readdirSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value given to every thread but the daemon's own (19: the lowest priority Linux has). */
const GUEST_NICE = 19;
const TASKS = '/proc/self/task';
/** A full listing at least this often, in case threads ended and as many began between two looks. */
const FULL_SWEEP_EVERY = 20;

/**
 * Guests run on isolated-vm's threads, and a VM with forty busy processes has forty
 * threads competing with the one thread that answers every VM's requests: the scheduler
 * gives each an equal share, so everyone else waits (a ping took 700 ms). Threads started
 * after the daemon's own (isolated-vm's pool, which starts with the first isolate task,
 * and libuv's) are therefore set to the lowest priority; guests still share the cores
 * evenly among themselves, and the daemon thread runs when it has work. The threads that
 * exist when this is made (the main one, V8's platform workers, which do the daemon's
 * own GC and compile jobs) keep theirs, so the daemon never waits on a starved helper.
 * Linux only (elsewhere a no-op): setpriority with a thread id applies to that thread
 * alone there.
 */
export class ThreadPriority {
  private readonly lowered = new Set<number>();
  private readonly spared: ReadonlySet<number>;
  private readonly supported: boolean;
  private links = -1;
  private unchanged = 0;

  /** Make it before any isolate runs: the threads alive now are the daemon's own. */
  constructor() {
    this.supported = process.platform === 'linux';
    this.spared = new Set(this.supported ? tasks() ?? [] : []);
  }

  /**
   * Lowers every thread not yet lowered. Called on every watchdog tick while guests run: a
   * new pool thread starts at the daemon's priority, and 32 of them started at once for
   * busy guests kept pings waiting 100-340 ms until the next sweep (it ran every 200 ms).
   * Cheap when nothing changed: /proc/self/task's link count is 2 + the thread count, so
   * one stat says whether a listing is needed.
   */
  sweep(): void {
    if (!this.supported) return;
    const links = threadLinks();
    if (links === this.links && ++this.unchanged < FULL_SWEEP_EVERY) return;
    this.links = links;
    this.unchanged = 0;
    const tids = tasks();
    if (!tids) return;
    const live = new Set(tids);
    for (const tid of this.lowered) if (!live.has(tid)) this.lowered.delete(tid);
    for (const tid of tids) {
      if (tid === process.pid || this.spared.has(tid) || this.lowered.has(tid)) continue;
      try {
        setPriority(tid, GUEST_NICE);
      } catch {
        // The thread ended between the listing and now.
      }
      this.lowered.add(tid);
    }
  }
}

function threadLinks(): number {
  try {
    return statSync(TASKS).nlink;
  } catch {
    return -1;
  }
}

function tasks(): number[] | undefined {
  try {
    return readdirSync(TASKS).map(Number);
  } catch {
    return undefined;
  }
}
