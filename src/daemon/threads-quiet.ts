import { readdirSync, readFileSync } from 'node:fs';

/**
 * A fingerprint of what the process's other threads are doing (Linux /proc): the tids of
 * those that are running or runnable (R) or in an uninterruptible wait (D), then the CPU
 * time each has used. Two equal readings with no thread busy mean nothing ran between them.
 */
function otherThreadsReading(): { busy: number; cpu: string } | undefined {
  let busy = 0;
  const cpu: string[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) === process.pid) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      } catch {
        continue; // the thread ended between the listing and the read
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'R' || fields[0] === 'D') busy++;
      // utime + stime, in ticks: coarse, but a thread that ran for a tick or more shows.
      cpu.push(`${tid}:${fields[11]}+${fields[12]}`);
    }
  } catch {
    return undefined;
  }
  return { busy, cpu: cpu.join(',') };
}

/**
 * Resolves once no other thread of the process has run for a few samples in a row (or
 * at once where /proc is missing). isolated-vm frees a disposed isolate later, on one of
 * its own threads; an exit while that runs tears Node's platform down under it and the
 * daemon dies of SIGSEGV instead of exiting with its code (seen in 1 of 7 exits after
 * SIGTERM, and in 3 of 40 on a loaded machine when the shutdown deadline cut this wait
 * short). Letting Node end on its own instead is no way out: V8's teardown then waits
 * forever on a wasm compile job that isolated-vm left behind. The caller bounds the wait.
 */
export async function threadsQuiet(samples = 3, everyMs = 2): Promise<void> {
  let quiet = 0;
  let last: string | undefined;
  while (quiet < samples) {
    const reading = otherThreadsReading();
    if (reading === undefined) return;
    quiet = reading.busy === 0 && reading.cpu === last ? quiet + 1 : 0;
    last = reading.cpu;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
