import { getCwd, resolvePath, setCwd } from './cwd.js';
import { Emitter } from './emitter.js';
import type { ProcessInfo } from './contract.js';
import { ExitSignal, hooks } from './hooks.js';
import { writeOut } from './output.js';
import { ReadableIn, stdoutStream } from './streams.js';

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

function nextTick(fn: (...a: unknown[]) => void, ...args: unknown[]): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  ticks.push([fn, args]);
  if (!drainQueued) {
    drainQueued = true;
    queueMicrotask(drainTicks);
  }
}

/** Node's `process`, filled in by `setup` when a process starts in this isolate. */
export function createProcess() {
  const proc = new Emitter() as Emitter & Record<string, unknown>;
  let exitCode: number | undefined;
  let toldExitCode = 0;
  const started = Date.now();
  let user: ProcessInfo['user'] = { uid: 0, gid: 0, name: 'root', home: '/root' };

  // State the host keeps (exit code, stdin wanted, signal listener counts) crosses only
  // when it changes: a guest setting it in a loop makes no calls into the daemon.
  let toldStdin = false;
  const stdin = new ReadableIn(0, (want) => {
    if (want !== toldStdin) hooks.wantStdin((toldStdin = want));
  });
  Object.assign(proc, {
    title: 'node',
    platform: 'linux',
    arch: 'x64',
    release: { name: 'node' },
    execPath: '/usr/bin/node',
    argv0: 'node',
    stdout: stdoutStream(1),
    stderr: stdoutStream(2),
    stdin,
    config: {},
    features: {},
    cwd: getCwd,
    umask: () => 0o022,
    getuid: () => user.uid,
    geteuid: () => user.uid,
    getgid: () => user.gid,
    getegid: () => user.gid,
    uptime: () => (Date.now() - started) / 1000,
    nextTick,
    emitWarning: (warning: unknown) => {
      const text = warning instanceof Error ? `${warning.name}: ${warning.message}` : `Warning: ${String(warning)}`;
      writeOut(2, `(node:${proc.pid}) ${text}\n`);
    },
    exit: (code?: unknown) => {
      const n = code === undefined ? (exitCode ?? 0) : Number(code) | 0;
      try {
        proc.emit('exit', n);
      } finally {
        hooks.exit(n);
      }
      throw new ExitSignal(n);
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
        const ns = Date.now() * 1e6;
        const s = Math.floor(ns / 1e9);
        const n = ns % 1e9;
        if (!prev) return [s, n];
        let ds = s - prev[0];
        let dn = n - prev[1];
        if (dn < 0) { ds--; dn += 1e9; }
        return [ds, dn];
      },
      { bigint: () => BigInt(Date.now()) * 1_000_000n },
    ),
  });
  // The host must know whether a signal has a handler without entering the isolate
  // (a busy guest could not answer), so listener counts for signals are reported.
  const SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGHUP']);
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
    user = info.user;
    Object.assign(proc, {
      pid: info.pid,
      ppid: info.ppid,
      argv: info.argv,
      execArgv: info.execArgv,
      env: { ...info.env },
      version: info.nodeVersion,
      versions: { node: info.nodeVersion.replace(/^v/, ''), v8: 'isolated' },
      chdir: (dir: string) => {
        const next = resolvePath(String(dir));
        if (!exists(next)) {
          throw Object.assign(new Error(`ENOENT: no such file or directory, chdir '${getCwd()}' -> '${dir}'`), { code: 'ENOENT', syscall: 'chdir' });
        }
        setCwd(next);
      },
    });
  }

  return { proc, stdin, setup, user: () => user };
}
