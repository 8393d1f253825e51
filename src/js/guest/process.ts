import { realNow } from './clock.js';
import { getCwd, resolvePath, setCwd } from './cwd.js';
import { Emitter } from './emitter.js';
import type { ProcessInfo, SystemInfo } from './contract.js';
import { block, ExitSignal, hooks } from './hooks.js';
import { globalConsole } from './console.js';
import { ReadableIn, stdoutStream, type WritableOut } from './streams.js';
import { attachTerminal } from './terminal.js';
import { createEnv } from './node/process-env.js';
import { capture } from './async-context.js';
import { hasUncaughtExceptionCaptureCallback, setUncaughtExceptionCaptureCallback } from './uncaught.js';
import { nodeRequire } from './node/internal.js';

/** What `os` reports (set when a process starts; see SystemInfo). */
let currentSystem: SystemInfo = { cpus: [], totalmem: 0, release: '', version: '', machine: 'x86_64', versions: {}, nodeRelease: {} };
export const systemInfo = (): SystemInfo => currentSystem;
/** This process's CPU time and heap, from the host. */
export const processUsage = (): { cpuMicros: number; heapUsed: number; heapTotal: number; external: number; heapLimit: number } => JSON.parse(block<string>('usage'));

const ticks: Array<[(...a: unknown[]) => void, unknown[]]> = [];
let drainQueued = false;

/**
 * Node runs `process.nextTick` callbacks before promise callbacks. The runtime drains
 * them right after each entry's synchronous part; the queued microtask catches ticks
 * scheduled from inside promise callbacks.
 */
export function drainTicks(): void {
  drainQueued = false;
  while (ticks.length > 0) {
    const [fn, args] = ticks.shift()!;
    fn(...args);
  }
}

let scheduleDrain = (drain: () => void) => queueMicrotask(drain);
/** How the runtime queues the drain: a microtask whose uncaught exceptions it dispatches. */
export function setTickDrainScheduler(schedule: (drain: () => void) => void): void {
  scheduleDrain = schedule;
}

function nextTick(fn: (...a: unknown[]) => void, ...args: unknown[]): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  ticks.push([capture(fn, 'TickObject'), args]);
  if (!drainQueued) {
    drainQueued = true;
    scheduleDrain(drainTicks);
  }
}

/** Node's `process`, filled in by `setup` when a process starts in this isolate. */
export function createProcess() {
  const proc = new Emitter() as Emitter & Record<string, unknown>;
  let exitCode: number | undefined;
  let exiting = false;
  let warnedTraceHint = false;
  let warningOut: ((text: string) => void) | undefined;
  let toldExitCode = 0;
  const started = realNow();
  let user: ProcessInfo['user'] = { uid: 0, gid: 0, name: 'root', home: '/root' };
  let system: SystemInfo = { cpus: [], totalmem: 0, release: '', version: '', machine: 'x86_64', versions: {}, nodeRelease: {} };

  // State the host keeps (exit code, stdin wanted, signal listener counts) crosses only
  // when it changes: a guest setting it in a loop makes no calls into the daemon.
  let toldStdin = false;
  const stdin = new ReadableIn(0, (want) => {
    if (want !== toldStdin) hooks.wantStdin((toldStdin = want));
  });
  /**
   * Node's process.emitWarning: a Warning (or the given Error) emitted as `warning` on the
   * next tick, printed to stderr unless --no-warnings; DeprecationWarnings follow
   * --no-deprecation and --throw-deprecation.
   */
  function emitWarning(warning: unknown, typeOrOptions?: unknown, code?: unknown, ctor?: unknown): void {
    let type = 'Warning';
    let detail: string | undefined;
    if (typeOrOptions && typeof typeOrOptions === 'object') {
      const o = typeOrOptions as { type?: string; code?: string; detail?: string };
      type = o.type ?? type;
      code = o.code;
      detail = o.detail;
    } else if (typeof typeOrOptions === 'string') type = typeOrOptions;
    else if (typeof typeOrOptions === 'function') ctor = typeOrOptions;
    if (typeof code === 'function') code = undefined;
    void ctor;
    let w: Error & { code?: unknown; detail?: string };
    if (typeof warning === 'string') {
      w = new Error(warning);
      w.name = String(type);
      if (code !== undefined) w.code = code;
      if (detail !== undefined) w.detail = detail;
    } else if (warning instanceof Error) {
      w = warning;
    } else {
      const err = new TypeError(`The "warning" argument must be of type string or an instance of Error.`);
      (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
    const execArgv = (proc.execArgv as string[] | undefined) ?? [];
    if (w.name === 'DeprecationWarning') {
      if ((proc as Record<string, unknown>).noDeprecation || execArgv.includes('--no-deprecation')) return;
      if ((proc as Record<string, unknown>).throwDeprecation) throw w;
    }
    nextTick(() => {
      proc.emit('warning', w);
      if (execArgv.includes('--no-warnings')) return;
      const codePart = w.code !== undefined ? `[${String(w.code)}] ` : '';
      let text = `(node:${String(proc.pid)}) ${codePart}${w.name}: ${w.message}\n`;
      if (w.detail) text += `${w.detail}\n`;
      if (!warnedTraceHint) {
        warnedTraceHint = true;
        text += `(Use \`node --trace-warnings ...\` to show where the warning was created)\n`;
      }
      // As Node's internal/process/warning.js: through the global console's `error` as it is at
      // the first warning (a program that replaces process.stderr.write sees warnings).
      warningOut ??= (globalConsole() as { error: (text: string) => void }).error;
      warningOut(text.slice(0, -1));
    });
  }

  interface Usage { cpuMicros: number; heapUsed: number; heapTotal: number; external: number; heapLimit: number }
  const usage = (): Usage => processUsage();
  const memoryUsage = Object.assign(
    () => {
      const u = usage();
      // The isolate's heap is all of the memory this process holds: it is its rss.
      return { rss: u.heapTotal + u.external, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.external };
    },
    { rss: () => { const u = usage(); return u.heapTotal + u.external; } },
  );
  const checkPrevious = (prev: unknown) => {
    if (prev === undefined) return;
    const p = prev as { user?: unknown; system?: unknown };
    if (typeof prev !== 'object' || prev === null) throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "prevValue" argument must be of type object.${received(prev)}`);
    for (const key of ['user', 'system'] as const) {
      const v = p[key];
      if (typeof v !== 'number') throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "prevValue.${key}" property must be of type number.${received(v)}`);
      if (v < 0 || !Number.isFinite(v)) throw codeError(RangeError, 'ERR_INVALID_ARG_VALUE', `The property 'prevValue.${key}' is invalid. Received ${String(v)}`);
    }
  };
  function cpuUsage(prev?: { user: number; system: number }) {
    checkPrevious(prev);
    // Guest code runs in user mode only: the daemon's work for it counts as user time too.
    const now = { user: usage().cpuMicros, system: 0 };
    return prev ? { user: now.user - prev.user, system: now.system - prev.system } : now;
  }
  function resourceUsage() {
    const u = usage();
    return {
      userCPUTime: u.cpuMicros, systemCPUTime: 0, maxRSS: Math.round((u.heapTotal + u.external) / 1024), sharedMemorySize: 0, unsharedDataSize: 0, unsharedStackSize: 0,
      minorPageFault: 0, majorPageFault: 0, swappedOut: 0, fsRead: 0, fsWrite: 0, ipcSent: 0, ipcReceived: 0, signalsCount: 0, voluntaryContextSwitches: 0, involuntaryContextSwitches: 0,
    };
  }

  // Node's own lib/internal/process/report.js over ./node/report-binding.ts, loaded on first use.
  Object.defineProperty(proc, 'report', { enumerable: true, configurable: true, get: () => nodeRequire('internal/process/report').report });
  Object.assign(proc, {
    memoryUsage,
    cpuUsage,
    resourceUsage,
    constrainedMemory: () => system.totalmem,
    availableMemory: () => { const u = usage(); return Math.max(0, system.totalmem - u.heapUsed - u.external); },
    title: 'node',
    platform: 'linux',
    arch: 'x64',
    release: { name: 'node' },
    execPath: '/usr/bin/node',
    argv0: 'node',
    stdout: stdoutStream(1),
    stderr: stdoutStream(2),
    stdin,
    // What Node's build says of itself, as programs (and Node's test/common) read it.
    config: Object.freeze({
      target_defaults: Object.freeze({ cflags: [], default_configuration: 'Release', defines: [], include_dirs: [], libraries: [] }),
      variables: Object.freeze({
        host_arch: 'x64', target_arch: 'x64', node_module_version: 115, napi_build_version: '9', asan: 0, coverage: false, is_debug: 0,
        v8_enable_i18n_support: typeof Intl === 'object' ? 1 : 0, v8_enable_inspector: 0, icu_small: false, node_shared: false,
        node_use_openssl: true, node_shared_openssl: false, node_use_v8_platform: true, node_builtin_shareable_builtins: [],
      }),
    }),
    features: Object.freeze({ inspector: false, debug: false, uv: true, ipv6: true, tls_alpn: false, tls_sni: false, tls_ocsp: false, tls: false, cached_builtins: true, require_module: true }),
    cwd: getCwd,
    umask: () => 0o022,
    getuid: () => user.uid,
    geteuid: () => user.uid,
    getgid: () => user.gid,
    getegid: () => user.gid,
    uptime: () => (realNow() - started) / 1000,
    nextTick,
    emitWarning,
    setUncaughtExceptionCaptureCallback,
    hasUncaughtExceptionCaptureCallback,
    // What `domain` replaces with its active domain when it loads.
    domain: null,
    exit: (code?: unknown) => {
      if (code !== undefined) exitCode = Number(code) | 0;
      const n = exitCode ?? 0;
      // Node runs the `exit` listeners once: process.exit() from one of them just ends.
      if (!exiting) {
        exiting = true;
        (proc as Record<string, unknown>)._exiting = true;
        proc.emit('exit', n);
      }
      hooks.exit(exitCode ?? n);
      throw new ExitSignal(exitCode ?? n);
    },
    abort: () => {
      hooks.exit(134);
      throw new ExitSignal(134);
    },
    kill: () => {
      throw Object.assign(new Error('process.kill is not available in the sandbox'), { code: 'EPERM' });
    },
    hrtime: Object.assign(
      (prev?: [number, number]) => {
        const ns = realNow() * 1e6;
        const s = Math.floor(ns / 1e9);
        const n = ns % 1e9;
        if (!prev) return [s, n];
        let ds = s - prev[0];
        let dn = n - prev[1];
        if (dn < 0) { ds--; dn += 1e9; }
        return [ds, dn];
      },
      { bigint: () => BigInt(realNow()) * 1_000_000n },
    ),
  });
  // The host must know whether a signal has a handler without entering the isolate
  // (a busy guest could not answer), so listener counts for signals are reported.
  // `beforeExit` and `exit` too: a process with no such listener ends without entering
  // the isolate again (a trivial `node -e` pays nothing for them).
  // Every signal Node lets a program listen for: kill(2) from another process (or the
  // terminal) gives it to the listener instead of its default action.
  const SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGCHLD', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS', 'beforeExit', 'exit']);
  const toldListeners = new Map<string, number>();
  for (const method of ['on', 'addListener', 'once', 'prependListener', 'off', 'removeListener', 'removeAllListeners'] as const) {
    const original = proc[method].bind(proc) as (event: string, ...rest: unknown[]) => unknown;
    (proc as Record<string, unknown>)[method] = (event: string, ...rest: unknown[]) => {
      const result = original(event, ...rest);
      if (SIGNALS.has(event)) {
        const count = proc.listenerCount(event);
        if (toldListeners.get(event) !== count) {
          toldListeners.set(event, count);
          hooks.signalListeners(event, count);
        }
      }
      return result === proc ? proc : result;
    };
  }
  Object.defineProperty(proc, 'exitCode', {
    get: () => exitCode,
    set: (value: unknown) => {
      exitCode = value === undefined || value === null ? undefined : Number(value) | 0;
      if ((exitCode ?? 0) !== toldExitCode) hooks.setExitCode((toldExitCode = exitCode ?? 0));
    },
    enumerable: true,
  });

  function setup(info: ProcessInfo, exists: (dir: string) => boolean): void {
    setCwd(info.cwd);
    if (info.tty) attachTerminal(info.tty, proc as unknown as { stdin: ReadableIn; stdout: WritableOut; stderr: WritableOut });
    user = info.user;
    system = currentSystem = info.system;
    Object.assign(proc, {
      pid: info.pid,
      ppid: info.ppid,
      argv: info.argv,
      execArgv: info.execArgv,
      env: createEnv(info.env),
      version: info.nodeVersion,
      versions: { ...info.system.versions, node: info.nodeVersion.replace(/^v/, '') },
      release: { ...info.system.nodeRelease },
      chdir: (dir: string) => {
        const next = resolvePath(String(dir));
        if (!exists(next)) {
          throw Object.assign(new Error(`ENOENT: no such file or directory, chdir '${getCwd()}' -> '${dir}'`), { code: 'ENOENT', syscall: 'chdir' });
        }
        setCwd(next);
      },
    });
  }

  return { proc, stdin, setup, user: () => user, system: () => system, usage };
}

function codeError(Ctor: ErrorConstructor, code: string, message: string): Error {
  const err = new Ctor(message) as Error & { code: string };
  err.code = code;
  return err;
}

function received(v: unknown): string {
  if (v === null || v === undefined) return ` Received ${String(v)}`;
  if (typeof v === 'function') return ` Received function ${(v as { name?: string }).name || '<anonymous>'}`;
  if (typeof v === 'object') return ` Received an instance of ${(v as object).constructor?.name ?? 'Object'}`;
  const text = typeof v === 'string' ? `'${v}'` : String(v);
  return ` Received type ${typeof v} (${text})`;
}
