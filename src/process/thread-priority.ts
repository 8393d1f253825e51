import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value given to every thread but the daemon's own (19: the lowest priority Linux has). */
const GUEST_NICE = 19;
const TASKS = '/proc/self/task';

/**
 * Guests run on isolated-vm's threads, and a VM with forty busy processes has forty
 * threads competing with the one thread that answers every VM's requests: the scheduler
 * gives each an equal share, so everyone else waits (a ping took 700 ms). Every thread
 * but the main one (isolated-vm's pool, V8's and libuv's workers: none answers the
 * protocol) is therefore set to the lowest priority; guests still share the cores evenly
 * among themselves, and the daemon thread runs when it has work. Linux only (elsewhere a
 * no-op): setpriority with a thread id applies to that thread alone there.
 */
export class ThreadPriority {
  private readonly lowered = new Set<number>();
  private readonly supported: boolean;

  constructor() {
    this.supported = process.platform === 'linux';
  }

  /** Lowers every thread not yet lowered; cheap enough to call while guests run. */
  sweep(): void {
    if (!this.supported) return;
    let tids: number[];
    try {
      tids = readdirSync(TASKS).map(Number);
    } catch {
      return;
    }
    const live = new Set(tids);
    for (const tid of this.lowered) if (!live.has(tid)) this.lowered.delete(tid);
    for (const tid of tids) {
      if (tid === process.pid || this.lowered.has(tid)) continue;
      try {
        setPriority(tid, GUEST_NICE);
      } catch {
        // The thread ended between the listing and now.
      }
      this.lowered.add(tid);
    }
  }
}
