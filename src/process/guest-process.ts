import { randomBytes } from 'node:crypto';
import type ivm from 'isolated-vm';
import type { ErrorCode } from '../../protocol/errors.js';
import type { VirtualFs } from '../fs/vfs.js';
import { guestFsCall, type GuestFsContext } from './guest-fs.js';
import type { ProcessPermits } from '../permissions/process-permits.js';
import type { AskingResult, HookResult } from './hook-result.js';
import { warnLimitExhausted, type Logger } from '../log.js';
import { FdTable } from './fd-table.js';
import { BoundedOutput, type OutputSink } from './output.js';
import type { StdinSource } from './stdin.js';
import { signalNumber } from './signal-numbers.js';
import type { CpuWatchdog, Watched } from './watchdog.js';
import { daemonTurn } from './daemon-turn.js';
import { TURN_SPENT } from './guest-calls.js';
import { guestThreadsCpuMs } from './guest-threads-cpu.js';
import type { Pty } from './pty.js';

/** The signals a host may send (process/kill); guests among themselves use any Linux signal. */
export type Signal = 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP';

export interface GuestBudgets {
  cpuTimeLimitMs: number;
  wallTimeLimitMs: number;
  outputLimitBytes: number;
  maxOpenFiles: number;
  ioMaxBytes: number;
  outputWindowBytes: number;
  /** Fire-and-forget calls a guest makes before it waits for the daemon to have run them. */
  callWindow: number;
  /** Daemon-thread time all guests' calls may take in one turn of its event loop. */
  callTurnMs: number;
  /** Most random bytes one call returns (larger requests take several calls). */
  randomChunkBytes: number;
  /** Most entries one readdir call returns (FS_READDIR_PAGE_MAX); a listing takes several. */
  readdirPageMax: number;
}

export interface GuestProcessOptions {
  pid: number;
  ppid: number;
  env: Record<string, string>;
  cwd: string;
  vfs: VirtualFs;
  /** What the VM's permissions let this process do (src/permissions/). */
  permits: ProcessPermits;
  stdin: StdinSource;
  output: OutputSink;
  /** Resolves when the host can take more output (process/spawn); absent for exec. */
  outputWindow?: () => Promise<void>;
  /**
   * Output still on its way into a pipe a WASM process reads (js-child-stdio.ts): a promise
   * for when it is all in, or undefined when nothing waits. A process that ends by itself
   * ends only then, as a blocking write(2) would hold it; a signal ends it at once.
   */
  outputPending?: () => Promise<void> | undefined;
  budgets: GuestBudgets;
  watchdog: CpuWatchdog;
  log: Logger;
  /** The pseudo-terminal its stdio are (process/spawn with `pty`, and the children that inherit them). */
  tty?: Pty;
}

/** Why the sidecar stopped a process, as the host sees it in the result. */
export interface StopReason {
  code: ErrorCode;
  message: string;
  limit?: string;
  capacity?: number;
  observed?: number;
  env?: string;
}

export interface ProcessExit {
  exitCode: number;
  signal?: string;
  error?: StopReason;
  truncated: boolean;
  usage: { cpuMs: number; wallMs: number; heapBytes: number };
}

export const HEAP_DISPOSED = /disposed during execution due to memory limit/;

/**
 * What every guest process has, whatever runs it (a JS isolate or a WASM runner): its
 * fds, stdin and bounded output, its CPU and wall budgets, and one way to end that
 * settles `exited` exactly once with the exit code, the reason and the usage.
 */
export abstract class GuestProcess implements Watched {
  readonly cpuBudgetMs: number;
  readonly exited: Promise<ProcessExit>;
  protected readonly fds: FdTable;
  protected readonly output: BoundedOutput;
  protected readonly fsContext: GuestFsContext;
  protected readonly started = performance.now();
  protected exitCode = 0;
  protected finished = false;
  /** CPU the isolate used before this process (preparing its runtime); not the guest's. */
  protected cpuBaseNs = 0n;
  private lastCpuMs = 0;
  /** Daemon-thread time this guest's calls took: charged as its CPU time. */
  private daemonMs = 0;
  /** guestThreadsCpuMs() when the budgets started (undefined: not measurable here). */
  private guestThreadsBaseMs: number | undefined;
  private wallTimer: NodeJS.Timeout | undefined;
  private resolveExit!: (exit: ProcessExit) => void;

  constructor(protected readonly base: GuestProcessOptions) {
    const { budgets } = base;
    this.cpuBudgetMs = budgets.cpuTimeLimitMs;
    this.fds = new FdTable(budgets.maxOpenFiles, base.vfs);
    this.output = new BoundedOutput(base.output, budgets.outputLimitBytes, (observed) =>
      this.stop({
        code: 'ERR_AGENTOS_OUTPUT_LIMIT',
        message: `output limit of ${budgets.outputLimitBytes} bytes reached; the rest was dropped and the process stopped (raise limits.outputLimitBytes or AGENTOS_PROCESS_OUTPUT_LIMIT_BYTES)`,
        limit: 'process_output_limit_bytes',
        capacity: budgets.outputLimitBytes,
        observed,
        env: 'AGENTOS_PROCESS_OUTPUT_LIMIT_BYTES',
      }, 141, 'SIGPIPE'),
    );
    this.fsContext = {
      vfs: base.vfs,
      fds: this.fds,
      permits: base.permits,
      ioMaxBytes: budgets.ioMaxBytes,
      readdirPageMax: budgets.readdirPageMax,
      log: base.log,
      readStdin: () => base.stdin.take(),
      writeOutput: (fd, data) => this.output.write(fd === 1 ? 'stdout' : 'stderr', data),
      onLimit: (limit, observed, capacity, env) => this.limitHit(limit, observed, capacity, env),
    };
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get pid(): number {
    return this.base.pid;
  }

  get stdin(): StdinSource {
    return this.base.stdin;
  }

  get tty(): Pty | undefined {
    return this.base.tty;
  }

  /** When it started (process/list). */
  readonly startedAt = new Date();

  /** Wall-clock time since it started. */
  get wallMs(): number {
    return performance.now() - this.started;
  }

  get permits(): ProcessPermits {
    return this.base.permits;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Where a child that inherits this process's stdout/stderr writes: into this process's
   * bounded output, while it runs (a child outliving it writes nowhere).
   */
  readonly inheritedOutput: OutputSink = {
    write: (stream, data) => {
      if (!this.finished) this.output.write(stream, data);
    },
  };

  /** The isolate running the guest, once there is one. */
  protected abstract isolate(): ivm.Isolate | undefined;

  /** Frees what the subclass holds when the process ends; returns the heap bytes in use. */
  protected abstract release(): number;

  abstract kill(signal?: Signal): void;

  /** Call once the guest's isolate is bound: CPU from here on is the guest's. */
  protected startBudgets(isolate: ivm.Isolate): void {
    this.cpuBaseNs = isolate.cpuTime;
    this.guestThreadsBaseMs = guestThreadsCpuMs();
    this.base.watchdog.add(this);
    this.wallTimer = setTimeout(() => this.onWallExhausted(), this.base.budgets.wallTimeLimitMs);
    this.wallTimer.unref();
  }

  // ---- hooks both kinds of guest share (arguments come from guest code) ----

  /**
   * Runs one call the guest made into the daemon (every hook goes through here), timed
   * and the time charged to this process's CPU usage. A call that returns a value gets
   * TURN_SPENT instead, doing nothing, once guests' calls have held the daemon's thread
   * for this turn's budget (see daemon-turn.ts).
   */
  call<T>(work: () => T, answered: boolean): T | typeof TURN_SPENT {
    daemonTurn.enter();
    if (answered && (daemonTurn.spent(this.base.budgets.callTurnMs) || this.yieldDue())) return TURN_SPENT;
    const started = performance.now();
    try {
      return work();
    } finally {
      this.daemonMs += performance.now() - started;
    }
  }

  /** Whether the guest should wait for the next turn before its next call, to give its CPU slot up (JS: js-run-slot.ts; a runner yields in its own gate). */
  protected yieldDue(): boolean {
    return false;
  }

  /** Work done for the guest off the daemon's thread (a key derivation on the libuv pool), charged as its CPU time. */
  protected chargeDaemonMs(ms: number): void {
    this.daemonMs += ms;
  }

  write(fd: unknown, data: unknown): void {
    if (this.finished || (fd !== 1 && fd !== 2)) return;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data instanceof Uint8Array ? data : null;
    if (bytes) this.output.write(fd === 1 ? 'stdout' : 'stderr', bytes);
  }

  /** `within` (WASM): the preopen the paths were resolved beneath; symlinks cannot leave it. */
  fs(op: unknown, args: unknown, within?: unknown): AskingResult {
    if (this.finished) return { err: { message: 'the process has ended', code: 'EBADF' } };
    const { permits } = this.base;
    if (typeof within !== 'string' || within === '/') return permits.run(() => guestFsCall(this.fsContext, op, args));
    try {
      return permits.run(() => this.base.vfs.confined(within, () => guestFsCall(this.fsContext, op, args)));
    } catch {
      return { err: { message: `preopen '${within}' is gone`, code: 'ENOENT' } };
    }
  }

  /**
   * The one enforcement point of the env scope: the variables this process sees, each
   * judged by name (waiting for the host's answer where the policy says ask), whoever
   * started it (the host, a shell, child_process, an exec). PWD always passes: it carries
   * the process's cwd (the agentOS libc takes it from there), which getcwd tells anyway.
   */
  protected async visibleEnv(env: Record<string, string>): Promise<Record<string, string>> {
    const { permits } = this.base;
    if (permits.allowsAll('env')) return env;
    const visible: Record<string, string> = {};
    // One at a time: a policy that asks sends one request at a time, not one per variable at once.
    for (const [name, value] of Object.entries(env)) {
      if (name === 'PWD' || (await permits.check('env', 'read', name))) visible[name] = value;
    }
    return visible;
  }

  /** Exactly `length` bytes, or EINVAL: never fewer bytes than asked, silently. */
  random(length: unknown): HookResult {
    const max = this.base.budgets.randomChunkBytes;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > max) {
      return { err: { message: `random: ${String(length)} bytes asked in one call; between 0 and ${max} may be (RANDOM_CALL_MAX_BYTES)`, code: 'EINVAL' } };
    }
    return { ok: new Uint8Array(randomBytes(length)) };
  }

  /** Blocking waits: the guest's thread waits on the promise, the daemon's does not. */
  async block(op: unknown, arg: unknown): Promise<unknown> {
    if (this.finished) return null;
    const { stdin } = this.base;
    switch (op) {
      case 'turn':
        await daemonTurn.next();
        return null;
      case 'outputWindow':
        await this.base.outputWindow?.();
        return null;
      case 'stdinAll':
        return stdin.readAll();
      case 'stdinSome':
        await stdin.ready(typeof arg === 'number' && arg > 0 ? arg : Infinity);
        return typeof arg === 'number' && arg > 0 ? stdin.takeUpTo(arg) : stdin.take();
      case 'stdinPoll': {
        const waitMs = typeof arg === 'number' ? arg : -1;
        const ready = stdin.ready();
        if (waitMs >= 0) await Promise.race([ready, new Promise((r) => setTimeout(r, waitMs))]);
        else await ready;
        return stdin.buffered > 0 || stdin.isClosed ? stdin.buffered : -1;
      }
      case 'sleep':
        await new Promise((r) => setTimeout(r, typeof arg === 'number' && arg > 0 ? arg : 0));
        return null;
      case 'permission':
        await this.base.permits.wait(arg);
        return null;
      case 'usage':
        // As text: applySyncPromise carries only transferable values back, not objects.
        return JSON.stringify(this.usageNow());
      default:
        return null;
    }
  }

  /**
   * What process.cpuUsage/memoryUsage/resourceUsage report: the CPU time this process is
   * charged (its isolate's plus the daemon's on its behalf) and its isolate's heap.
   */
  private usageNow(): { cpuMicros: number; heapUsed: number; heapTotal: number; external: number; heapLimit: number } {
    const cpuMicros = Math.round(this.cpuMs() * 1000);
    const isolate = this.isolate();
    try {
      const heap = isolate && !isolate.isDisposed ? isolate.getHeapStatisticsSync() : undefined;
      return { cpuMicros, heapUsed: heap?.used_heap_size ?? 0, heapTotal: heap?.total_heap_size ?? 0, external: heap?.externally_allocated_size ?? 0, heapLimit: heap?.heap_size_limit ?? 0 };
    } catch {
      return { cpuMicros, heapUsed: 0, heapTotal: 0, external: 0, heapLimit: 0 };
    }
  }

  // ---- budgets ----

  cpuMs(): number {
    const isolate = this.isolate();
    if (isolate && !isolate.isDisposed) this.lastCpuMs = Number(isolate.cpuTime - this.cpuBaseNs) / 1e6;
    return this.lastCpuMs + this.daemonMs;
  }

  /**
   * cpuMs(), bounded by what every guest thread used since this process started (see
   * guest-threads-cpu.ts): what the watchdog charges before it stops a process.
   */
  cpuCeilingMs(): number {
    const used = this.cpuMs();
    const now = this.guestThreadsBaseMs === undefined ? undefined : guestThreadsCpuMs();
    if (now === undefined) return used;
    return Math.min(this.lastCpuMs, Math.max(0, now - this.guestThreadsBaseMs!)) + this.daemonMs;
  }

  onCpuExhausted(observedMs: number): void {
    const capacity = this.cpuBudgetMs;
    this.stop({
      code: 'ERR_AGENTOS_CPU_TIME_LIMIT',
      message: `CPU time limit of ${capacity} ms exhausted after ${Math.round(observedMs)} ms (raise limits.cpuTimeLimitMs or AGENTOS_GUEST_CPU_TIME_LIMIT_MS)`,
      limit: 'guest_cpu_time_limit_ms',
      capacity,
      observed: Math.round(observedMs),
      env: 'AGENTOS_GUEST_CPU_TIME_LIMIT_MS',
    }, 124);
  }

  private onWallExhausted(): void {
    const capacity = this.base.budgets.wallTimeLimitMs;
    this.stop({
      code: 'ERR_AGENTOS_TIMEOUT',
      message: `wall-clock limit of ${capacity} ms exceeded (pass timeoutMs, or raise limits.wallTimeLimitMs or AGENTOS_GUEST_WALL_TIME_LIMIT_MS)`,
      limit: 'guest_wall_time_limit_ms',
      capacity,
      observed: Math.round(performance.now() - this.started),
      env: 'AGENTOS_GUEST_WALL_TIME_LIMIT_MS',
    }, 124);
  }

  /** A bound the guest ran into and got an error for (the process goes on). */
  protected limitHit(limit: string, observed: number, capacity: number, env: string): void {
    warnLimitExhausted(this.base.log, { limit, observed, capacity, env });
  }

  /** Stops the process because a bound was hit, with the bound's error in the result. */
  stop(reason: StopReason, exitCode: number, signal?: string): void {
    if (this.finished) return;
    if (reason.limit !== undefined && reason.capacity !== undefined) {
      warnLimitExhausted(this.base.log, { limit: reason.limit, observed: reason.observed, capacity: reason.capacity, env: reason.env });
    }
    this.exitCode = exitCode;
    this.finish(reason, signal);
  }

  /** Ends the process now (128 + n), whatever it is doing. */
  protected killNow(signal: string): void {
    if (this.finished) return;
    this.exitCode = 128 + signalNumber(signal);
    this.finish(undefined, signal);
  }

  protected finish(reason?: StopReason, signal?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.base.watchdog.delete(this);
    clearTimeout(this.wallTimer);
    // The exit is settled whatever a cleanup step throws: a process whose release failed must
    // still end, or vm/dispose and shutdown would wait for it forever.
    let cpuMs = 0;
    let heapBytes = 0;
    try {
      this.fds.closeAll();
      cpuMs = this.cpuCeilingMs();
      heapBytes = this.release();
    } catch (err) {
      this.base.log.error({ err }, 'process cleanup failed; the process ends anyway');
    }
    this.resolveExit({
      exitCode: this.exitCode,
      ...(signal ? { signal } : {}),
      ...(reason ? { error: reason } : {}),
      truncated: this.output.truncated,
      usage: { cpuMs: Math.round(cpuMs * 1000) / 1000, wallMs: Math.round((performance.now() - this.started) * 1000) / 1000, heapBytes },
    });
  }

  protected writeErr(text: string): void {
    this.output.write('stderr', Buffer.from(text));
  }
}

/** V8 heap in use (plus external buffers) of an idle isolate; 0 when it cannot be read. */
export function heapBytesOf(isolate: ivm.Isolate, idle: boolean): number {
  if (isolate.isDisposed || !idle) return 0;
  try {
    const heap = isolate.getHeapStatisticsSync();
    return heap.used_heap_size + heap.externally_allocated_size;
  } catch {
    return 0;
  }
}
