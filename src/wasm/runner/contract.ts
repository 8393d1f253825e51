/**
 * The contract between the host and the WASI runner runtime (which runs inside every
 * runner isolate). Types only; imported by both sides.
 */
import type { HookResult } from '../../process/hook-result.js';
import type { CallWindow } from '../../process/guest-calls.js';
import type { CpuShareInfo } from '../../process/cpu-gate.js';

export interface RunnerHooks {
  /** Fire-and-forget output (fd 1 or 2). */
  write(fd: number, data: Uint8Array): void;
  /** A filesystem operation through the process's host fd table (the ops of src/process/guest-fs.ts). */
  fs(op: string, args: unknown[], within?: string): HookResult;
  /** Exactly `length` random bytes (at most RANDOM_CALL_MAX_BYTES a call), or an error. */
  random(length: number): HookResult;
  /** Blocking waits: stdin data, a sleep, room for more output, or a child's change of state. */
  block: { applySyncPromise(receiver: undefined, args: [RunnerBlockingOp, (number | string)?, number?]): unknown };
  /** The process model's host side (src/wasm/process-calls.ts): spawn, wait, kill, pipes, dup of host fds. */
  proc(op: string, args: unknown[]): HookResult;
}

/** `turn`: the daemon's next turn, once it has run every call made before (src/process/guest-calls.ts). */
export type RunnerBlockingOp = 'stdinSome' | 'stdinPoll' | 'sleep' | 'outputWindow' | 'childChange' | 'turn' | 'permission' | 'netLookup' | 'netListen' | 'netSent';

/** One inherited fd, as the daemon hands a child its table (and a runner hands its own over for spawn and exec). */
export interface FdSpec {
  fd: number;
  kind: 'stdin' | 'stdout' | 'stderr' | 'dir' | 'file' | 'pipe' | 'socket' | DeviceKind;
  vmPath: string;
  root: string;
  /** kind 'file': the fd in this process's host fd table. */
  hostFd?: number;
  /** kind 'pipe': which pipe, which end, and its shared ring. */
  pipe?: { id: number; end: 'r' | 'w'; buffer: SharedArrayBuffer };
  /** kind 'socket': which socket of the VM's (src/net/command-sockets.ts), and its shared memory. */
  socket?: import('./sockets.js').SocketSpec;
  /** Rights as decimal strings (bigints). */
  rights: string;
  inheriting: string;
  fdflags: number;
  preopen?: string;
  cloexec?: boolean;
}

/** The character devices every VM has, by path: what each reads as (all discard writes). */
export const DEVICES: Readonly<Record<string, DeviceKind>> = { '/dev/null': 'null', '/dev/zero': 'zero', '/dev/random': 'random', '/dev/urandom': 'random' };
export type DeviceKind = 'null' | 'zero' | 'random';
/** Most bytes one read of /dev/zero or /dev/urandom returns (a short read, as POSIX allows), for every kind of process. */
export const DEVICE_READ_CHUNK = 65536;

/** The device at a VM path, if it is one of DEVICES. */
export function deviceAt(vmPath: string): DeviceKind | undefined {
  return Object.hasOwn(DEVICES, vmPath) ? DEVICES[vmPath] : undefined;
}

export function isDeviceKind(kind: FdSpec['kind']): kind is DeviceKind {
  return kind === 'null' || kind === 'zero' || kind === 'random';
}

/**
 * The fd number a path names in the process that opens it: /dev/stdin|stdout|stderr,
 * /dev/fd/N and /proc/self/fd/N (how bash's <(...) hands a pipe over).
 */
export function fdNamedBy(vmPath: string): number | undefined {
  const stdio = ['/dev/stdin', '/dev/stdout', '/dev/stderr'].indexOf(vmPath);
  if (stdio >= 0) return stdio;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(vmPath);
  return m ? Number(m[1]) : undefined;
}
/**
 * st_mode of a device: an empty regular file anyone may read and write. Linux says character
 * device, but the WASI builds of uutils refuse that type ("cat: /dev/null: unknown filetype",
 * and so `cat /dev/urandom | head`); reads and writes still behave as the device's.
 */
export const DEVICE_MODE = 0o100666;

/** The POSIX identity and signal state a process starts with. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  umask: number;
  /** Blocked signals, and signals set to SIG_IGN, as [lo, hi] words (bit n-1 = signal n). */
  blocked: [number, number];
  ignored: [number, number];
  /**
   * Signal words shared with the daemon, Int32 × 8: pending lo/hi (set by the daemon),
   * blocked lo/hi, caught lo/hi, ignored lo/hi (kept current by the runner, read by the
   * daemon when it delivers a signal).
   */
  signals: SharedArrayBuffer;
  /**
   * The process's meter, Int32 × METER_WORDS, written by the runner on every host call and
   * read by the daemon's memory meter: linear memory in 64 KiB pages, a count of host
   * calls, 1 while a host call is under way, and 1 while the runner is running this
   * process's module (instantiation and `_start`: the only time it can grow its memory)
   * (see src/wasm/memory-meter.ts); then the process's CPU slot state (src/process/cpu-gate.ts).
   */
  meter: SharedArrayBuffer;
}

export const METER_PAGES = 0;
export const METER_CALLS = 1;
export const METER_IN_HOST = 2;
/** The process's CPU slot state (src/process/cpu-gate.ts), settled by the daemon when it ends. */
export const METER_GATE = 3;
export const METER_RUNNING = 4;
export const METER_WORDS = 5;
/** The unit of METER_PAGES (and of linear memory). */
export const WASM_PAGE_BYTES = 65536;

export interface Preopen {
  /** The name the guest sees (`fd_prestat_dir_name`). */
  name: string;
  /** The VM directory it stands for. */
  vmPath: string;
}

export interface RunnerInfo {
  args: string[];
  env: Record<string, string>;
  preopens: readonly Preopen[];
  /** The fd table to start with (a spawned child's); absent: stdio, then the preopens from fd 3. */
  fds?: FdSpec[];
  process: ProcessInfo;
  user: UserInfo;
  outputWindowBytes: number;
  limits: RunnerLimits;
  /** Fire-and-forget calls and their bytes between two waits for the daemon (GUEST_CALL_WINDOW). */
  callWindow: CallWindow;
  /** The VM's run slots, which the process holds while its guest code runs. */
  cpu: CpuShareInfo;
  /** Its stdio (fds of kind stdin, stdout, stderr) are a pseudo-terminal the daemon holds. */
  tty?: boolean;
}

/**
 * What one host call may carry from the runner to the daemon, checked in the runner before
 * anything is copied out of guest memory (src/limits/inventory.ts says why each exists).
 */
export interface RunnerLimits {
  /** Bytes of one read or write (a longer one is short) or one xattr value (E2BIG). */
  callMaxBytes: number;
  /** iovecs one read or write may name (EINVAL past it). */
  iovMax: number;
  /** One path (ENAMETOOLONG past it). */
  pathMax: number;
  /** A spawned or exec'd program's argv and environment, as Linux's ARG_MAX (E2BIG past it). */
  argvMaxBytes: number;
  envMaxBytes: number;
  /** The packed posix_spawn file actions (E2BIG past it). */
  actionsMaxBytes: number;
  /** Open fds, as RLIMIT_NOFILE (EMFILE past it). */
  maxOpenFiles: number;
}

/** The VM's one user, as host_user reports it. */
export interface UserInfo {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

export interface RunnerResult {
  exitCode: number;
  /** Set when the module trapped or could not start: the engine's message. */
  trap?: string;
  /** The runner's own heap could not hold what the run needed (AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB). */
  runnerHeapExhausted?: boolean;
  /** The program trapped because its fuel counter went below zero. */
  fuelExhausted?: boolean;
  /** The fuel counter when it trapped (the budget minus every unit charged: -1 at the trap). */
  fuelLeft?: number;
  /** The call-depth counter when the program trapped (compared with the bound by the host). */
  depthAtTrap?: number;
  /** Ended by this signal (default action: terminate). */
  signal?: number;
  /** proc_exec: run this image next, in the same process, with this fd table. */
  exec?: { path: string; argv: string[]; env: string[] | null; fds: FdSpec[]; blocked: [number, number]; ignored: [number, number]; umask: number };
}
