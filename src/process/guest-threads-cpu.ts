import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of /proc's utime and stime (100 on every architecture Node runs on). */
const TICKS_PER_S = 100;

/**
 * CPU time used by every thread of the daemon but its main one (guests', isolated-vm's
 * and V8's), in ms; undefined where /proc is not there. An upper bound of what any one
 * guest can have used since a moment: isolated-vm's `cpuTime`, read while a guest's task
 * is under way, counts wall time since the task began (its executor.cc), so a guest
 * starved by busy processes outside the daemon (two `yes` at nice 0 against our nice 19)
 * was charged for time it spent waiting and stopped at its CPU budget.
 */
export function guestThreadsCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const mainMs = mainThreadCpuMs();
  if (mainMs === undefined) return undefined;
  const { user, system } = process.cpuUsage();
  return Math.max(0, (user + system) / 1000 - mainMs);
}

/**
 * The main thread's CPU time in ms: schedstat's run time (ns) where the kernel has it, as
 * exact as process.cpuUsage(); else stat's utime + stime, in ticks of 10 ms, which made the
 * difference above move backwards between two reads (a process charged -7 ms).
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // no schedstat (CONFIG_SCHED_INFO off): stat below
  }
  let main: string;
  try {
    main = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): utime and stime are the 12th and 13th.
  const fields = main.slice(main.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}
