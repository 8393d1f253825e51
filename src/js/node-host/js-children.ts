/**
 * The processes a guest JS process starts through `child_process`: processes of the same
 * VM (WASM commands, `sh`, `node`), started by the VM as the shell's are (counted against
 * its process limit and spawn rate, seen by the host as process/exit with their ppid).
 * Asynchronous children talk to the guest through `childEvent` (output, exit, drain);
 * a synchronous one is a job the guest blocks on until the child has ended.
 */
import { AgentosError } from '../../errors.js';
import { FsError } from '../../fs/errors.js';
import type { GuestProcess, ProcessExit, Signal } from '../../process/guest-process.js';
import type { OutputSink, StreamName } from '../../process/output.js';
import { signalNumber } from '../../process/signal-numbers.js';
import { StdinSource } from '../../process/stdin.js';
import { ipcChannel, type IpcBudget, type IpcEnd, type IpcMessage } from '../../process/ipc-channel.js';
import type { ProcessPermits } from '../../permissions/process-permits.js';

export type Stdio = 'pipe' | 'inherit' | 'ignore';

/** A child as the guest asks for it, checked. */
export interface ChildRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  stdio: [Stdio, Stdio, Stdio];
  /** An IPC channel to it ('ipc' in its stdio): a `node` child gets `process.send`. */
  ipc: boolean;
  /** A worker_threads Worker: it ends when its parent ends, as a thread ends with its process. */
  worker: boolean;
}

/** What a child's stdio is wired to. */
export interface ChildIo {
  stdin: StdinSource;
  output: OutputSink;
  /** The child's end of its IPC channel, when it has one. */
  ipc?: IpcEnd;
}

/** The VM side: starts a child of `parentPid` (vm.ts startForJs). */
export interface ChildKernel {
  startForJs(parent: { pid: number; rootPid: number; permits: ProcessPermits }, req: ChildRequest, io: ChildIo): GuestProcess;
  stdinCapacity: number;
  /** What the VM's IPC channels may hold at once. */
  ipcBudget: IpcBudget;
  /** The next worker_threads threadId of the process tree under `rootPid`. */
  nextThreadId(rootPid: number): number;
}

/** What the parent gives its children: its own stdin and output, for 'inherit'. */
export interface ChildParent {
  pid: number;
  rootPid: number;
  stdin: StdinSource;
  inheritedOutput: OutputSink;
  /** Its permissions: a child's start is judged under them (childProcess). */
  permits: ProcessPermits;
}

export interface SyncResult {
  pid: number;
  status: number | null;
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** ETIMEDOUT or ENOBUFS, as Node's spawnSync sets `error`. */
  error?: string;
}

/**
 * One delivery to the guest: output bytes, the end, room in the child's stdin, or IPC
 * messages (null: the channel's end); settles once the guest has run it.
 */
export type ChildDeliver = (pid: number, kind: 'stdout' | 'stderr' | 'exit' | 'drain' | 'ipc', data: unknown) => Promise<unknown> | undefined | void;

/** Output chunks handed to the guest at most this big (coalesced, as a pipe read would be). */
const DELIVER_CHUNK_BYTES = 64 * 1024;
const STDIO: ReadonlySet<string> = new Set(['pipe', 'inherit', 'ignore']);
const SIGNALS_JS_TAKES: ReadonlySet<string> = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP']);

function invalid(message: string): never {
  throw Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** A request from guest code, checked field by field (sizes are the VM's to check). */
export function checkChildRequest(raw: unknown): ChildRequest {
  if (typeof raw !== 'object' || raw === null) invalid('invalid spawn request');
  const r = raw as Record<string, unknown>;
  if (typeof r.file !== 'string' || r.file === '' || r.file.includes('\0')) invalid('The "file" argument must be a non-empty string without null bytes');
  if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === 'string' && !a.includes('\0'))) invalid('The "args" argument must be an array of strings without null bytes');
  if (typeof r.env !== 'object' || r.env === null) invalid('The "options.env" property must be an object');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.env as Record<string, unknown>)) {
    if (typeof v !== 'string' || k.includes('\0') || k.includes('=') || v.includes('\0')) invalid('The "options.env" values must be strings without null bytes');
    env[k] = v;
  }
  if (typeof r.cwd !== 'string' || r.cwd.includes('\0')) invalid('The "options.cwd" property must be a string');
  if (!Array.isArray(r.stdio) || r.stdio.length !== 3 || !r.stdio.every((s) => typeof s === 'string' && STDIO.has(s))) invalid('The "options.stdio" property must be three of pipe, inherit, ignore');
  return { file: r.file, args: [...(r.args as string[])], env, cwd: r.cwd, stdio: r.stdio as ChildRequest['stdio'], ipc: r.ipc === true, worker: r.worker === true };
}

/** A start that failed as a Node spawn fails: an errno the guest's ChildProcess reports. */
export function spawnFailure(err: unknown, file: string): { message: string; code: string; syscall: string; path: string } {
  const code = err instanceof FsError ? err.errno : err instanceof AgentosError && /PROCESS_LIMIT/.test(err.code) ? 'EAGAIN' : 'EINVAL';
  const detail = err instanceof AgentosError ? ` (${err.message})` : '';
  return { message: `spawn ${file} ${code}${detail}`, code, syscall: `spawn ${file}`, path: file };
}

/** Sends `signal` as Linux would: any signal to a WASM process, the four a JS process takes (else SIGKILL). */
export function signalChild(child: GuestProcess, signal: string): void {
  const target = child as GuestProcess & { deliver?: (sig: number) => void };
  if (typeof target.deliver === 'function') target.deliver(signalNumber(signal));
  else child.kill((SIGNALS_JS_TAKES.has(signal) ? signal : 'SIGKILL') as Signal);
}

/** How a ProcessExit reads to Node: a code, or the signal that ended it. */
export function nodeExit(exit: ProcessExit): { code: number | null; signal: string | null } {
  return exit.signal ? { code: null, signal: exit.signal } : { code: exit.exitCode, signal: null };
}

interface Running {
  proc: GuestProcess;
  stdin: StdinSource | null;
  refed: boolean;
  /** The parent's end of the IPC channel to it. */
  ipc?: IpcEnd;
  worker: boolean;
}

function channelClosed(): Error {
  return Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
}

export class JsChildren {
  private readonly running = new Map<number, Running>();

  constructor(private readonly kernel: ChildKernel, private readonly parent: ChildParent) {}

  /** Children that keep the parent alive (referenced, not yet ended). */
  get refed(): number {
    let n = 0;
    for (const c of this.running.values()) if (c.refed || c.ipc?.holding) n++;
    return n;
  }

  /** Starts an asynchronous child; its output, end and stdin room reach the guest through `deliver`. */
  spawn(req: ChildRequest, deliver: ChildDeliver): number {
    const stdin = req.stdio[0] === 'pipe' ? new StdinSource(this.kernel.stdinCapacity) : null;
    const pending: Record<StreamName, Uint8Array[]> = { stdout: [], stderr: [] };
    let scheduled = false;
    let pid = 0;
    const flush = () => {
      scheduled = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream].length === 0) continue;
        // A worker's writes reach its Worker's stream one chunk each, as Node's worker stdio
        // passes them; a process's are coalesced, as a pipe read would be.
        const pieces = req.worker ? pending[stream].splice(0) : [Buffer.concat(pending[stream].splice(0))];
        for (const all of pieces) {
          for (let at = 0; at < all.byteLength; at += DELIVER_CHUNK_BYTES) deliver(pid, stream, new Uint8Array(all.subarray(at, at + DELIVER_CHUNK_BYTES)));
        }
      }
    };
    const piped: OutputSink = {
      write: (stream, data) => {
        pending[stream].push(new Uint8Array(data));
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
    };
    const output = this.outputFor(req.stdio, piped);
    const channel = req.ipc ? ipcChannel(this.kernel.ipcBudget) : undefined;
    let proc: GuestProcess;
    try {
      proc = this.kernel.startForJs(this.parent, req, { stdin: this.stdinFor(req.stdio[0], stdin), output, ...(channel ? { ipc: channel.child } : {}) });
    } catch (err) {
      channel?.child.close();
      channel?.parent.close();
      throw err;
    }
    pid = proc.pid;
    this.running.set(pid, { proc, stdin, refed: true, worker: req.worker, ...(channel ? { ipc: channel.parent } : {}) });
    channel?.parent.attach((batch) => deliver(pid, 'ipc', batch) || undefined);
    void proc.exited.then(async (exit) => {
      // Its end goes with it (a WASM child never had it attached); what it sent, and the
      // channel's end, reach the parent before its exit, as Node reads them off the pipe first.
      channel?.child.close();
      if (channel) await channel.parent.settled();
      flush();
      this.running.delete(pid);
      deliver(pid, 'exit', nodeExit(exit));
    });
    return pid;
  }

  /** Bytes for a child's stdin: false when its buffer is full ('drain' follows once the child reads). */
  write(pid: unknown, data: unknown, deliver: ChildDeliver): boolean {
    const child = this.child(pid);
    if (!child.stdin || !(data instanceof Uint8Array)) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    if (child.stdin.write(data)) return true;
    if (child.stdin.isClosed) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    void Promise.race([child.stdin.drained(), child.proc.exited]).then(() => deliver(child.proc.pid, 'drain', null));
    return false;
  }

  /** An IPC message to the child (child.send): false past Node's backpressure threshold. */
  send(pid: unknown, message: unknown): boolean {
    const end = this.running.get(pid as number)?.ipc;
    if (!end) throw channelClosed();
    return end.send(message as IpcMessage);
  }

  /** child.disconnect(): the child sees the channel's end once it has read what was sent. */
  disconnect(pid: unknown): void {
    this.running.get(pid as number)?.ipc?.close();
  }

  /** child.channel.ref()/unref(): whether the channel keeps the parent alive. */
  channelRef(pid: unknown, refed: unknown): void {
    const end = this.running.get(pid as number)?.ipc;
    if (end) end.refed = refed === true;
  }

  /** The parent has ended: its children see their channels end. */
  closeChannels(): void {
    for (const c of this.running.values()) c.ipc?.close();
  }

  /** A threadId for a Worker this process starts (unique in its process tree, as in a Node process). */
  threadId(): number {
    return this.kernel.nextThreadId(this.parent.rootPid);
  }

  /** The parent has ended: its workers end with it (Node stops a process's threads when it exits). */
  endWorkers(): void {
    for (const c of this.running.values()) if (c.worker) c.proc.kill('SIGKILL');
  }

  endStdin(pid: unknown): void {
    this.running.get(pid as number)?.stdin?.close();
  }

  kill(pid: unknown, signal: unknown): boolean {
    const child = this.running.get(pid as number);
    if (!child || typeof signal !== 'string' || signalNumber(signal) === 0) return false;
    signalChild(child.proc, signal);
    return true;
  }

  ref(pid: unknown, refed: unknown): void {
    const child = this.running.get(pid as number);
    if (child) child.refed = refed === true;
  }

  /**
   * Runs a child to its end (spawnSync): `input` as its stdin, its piped output kept up to
   * `maxBuffer` a stream (past it: killed, ENOBUFS), killed with `killSignal` after
   * `timeoutMs` (ETIMEDOUT), as Node's spawnSync does.
   */
  async runSync(req: ChildRequest, input: Uint8Array | null, timeoutMs: number, maxBuffer: number, killSignal: string): Promise<SyncResult> {
    const kept: Record<StreamName, Uint8Array[]> = { stdout: [], stderr: [] };
    const sizes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
    let error: string | undefined;
    let proc: GuestProcess | undefined;
    const stop = (why: string) => {
      if (error === undefined) error = why;
      if (proc) signalChild(proc, killSignal);
    };
    const piped: OutputSink = {
      write: (stream, data) => {
        const room = maxBuffer - sizes[stream];
        if (data.byteLength > room) {
          if (room > 0) kept[stream].push(new Uint8Array(data.subarray(0, room)));
          sizes[stream] = maxBuffer;
          stop('ENOBUFS');
          return;
        }
        sizes[stream] += data.byteLength;
        kept[stream].push(new Uint8Array(data));
      },
    };
    const stdin = req.stdio[0] === 'pipe' ? StdinSource.of(input ?? new Uint8Array(0), Math.max(this.kernel.stdinCapacity, input?.byteLength ?? 0)) : null;
    // A job runs in the daemon, not on a guest call: it waits for an `ask` answer itself.
    proc = await this.parent.permits.settle(() => this.kernel.startForJs(this.parent, req, { stdin: this.stdinFor(req.stdio[0], stdin), output: this.outputFor(req.stdio, piped) }));
    const timer = timeoutMs > 0 ? setTimeout(() => stop('ETIMEDOUT'), timeoutMs) : undefined;
    const exit = await proc.exited;
    clearTimeout(timer);
    const { code, signal } = nodeExit(exit);
    return {
      pid: proc.pid,
      status: code,
      signal,
      stdout: Buffer.concat(kept.stdout),
      stderr: Buffer.concat(kept.stderr),
      ...(error ? { error } : {}),
    };
  }

  private stdinFor(mode: Stdio, piped: StdinSource | null): StdinSource {
    if (mode === 'inherit') return this.parent.stdin;
    return piped ?? StdinSource.of(new Uint8Array(0), 0);
  }

  private outputFor(stdio: ChildRequest['stdio'], piped: OutputSink): OutputSink {
    const route = (mode: Stdio): OutputSink | null => (mode === 'pipe' ? piped : mode === 'inherit' ? this.parent.inheritedOutput : null);
    const out = route(stdio[1]);
    const err = route(stdio[2]);
    return { write: (stream, data) => (stream === 'stdout' ? out : err)?.write(stream, data) };
  }

  private child(pid: unknown): Running {
    const child = this.running.get(pid as number);
    if (!child) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    return child;
  }
}
