import { AgentosError } from '../errors.js';
import type { GuestProcess } from '../process/guest-process.js';
import type { Pty, RawStyle } from '../process/pty.js';
import { signalName } from '../process/signal-numbers.js';
import { WasmProcess } from '../wasm/wasm-process.js';
import { JsProcess } from '../js/js-process.js';

/** What the terminals need of their VM: its live processes. */
export interface TerminalHost {
  readonly processes: { all(): unknown[]; readonly nextPidToGive: number };
}

/**
 * A VM's pseudo-terminals, by the pid of the process spawned with each (the session
 * leader), and the delivery of the signals a terminal raises to its foreground job.
 */
export class Terminals {
  private readonly byPid = new Map<number, Pty>();
  private count = 0;

  constructor(private readonly host: TerminalHost) {}

  nextIndex(): number {
    return this.count++;
  }

  open(pid: number, pty: Pty): void {
    pty.leaderPid = pid;
    this.byPid.set(pid, pty);
  }

  /**
   * Raw mode on or off (set_raw_mode, setRawMode). When the leader leaves raw mode it is
   * about to run a job with the terminal (a shell leaving its line editor): what it starts
   * from here on is the foreground job, until it takes raw mode again.
   */
  setRaw(pty: Pty, callerPid: number, raw: boolean, style: RawStyle): void {
    pty.setRaw(raw, style);
    if (callerPid !== pty.leaderPid) return;
    pty.jobFloorPid = raw ? undefined : this.host.processes.nextPidToGive;
  }

  /** The leader ended: the terminal hangs up (reads by what is left get EOF). */
  close(pid: number): void {
    this.byPid.get(pid)?.input.close();
    this.byPid.delete(pid);
  }

  find(pid: number): Pty | undefined {
    return this.byPid.get(pid);
  }

  of(pid: number): Pty {
    const pty = this.byPid.get(pid);
    if (!pty) throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `pid ${pid} has no terminal (spawn it with \`pty\`)`, { field: '/pid' });
    return pty;
  }

  /** The processes whose stdio are this terminal. */
  members(pty: Pty): GuestProcess[] {
    return (this.host.processes.all() as GuestProcess[]).filter((p) => p.tty === pty && !p.isFinished);
  }

  /** A signal the terminal raised (^C, ^\\, ^Z, a resize) goes to its foreground job. */
  signal(pty: Pty, sig: number): void {
    for (const p of this.foreground(pty)) {
      if (p instanceof WasmProcess) p.deliver(sig);
      else if (p instanceof JsProcess) p.terminalSignal(signalName(sig));
    }
  }

  /**
   * The terminal's foreground job. Linux has a shell put each job in a process group of its
   * own and hand it the terminal with tcsetpgrp; the command ABI has no tcsetpgrp, and brush
   * (the agentOS sh) neither makes groups nor catches SIGINT. So the job is what the leader
   * started since it last left raw mode (pids only grow, so its processes and everything
   * they started have pids from jobFloorPid on), while any of it runs: the shell is not
   * part of it and lives on, as a job-control shell does. A job started with `&` before
   * that is not part of it either. With no such job (or a leader that never took raw mode:
   * `cat`, a script), the leader's process group is the foreground, as on Linux.
   */
  foreground(pty: Pty): GuestProcess[] {
    const members = this.members(pty);
    const floor = pty.jobFloorPid;
    if (floor !== undefined) {
      const job = members.filter((p) => p.pid >= floor);
      if (job.length > 0) return job;
    }
    const leader = members.find((p) => p.pid === pty.leaderPid);
    if (!leader) return members;
    const pgidOf = (p: GuestProcess) => (p instanceof WasmProcess ? p.pgid : p.pid);
    return members.filter((p) => pgidOf(p) === pgidOf(leader));
  }
}
