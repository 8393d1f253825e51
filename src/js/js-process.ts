import type ivm from 'isolated-vm';
import { availableParallelism, cpus, machine as osMachine, release as osRelease, version as osVersion } from 'node:os';
import { FsError } from '../fs/errors.js';
import { AskPending, checkFs } from '../permissions/fs.js';
import { canonicalPath } from '../permissions/fs-target.js';
import type { AskingResult } from '../process/hook-result.js';
import { absolute, normalize } from '../fs/paths.js';
import { GuestProcess, HEAP_DISPOSED, heapBytesOf, type GuestBudgets, type GuestProcessOptions, type ProcessExit, type Signal } from '../process/guest-process.js';
import type { JsEngine } from './engine.js';
import { EsmLoader } from './esm-linker.js';
import { wrapCommonJs, type HookResult, type MainProgram, type ModuleRecord, type SystemInfo } from './guest/contract.js';
import { guestStack } from './guest-stack.js';
import { formatOf, ModuleError, resolveModule } from './module-resolver.js';
import { applyModuleHooks, cjsExportNames, findModuleHooks, rewriteModuleHooks } from './module-source.js';
import { PackageJsonLimitError } from './package-json.js';
import { looksLikeModule, parseNodeArgs } from './node-cli.js';
import { GuestTextDecoders } from './text-decoders.js';
import type { GuestHost, PreparedIsolate } from './prepared-isolate.js';
import type { UserInfo } from '../wasm/runner/contract.js';
import { JsChildren, type ChildKernel } from './node-host/js-children.js';
import { NodeCalls, type NodeBounds } from './node-host/node-calls.js';
import { NetCalls } from './node-host/net-calls.js';
import type { NetBroker } from '../net/broker.js';
import { GuestWatchers } from './node-host/guest-watchers.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { tooLarge } from '../errors.js';
import { warnLimitExhausted } from '../log.js';
import { JsRunSlot } from '../process/js-run-slot.js';
import { NOT_TERMINATING, signalName } from '../process/signal-numbers.js';
import type { CpuShareInfo } from '../process/cpu-gate.js';
import type { IpcEnd } from '../process/ipc-channel.js';

export interface JsBudgets extends GuestBudgets {
  heapLimitMb: number;
  maxTimers: number;
  maxTimerDelayMs: number;
  maxHostCalls: number;
  /** JSON size of one host call's arguments (HOST_CALL_PAYLOAD_BYTES), checked before they are parsed. */
  hostCallPayloadBytes: number;
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
  /** Starts this process's children (child_process); absent: it cannot. */
  childKernel?: ChildKernel;
  /** setRawMode on its terminal (the VM's terminals know who the foreground job is). */
  terminalMode?: (proc: GuestProcess, raw: boolean) => void;
  /** Bounds of what the daemon does for node:crypto and node:zlib. */
  nodeBounds: NodeBounds;
  /** The host-started process whose tree this is (itself when the host started it). */
  rootPid?: number;
  /** Resolves when a spawned process may start (the VM's spawn rate); absent: at once. */
  admit?: () => Promise<void>;
  /** The VM's run slots, shared with its WASM processes (src/process/cpu-gate.ts). */
  cpuShare: CpuShareInfo;
  /** The VM's network, for `net` and `dns`; absent: none. */
  network?: NetBroker;
  /** NET_DELIVER_WINDOW_BYTES. */
  netWindowBytes?: number;
  /** Its end of the IPC channel to the parent that forked it (process.send). */
  ipc?: IpcEnd;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** A resolution or evaluation failure as the guest rebuilds it (guestError): Node's code and message. */
function errorShape(err: unknown): { message: string; code?: string; name?: string; stack?: string } {
  if (err instanceof ModuleError) return { message: err.message, code: err.code, name: err.code.startsWith('ERR_INVALID_ARG') ? 'TypeError' : 'Error' };
  if (err instanceof FsError) return { message: err.message, code: err.errno };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // A stack that names the daemon's own files is not the guest's to see.
    const stack = err.stack?.includes(PACKAGE_ROOT) ? undefined : err.stack;
    return { message: err.message, name: err.name, ...(stack === undefined ? {} : { stack }), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
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
  /** Ended by itself, waiting for its queued pipe output to go in (finish). */
  private awaitingOutput = false;
  /** Where the end of the event loop is: running `beforeExit` listeners, then `exit` listeners. */
  private ending: 'no' | 'beforeExit' | 'exit' = 'no';
  private stdinWanted = false;
  private stdinSubscribed = false;
  private stdinEofSent = false;
  private stdinDone = false;
  private readonly signalHandlers = new Map<string, number>();
  /** Its streams whose file output failed (outputFailed). */
  private readonly outputErrors = new Set<'stdout' | 'stderr'>();
  private readonly children: JsChildren | undefined;
  private readonly nodeCalls: NodeCalls;
  private readonly netCalls: NetCalls;
  /** fs.watch watchers (made on the first): they keep the process alive while referenced. */
  private watchers: GuestWatchers | undefined;
  private loader: EsmLoader | undefined;
  private decoders: GuestTextDecoders | undefined;
  /** Its share of the VM's CPU: guest code runs only while it holds a run slot. */
  private readonly runSlot: JsRunSlot;

  constructor(private readonly o: JsProcessOptions) {
    super(o);
    this.runSlot = new JsRunSlot(o.cpuShare);
    this.children = o.childKernel ? new JsChildren(o.childKernel, this) : undefined;
    this.nodeCalls = new NodeCalls(o.nodeBounds, this.children, (pid, kind, data) => this.childEvent(pid, kind, data), (ms) => this.chargeDaemonMs(ms));
    this.netCalls = new NetCalls(o.network, { pid: o.pid, command: 'node' }, (id, kind, data) => this.netEvent(id, kind, data), o.netWindowBytes ?? 1, () => queueMicrotask(() => this.settle()), { vfs: o.vfs, permits: this.permits });
  }

  get rootPid(): number {
    return this.o.rootPid ?? this.o.pid;
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
      // As Node finds its main module: the name as given, else with an extension or as a directory.
      if (!o.vfs.exists(scriptPath)) {
        try {
          scriptPath = this.resolve(scriptPath, '/', 'require', undefined, false).path;
        } catch {
          // Reported below as Node reports it.
        }
      }
      let source: string;
      if (!this.permits.allowsAll('fs') && !(await this.permits.check('fs', 'read', canonicalPath(o.vfs, scriptPath, true)))) {
        this.writeErr(`node:internal/fs/utils\n\nError: EACCES: permission denied, open '${scriptPath}'\n`);
        this.exitCode = 1;
        this.finish();
        return;
      }
      if (this.finished) return;
      try {
        source = Buffer.from(o.vfs.readFile(scriptPath)).toString('utf8');
      } catch {
        this.writeErr(`node:internal/modules/cjs/loader\n  throw err;\n  ^\n\nError: Cannot find module '${scriptPath}'\n`);
        this.exitCode = 1;
        this.finish();
        return;
      }
      // The main module is its real path (a bin link in node_modules/.bin loads the package's
      // file beside its own modules), as Node's is; argv[1] stays the path as given.
      let mainPath = scriptPath;
      if (!invocation.execArgv.includes('--preserve-symlinks-main')) {
        try {
          mainPath = o.vfs.realpath(scriptPath);
        } catch {
          // Read above: it exists; a race with an unlink leaves the name as given.
        }
      }
      program = { kind: 'file', path: mainPath, source };
      asModule = invocation.module ?? formatOf(o.vfs, mainPath) === 'module';
    } else if (invocation.kind === 'eval') {
      program = { kind: 'eval', code: invocation.code, print: invocation.print };
      asModule = invocation.module || (!invocation.print && looksLikeModule(invocation.code));
    } else {
      program = { kind: 'eval', code: Buffer.from(await o.stdin.readAll()).toString('utf8'), print: false };
      asModule = invocation.module;
      if (this.finished) return;
    }

    if (o.admit) {
      await o.admit();
      if (this.finished) return;
    }
    const env = await this.visibleEnv(o.env);
    if (this.finished) return;
    const slot = await o.engine.pool.take(o.budgets.heapLimitMb);
    if (this.finished) {
      // Killed (VM disposed) while the isolate was being made.
      o.engine.pool.release(slot);
      return;
    }
    this.slot = slot;
    slot.host = this;
    slot.runSlot = this.runSlot;
    slot.setup({
      pid: o.pid,
      ppid: o.ppid,
      argv: ['/usr/bin/node', ...(scriptPath ? [scriptPath] : []), ...invocation.args],
      execArgv: invocation.execArgv,
      env,
      cwd: o.cwd,
      nodeVersion: o.engine.nodeVersion,
      maxTimers: o.budgets.maxTimers,
      maxTimerDelayMs: o.budgets.maxTimerDelayMs,
      outputWindowBytes: o.budgets.outputWindowBytes,
      bindings: [...o.bindings],
      maxHostCalls: o.budgets.maxHostCalls,
      hostCallPayloadBytes: o.budgets.hostCallPayloadBytes,
      callWindow: { calls: o.budgets.callWindow, bytes: o.budgets.outputWindowBytes },
      randomChunkBytes: o.budgets.randomChunkBytes,
      textChunkBytes: o.budgets.textChunkBytes,
      user: o.user,
      system: systemInfo(o.budgets.heapLimitMb),
      ...(o.tty ? { tty: { ...o.tty.winsize, name: o.tty.name, term: o.tty.term } } : {}),
      ...(o.ipc ? { ipc: true } : {}),
    });
    this.startBudgets(slot.isolate);

    const base = o.cwd === '/' ? '' : o.cwd;
    if (o.ipc) this.enter(slot.lifecycle('preMain', null));
    if (asModule) {
      const entry = program.kind === 'file' ? { path: program.path, source: program.source } : { path: `${base}/[eval1]`, source: program.code };
      this.enter(this.esm(slot).runMain(entry));
    } else if (program.kind === 'file') {
      this.enter(slot.runMain({ ...program, source: rewriteModuleHooks(program.source, program.path, false) }));
    } else {
      this.enter(slot.runMain({ ...program, code: rewriteModuleHooks(program.code, `${base}/[eval]`, false) }));
    }
    // Messages the parent sent before the child was running go now, after the main program.
    o.ipc?.attach((batch) => this.childEvent(0, 'ipc', batch));
  }

  private esm(slot: PreparedIsolate): EsmLoader {
    this.loader ??= new EsmLoader(slot.isolate, slot.context, (spec, fromFile) => this.importRecord(spec, fromFile), this.o.engine.builtinExports, (record) => this.cjsNames(record, new Set()), this.o.engine.codeCache, (start) => slot.running(start));
    return this.loader;
  }

  /** What an `import` names: a builtin, or a VM file under the same permission check as `require` (load). */
  private importRecord(specifier: string, fromFile: string): ModuleRecord {
    const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    const denied = this.o.engine.builtinNames.has(bare) ? undefined : this.moduleAccessDenied(specifier);
    if (denied) throw Object.assign(new Error(denied.message), { code: denied.code });
    const record = this.resolve(specifier, dirOf(fromFile), 'import', fromFile);
    // ES module linking runs in the daemon, not on a guest call that can wait: an `ask`
    // here is answered from what the host said to remember, else denied (logged so).
    if (!this.permits.allowsAll('fs') && record.path.startsWith('/') && !this.o.engine.builtinNames.has(record.path)) {
      if (!this.permits.vm.judgeWithoutWaiting(this.pid, 'fs', 'read', canonicalPath(this.o.vfs, record.path, true))) {
        throw Object.assign(new FsError('EACCES', 'open', record.path), { code: 'EACCES' });
      }
    }
    return record;
  }

  private resolve(specifier: string, fromDir: string, mode: 'require' | 'import', fromFile?: string, withSource = true): ModuleRecord {
    return resolveModule(this.o.vfs, specifier, fromDir, mode, this.o.engine.builtinNames, fromFile, withSource);
  }

  /**
   * The names an ES module may import from a CommonJS file: what cjs-module-lexer finds in
   * it and, as Node does, in the CommonJS files it re-exports whole (each file once).
   */
  private cjsNames(first: ModuleRecord, seen: Set<string>): string[] {
    const names = new Set<string>();
    // A worklist, not recursion: a long chain of re-exports must not deepen the daemon's stack.
    const todo = [first];
    seen.add(first.path);
    for (let record = todo.pop(); record; record = todo.pop()) {
      const { exports, reexports } = cjsExportNames(record.source);
      for (const name of exports) names.add(name);
      for (const specifier of reexports) {
        try {
          const next = this.resolve(specifier, dirOf(record.path), 'require', record.path);
          if (next.format === 'commonjs' && !seen.has(next.path)) {
            seen.add(next.path);
            todo.push(next);
          }
        } catch {
          // Node skips a re-export it cannot resolve.
        }
      }
    }
    return [...names];
  }

  /** `import()` from guest code (the runtime's `__agentos_import`): the namespace, or why not, through `settleImport`. */
  importModule(callId: unknown, specifier: unknown, fromFile: unknown, type: unknown): void {
    const slot = this.slot;
    if (this.finished || !slot || typeof callId !== 'number' || typeof specifier !== 'string' || typeof fromFile !== 'string') return;
    const attribute = typeof type === 'string' ? type : undefined;
    this.enter(
      this.esm(slot)
        .importDynamic(specifier, fromFile, attribute)
        .then(
          (namespace) => slot.settleImport(callId, true, namespace),
          (err: unknown) => slot.settleImport(callId, false, errorShape(err)),
        ),
    );
  }

  /** `require.resolve`, `import.meta.resolve`: where a specifier leads, without reading the file. */
  resolveModule(specifier: unknown, request: unknown): HookResult {
    const r = request as { fromDir?: unknown; fromFile?: unknown; mode?: unknown } | null;
    if (typeof specifier !== 'string' || !r || typeof r.fromDir !== 'string' || (r.mode !== 'require' && r.mode !== 'import')) return { err: { message: 'invalid module specifier', code: 'ERR_INVALID_ARG_TYPE' } };
    const denied = this.moduleAccessDenied(specifier);
    if (denied) return { err: denied };
    try {
      return { ok: this.resolve(specifier, r.fromDir, r.mode, typeof r.fromFile === 'string' ? r.fromFile : undefined, false).path };
    } catch (err) {
      // import.meta.resolve names a missing file all the same (Node's error carries its URL).
      if (r.mode === 'import' && err instanceof ModuleError && err.path !== undefined) return { ok: err.path };
      return { err: errorShape(err) };
    }
  }

  // ---- the event loop, seen from the host ----

  /**
   * Runs an entry into the guest. isolated-vm rejects an entry whose microtasks left a
   * promise rejected with no handler (with a copy of the reason); for the entries the
   * runtime guards (every one but ESM evaluation, whose rejection is the module's own
   * error) that is an unhandled rejection, which the guest's process object handles as
   * Node does (`unhandledRejection`, else `uncaughtException`, else print and exit 1).
   */
  private enter(call: Promise<unknown>, guarded = true): void {
    this.inFlight++;
    call.then(
      () => {
        this.inFlight--;
        this.settle();
      },
      (err: unknown) => {
        this.inFlight--;
        if (guarded && this.slot && !this.slot.isolate.isDisposed && !this.finished && !this.exitRequested && !HEAP_DISPOSED.test(err instanceof Error ? err.message : '')) {
          this.enter(this.slot.lifecycle('rejection', err));
          return;
        }
        this.onEntryFailed(err);
      },
    );
  }

  /**
   * Ends the process once nothing is left to do, as Node's event loop does: `beforeExit`
   * listeners run (and may start more work, after which the loop goes on and they run
   * again when it is empty), then `exit` listeners, then the process ends with the exit code
   * they leave.
   */
  private settle(): void {
    if (this.finished) return;
    if (this.exitRequested) return this.finish();
    if (this.inFlight > 0) return;
    if (this.timersRefed) return;
    if (this.stdinWanted && !this.stdinDone) return;
    if ((this.children?.refed ?? 0) > 0) return;
    if (this.netCalls.refed > 0) return;
    if ((this.watchers?.holding ?? 0) > 0) return;
    if (this.o.ipc?.holding) return;
    if (!this.slot || this.ending === 'exit') return this.finish();
    // The guest reports its listener counts for these (signalListeners): none, no entry.
    const listening = (event: string) => (this.signalHandlers.get(event) ?? 0) > 0;
    if (this.ending === 'no' && listening('beforeExit')) {
      this.ending = 'beforeExit';
      this.enter(this.slot.lifecycle('beforeExit', null));
      return;
    }
    // beforeExit ran and started nothing (or has no listener): the loop is empty for good.
    this.ending = 'exit';
    if (!listening('exit')) return this.finish();
    this.enter(this.slot.lifecycle('exit', null));
  }

  /** New work (a timer, stdin, a call) after `beforeExit`: it runs again when the loop empties. */
  private loopAlive(): void {
    if (this.ending === 'beforeExit') this.ending = 'no';
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
    if (this.timersRefed) this.loopAlive();
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
    if (this.stdinWanted && !this.stdinDone) this.loopAlive();
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
    // Its size before anything is done with it: the guest sends only the length of arguments
    // it already knows are too large, so they are neither copied nor parsed here.
    const size = typeof argsJson === 'number' ? argsJson : typeof argsJson === 'string' ? argsJson.length : 0;
    const maxBytes = this.o.budgets.hostCallPayloadBytes;
    if (size > maxBytes) {
      const err = tooLarge(`host.${name}: its arguments as JSON`, size, maxBytes, 'HOST_CALL_PAYLOAD_BYTES');
      warnLimitExhausted(this.o.log, { limit: err.data.limit!, observed: size, capacity: maxBytes, env: err.data.env });
      this.enter(answer(false, { message: err.message, code: err.data.code }));
      return;
    }
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
    const permits = this.permits;
    // The one enforcement point of the hostFunction scope (bindings are guest JS's alone).
    const allowed = permits.allowsAll('hostFunction') ? Promise.resolve(true) : permits.check('hostFunction', 'call', binding);
    this.enter(
      allowed.then((allow) => {
        if (!allow) throw Object.assign(new Error(`host.${binding}: permission denied by the VM's hostFunction policy`), { code: 'ERR_AGENTOS_PERMISSION_DENIED' });
        // A host side that throws instead of rejecting still answers the guest.
        return new Promise<unknown>((resolve) => resolve(callHost(binding, args as unknown[])));
      }).then(
        (value) => answer(true, value),
        (err: { message?: string; code?: string }) => answer(false, { message: err?.message ?? String(err), code: err?.code }),
      ),
    );
  }

  node(op: unknown, args: unknown): AskingResult {
    if (this.finished) return { err: { message: 'the process has ended', code: 'EBADF' } };
    if (op === 'tty.raw' || op === 'tty.size') return this.terminalCall(op, args);
    if (typeof op === 'string' && op.startsWith('net.') && Array.isArray(args)) {
      // A Unix socket on a path is judged by the fs policy, which may ask the host first.
      return this.permits.run(() => {
        try {
          const ok = this.netCalls.call(op, args);
          this.loopAlive();
          return { ok };
        } catch (err) {
          if (err instanceof AskPending) throw err;
          const e = err as { message?: string; code?: string; name?: string };
          return { err: { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}), ...(e.name === 'TypeError' ? { name: 'TypeError' } : {}) } };
        }
      });
    }
    if (typeof op === 'string' && op.startsWith('ipc.')) return this.parentChannel(op, args);
    if (typeof op === 'string' && op.startsWith('esm.')) return this.requireEsmCall(op, args);
    // child_process may have to wait for the host's answer (childProcess, env scopes).
    return this.permits.run(() => this.nodeCalls.call(op, args));
  }

  /** The steps of a `require()` of an ES module (guest/require-esm.ts), on this process's module map. */
  private requireEsmCall(op: string, args: unknown): HookResult {
    const slot = this.slot;
    const a = Array.isArray(args) ? args : [];
    try {
      if (!slot) throw Object.assign(new Error('the process has no isolate'), { code: 'ERR_INVALID_STATE' });
      const loader = this.esm(slot);
      if (op === 'esm.step' && typeof a[0] === 'string' && typeof a[1] === 'string') return { ok: loader.requireStep(a[0], a[1], a[2] === true) };
      if (op === 'esm.evaluated' && typeof a[0] === 'string') {
        loader.markEvaluated(a[0]);
        return { ok: null };
      }
      // isolated-vm exports no Module class to test against; only a module handle has these.
      const module = a[1] as ivm.Module | undefined;
      if (op === 'esm.adopt' && typeof a[0] === 'string' && typeof module?.instantiateSync === 'function' && Array.isArray(module.dependencySpecifiers)) {
        loader.adopt(a[0], module);
        return { ok: null };
      }
      if (op === 'esm.forget' && Array.isArray(a[0])) {
        loader.forget(a[0].filter((k): k is string => typeof k === 'string'));
        return { ok: null };
      }
      throw Object.assign(new Error(`invalid arguments for '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    } catch (err) {
      return { err: errorShape(err) };
    }
  }

  /** process.send, process.disconnect, process.channel.ref/unref: its end of the channel to its parent. */
  private parentChannel(op: string, args: unknown): HookResult {
    const end = this.o.ipc;
    const a = Array.isArray(args) ? args : [];
    try {
      if (!end) throw Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
      if (op === 'ipc.send') return { ok: end.send(a[0]) };
      if (op === 'ipc.disconnect') end.close();
      else if (op === 'ipc.ref') end.refed = a[0] === true;
      else throw Object.assign(new Error(`unknown IPC call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
      queueMicrotask(() => this.settle());
      return { ok: null };
    } catch (err) {
      const e = err as { message?: string; code?: string; errno?: number; syscall?: string };
      return { err: { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}), ...(typeof e.errno === 'number' ? { errno: e.errno } : {}), ...(e.syscall ? { syscall: e.syscall } : {}) } };
    }
  }

  /** setRawMode and the window size, on the process's terminal. */
  private terminalCall(op: 'tty.raw' | 'tty.size', args: unknown): HookResult {
    const tty = this.tty;
    if (!tty) return { err: { message: 'not a terminal', code: 'ENOTTY' } };
    if (op === 'tty.size') return { ok: tty.winsize };
    const raw = Array.isArray(args) && args[0] === true;
    if (this.o.terminalMode) this.o.terminalMode(this, raw);
    else tty.setRaw(raw, 'libuv');
    return { ok: null };
  }

  /** News of one of its sockets, servers or lookups (node-host/net-calls.ts); settles once the guest ran it. */
  private netEvent(id: number, kind: string, data: unknown): Promise<unknown> | undefined {
    const slot = this.slot;
    if (this.finished || !slot) return undefined;
    const call = slot.netEvent(id, kind, data);
    this.enter(call);
    return call;
  }

  /** `job`: runs a job staged through `node` (a synchronous child, a key derivation). */
  override async block(op: unknown, arg: unknown): Promise<unknown> {
    // The guest's thread waits and its isolate runs nothing: the VM's run slot is free meanwhile.
    this.runSlot.blockBegins();
    try {
      if (op !== 'job') return await super.block(op, arg);
      if (!this.finished) await this.nodeCalls.runJob(arg);
      return null;
    } finally {
      await this.runSlot.blockEnds();
    }
  }

  /** Past its slice while another process of its VM waits: calls are refused until it has waited its turn (js-run-slot.ts). */
  protected override yieldDue(): boolean {
    return this.runSlot.yieldDue();
  }

  /** fs.watch, its close and ref (guest-watchers.ts); every other fs call goes on as before. */
  override fs(op: unknown, args: unknown, within?: unknown): AskingResult {
    if ((op !== 'watch' && op !== 'unwatch' && op !== 'watchRef') || !Array.isArray(args) || this.finished) return super.fs(op, args, within);
    // Watching is reading: the fs policy may have to ask the host first (as for every fs call).
    return this.permits.run(() => {
      try {
        this.watchers ??= new GuestWatchers(this.base.vfs, this.permits, (id, changes, overflow) => this.childEvent(id, 'fs', { changes, overflow }), (limit, observed, capacity, env) => this.limitHit(limit, observed, capacity, env));
        const result = this.watchers.call(op, args);
        if (op !== 'watch') this.settle();
        return { ok: result };
      } catch (err) {
        if (err instanceof FsError) return { err: { message: err.message, code: err.errno, syscall: err.syscall, path: err.path } };
        throw err;
      }
    });
  }

  protected override finish(reason?: Parameters<GuestProcess['finish']>[0], signal?: string): void {
    if (this.finished) return;
    // Ending by itself with output still queued for a pipe: it ends once the pipe took it (a
    // Node process's pipe writes are synchronous), so processes that end cannot pile up
    // output nobody reads; a signal or a stop (wall budget, kill, dispose) ends it at once.
    if (!reason && !signal) {
      const pending = this.o.outputPending?.();
      if (pending) {
        if (!this.awaitingOutput) {
          this.awaitingOutput = true;
          void pending.then(() => {
            this.awaitingOutput = false;
            this.finish();
          });
        }
        return;
      }
    }
    this.watchers?.closeAll();
    // Its channels end with it: its parent and its children see 'disconnect'.
    this.o.ipc?.close();
    this.children?.closeChannels();
    this.children?.endWorkers();
    super.finish(reason, signal);
  }

  /** Tells the guest about one of its children; after an exit, the process may be done. */
  private childEvent(pid: number, kind: string, data: unknown): Promise<unknown> | undefined {
    const slot = this.slot;
    if (this.finished || !slot) return undefined;
    const call = slot.childEvent(pid, kind, data);
    this.enter(call);
    return call;
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

  load(specifier: unknown, fromDir: unknown): AskingResult {
    return this.permits.run(() => this.loadNow(specifier, fromDir));
  }

  private loadNow(specifier: unknown, fromDir: unknown): HookResult {
    if (typeof specifier !== 'string' || typeof fromDir !== 'string') return { err: { message: 'invalid module specifier', code: 'ERR_INVALID_ARG_TYPE' } };
    const denied = this.moduleAccessDenied(specifier);
    if (denied) return { err: denied };
    try {
      const record = this.resolve(specifier, fromDir, 'require');
      this.checkModuleRead(record);
      if (record.format !== 'commonjs') return { ok: record };
      const { codeCache } = this.o.engine;
      // One hash of a large source keys both what the lexer found in it and its code cache.
      const hash = codeCache.hashOf(record.source);
      const edits = hash === undefined ? findModuleHooks(record.source) : codeCache.edits(hash, () => findModuleHooks(record.source));
      const source = applyModuleHooks(record.source, edits, record.path, false);
      const wrapped = wrapCommonJs(source);
      // A rewritten source names its own path: its cache is that file's alone.
      const key = hash === undefined ? undefined : `script:${hash}${edits.length > 0 ? `:${record.path}` : ''}`;
      const cache = key === undefined ? undefined : codeCache.lookup(key, wrapped, 'script', record.path);
      return { ok: cache ? { ...record, source, cache } : { ...record, source } };
    } catch (err) {
      if (err instanceof AskPending) throw err;
      if (err instanceof PackageJsonLimitError) return { err: { message: err.message, code: err.code } };
      return { err: errorShape(err) };
    }
  }

  /**
   * A module file is read under the fs policy as readFileSync would be (EACCES, or a wait
   * for the host's answer to `ask`; AskPending passes through to permits.run).
   */
  private checkModuleRead(record: ModuleRecord): void {
    if (this.permits.allowsAll('fs') || this.o.engine.builtinNames.has(record.path)) return;
    if (!record.path.startsWith('/')) return;
    checkFs({ kind: 'guest', permits: this.permits }, 'read', canonicalPath(this.o.vfs, record.path, true), 'open', record.path);
  }

  /** The one permission check every module load (require or import) of a VM file passes. */
  private moduleAccessDenied(specifier: string): { message: string; code: string } | undefined {
    if (this.permits.vm.policy.fsShorthand === 'none') return { message: `Cannot load '${specifier}': this VM gives guests no filesystem access`, code: 'EACCES' };
    return undefined;
  }

  exit(code: unknown): void {
    if (this.finished) return;
    this.exitCode = (typeof code === 'number' ? code : 0) & 0xff;
    this.exitRequested = true;
    // At the loop's end the `exit` entry is running: its return ends the process (settle),
    // with the isolate idle so its heap can be measured.
    if (this.ending === 'exit') return;
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

  /**
   * A signal number another process sent (kill(2) from a WASM process, or to the process an
   * `exec node` stands in for), as Linux delivers it to Node: a listener gets it; otherwise
   * its default action, ending the process with 128 + n. Node ignores SIGPIPE and takes
   * SIGUSR1 for its inspector; signals that stop, continue or are ignored by default do
   * nothing (an isolate cannot be stopped).
   */
  deliverSignal(sig: number): void {
    if (this.finished || sig === 0) return;
    if (sig === 9) return this.killNow('SIGKILL');
    const name = signalName(sig);
    if (this.slot && (this.signalHandlers.get(name) ?? 0) > 0) {
      this.enter(this.slot.signal(name));
      return;
    }
    if (NOT_TERMINATING.has(sig) || name === 'SIGUSR1' || name === 'SIGPIPE') return;
    this.killNow(name);
  }

  /**
   * Its stdout or stderr is a pipe whose reader is gone (a WASM parent's pipeline: `node x |
   * head`): it ends of SIGPIPE, as the commands do, rather than writing into nothing forever.
   */
  pipeBroken(): void {
    this.killNow('SIGPIPE');
  }

  /**
   * Its stdout or stderr, a file, could not take a write (the VM's filesystem is full): its
   * stream errors as Node's does (ENOSPC; unhandled, the process ends with it). Once: the
   * stream is done after that. True the first time.
   */
  outputFailed(stream: 'stdout' | 'stderr', err: unknown): boolean {
    const slot = this.slot;
    if (!slot || this.outputErrors.has(stream) || this.isFinished) return false;
    this.outputErrors.add(stream);
    const code = err instanceof FsError ? err.errno : 'EIO';
    this.enter(slot.lifecycle('outputError', { fd: stream === 'stdout' ? 1 : 2, code, message: err instanceof Error ? err.message : String(err) }));
    return true;
  }

  get ppid(): number {
    return this.o.ppid;
  }
  get args(): readonly string[] {
    return this.o.args;
  }

  /**
   * A signal its terminal raised (^C, ^\\, ^Z, a resize). A listener gets it as an event;
   * otherwise the default action: SIGWINCH is ignored (the guest's stdout still learns the
   * new size), SIGTSTP too (an isolate cannot be stopped), the rest end the process.
   */
  terminalSignal(name: string): void {
    if (this.finished) return;
    if (name === 'SIGWINCH') {
      if (this.slot) this.enter(this.slot.signal(name));
      return;
    }
    if (this.slot && (this.signalHandlers.get(name) ?? 0) > 0) {
      this.enter(this.slot.signal(name));
      return;
    }
    if (name !== 'SIGTSTP') this.killNow(name);
  }

  protected release(): number {
    this.runSlot.end();
    this.clearWake();
    this.nodeCalls.dispose();
    this.netCalls.dispose();
    const slot = this.slot;
    if (!slot) return 0;
    const heapBytes = heapBytesOf(slot.isolate, this.inFlight === 0);
    slot.host = null;
    this.o.engine.pool.release(slot);
    return heapBytes;
  }
}

/** The components of the host's Node that a guest has too: its V8 and what its builtins use. */
const GUEST_VERSIONS = new Set(['node', 'v8', 'uv', 'openssl', 'zlib', 'brotli', 'modules', 'napi', 'icu', 'unicode', 'cldr', 'tz', 'acorn', 'ada', 'simdutf', 'cjs_module_lexer']);

/** The host's processors (model and speed, not their load) and kernel, read once. */
let hostSystem: Omit<SystemInfo, 'totalmem'> | undefined;
function systemInfo(heapLimitMb: number): SystemInfo {
  hostSystem ??= {
    cpus: Array.from({ length: availableParallelism() }, (_, i) => {
      const cpu = cpus()[i] ?? cpus()[0];
      return { model: cpu?.model ?? 'unknown', speed: cpu?.speed ?? 0 };
    }),
    release: osRelease(),
    version: osVersion(),
    machine: osMachine(),
    nodeRelease: Object.fromEntries(Object.entries(process.release).filter((e): e is [string, string] => typeof e[1] === 'string')),
    versions: Object.fromEntries(Object.entries(process.versions).filter((e): e is [string, string] => GUEST_VERSIONS.has(e[0]) && typeof e[1] === 'string')),
  };
  return { ...hostSystem, totalmem: heapLimitMb * 1024 * 1024 };
}
