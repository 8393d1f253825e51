/** Linux signal numbers, which is what guests (the libc, the command ABI) and exit codes use. */
const NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
  'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

export function signalName(n: number): string {
  return NAMES[n] || `SIG${n}`;
}

/** 0 for a name we do not know. */
export function signalNumber(name: string): number {
  const n = NAMES.indexOf(name);
  return n > 0 ? n : /^SIG(\d+)$/.test(name) ? Number(name.slice(3)) : 0;
}

/** Signals whose default action is not "terminate": ignore (CHLD, URG, WINCH), continue, stop (no job control here). */
export const NOT_TERMINATING = new Set([17, 18, 19, 20, 21, 22, 23, 28]);
