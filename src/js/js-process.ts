import type ivm from 'isolated-vm';
import { FsError } from '../fs/errors.js';
import { absolute, normalize } from '../fs/paths.js';
import { GuestProcess, HEAP_DISPOSED, heapBytesOf, type GuestBudgets, type GuestProcessOptions, type ProcessExit, type Signal } from '../process/guest-process.js';
import type { JsEngine } from './engine.js';
import { evaluateModuleGraph } from './esm-linker.js';
import type { HookResult, MainProgram } from './guest/contract.js';
import { guestStack } from './guest-stack.js';
import { formatOf, resolveModule } from './module-resolver.js';
import { looksLikeModule, parseNodeArgs } from './node-cli.js';
import { GuestTextDecoders } from './text-decoders.js';
import type { GuestHost, PreparedIsolate } from './prepared-isolate.js';
import type { UserInfo } from '../wasm/runner/contract.js';

export interface JsBudgets extends GuestBudgets {
  heapLimitMb: number;
  maxTimers: number;
  maxTimerDelayMs: number;
  maxHostCalls: number;
  /** Most bytes one TextDecoder call decodes (TEXT_DECODE_CALL_MAX_BYTES). */
  textChunkBytes: number;
  /** TextDecoders streaming at once (TEXT_DECODERS_PER_PROCESS). */
  maxTextDecoders: number;
}

export interface JsProcessOptions extends GuestProcessOptions {
  args: readonly string[];
  /** Host bindings the guest may call, and how to call one. */
  bindings: readonly string[];
  callHost?: (binding: string, args: unknown[]) => Promise<unknown>;
  budgets: JsBudgets;
  engine: JsEngine;
  /** The VM's user: every process of the VM, JS or WASM, runs as it. */
  user: UserInfo;
}

/** The guest's timers ride on one host timer, armed for the earliest (guest/timers.ts). */
const WAKE_IMMEDIATE = -1;

const STDIN_CHUNK_BYTES = 64 * 1024;

/**
 * One guest JavaScript process: an isolate (from the pool when it can), the host half of
 * the runtime's hooks, its timers, stdin and fds, and its budgets. It ends when nothing
 * is left to do (no entry running, no referenced timer, no stdin wanted), on
 * `process.exit`, on an uncaught exception, or when the sidecar stops it.
 */
export class JsProcess extends GuestProcess implements GuestHost {
  private slot: PreparedIsolate | undefined;
  /** The one host timer (or immediate) behind all the guest's timers, and whether one of those is referenced. */
  private wake: { handle: NodeJS.Timeout | NodeJS.Immediate; immediate: boolean } | undefined;
  private timersRefed = false;
  private timersFiring = false;
  private refire: boolean | undefined;
  private timerRefusalSeen = false;
  private inFlight = 0;
  private exitRequested = false;
  private stdinWanted = false;
  private stdinSubscribed = false;
  private stdinEofSent = false;
  private stdinDone = false;
  private readonly signalHandlers = new Map<string, number>();
  private decoders: GuestTextDecoders | undefined;

  constructor(private readonly o: JsProcessOptions) {
    super(o);
  }

  /** Starts the process; `exited` settles when it ends, however it ends. */
  start(): Promise<ProcessExit> {
    this.launch().catch((err: unknown) => {
      this.o.log.error({ err }, 'guest process failed to start');
      this.writeErr(`agentos: could not start node: ${err instanceof Error ? err.message : String(err)}\n`);
      this.exitCode = 1;
      this.finish();
    });
    return this.exited;
  }

  private async launch(): Promise<void> {
    const { o } = this;
    const invocation = parseNodeArgs(o.args);
    if (invocation.kind === 'version' || invocation.kind === 'error') {
      if (invocation.kind === 'version') this.output.write('stdout', Buffer.from(`${o.engine.nodeVersion}\n`));
      else this.writeErr(invocation.message);
      this.exitCode = invocation.kind === 'error' ? invocation.exitCode : 0;
      this.finish();
      return;
    }

    let program: MainProgram;
    let asModule: boolean;
    let scriptPath: string | undefined;
    if (invocation.kind === 'file') {
      scriptPath = normalize(absolute(o.cwd, invocation.path));
      let source: string;
      try {
        source = Buffer.from(o.vfs.readFile(scriptPath)).toString('utf8');
      } catch {
        this.writeErr(`node:internal/modules/cjs/loader\n  throw err;\n  ^\n\nError: Cannot find module '${scriptPath}'\n`);
        this.exitCode = 1;
        this.finish();
        return;
      }
      program = { kind: 'file', path: scriptPath, source };
      asModule = invocation.module ?? formatOf(o.vfs, scriptPath) === 'module';
    } else if (invocation.kind === 'eval') {
      program = { kind: 'eval', code: invocation.code, print: invocation.print };
      asModule = invocation.module || (!invocation.print && looksLikeModule(invocation.code));
    } else {
      program = { kind: 'eval', code: Buffer.from(await o.stdin.readAll()).toString('utf8'), print: false };
      asModule = invocation.module;
      if (this.finished) return;
    }

    const slot = await o.engine.pool.take(o.budgets.heapLimitMb);
    if (this.finished) {
      // Killed (VM disposed) while the isolate was being made.
      o.engine.pool.release(slot);
      return;
    }
    this.slot = slot;
    slot.host = this;
    slot.setup({
      pid: o.pid,
      ppid: o.ppid,
      argv: ['/usr/bin/node', ...(scriptPath ? [scriptPath] : []), ...invocation.args],
      execArgv: invocation.execArgv,
      env: o.env,
      cwd: o.cwd,
      nodeVersion: o.engine.nodeVersion,
      maxTimers: o.budgets.maxTimers,
      maxTimerDelayMs: o.budgets.maxTimerDelayMs,
      outputWindowBytes: o.budgets.outputWindowBytes,
      bindings: [...o.bindings],
      maxHostCalls: o.budgets.maxHostCalls,
      callWindow: { calls: o.budgets.callWindow, bytes: o.budgets.outputWindowBytes },
      randomChunkBytes: o.budgets.randomChunkBytes,
      textChunkBytes: o.budgets.textChunkBytes,
      user: o.user,
    });
    this.startBudgets(slot.isolate);

    if (asModule) {
      const entry = program.kind === 'file' ? { path: program.path, source: program.source } : { path: `${o.cwd === '/' ? '' : o.cwd}/[eval1]`, source: program.code };
      this.enter(evaluateModuleGraph(slot.isolate, slot.context, entry, (spec, fromDir) => this.importRecord(spec, fromDir), o.engine.builtinExports));
    } else {
      this.enter(slot.runMain(program));
    }
  }

  /** What a static `import` names: a builtin, or a VM file under the same permission check as `require` (load). */
  private importRecord(specifier: string, fromDir: string) {
    const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    const denied = this.o.engine.builtinNames.has(bare) ? undefined : this.moduleAccessDenied(specifier);
    if (denied) throw Object.assign(new Error(denied.message), { code: denied.code });
    return this.resolve(specifier, fromDir, 'import');
  }

  private resolve(specifier: string, fromDir: string, mode: 'require' | 'import') {
    return resolveModule(this.o.vfs, specifier, fromDir, mode, this.o.engine.builtinNames);
  }

  // ---- the event loop, seen from the host ----

  private enter(call: Promise<unknown>): void {
    this.inFlight++;
    call.then(
      () => {
        this.inFlight--;
        this.settle();
      },
      (err: unknown) => {
        this.inFlight--;
        this.onEntryFailed(err);
      },
    );
  }

  private settle(): void {
    if (this.finished) return;
    if (this.exitRequested) return this.finish();
    if (this.inFlight > 0) return;
    if (this.timersRefed) return;
    if (this.stdinWanted && !this.stdinDone) return;
    this.finish();
  }

  private onEntryFailed(err: unknown): void {
    if (this.finished) return;
    const message = err instanceof Error ? err.message : String(err);
    if (HEAP_DISPOSED.test(message) || this.slot?.isolate.isDisposed) {
      const capacity = this.o.budgets.heapLimitMb;
      this.stop({
        code: 'ERR_AGENTOS_HEAP_LIMIT',
        // No `observed`: V8 disposes the isolate when it passes the limit, so its heap at
        // that moment cannot be read; the error and the log line say it is not measured.
        message: `guest heap limit of ${capacity} MiB exhausted; the isolate was disposed (its heap at that moment is not measured) (raise limits.heapLimitMb or AGENTOS_GUEST_HEAP_LIMIT_MB)`,
        limit: 'guest_heap_limit_mb',
        capacity,
        env: 'AGENTOS_GUEST_HEAP_LIMIT_MB',
      }, 134, 'SIGABRT');
      return;
    }
    // Errors the runtime's guard did not see: module linking and evaluation.
    this.writeErr(`${guestStack(err)}\n`);
    this.exitCode = 1;
    this.finish();
  }

  // ---- hooks (GuestHost): every argument comes from guest code ----

  timer(op: unknown, a: unknown, b: unknown): void {
    if (this.finished || typeof a !== 'number') return;
    if (op === 'refused') {
      if (!this.timerRefusalSeen) this.limitHit('max_timers_per_process', a, this.o.budgets.maxTimers, 'AGENTOS_MAX_TIMERS_PER_PROCESS');
      this.timerRefusalSeen = true;
      return;
    }
    if (op !== 'arm' || Number.isNaN(a)) return;
    this.clearWake();
    this.timersRefed = a >= WAKE_IMMEDIATE && b === 1;
    if (a === WAKE_IMMEDIATE) this.wake = { handle: setImmediate(() => this.fireTimers(true)), immediate: true };
    else if (a >= 0) {
      const handle = setTimeout(() => this.fireTimers(false), Math.min(Math.max(1, a), this.o.budgets.maxTimerDelayMs));
      handle.unref();
      this.wake = { handle, immediate: false };
    }
    if (!this.timersRefed) queueMicrotask(() => this.settle());
  }

  /** Runs what is due in the guest; it re-arms the host timer (timer 'arm') before the entry ends. */
  private fireTimers(immediates: boolean): void {
    this.wake = undefined;
    if (this.finished || !this.slot) return;
    if (this.timersFiring) {
      // Armed by the fire still running: go again once it is done.
      this.refire = immediates;
      return;
    }
    this.timersFiring = true;
    this.enter(
      this.slot.fireTimers(immediates).finally(() => {
        this.timersFiring = false;
        const again = this.refire;
        this.refire = undefined;
        if (again !== undefined) this.fireTimers(again);
      }),
    );
  }

  private clearWake(): void {
    if (!this.wake) return;
    if (this.wake.immediate) clearImmediate(this.wake.handle as NodeJS.Immediate);
    else clearTimeout(this.wake.handle as NodeJS.Timeout);
    this.wake = undefined;
  }

  setExitCode(code: unknown): void {
    if (typeof code === 'number') this.exitCode = code & 0xff;
  }

  wantStdin(want: unknown): void {
    if (this.finished) return;
    this.stdinWanted = want === true;
    if (this.stdinWanted && !this.stdinSubscribed) {
      this.stdinSubscribed = true;
      this.o.stdin.onChange(() => this.pumpStdin());
      this.pumpStdin();
    }
    if (!this.stdinWanted) queueMicrotask(() => this.settle());
  }

  /** Pushes whatever stdin holds to the guest's `process.stdin`, then EOF once it closes. */
  private pumpStdin(): void {
    const slot = this.slot;
    if (this.finished || !slot || this.stdinEofSent) return;
    if (this.o.stdin.buffered > 0) {
      const data = this.o.stdin.take();
      for (let at = 0; at < data.byteLength; at += STDIN_CHUNK_BYTES) this.enter(slot.pushStdin(data.subarray(at, at + STDIN_CHUNK_BYTES)));
    }
    if (this.o.stdin.isClosed) {
      this.stdinEofSent = true;
      this.enter(slot.pushStdin(null).then(() => (this.stdinDone = true)));
    }
  }

  hostCall(callId: unknown, binding: unknown, argsJson: unknown): void {
    const slot = this.slot;
    if (this.finished || !slot || typeof callId !== 'number') return;
    const name = String(binding);
    const answer = (ok: boolean, value: unknown) =>
      slot.settleCall(callId, ok, value).catch(() =>
        // The answer could not be copied into the guest: say so rather than leave the call pending.
        slot.settleCall(callId, false, { name: 'TypeError', message: `host.${name}: its result cannot be copied into the guest`, code: 'ERR_INVALID_RETURN_VALUE' }),
      );
    let args: unknown;
    try {
      args = typeof argsJson === 'string' ? JSON.parse(argsJson) : undefined;
    } catch {
      args = undefined;
    }
    if (!Array.isArray(args)) {
      this.enter(answer(false, { name: 'TypeError', message: `host.${name}: its arguments are not a JSON array`, code: 'ERR_INVALID_ARG_TYPE' }));
      return;
    }
    if (typeof binding !== 'string' || !this.o.bindings.includes(binding) || !this.o.callHost) {
      this.enter(answer(false, { message: `no host binding '${name}'`, code: 'ERR_AGENTOS_BINDING_NOT_FOUND' }));
      return;
    }
    const callHost = this.o.callHost;
    this.enter(
      // A host side that throws instead of rejecting still answers the guest.
      new Promise<unknown>((resolve) => resolve(callHost(binding, args as unknown[]))).then(
        (value) => answer(true, value),
        (err: { message?: string; code?: string }) => answer(false, { message: err?.message ?? String(err), code: err?.code }),
      ),
    );
  }

  signalListeners(signal: unknown, count: unknown): void {
    if (typeof signal === 'string' && typeof count === 'number') this.signalHandlers.set(signal, count);
  }

  text(op: unknown, args: unknown): HookResult {
    if (this.finished) return { err: { message: 'the process has ended', code: 'EBADF' } };
    const { maxTextDecoders, textChunkBytes } = this.o.budgets;
    this.decoders ??= new GuestTextDecoders(maxTextDecoders, textChunkBytes, (observed) =>
      this.limitHit('text_decoders_per_process', observed, maxTextDecoders, 'AGENTOS_TEXT_DECODERS_PER_PROCESS'));
    return this.decoders.call(op, args);
  }

  load(specifier: unknown, fromDir: unknown): HookResult {
    if (typeof specifier !== 'string' || typeof fromDir !== 'string') return { err: { message: 'invalid module specifier', code: 'ERR_INVALID_ARG_TYPE' } };
    const denied = this.moduleAccessDenied(specifier);
    if (denied) return { err: denied };
    try {
      return { ok: this.resolve(specifier, fromDir, 'require') };
    } catch (err) {
      if (err instanceof FsError) {
        const notFound = (err as FsError & { moduleNotFound?: boolean }).moduleNotFound;
        return { err: { message: notFound ? `Cannot find module '${specifier}'\nRequire stack:\n- ${fromDir}` : err.message, code: notFound ? 'MODULE_NOT_FOUND' : err.errno } };
      }
      return { err: { message: err instanceof Error ? err.message : String(err), code: 'EINVAL' } };
    }
  }

  /** The one permission check every module load (require or import) of a VM file passes. */
  private moduleAccessDenied(specifier: string): { message: string; code: string } | undefined {
    if (this.o.permission === 'none') return { message: `Cannot load '${specifier}': this VM gives guests no filesystem access`, code: 'EACCES' };
    return undefined;
  }

  exit(code: unknown): void {
    if (this.finished) return;
    this.exitCode = (typeof code === 'number' ? code : 0) & 0xff;
    this.exitRequested = true;
    // The guest is still unwinding inside this call; end it from the event loop.
    setImmediate(() => this.finish());
  }

  protected isolate(): ivm.Isolate | undefined {
    return this.slot?.isolate;
  }

  /**
   * Sends a signal. A guest with a `process.on(signal)` listener gets it as an event and
   * keeps running; otherwise (and always for SIGKILL) the process ends with 128 + n.
   */
  kill(signal: Signal = 'SIGKILL'): void {
    if (this.finished) return;
    if (signal !== 'SIGKILL' && this.slot && (this.signalHandlers.get(signal) ?? 0) > 0) {
      this.enter(this.slot.signal(signal));
      return;
    }
    this.killNow(signal);
  }

  protected release(): number {
    this.clearWake();
    const slot = this.slot;
    if (!slot) return 0;
    const heapBytes = heapBytesOf(slot.isolate, this.inFlight === 0);
    slot.host = null;
    this.o.engine.pool.release(slot);
    return heapBytes;
  }
}
