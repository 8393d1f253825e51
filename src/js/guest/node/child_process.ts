/**
 * node:child_process onto the VM's own processes: a child is a process of the same VM (a
 * WASM command, `sh`, `node`), started by the daemon (src/js/node-host/js-children.ts),
 * with Node's ChildProcess events in Node's order (spawn, output, exit, close), its exit
 * code or signal, and the sync forms blocking until it has ended.
 */
import type { Buffer } from 'buffer';
import { lazyBuffer } from '../lazy.js';
import { nodeLibBundle } from '../node-lib-loader.js';
import { timerGlobals } from '../timers.js';
import { nodeCall, nodeJob, UV_ERRNO } from './bridge.js';
import { onChildEvent } from './child-events.js';
import { childReadable, ChildWritable, type ChildReadable } from './child-stdio.js';
import { nodeRequire } from './internal.js';
import { setupChannel, type Serialization } from './ipc-channel.js';

type Stdio = 'pipe' | 'inherit' | 'ignore';
type Options = Record<string, unknown>;
type Callback = (err: Error | null, stdout?: unknown, stderr?: unknown) => void;
interface Normalized {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  stdio: [Stdio, Stdio, Stdio];
  /** What Node reports as spawnargs: argv as given (with the shell's -c when shell: true). */
  spawnargs: string[];
  /** The index of 'ipc' in stdio (the child's NODE_CHANNEL_FD), when it has a channel. */
  ipcFd?: number;
  serialization: Serialization;
}

/** Node's default maxBuffer for exec, execFile and the sync forms (its API's value). */
const DEFAULT_BUFFER_BYTES = 1024 * 1024;
const proc = () => (globalThis as unknown as { process: { env: Record<string, string | undefined>; cwd(): string; stdout: { write(d: unknown): void }; stderr: { write(d: unknown): void } } }).process;
// Node's own events.js, the one `require('events')` gives, so a ChildProcess is an EventEmitter.
const EventEmitter = () => (nodeLibBundle().nodeLib('events') as { EventEmitter: unknown }).EventEmitter as new () => NodeEmitter;
interface NodeEmitter {
  emit(event: string, ...args: unknown[]): boolean;
  on(event: string, fn: (...args: any[]) => void): this;
  once(event: string, fn: (...args: any[]) => void): this;
  listenerCount(event: string): number;
}

function typeError(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string. Received ${received(value)}`);
}

function received(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') return (value as object).constructor?.name ? `an instance of ${(value as object).constructor.name}` : '[object Object]';
  return `type ${typeof value} (${typeof value === 'string' ? `'${value}'` : String(value)})`;
}

function stdioOf(value: unknown, sync: boolean): { stdio: [Stdio, Stdio, Stdio]; ipcFd?: number } {
  const one = (v: unknown, i: number): Stdio => {
    if (v === 'inherit' || v === i || (typeof v === 'object' && v !== null && (v as { fd?: number }).fd === i)) return 'inherit';
    if (v === 'ignore') return 'ignore';
    if (v === undefined || v === null || v === 'pipe' || v === 'overlapped') return 'pipe';
    if (typeof v === 'number' && v >= 0 && v <= 2) return 'inherit';
    throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'stdio' is invalid. Received ${String(v)}`);
  };
  if (value === undefined || value === null) return { stdio: ['pipe', 'pipe', 'pipe'] };
  if (typeof value === 'string') {
    if (value !== 'pipe' && value !== 'inherit' && value !== 'ignore' && value !== 'overlapped') throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'stdio' is invalid. Received '${value}'`);
    const s = one(value, -1);
    return { stdio: [s, s, s] };
  }
  if (!Array.isArray(value)) throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'stdio' is invalid. Received ${received(value)}`);
  // One 'ipc' at most, anywhere in the array, and none for a synchronous child (Node's getValidStdio).
  let ipcFd: number | undefined;
  value.forEach((v, i) => {
    if (v !== 'ipc') return;
    const { ERR_IPC_ONE_PIPE, ERR_IPC_SYNC_FORK } = nodeRequire('internal/errors').codes;
    if (sync) throw new ERR_IPC_SYNC_FORK();
    if (ipcFd !== undefined) throw new ERR_IPC_ONE_PIPE();
    ipcFd = i;
  });
  // The channel is not a stdio of its own: 0-2 'ipc' reads as nothing there.
  const at = (i: number): Stdio => (value[i] === 'ipc' ? 'ignore' : one(value[i], i));
  return { stdio: [at(0), at(1), at(2)], ...(ipcFd === undefined ? {} : { ipcFd }) };
}

/** Node's normalizeSpawnArguments: the file and argv to run, shell wrapping, env and cwd. */
function normalize(file: unknown, args: unknown, options: unknown, sync = false): Normalized & { options: Options } {
  validateString(file, 'file');
  if (file.length === 0) throw typeError('ERR_INVALID_ARG_VALUE', "The argument 'file' cannot be empty. Received ''");
  if (file.includes('\0')) throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'file' must be a string without null bytes. Received '${file}'`);
  let argv: string[];
  if (Array.isArray(args)) argv = args.map((a) => String(a));
  else if (args === undefined || args === null) argv = [];
  else if (typeof args === 'object') [options, argv] = [args, []];
  else throw typeError('ERR_INVALID_ARG_TYPE', `The "args" argument must be an instance of Array. Received ${received(args)}`);
  const o: Options = options === undefined || options === null ? {} : (options as Options);
  if (typeof o !== 'object') throw typeError('ERR_INVALID_ARG_TYPE', `The "options" argument must be of type object. Received ${received(o)}`);
  let spawnfile = file;
  let spawnargs = [file, ...argv];
  if (o.shell) {
    const command = [file, ...argv].join(' ');
    spawnfile = typeof o.shell === 'string' ? o.shell : '/bin/sh';
    spawnargs = [spawnfile, '-c', command];
  }
  const envSource = (o.env ?? proc().env) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const key of Object.keys(envSource)) if (envSource[key] !== undefined) env[key] = String(envSource[key]);
  let cwd = proc().cwd();
  if (o.cwd !== undefined && o.cwd !== null) {
    const url = o.cwd as { href?: unknown; pathname?: unknown };
    const given = typeof url === 'object' && typeof url.href === 'string' && typeof url.pathname === 'string' ? decodeURIComponent(url.pathname) : o.cwd;
    validateString(given, 'options.cwd');
    cwd = given.startsWith('/') ? given : `${cwd}/${given}`;
  }
  const { stdio, ipcFd } = stdioOf(o.stdio, sync);
  nodeRequire('internal/validators').validateOneOf(o.serialization, 'options.serialization', [undefined, 'json', 'advanced']);
  const serialization = (o.serialization ?? 'json') as Serialization;
  if (ipcFd !== undefined) {
    // As Node: the child learns of its channel from these (its bootstrap removes them).
    env.NODE_CHANNEL_FD = String(ipcFd);
    env.NODE_CHANNEL_SERIALIZATION_MODE = serialization;
  }
  return { file: spawnfile, args: spawnargs.slice(1), env, cwd, stdio, spawnargs, options: o, serialization, ...(ipcFd === undefined ? {} : { ipcFd }) };
}

function sanitizeSignal(signal: unknown): string {
  if (signal === undefined || signal === null) return 'SIGTERM';
  if (typeof signal === 'number') return SIGNAL_NAMES[signal] ?? `SIG${signal}`;
  if (typeof signal === 'string' && /^SIG[A-Z0-9]+$/.test(signal)) return signal;
  throw Object.assign(new TypeError(`Unknown signal: ${String(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' });
}

const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

function spawnError(shape: { message?: string; code?: string }, syscall: string, file: string, spawnargs: string[]): Error {
  const code = shape.code ?? 'EINVAL';
  return Object.assign(new Error(`${syscall} ${file} ${code}`), { errno: UV_ERRNO[code] ?? -22, code, syscall: `${syscall} ${file}`, path: file, spawnargs: spawnargs.slice(1) });
}

export class ChildProcess {
  pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: string | null = null;
  killed = false;
  connected = false;
  spawnfile = '';
  spawnargs: string[] = [];
  stdin: ChildWritable | null = null;
  stdout: ChildReadable | null = null;
  stderr: ChildReadable | null = null;
  stdio: Array<ChildWritable | ChildReadable | null> = [null, null, null];

  static create(n: Normalized): ChildProcess {
    const child = new ChildProcess();
    child.spawnfile = n.file;
    child.spawnargs = n.spawnargs;
    child.start(n);
    return child;
  }

  private start(n: Normalized): void {
    const self = this as unknown as ChildProcess & NodeEmitter;
    let pid: number;
    try {
      pid = nodeCall<number>('cp.spawn', [{ file: n.file, args: n.args, env: n.env, cwd: n.cwd, stdio: n.stdio, ipc: n.ipcFd !== undefined }]);
    } catch (err) {
      const e = spawnError(err as { code?: string }, 'spawn', n.file, n.spawnargs);
      // As Node: 'error' on the next tick, then 'close' with the negative errno.
      ticks.nextTick(() => {
        self.emit('error', e);
        self.emit('close', (e as { errno?: number }).errno ?? -22, null);
      });
      return;
    }
    this.pid = pid;
    if (n.stdio[0] === 'pipe') this.stdin = new ChildWritable((data) => nodeCall<boolean>('cp.write', [pid, data]), () => nodeCall('cp.end', [pid]));
    if (n.stdio[1] === 'pipe') this.stdout = childReadable(1);
    if (n.stdio[2] === 'pipe') this.stderr = childReadable(2);
    this.stdio = [this.stdin, this.stdout, this.stderr];
    let ipc: ((batch: Array<string | Uint8Array> | null) => void) | undefined;
    if (n.ipcFd !== undefined) {
      while (this.stdio.length <= n.ipcFd) this.stdio.push(null);
      ipc = setupChannel(self as never, {
        send: (message) => nodeCall<boolean>('cp.send', [pid, message]),
        disconnect: () => nodeCall('cp.disconnect', [pid]),
        ref: (refed) => nodeCall('cp.channelRef', [pid, refed]),
      }, n.serialization, n.ipcFd);
    }
    onChildEvent(pid, (kind, data) => {
      if (kind === 'ipc') ipc?.(data as Array<string | Uint8Array> | null);
      else if (kind === 'stdout') this.stdout?.push(data as Uint8Array);
      else if (kind === 'stderr') this.stderr?.push(data as Uint8Array);
      else if (kind === 'drain') this.stdin?.drained();
      else if (kind === 'exit') this.ended(data as { code: number | null; signal: string | null });
    });
    ticks.nextTick(() => self.emit('spawn'));
  }

  private ended({ code, signal }: { code: number | null; signal: string | null }): void {
    const self = this as unknown as NodeEmitter;
    this.exitCode = code;
    this.signalCode = signal;
    this.stdin?.gone();
    this.stdout?.push(null);
    this.stderr?.push(null);
    self.emit('exit', code, signal);
    // 'close' once the streams have ended (their 'end' and 'close' come on microtasks).
    timerGlobals.setImmediate(() => self.emit('close', code, signal));
  }

  kill(signal?: unknown): boolean {
    const name = sanitizeSignal(signal);
    if (this.pid === undefined || this.exitCode !== null || this.signalCode !== null) return false;
    const sent = nodeCall<boolean>('cp.kill', [this.pid, name]);
    if (sent) this.killed = true;
    return sent;
  }

  ref(): void {
    if (this.pid !== undefined) nodeCall('cp.ref', [this.pid, true]);
  }

  unref(): void {
    if (this.pid !== undefined) nodeCall('cp.ref', [this.pid, false]);
  }

}

const ticks = {
  nextTick(fn: () => void): void {
    (globalThis as unknown as { process: { nextTick(fn: () => void): void } }).process.nextTick(fn);
  },
};

export function spawn(file: unknown, args?: unknown, options?: unknown): ChildProcess {
  const n = normalize(file, args, options);
  const child = ChildProcess.create(n);
  const timeout = n.options.timeout;
  if (typeof timeout === 'number' && timeout > 0 && child.pid !== undefined) {
    const killSignal = sanitizeSignal(n.options.killSignal);
    const timer = timerGlobals.setTimeout(() => child.kill(killSignal), timeout);
    (child as unknown as NodeEmitter).once('exit', () => timerGlobals.clearTimeout(timer));
  }
  return child;
}

/** Node's fork: `node modulePath` with an IPC channel (fd 3 unless stdio places it). */
export function fork(modulePath: unknown, args?: unknown, options?: unknown): ChildProcess {
  const { getValidatedPath } = nodeRequire('internal/fs/utils');
  const { validateArray, validateObject } = nodeRequire('internal/validators');
  const path = String(getValidatedPath(modulePath, 'modulePath'));
  let argv: unknown[];
  if (args === undefined || args === null) argv = [];
  else if (typeof args === 'object' && !Array.isArray(args)) [options, argv] = [args, []];
  else {
    validateArray(args, 'args');
    argv = args as unknown[];
  }
  if (options !== undefined && options !== null) validateObject(options, 'options');
  const o: Options = { ...((options ?? {}) as Options), shell: false };
  const p = proc() as unknown as { execPath: string; execArgv: string[] };
  const execPath = (o.execPath as string | undefined) || p.execPath;
  let execArgv = (o.execArgv as string[] | undefined) ?? p.execArgv;
  // As Node: a fork from `node -e` does not evaluate the parent's code again (no fork bomb).
  if (execArgv === p.execArgv) {
    const at = execArgv.findIndex((a) => a === '-e' || a === '--eval' || a === '-p' || a === '--print');
    if (at >= 0) execArgv = [...execArgv.slice(0, at), ...execArgv.slice(at + 2)];
  }
  if (typeof o.stdio === 'string') o.stdio = [o.stdio, o.stdio, o.stdio, 'ipc'];
  else if (!Array.isArray(o.stdio)) o.stdio = o.silent ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'];
  else if (!o.stdio.includes('ipc')) throw new (nodeRequire('internal/errors').codes.ERR_CHILD_PROCESS_IPC_REQUIRED)('options.stdio');
  return spawn(execPath, [...execArgv, path, ...argv.map(String)], o);
}

/** As Node's exithandler: text when an encoding was asked for or set on the stream since (setEncoding), else the bytes. */
function bufferOrString(chunks: Array<Buffer | string>, encoding: string | null, stream: ChildReadable | null): Buffer | string {
  const streamEncoding = (stream as { readableEncoding?: string | null } | null)?.readableEncoding;
  return encoding || streamEncoding ? chunks.join('') : lazyBuffer().concat(chunks as Buffer[]);
}

/** execFile's and exec's collecting of output, maxBuffer, timeout and error, as Node does them. */
export function execFile(file: unknown, args?: unknown, options?: unknown, callback?: unknown): ChildProcess {
  if (typeof args === 'function') [callback, args, options] = [args, [], undefined];
  else if (typeof options === 'function') [callback, options] = [options, undefined];
  if (!Array.isArray(args) && args !== undefined && args !== null && typeof args === 'object') [options, args] = [args, []];
  const o: Options = { encoding: 'utf8', timeout: 0, maxBuffer: DEFAULT_BUFFER_BYTES, killSignal: 'SIGTERM', ...((options ?? {}) as Options) };
  const cb = typeof callback === 'function' ? (callback as Callback) : undefined;
  const killSignal = sanitizeSignal(o.killSignal);
  const child = spawn(file, (args as string[] | undefined) ?? [], { cwd: o.cwd, env: o.env, shell: o.shell, stdio: 'pipe' });
  const encoding = o.encoding !== 'buffer' && typeof o.encoding === 'string' && (lazyBuffer() as unknown as { isEncoding(e: string): boolean }).isEncoding(o.encoding) ? o.encoding : null;
  const maxBuffer = o.maxBuffer as number;
  const out: Array<Buffer | string> = [];
  const err: Array<Buffer | string> = [];
  let outLen = 0;
  let errLen = 0;
  let ex: Error | null = null;
  let exited = false;
  let killed = false;
  let timer: unknown;
  const emitter = child as unknown as NodeEmitter;
  const done = (code?: number | null, signal?: string | null) => {
    if (exited) return;
    exited = true;
    if (timer) timerGlobals.clearTimeout(timer as never);
    if (!cb) return;
    const stdout = bufferOrString(out, encoding, child.stdout);
    const stderr = bufferOrString(err, encoding, child.stderr);
    if (!ex && code === 0 && signal === null) return cb(null, stdout, stderr);
    let cmd = file as string;
    if (Array.isArray(args) && args.length) cmd += ` ${args.join(' ')}`;
    if (!ex) ex = Object.assign(new Error(`Command failed: ${cmd}\n${stderr}`), { code: code !== undefined && code !== null && code < 0 ? errnoName(code) : code, killed: child.killed || killed, signal });
    (ex as Error & { cmd?: string }).cmd = cmd;
    cb(ex, stdout, stderr);
  };
  const kill = () => {
    child.stdout?.destroy();
    child.stderr?.destroy();
    killed = true;
    try {
      child.kill(killSignal);
    } catch (e) {
      ex = e as Error;
      done();
    }
  };
  if ((o.timeout as number) > 0) timer = timerGlobals.setTimeout(() => { timer = undefined; kill(); }, o.timeout as number);
  const collect = (stream: ChildReadable | null, into: Array<Buffer | string>, name: 'stdout' | 'stderr') => {
    if (!stream) return;
    if (encoding) stream.setEncoding(encoding);
    stream.on('data', (chunk: Buffer | string) => {
      // The stream's encoding now (a caller may have set one after exec returned).
      const now = (stream as { readableEncoding?: string | null }).readableEncoding ?? encoding;
      const length = typeof chunk === 'string' ? (lazyBuffer().byteLength as (s: string, e: string) => number)(chunk, now ?? 'utf8') : chunk.length;
      const total = (name === 'stdout' ? (outLen += length) : (errLen += length));
      if (maxBuffer !== Infinity && total > maxBuffer) {
        const keep = maxBuffer - (total - length);
        into.push(chunk.slice(0, keep) as Buffer | string);
        ex = Object.assign(new RangeError(`${name} maxBuffer length exceeded`), { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
        kill();
      } else into.push(chunk);
    });
  };
  collect(child.stdout, out, 'stdout');
  collect(child.stderr, err, 'stderr');
  emitter.on('close', done);
  emitter.on('error', (e: Error) => {
    ex = e;
    child.stdout?.destroy();
    child.stderr?.destroy();
    done();
  });
  return child;
}

function errnoName(code: number): string {
  return Object.keys(UV_ERRNO).find((name) => UV_ERRNO[name] === code) ?? `Unknown system error ${code}`;
}

export function exec(command: unknown, options?: unknown, callback?: unknown): ChildProcess {
  validateString(command, 'command');
  if (typeof options === 'function') [callback, options] = [options, undefined];
  const o = { ...((options ?? {}) as Options) };
  o.shell = typeof o.shell === 'string' ? o.shell : true;
  return execFile(command, [], o, callback);
}

interface SyncReturn {
  pid: number;
  output: Array<Buffer | string | null>;
  stdout: Buffer | string | null;
  stderr: Buffer | string | null;
  status: number | null;
  signal: string | null;
  error?: Error;
}

export function spawnSync(file: unknown, args?: unknown, options?: unknown): SyncReturn {
  const n = normalize(file, args, options, true);
  const o = n.options;
  const B = lazyBuffer();
  let input: Uint8Array | undefined;
  if (o.input !== undefined && o.input !== null) {
    const raw = typeof o.input === 'string' ? (B.from as (s: string, e: string) => Buffer)(o.input, typeof o.encoding === 'string' && o.encoding !== 'buffer' ? o.encoding : 'utf8') : o.input;
    if (!ArrayBuffer.isView(raw)) throw typeError('ERR_INVALID_ARG_TYPE', `The "options.stdio[0]" property must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${received(raw)}`);
    input = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }
  const killSignal = sanitizeSignal(o.killSignal);
  const maxBuffer = typeof o.maxBuffer === 'number' ? o.maxBuffer : DEFAULT_BUFFER_BYTES;
  const result = nodeJob<{ pid: number; status: number | null; signal: string | null; stdout: Uint8Array; stderr: Uint8Array; error?: string } | { spawnError: { code: string } }>(
    'spawnSync',
    [{ file: n.file, args: n.args, env: n.env, cwd: n.cwd, stdio: n.stdio }, { input, timeout: o.timeout, maxBuffer: maxBuffer === Infinity ? Number.MAX_SAFE_INTEGER : maxBuffer, killSignal }],
  );
  if ('spawnError' in result) {
    const error = spawnError(result.spawnError, 'spawnSync', n.file, n.spawnargs);
    return { error, status: null, signal: null, output: null as never, pid: 0, stdout: null, stderr: null };
  }
  const encoding = typeof o.encoding === 'string' && o.encoding !== 'buffer' ? o.encoding as BufferEncoding : null;
  const text = (bytes: Uint8Array, mode: Stdio) => {
    if (mode !== 'pipe') return null;
    const b = B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return encoding ? b.toString(encoding) : b;
  };
  const stdout = text(result.stdout, n.stdio[1]);
  const stderr = text(result.stderr, n.stdio[2]);
  const ret: SyncReturn = { status: result.status, signal: result.signal, output: [null, stdout, stderr], pid: result.pid, stdout, stderr };
  if (result.error) ret.error = spawnError({ code: result.error }, 'spawnSync', n.file, n.spawnargs);
  return ret;
}

function checkExecSyncError(ret: SyncReturn, cmd: string): Error | undefined {
  if (ret.error) return Object.assign(ret.error, ret);
  if (ret.status !== 0) {
    let message = `Command failed: ${cmd}`;
    if (ret.stderr && ret.stderr.length > 0) message += `\n${ret.stderr.toString()}`;
    return Object.assign(new Error(message), ret);
  }
  return undefined;
}

function syncCommon(file: string, args: string[], options: Options, cmd: string): Buffer | string | null {
  const o = { ...options };
  // As Node: stderr is shown on the parent's unless stdio says otherwise.
  const inheritStderr = o.stdio === undefined;
  const ret = spawnSync(file, args, o);
  if (inheritStderr && ret.stderr && ret.stderr.length > 0) proc().stderr.write(ret.stderr);
  const err = checkExecSyncError(ret, cmd);
  if (err) throw err;
  return ret.stdout;
}

export function execSync(command: unknown, options?: unknown): Buffer | string | null {
  validateString(command, 'command');
  const o = { ...((options ?? {}) as Options) };
  o.shell = typeof o.shell === 'string' ? o.shell : true;
  return syncCommon(command, [], o, command);
}

export function execFileSync(file: unknown, args?: unknown, options?: unknown): Buffer | string | null {
  validateString(file, 'file');
  if (!Array.isArray(args) && args !== undefined && args !== null && typeof args === 'object') [options, args] = [args, []];
  const argv = ((args as unknown[] | undefined) ?? []).map(String);
  return syncCommon(file, argv, (options ?? {}) as Options, [file, ...argv].join(' '));
}

export function createChildProcessModule(): Record<string, unknown> {
  // A ChildProcess is an EventEmitter (the `events` package's, as guests get from require('events')).
  const EE = EventEmitter();
  Object.setPrototypeOf(ChildProcess.prototype, EE.prototype);
  Object.setPrototypeOf(ChildProcess, EE);
  return { ChildProcess, spawn, spawnSync, exec, execSync, execFile, execFileSync, fork };
}
