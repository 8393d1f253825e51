import { AgentosError } from '../errors.js';
import type { SidecarProcesses } from '../vm/admission.js';
import type { StdinSource } from './stdin.js';

/** What the table needs of a running process, whatever runs it. */
export interface RunningProcess {
  readonly pid: number;
  readonly stdin: StdinSource;
  kill(signal?: 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP'): void;
  readonly exited: Promise<unknown>;
}

/** A VM's processes: pid allocation and the bounds on how many run at once (the VM's, the sidecar's). */
export class ProcessTable {
  private nextPid = 1;
  private readonly running = new Map<number, RunningProcess>();
  private reserved = 0;
  started = 0;

  /** `onRefused`: the VM's bound stopped a start (for the VM to count and report). */
  constructor(
    private readonly maxProcesses: number,
    private readonly onRefused?: (observed: number, capacity: number) => void,
    private readonly sidecar?: SidecarProcesses,
  ) {}

  /** The pid the next process will get (pids only grow: a later process has a larger one). */
  get nextPidToGive(): number {
    return this.nextPid;
  }

  get size(): number {
    return this.running.size + this.reserved;
  }

  /** Takes a pid for a process about to start, or refuses when the VM is full. */
  reserve(): number {
    if (this.size >= this.maxProcesses) {
      this.onRefused?.(this.size + 1, this.maxProcesses);
      throw new AgentosError('ERR_AGENTOS_PROCESS_LIMIT', `the VM already runs ${this.maxProcesses} processes (raise limits.maxProcesses or AGENTOS_MAX_PROCESSES_PER_VM)`, {
        limit: 'max_processes_per_vm', capacity: this.maxProcesses, observed: this.size + 1, env: 'AGENTOS_MAX_PROCESSES_PER_VM',
      });
    }
    this.sidecar?.take();
    this.reserved++;
    return this.nextPid++;
  }

  /** Gives back a reserved pid whose process was refused before it could start. */
  unreserve(): void {
    this.reserved--;
    this.sidecar?.give();
  }

  add(pid: number, process: RunningProcess): void {
    this.reserved--;
    this.started++;
    this.running.set(pid, process);
  }

  remove(pid: number): void {
    if (this.running.delete(pid)) this.sidecar?.give();
  }

  find(pid: number): RunningProcess | undefined {
    return this.running.get(pid);
  }

  all(): RunningProcess[] {
    return [...this.running.values()];
  }

  get(pid: number): RunningProcess {
    const process = this.running.get(pid);
    if (!process) throw new AgentosError('ERR_AGENTOS_PROCESS_NOT_FOUND', `no running process with pid ${pid}`);
    return process;
  }

  /** Kills every process; resolves once all have exited. */
  async killAll(): Promise<number> {
    const all = [...this.running.values()];
    for (const process of all) {
      // One process that throws on the signal must not spare the others. SIGKILL reaches
      // GuestProcess.finish, which settles the exit even when its cleanup throws.
      try {
        process.kill('SIGKILL');
      } catch {
        // Nothing to add: the exit below is what counts.
      }
    }
    await Promise.all(all.map((p) => p.exited));
    return all.length;
  }
}
