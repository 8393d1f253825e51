import { readdirSync, readFileSync } from 'node:fs';

/** Threads of this process, other than the main one, that are running now (Linux /proc). */
function busyThreads(): number | undefined {
  let busy = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) === process.pid) continue;
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'R') busy++;
    }
  } catch {
    return undefined;
  }
  return busy;
}

/**
 * Resolves once no other thread of the process has run for a few samples in a row (or
 * at once where /proc is missing). isolated-vm frees a disposed isolate later, on one of
 * its own threads; an exit while that runs tears Node's platform down under it and the
 * daemon dies of SIGSEGV instead of exiting with its code (seen in 1 of 7 exits after
 * SIGTERM). The caller bounds the wait with the shutdown deadline.
 */
export async function threadsQuiet(samples = 3, everyMs = 2): Promise<void> {
  let quiet = 0;
  while (quiet < samples) {
    const busy = busyThreads();
    if (busy === undefined) return;
    quiet = busy === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
