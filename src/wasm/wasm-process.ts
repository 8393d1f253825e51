import type ivm from 'isolated-vm';
import { Children } from '../process/children.js';
import { GuestProcess, HEAP_DISPOSED, heapBytesOf, type GuestBudgets, type GuestProcessOptions, type ProcessExit, type Signal, type StopReason } from '../process/guest-process.js';
import type { AskingResult } from '../process/hook-result.js';
import { PipeHoldings } from '../process/pipes.js';
import { SocketHoldings } from '../net/command-sockets.js';
import { socketBlockingCall } from '../net/socket-calls.js';
import { NOT_TERMINATING, signalName, signalNumber } from '../process/signal-numbers.js';
import type { CompiledModule } from './module-cache.js';
import { processCall, type ProcessKernel } from './process-calls.js';
import type { RunnerHost, RunnerIsolate } from './runner-isolate.js';
import type { RunnerSource } from './runner-reuse.js';
import type { Metered } from './memory-meter.js';
import { settleEnded } from '../process/cpu-gate.js';
import { METER_GATE, METER_PAGES, METER_WORDS, WASM_PAGE_BYTES, type FdSpec, type Preopen, type RunnerLimits, type RunnerResult } from './runner/contract.js';
import { checkExec, type CheckedExec } from './spawn-request.js';
import type { ChildFd } from './spawn-fds.js';

const MiB = 1024 * 1024;

export interface WasmBudgets extends GuestBudgets {
  runnerHeapLimitMb: number;
  /** Linear memory of this process (its module's rewritten maximum). */
  memoryCapBytes: number;
  /** Linear memory of all the VM's WASM processes together (see memory-meter.ts). */
  vmMemoryBytes: number;
  /** The runner goes back to the VM for reuse only if the program ended with at most this much linear memory. */
  idleRunnerMemoryBytes: number;
  /** 0: no fuel budget. */
  fuel: number;
  /** 0: no call-depth bound. */
  maxCallDepth: number;
  /** What one host call may carry (runner/contract.ts RunnerLimits), all but the open-files limit. */
  crossing: Omit<RunnerLimits, 'maxOpenFiles'>;
}

export interface WasmProcessOptions extends GuestProcessOptions {
  /** argv, with the command name first. */
  argv: string[];
  /** The jail: the process and its children reach the VM only through these. */
  preopens: readonly Preopen[];
  /** The compiled module, or the compile still under way. */
  module: Promise<CompiledModule>;
  /** Compiles the module for another program (proc_exec). */
  compile(program: import('./program-lookup.js').Program): Promise<CompiledModule>;
  runners: RunnerSource;
  budgets: WasmBudgets;
  kernel: ProcessKernel;
  posix: PosixStart;
}

/** A process's POSIX identity and what it inherits (a spawned child's fds, mask, dispositions). */
export interface PosixStart {
  pgid: number;
  umask: number;
  blocked: [number, number];
  ignored: [number, number];
  /** A spawned child's fd table; absent: stdio and the preopens. */
  fds?: Map<number, ChildFd>;
  /** The host-started process whose tree this is (itself for one the host started). */
  rootPid: number;
}

/** The signal words shared with the runner (see ProcessInfo.signals in the runner contract). */
const PENDING = 0;
const BLOCKED = 2;
const CAUGHT = 4;
const IGNORED = 6;

/**
 * One WASI command run: a runner isolate from the pool, the module moved in already
 * compiled, `_start` run on isolated-vm's threads. It ends when `_start` returns or
 * calls proc_exit, on a trap (exit 134, the engine's message on stderr and in the result),
 * or when the sidecar stops it.
 */
export class WasmProcess extends GuestProcess implements RunnerHost, Metered {
  readonly children = new Children();
  /** Where children that inherit this process's stdout/stderr write; unset: the tree root's output (the host's). */
  treeOutput: import('../process/output.js').OutputSink | undefined;
  readonly holdings: PipeHoldings;
  /** The sockets its fds hold (host_net), let go with its pipes when it ends. */
  readonly socketHoldings: SocketHoldings;
  readonly pgid: number;
  private readonly signals = new SharedArrayBuffer(32);
  private readonly signalWords = new Int32Array(this.signals);
  private readonly meterBuffer = new SharedArrayBuffer(METER_WORDS * 4);
  readonly meter = new Int32Array(this.meterBuffer);
  readonly vm: Metered['vm'];
  /** The fd table the next image starts with (a child's inherited one, then an exec's). */
  private startFds: FdSpec[] | undefined;
  private argv: string[];
  private env: Record<string, string>;
  private runner: RunnerIsolate | undefined;
  /** The JS process an exec of `node` started, which this process stands in for. */
  private jsImage: { deliverSignal(sig: number): void } | undefined;
  private running = false;
  /** Set when the sidecar stopped the run: its runner may still be executing it. */
  private stoppedBySidecar = false;

  constructor(private readonly o: WasmProcessOptions) {
    super(o);
    this.pgid = o.posix.pgid;
    this.argv = o.argv;
    this.env = o.env;
    this.holdings = new PipeHoldings(o.kernel.pipes);
    this.socketHoldings = new SocketHoldings(o.kernel.sockets);
    this.vm = { id: o.kernel.id, wasmMemoryBytes: o.budgets.vmMemoryBytes };
    this.store(BLOCKED, o.posix.blocked);
    this.store(IGNORED, o.posix.ignored);
    if (o.posix.fds) this.startFds = this.inherit(o.posix.fds);
  }

  get preopens(): readonly Preopen[] {
    return this.o.preopens;
  }
  get pathMax(): number {
    return this.o.budgets.crossing.pathMax;
  }

  get ppid(): number {
    return this.o.ppid;
  }
  get rootPid(): number {
    return this.o.posix.rootPid;
  }
  get cwd(): string {
    return this.o.cwd;
  }
  get environment(): Record<string, string> {
    return this.env;
  }
  get command(): string {
    return this.argv[0] ?? '';
  }
  /** argv of the image it runs now (process/list). */
  get args(): readonly string[] {
    return this.argv;
  }
  get outputWindow(): (() => Promise<void>) | undefined {
    return this.o.outputWindow;
  }
  /** The open description behind one of this process's host fds (a child inherits it). */
  openFile(hostFd: number): import('../process/fd-table.js').OpenFile {
    return this.fds.get(hostFd, 'spawn');
  }
  get capBytes(): number {
    return this.o.budgets.memoryCapBytes;
  }
  /** The most its current image's tables can hold (counted with linear memory by the meter). */
  tableBytes = 0;
  get maxOpenFiles(): number {
    return this.o.budgets.maxOpenFiles;
  }

  /**
   * Takes a child's share of every inherited description: host file fds and pipe ends.
   * All or nothing: a refusal part way (EMFILE) lets go of what was taken.
   */
  private inherit(fds: Map<number, ChildFd>): FdSpec[] {
    const out: FdSpec[] = [];
    try {
      for (const { file, ...spec } of fds.values()) {
        if (file) spec.hostFd = this.fds.adopt(file);
        if (spec.pipe) this.holdings.take(spec.pipe.id, spec.pipe.end);
        if (spec.socket) this.socketHoldings.take(spec.socket.id);
        out.push(spec);
      }
    } catch (err) {
      this.fds.closeAll();
      this.holdings.releaseAll();
      this.socketHoldings.releaseAll();
      throw err;
    }
    return out;
  }

  proc(op: unknown, args: unknown): AskingResult {
    if (this.finished) return { err: { message: 'the process has ended', code: 'EBADF' } };
    // spawn and exec may have to wait for the host's answer (childProcess scope).
    return this.permits.run(() => processCall(this, this.o.kernel, op, args));
  }

  /** `childChange`: until a child matching `arg` ends (or a signal comes), at most `timeoutMs`. */
  override async block(op: unknown, arg: unknown, timeoutMs?: unknown): Promise<unknown> {
    if (op === 'netLookup' || op === 'netListen' || op === 'netSent') return this.finished ? null : socketBlockingCall(this, this.o.kernel.sockets, op, arg);
    if (op !== 'childChange') return super.block(op, arg);
    if (this.finished) return null;
    const changed = this.children.changed(typeof arg === 'number' ? arg : -1, this.pgid);
    if (typeof timeoutMs !== 'number') await changed;
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise((resolve) => (timer = setTimeout(resolve, Math.min(timeoutMs, 1000))))]);
      clearTimeout(timer);
    }
    return null;
  }

  /**
   * A signal from another process (or the host), as Linux delivers it: ignored ones are
   * dropped, blocked or caught ones wait in the pending set for the runner to act on at
   * the guest's next call, and the rest take their default action here and now.
   */
  deliver(sig: number): void {
    if (this.finished || sig === 0) return;
    // Exec'd into node: the JS process takes what is sent to this pid.
    if (this.jsImage) {
      this.jsImage.deliverSignal(sig);
      return;
    }
    const bit = (word: number) => (Atomics.load(this.signalWords, word + (sig > 32 ? 1 : 0)) >>> 0) & (1 << ((sig - 1) % 32));
    if (sig !== 9) {
      if (bit(IGNORED)) return;
      if (bit(BLOCKED) || bit(CAUGHT)) {
        Atomics.or(this.signalWords, PENDING + (sig > 32 ? 1 : 0), 1 << ((sig - 1) % 32));
        this.children.wake();
        return;
      }
      if (NOT_TERMINATING.has(sig)) return;
    }
    this.stoppedBySidecar = true;
    this.killNow(signalName(sig));
  }

  private store(word: number, set: [number, number]): void {
    Atomics.store(this.signalWords, word, set[0] | 0);
    Atomics.store(this.signalWords, word + 1, set[1] | 0);
  }

  start(): Promise<ProcessExit> {
    this.launch().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: string }).code;
      if (code === 'ERR_AGENTOS_WASM_COMPILE' || code === 'ERR_AGENTOS_WASM_MEMORY_LIMIT' || code === 'ERR_AGENTOS_WASM_MODULE_LIMIT') {
        this.writeErr(`${this.o.argv[0]}: ${message}\n`);
        // A bound the module hit (memory-cap.ts) comes with its figures, for the warning line.
        const { limit, capacity, observed, env } = (err as { data?: Partial<StopReason> }).data ?? {};
        this.stop({ code, message, ...(limit !== undefined ? { limit, capacity, observed, env } : {}) }, 126);
        return;
      }
      this.o.log.error({ err }, 'wasm process failed to start');
      this.writeErr(`agentos: could not start ${this.o.argv[0]}: ${message}\n`);
      this.exitCode = 1;
      this.finish();
    });
    return this.exited;
  }

  private async launch(): Promise<void> {
    const compiled = await this.o.module;
    if (this.finished) return;
    this.env = await this.visibleEnv(this.env);
    if (this.finished) return;
    const runner = await this.o.runners.take(this.o.budgets.runnerHeapLimitMb);
    if (this.finished) {
      this.o.runners.release(runner, true);
      return;
    }
    this.runner = runner;
    runner.host = this;
    this.tableBytes = compiled.tableBytes;
    this.startBudgets(runner.isolate);
    this.o.kernel.memoryMeter.add(this);
    this.runImage(runner, compiled);
  }

  private runImage(runner: RunnerIsolate, compiled: CompiledModule): void {
    const { posix } = this.o;
    const info = {
      args: this.argv,
      env: this.env,
      preopens: this.o.preopens,
      ...(this.startFds ? { fds: this.startFds } : {}),
      process: { pid: this.pid, ppid: this.o.ppid, pgid: this.pgid, umask: posix.umask, blocked: this.load(BLOCKED), ignored: this.load(IGNORED), signals: this.signals, meter: this.meterBuffer },
      user: this.o.kernel.user,
      outputWindowBytes: this.o.budgets.outputWindowBytes,
      limits: { ...this.o.budgets.crossing, maxOpenFiles: this.o.budgets.maxOpenFiles },
      callWindow: { calls: this.o.budgets.callWindow, bytes: this.o.budgets.outputWindowBytes },
      cpu: this.o.kernel.cpuShare,
      ...(this.o.tty ? { tty: true } : {}),
    };
    this.running = true;
    runner
      .run(compiled.module, info, compiled.importedMemory)
      .then(
        (result) => {
          this.running = false;
          if (this.finished) return;
          if (result.exec) return this.execImage(runner, result.exec);
          if (result.signal) {
            this.exitCode = 128 + result.signal;
            return this.finish(undefined, signalName(result.signal));
          }
          if (result.runnerHeapExhausted) return this.runnerHeapExhausted();
          if (result.fuelExhausted) {
            const capacity = this.o.budgets.fuel;
            return this.stop({
              code: 'ERR_AGENTOS_WASM_FUEL',
              message: `${this.o.argv[0]}: fuel ran out: its budget of ${capacity} units (one per function call and loop iteration) is spent (raise limits.wasmMaxFuel or AGENTOS_WASM_MAX_FUEL)`,
              limit: 'wasm_max_fuel',
              capacity,
              // Units charged, read from the module's own counter: the budget, plus the charge that trapped.
              observed: capacity - (result.fuelLeft ?? -1),
              env: 'AGENTOS_WASM_MAX_FUEL',
            }, 124);
          }
          this.exitCode = result.exitCode & 0xff;
          if (result.trap === undefined) return this.finish();
          const maxDepth = this.o.budgets.maxCallDepth;
          if (maxDepth > 0 && (result.depthAtTrap ?? 0) > maxDepth) {
            this.writeErr(`${this.o.argv[0]}: wasm trap: call stack exhausted\n`);
            return this.stop({
              code: 'ERR_AGENTOS_WASM_STACK_LIMIT',
              message: `${this.o.argv[0]}: calls nested deeper than ${maxDepth} (raise limits.wasmMaxCallDepth or AGENTOS_WASM_MAX_CALL_DEPTH)`,
              limit: 'wasm_max_call_depth',
              capacity: maxDepth,
              observed: result.depthAtTrap!,
              env: 'AGENTOS_WASM_MAX_CALL_DEPTH',
            }, 134, 'SIGSEGV');
          }
          this.writeErr(`${this.o.argv[0]}: wasm trap: ${result.trap}\n`);
          this.finish({ code: 'ERR_AGENTOS_WASM_TRAP', message: `${this.o.argv[0]}: ${result.trap}` });
        },
        (err: unknown) => {
          this.running = false;
          this.onRunFailed(err);
        },
      );
  }

  /** proc_exec: the same process (pid, fds, mask) runs another program in the same runner. */
  private execImage(runner: RunnerIsolate, raw: NonNullable<RunnerResult['exec']>): void {
    let program;
    let exec: CheckedExec;
    let env: Record<string, string>;
    try {
      exec = checkExec(raw, { ...this.o.kernel.requestBounds(this), preopens: this.o.preopens });
      env = exec.env ? Object.fromEntries(exec.env.map((kv) => [kv.slice(0, Math.max(0, kv.indexOf('='))), kv.slice(kv.indexOf('=') + 1)])) : { ...this.env };
      if (!('PWD' in env) && this.env.PWD) env.PWD = this.env.PWD;
      program = this.o.kernel.lookup(exec.path, exec.argv, { cwd: this.o.cwd, path: env.PATH ?? null, jail: this.o.preopens });
    } catch (err) {
      this.writeErr(`${this.command}: exec ${String(raw.path).slice(0, 256)}: ${(err as Error).message}\n`);
      this.exitCode = 127;
      return this.finish();
    }
    this.argv = program.argv;
    this.env = env;
    if (program.kind === 'node') return this.execNode(runner, env, exec.fds);
    this.startFds = exec.fds;
    this.o.posix.umask = exec.umask;
    this.store(BLOCKED, exec.blocked);
    this.store(IGNORED, exec.ignored);
    this.store(CAUGHT, [0, 0]);
    Promise.all([this.o.compile(program), this.visibleEnv(env)]).then(
      ([compiled, visible]) => {
        if (this.finished) return;
        this.env = visible;
        this.tableBytes = compiled.tableBytes;
        this.runImage(runner, compiled);
      },
      (err: unknown) => this.onRunFailed(err),
    );
  }

  /**
   * proc_exec of `node`: the JS process runs with this process's fds; this one lets its
   * runner go and stands in for it (its pid, its status, the signals sent to it).
   */
  private execNode(runner: RunnerIsolate, env: Record<string, string>, fds: FdSpec[]): void {
    let image;
    try {
      image = this.o.kernel.execJs(this, this.argv, env, fds, this.o.cwd);
    } catch (err) {
      this.writeErr(`${this.command}: exec node: ${(err as Error).message}\n`);
      this.exitCode = 127;
      return this.finish();
    }
    this.jsImage = image.child;
    this.runner = undefined;
    runner.host = null;
    this.o.runners.release(runner, false);
    image.ended.then(
      (exit) => {
        this.jsImage = undefined;
        if (this.finished) return;
        this.exitCode = exit.exitCode;
        this.finish(undefined, exit.signal);
      },
      (err: unknown) => this.onRunFailed(err),
    );
  }

  private load(word: number): [number, number] {
    return [Atomics.load(this.signalWords, word) >>> 0, Atomics.load(this.signalWords, word + 1) >>> 0];
  }

  private onRunFailed(err: unknown): void {
    if (this.finished) return;
    const message = err instanceof Error ? err.message : String(err);
    if (HEAP_DISPOSED.test(message) || this.runner?.isolate.isDisposed) return this.runnerHeapExhausted();
    this.o.log.error({ err }, 'wasm runner failed');
    this.writeErr(`agentos: the runner failed: ${message}\n`);
    this.exitCode = 1;
    this.finish();
  }

  /** The runner (trusted code) outgrew its V8 heap ceiling: not the guest's memory cap. */
  private runnerHeapExhausted(): void {
    const capacity = this.o.budgets.runnerHeapLimitMb * MiB;
    const runner = this.runner?.isolate;
    // The runner's heap as read when the run failed (the allocation that failed is not in
    // it); left out, and said so, when the runner cannot be read.
    let observed: number | undefined;
    if (runner && !runner.isDisposed && !this.running) {
      const heap = runner.getHeapStatisticsSync();
      observed = heap.used_heap_size + heap.externally_allocated_size;
    }
    const seen = observed === undefined ? 'its heap then is not measured' : `${Math.ceil(observed / MiB)} MiB in use when the allocation failed`;
    this.stop({
      code: 'ERR_AGENTOS_WASM_RUNNER_HEAP_LIMIT',
      message: `the WASM runner's V8 heap ceiling of ${this.o.budgets.runnerHeapLimitMb} MiB was exhausted while running ${this.o.argv[0]} (${seen}; raise AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB)`,
      limit: 'v8_heap_bytes',
      capacity,
      ...(observed === undefined ? {} : { observed }),
      env: 'AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB',
    }, 134, 'SIGABRT');
  }

  /** The memory meter found the VM's (or the sidecar's) WASM processes over budget, this one the largest. */
  onMemoryExhausted(scope: 'vm' | 'sidecar', observed: number, capacity: number): void {
    const [whose, field, env] = scope === 'vm'
      ? ['this VM\'s', 'limits.vmWasmMemoryBytes or ', 'AGENTOS_VM_WASM_MEMORY_BYTES']
      : ['the sidecar\'s', '', 'AGENTOS_SIDECAR_WASM_MEMORY_BYTES'];
    const mib = (bytes: number) => Math.ceil(bytes / MiB);
    this.stop({
      code: 'ERR_AGENTOS_WASM_MEMORY_LIMIT',
      message: `${this.command}: stopped as the largest of ${whose} WASM processes, whose linear memory and tables came to ${mib(observed)} MiB together, past the budget of ${mib(capacity)} MiB (raise ${field}${env})`,
      limit: `${scope}_wasm_memory_bytes`,
      capacity,
      observed,
      env,
    }, 137, 'SIGKILL');
  }

  /** process/kill from the host: delivered as any signal is (SIGKILL always ends it). */
  kill(signal: Signal = 'SIGKILL'): void {
    this.deliver(signalNumber(signal));
  }

  override stop(...args: Parameters<GuestProcess['stop']>): void {
    this.stoppedBySidecar = true;
    super.stop(...args);
  }

  protected isolate(): ivm.Isolate | undefined {
    return this.runner?.isolate;
  }

  protected release(): number {
    this.o.kernel.memoryMeter.delete(this);
    // Its run slot, or its place among the parked, goes back however it ended.
    settleEnded(this.o.kernel.cpuShare, this.meter, METER_GATE);
    this.holdings.releaseAll();
    this.socketHoldings.releaseAll();
    this.children.wake();
    const runner = this.runner;
    if (!runner) return 0;
    const heapBytes = heapBytesOf(runner.isolate, !this.running);
    runner.host = null;
    const memoryBytes = Atomics.load(this.meter, METER_PAGES) * WASM_PAGE_BYTES;
    this.o.runners.release(runner, !this.running && !this.stoppedBySidecar && memoryBytes <= this.o.budgets.idleRunnerMemoryBytes);
    return heapBytes;
  }
}
