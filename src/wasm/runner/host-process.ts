import type { RunnerHooks } from './contract.js';
import { E, WasiError } from './errno.js';
import { SIG, Signals, SignalExit, type SignalSet } from './signals.js';
import type { Wasi } from './wasi.js';

/** Thrown by proc_exec once the new image is found: unwinds the old one; the host runs the new. */
export class ExecImage {
  constructor(readonly path: string, readonly argv: string[], readonly env: string[] | null) {}
}

type Fn = (...args: any[]) => number | bigint | void;

const WNOHANG = 1;
const ANY_CHILD = 0xffffffff;
const RESOURCE_NOFILE = 7;
const SPAWN_KNOWN_FLAGS = 0xff;
const POLL_BACKOFF_MS = 10;

/**
 * host_process: processes (spawn, wait, exec, kill), signals, umask, rlimits and the fd
 * calls that POSIX has and preview1 lacks (pipe, dup, FD_CLOEXEC, locks). Pids, children
 * and pipes belong to the daemon; the fd table and signal state are the runner's own.
 */
export function hostProcessImports(wasi: Wasi, hooks: RunnerHooks, signals: Signals, info: { pid: number; ppid: number; pgid: number }): Record<string, Fn> {
  const v = () => wasi.view();
  const u32 = (ptr: number, value: number) => v().setUint32(ptr, value >>> 0, true);
  /** A NUL-separated argv or envp blob; past its ARG_MAX-style bound, E2BIG before any copy. */
  const strings = (ptr: number, len: number, max: number): string[] => {
    if (len === 0) return [];
    const list = wasi.string(ptr, len, max, E.TOOBIG).split('\0');
    if (list[list.length - 1] === '') list.pop();
    return list;
  };

  const spawn = (p: {
    path: [number, number]; argv: [number, number]; envp: [number, number]; actions: [number, number]; cwd: [number, number];
    searchPath: [number, number] | null; flags: number; sigdef: SignalSet; sigmask: SignalSet; pgroup: number; retPid: number;
  }) => {
    signals.deliver();
    if ((p.flags & ~SPAWN_KNOWN_FLAGS) !== 0) throw new WasiError(E.NOTSUP);
    const path = wasi.string(...p.path);
    if (path === '') throw new WasiError(E.NOENT);
    // The packed file actions go to the daemon as bytes: it decodes and bounds them.
    if (p.actions[1] >>> 0 > wasi.limits.actionsMaxBytes) throw new WasiError(E.TOOBIG);
    const actions = wasi.bytes(p.actions[0], p.actions[1]).slice();
    const request = {
      path,
      searchPath: p.searchPath && p.searchPath[0] !== 0 ? wasi.string(...p.searchPath, wasi.limits.envMaxBytes, E.TOOBIG) : null,
      argv: strings(...p.argv, wasi.limits.argvMaxBytes),
      env: strings(...p.envp, wasi.limits.envMaxBytes),
      cwd: wasi.string(...p.cwd),
      actions,
      fds: wasi.snapshot(),
      flags: p.flags,
      sigdef: p.sigdef,
      sigmask: p.sigmask,
      ignored: signals.ignored,
      pgroup: p.pgroup,
      umask: wasi.umask,
    };
    u32(p.retPid, wasi.hostProc<number>('spawn', request));
  };

  let lastEmptyPoll = -Infinity;
  /** Waits for a child; returns its pid (0: WNOHANG and none ready) and status. */
  const waitFor = (pid: number, options: number): { pid: number; exitCode: number; signal: number } => {
    for (;;) {
      const found = wasi.hostProc<{ pid: number; exitCode: number; signal: number }>('wait', pid, options);
      if (found.pid === 0 && (options & WNOHANG) !== 0) {
        // brush waits for a pipeline by polling WNOHANG in a loop. A second empty poll
        // within a millisecond is such a loop: let it sleep until a child ends (or 10 ms
        // pass) instead of spinning a core and the daemon's thread.
        const now = Date.now();
        const spinning = now - lastEmptyPoll < 1;
        lastEmptyPoll = now;
        if (spinning) hooks.block.applySyncPromise(undefined, ['childChange', pid, POLL_BACKOFF_MS]);
        return found;
      }
      if (found.pid !== 0) return found;
      // Holding a pipe's read end, look again every slice: the daemon spills a pipe this
      // process will read once the child ends, should the child fill it (PipeRing.spillAll).
      const holdsReadEnd = [...wasi.fds.values()].some((fd) => fd.pipe?.end === 'r');
      hooks.block.applySyncPromise(undefined, holdsReadEnd ? ['childChange', pid, POLL_BACKOFF_MS] : ['childChange', pid]);
      if (signals.deliver()) throw new WasiError(E.INTR);
    }
  };

  const fns: Record<string, Fn> = {
    proc_spawn_v3(pathPtr, pathLen, argvPtr, argvLen, envPtr, envLen, actPtr, actLen, cwdPtr, cwdLen, flags, defLo, defHi, maskLo, maskHi, pgroup, retPid) {
      spawn({ path: [pathPtr, pathLen], argv: [argvPtr, argvLen], envp: [envPtr, envLen], actions: [actPtr, actLen], cwd: [cwdPtr, cwdLen], searchPath: null, flags, sigdef: [defLo, defHi], sigmask: [maskLo, maskHi], pgroup, retPid });
    },
    proc_spawn_v4(pathPtr, pathLen, argvPtr, argvLen, envPtr, envLen, actPtr, actLen, cwdPtr, cwdLen, searchPtr, searchLen, flags, defLo, defHi, maskLo, maskHi, pgroup, policy, priority, retPid) {
      const SETSCHEDPARAM = 16;
      const SETSCHEDULER = 32;
      if ((flags & SETSCHEDULER) && policy !== 0) throw new WasiError(E.PERM);
      if ((flags & SETSCHEDPARAM) && priority !== 0) throw new WasiError(E.INVAL);
      spawn({ path: [pathPtr, pathLen], argv: [argvPtr, argvLen], envp: [envPtr, envLen], actions: [actPtr, actLen], cwd: [cwdPtr, cwdLen], searchPath: [searchPtr, searchLen], flags, sigdef: [defLo, defHi], sigmask: [maskLo, maskHi], pgroup, retPid });
    },
    proc_waitpid_v2(pid, options, retCode, retSignal, retPid, retCore) {
      if ((options & ~WNOHANG) !== 0) throw new WasiError(E.INVAL);
      const found = waitFor(pid >>> 0 === ANY_CHILD ? -1 : pid >>> 0, options);
      if (found.pid !== 0) {
        u32(retCode, found.exitCode);
        u32(retSignal, found.signal);
        u32(retCore, 0);
      }
      u32(retPid, found.pid);
    },
    proc_waitpid_v3(pid, options, retStatus, retPid) {
      if ((options & ~(1 | 2 | 8)) !== 0) throw new WasiError(E.INVAL);
      const found = waitFor(pid | 0, options & WNOHANG);
      if (found.pid !== 0) u32(retStatus, found.signal !== 0 ? found.signal : (found.exitCode & 0xff) << 8);
      u32(retPid, found.pid);
    },
    proc_exec(pathPtr, pathLen, argvPtr, argvLen, envPtr, envLen, cloexecPtr, cloexecCount) {
      const path = wasi.string(pathPtr, pathLen);
      if (path === '') throw new WasiError(E.NOENT);
      const resolved = wasi.hostProc<string>('resolve', path);
      const argv = strings(argvPtr, argvLen, wasi.limits.argvMaxBytes);
      const env = envLen === 0 && envPtr === 0 ? null : strings(envPtr, envLen, wasi.limits.envMaxBytes);
      // A list naming more fds than a process may hold is not a list of its fds.
      if (cloexecCount >>> 0 > wasi.limits.maxOpenFiles) throw new WasiError(E.INVAL);
      for (let i = 0; i < cloexecCount; i++) {
        const fd = v().getUint32(cloexecPtr + i * 4, true);
        if (wasi.fds.has(fd)) wasi.closeFd(fd);
      }
      throw new ExecImage(resolved, argv, env);
    },
    proc_kill(pid, sig) {
      if (sig < 0 || sig > 64) throw new WasiError(E.INVAL);
      if (pid >>> 0 === info.pid) {
        if (sig !== 0) signals.raise(sig);
        return;
      }
      wasi.hostProc('kill', pid | 0, sig);
      signals.deliver();
    },
    proc_sigaction(sig, action, maskLo, maskHi, flags) {
      if (sig < 1 || sig > 64 || sig === SIG.KILL || sig === SIG.STOP || action > 2) throw new WasiError(E.INVAL);
      signals.setAction(sig, action, [maskLo >>> 0, maskHi >>> 0], flags >>> 0);
    },
    proc_signal_mask_v2(how, lo, hi, retLo, retHi) {
      const old = signals.mask(how, [lo >>> 0, hi >>> 0]);
      if (!old) throw new WasiError(E.INVAL);
      u32(retLo, old[0]);
      u32(retHi, old[1]);
      signals.deliver();
    },
    proc_getpid(ret) {
      u32(ret, info.pid);
    },
    proc_getppid(ret) {
      u32(ret, info.ppid);
    },
    proc_getpgid(pid, ret) {
      if (pid < 0) throw new WasiError(E.SRCH);
      u32(ret, pid === 0 || pid === info.pid ? info.pgid : wasi.hostProc<number>('pgid', pid));
    },
    proc_setpgid() {
      throw new WasiError(E.PERM);
    },
    proc_getrlimit(resource, retSoft, retHard) {
      if (resource !== RESOURCE_NOFILE) throw new WasiError(E.NOTSUP);
      const limit = BigInt(wasi.hostProc<number>('maxOpenFiles'));
      v().setBigUint64(retSoft, limit, true);
      v().setBigUint64(retHard, limit, true);
    },
    proc_setrlimit() {
      throw new WasiError(E.PERM);
    },
    proc_umask(mask, retPrev) {
      u32(retPrev, wasi.umask);
      wasi.umask = mask & 0o777;
    },
    umask(mask, set, retPrev) {
      u32(retPrev, wasi.umask);
      if (set !== 0) wasi.umask = mask & 0o777;
    },
    proc_itimer_real() {
      throw new WasiError(E.NOSYS);
    },
    proc_ppoll_v1() {
      throw new WasiError(E.NOSYS);
    },
    proc_closefrom(low) {
      wasi.closeFrom(low);
    },
    proc_spawn() {
      throw new WasiError(E.NOSYS);
    },
    proc_spawn_v2() {
      throw new WasiError(E.NOSYS);
    },
    proc_waitpid() {
      throw new WasiError(E.NOSYS);
    },
    proc_fexec() {
      throw new WasiError(E.NOSYS);
    },
    pty_open() {
      throw new WasiError(E.NOSYS);
    },
    fd_pipe(retRead, retWrite) {
      const [r, w] = wasi.pipe();
      u32(retRead, r);
      u32(retWrite, w);
    },
    fd_dup(fd, ret) {
      u32(ret, wasi.dup(fd, 0));
    },
    fd_dup2(from, to) {
      wasi.dup2(from, to);
    },
    fd_dup_min(fd, min, ret) {
      u32(ret, wasi.dup(fd, min));
    },
    fd_getfd(fd, ret) {
      u32(ret, wasi.fd(fd).cloexec ? 1 : 0);
    },
    fd_setfd(fd, flags) {
      wasi.fd(fd).cloexec = (flags & 1) !== 0;
    },
    // Locks: one VM is one trust domain and its processes share no host files, so a lock
    // only orders processes of the same VM; granted at once (GETLK: nothing conflicts).
    fd_record_lock(fd, cmd, type, _start, _len, retType, retPid, retStart, retLen) {
      wasi.fd(fd);
      if (cmd < 12 || cmd > 14 || type < 0 || type > 2) throw new WasiError(E.INVAL);
      if (cmd === 12) {
        u32(retType, 2);
        u32(retPid, 0);
        v().setBigUint64(retStart, 0n, true);
        v().setBigUint64(retLen, 0n, true);
      }
    },
    fd_flock(fd) {
      wasi.fd(fd);
    },
    fd_socketpair() {
      throw new WasiError(E.NOSYS);
    },
    fd_sendmsg_rights() {
      throw new WasiError(E.NOTSOCK);
    },
    fd_recvmsg_rights() {
      throw new WasiError(E.NOTSOCK);
    },
    sleep_ms(ms) {
      signals.deliver();
      if (ms > 0) hooks.block.applySyncPromise(undefined, ['sleep', ms >>> 0]);
      if (signals.deliver()) throw new WasiError(E.INTR);
    },
  };
  return fns;
}

export { SignalExit };
