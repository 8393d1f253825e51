import { AgentosError } from '../errors.js';
import { FsError } from '../fs/errors.js';
import type { HookResult } from '../process/hook-result.js';
import { NetError } from '../net/vm-network.js';
import { socketCall } from '../net/socket-calls.js';
import { AskPending } from '../permissions/process-permits.js';
import type { PipeEnd } from '../process/pipes.js';
import type { Program } from './program-lookup.js';
import { path as checkedPath } from './spawn-request.js';
import type { UserInfo } from './runner/contract.js';
import type { WasmProcess } from './wasm-process.js';

/** proc_spawn_v3/v4 as the runner decoded it, once checked (spawn-request.ts). */
export interface SpawnRequest {
  path: string;
  /** v4 posix_spawnp: the PATH to search; null: exact path (v3 searches the child's PATH for a bare name). */
  searchPath: string | null;
  argv: string[];
  env: string[];
  cwd: string;
  /** The packed file actions, as the guest wrote them (decoded by the daemon). */
  actions: Uint8Array;
  fds: import('./runner/contract.js').FdSpec[];
  flags: number;
  sigdef: [number, number];
  sigmask: [number, number];
  ignored: [number, number];
  pgroup: number;
  umask: number;
}

/** What a WASM process needs from its VM to be a POSIX process: the rest of the process table. */
export interface ProcessKernel {
  /** The VM's id, and the meter that bounds its processes' linear memory together. */
  readonly id: string;
  readonly memoryMeter: import('./memory-meter.js').WasmMemoryMeter;
  readonly user: UserInfo;
  /** The VM's run slots (src/process/cpu-gate.ts). */
  readonly cpuShare: import('../process/cpu-gate.js').CpuShareInfo;
  readonly pipes: import('../process/pipes.js').PipeTable;
  /** Its command binaries' sockets (host_net), whose connections go through the VM's network. */
  readonly sockets: import('../net/command-sockets.js').CommandSockets;
  /** Finds the program an exec path names (throws FsError: ENOENT, EACCES, ENOEXEC). */
  lookup(name: string, argv: string[], where: import('./program-lookup.js').LookupWhere): Program;
  /** Starts a child from a request as the runner sent it (unchecked); returns its pid (throws FsError, or AgentosError when the VM is full). */
  spawnChild(parent: WasmProcess, request: unknown): number;
  /** Sends signal `sig` to `pid` (> 0), a group (0: the sender's, < -1), or all (-1). False: no such process. */
  signal(sender: WasmProcess, pid: number, sig: number): boolean;
  pgidOf(pid: number): number | undefined;
  /** set_raw_mode on the process's terminal (it has one). */
  terminalMode(proc: WasmProcess, raw: boolean): void;
  /** Throws EACCES when the childProcess policy refuses starting `program` (an absolute path), or AskPending. */
  checkStart(permits: import('../permissions/process-permits.js').ProcessPermits, program: string, syscall: string): void;
  /** What a runner may hand the daemon in one spawn or exec (spawn-request.ts). */
  requestBounds(proc: WasmProcess): Omit<import('./spawn-request.js').RequestBounds, 'preopens'>;
  /** proc_exec of `node`: starts the JS process that the exec'ing process stands in for (vm.ts execJs). */
  execJs(proc: WasmProcess, argv: string[], env: Record<string, string>, fds: import('./runner/contract.js').FdSpec[], cwd: string): { child: { deliverSignal(sig: number): void }; ended: Promise<import('../process/guest-process.js').ProcessExit> };
}

/**
 * The daemon side of host_process calls that need more than the runner holds: pipes'
 * reference counts, children, signals to other processes. Arguments come from the
 * runner (trusted code) but carry guest values, so each is checked.
 */
export function processCall(proc: WasmProcess, kernel: ProcessKernel, op: unknown, args: unknown): HookResult {
  try {
    if (typeof op !== 'string' || !Array.isArray(args)) throw new FsError('EINVAL', 'proc');
    return { ok: dispatch(proc, kernel, op, args) };
  } catch (err) {
    if (err instanceof AskPending) throw err;
    if (err instanceof FsError) return { err: { message: err.message, code: err.errno } };
    if (err instanceof NetError) return { err: { message: err.message, code: err.code } };
    if (err instanceof AgentosError && (err.code === 'ERR_AGENTOS_PROCESS_LIMIT' || err.code === 'ERR_AGENTOS_SIDECAR_PROCESS_LIMIT')) return { err: { message: err.message, code: 'EAGAIN' } };
    if (err instanceof AgentosError) return { err: { message: err.message, code: 'EINVAL' } };
    throw err;
  }
}

function int(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new FsError('EINVAL', 'proc');
  return value;
}

function dispatch(proc: WasmProcess, kernel: ProcessKernel, op: string, a: unknown[]): unknown {
  switch (op) {
    case 'pipe': {
      const created = kernel.pipes.create();
      proc.holdings.adopt(created.id, 'r');
      proc.holdings.adopt(created.id, 'w');
      return created;
    }
    case 'pipeRef': {
      const end: PipeEnd = a[1] === 'r' ? 'r' : 'w';
      if (a[2] === 1) proc.holdings.take(int(a[0]), end);
      else proc.holdings.drop(int(a[0]), end);
      return null;
    }
    case 'spawn':
      return kernel.spawnChild(proc, a[0]);
    case 'pipeSpill': {
      // Only a pipe whose read end the asking process holds (the runner asks when it blocks writing into it).
      const id = int(a[0]);
      if (proc.holdings.readEnds().includes(id)) kernel.pipes.spillFull([id]);
      return null;
    }
    case 'pipeUnspill':
      return kernel.pipes.unspill(int(a[0]), int(a[1]));
    case 'wait': {
      // A parent waiting for a child that writes into a full pipe the parent will read after.
      kernel.pipes.spillFull(proc.holdings.readEnds());
      const status = proc.children.collect(int(a[0]), proc.pgid);
      if (!status) throw new FsError('ECHILD', 'waitpid');
      return status;
    }
    case 'kill':
      if (!kernel.signal(proc, int(a[0]), int(a[1]))) throw new FsError('ESRCH', 'kill');
      return null;
    case 'resolve': {
      // proc_exec asks first: the program it would run is judged here, so a refusal is
      // execve's EACCES to the caller, whose image goes on.
      const program = kernel.lookup(checkedPath(a[0], 'path', proc.pathMax), [], { cwd: proc.cwd, path: proc.environment.PATH ?? null, jail: proc.preopens });
      kernel.checkStart(proc.permits, program.path, 'execve');
      return program.path;
    }
    case 'pgid': {
      const pgid = kernel.pgidOf(int(a[0]));
      if (pgid === undefined) throw new FsError('ESRCH', 'getpgid');
      return pgid;
    }
    case 'netSocket':
    case 'netRef':
    case 'netBind':
    case 'netConnect':
    case 'netTls':
    case 'netAccept':
    case 'netShutdown':
    case 'netName':
    case 'netSendTo':
    case 'netRecvFrom':
      return socketCall(proc, kernel.sockets, op, a);
    case 'maxOpenFiles':
      return proc.maxOpenFiles;
    case 'ttyRaw': {
      if (!proc.tty) throw new FsError('ENOTTY', 'tcsetattr');
      kernel.terminalMode(proc, a[0] === true);
      return null;
    }
    case 'ttySize': {
      if (!proc.tty) throw new FsError('ENOTTY', 'ioctl');
      return proc.tty.winsize;
    }
    case 'ttyName': {
      if (!proc.tty) throw new FsError('ENOTTY', 'ttyname');
      return proc.tty.name;
    }
    default:
      throw new FsError('EINVAL', op, undefined, `unknown process call '${op}'`);
  }
}
