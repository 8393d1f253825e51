/**
 * node:worker_threads' Worker, as another JS process of the same VM: the daemon starts it as
 * it starts a forked child (counted against the VM's process limits, ended when its parent
 * ends), with an IPC channel for postMessage and the marker (worker-wire.ts) that makes its
 * runtime start in worker mode. Events come in Node's order: 'online', the messages,
 * 'error' for an uncaught exception, then 'exit' with the exit code.
 */
import { nodeLibBundle } from '../node-lib-loader.js';
import { nodeCall } from './bridge.js';
import { onChildEvent } from './child-events.js';
import { ChildWritable } from './child-stdio.js';
import { nodeRequire } from './internal.js';
import { environmentData } from './environment-data.js';
import { messaging } from './message-channel.js';
import { PortChannel } from './port-relay.js';
import { decode, encode, encodeData, errorFromWire, WORKER_MARKER, type WorkerSetup } from './worker-wire.js';

export const SHARE_ENV = Symbol.for('nodejs.worker_threads.SHARE_ENV');

interface Proc {
  env: Record<string, string | undefined>;
  execArgv: string[];
  cwd(): string;
  nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void;
  emitWarning(message: string, type: string, code: string): void;
  stdout: { write(chunk: unknown): boolean };
  stderr: { write(chunk: unknown): boolean };
}
const proc = () => (globalThis as unknown as { process: Proc }).process;
const codes = () => nodeRequire('internal/errors').codes;
/** A Worker ended by terminate() (SIGKILL to its process) exits with 1, as Node's does. */
const TERMINATED_EXIT_CODE = 1;

interface NodeEmitter {
  emit(event: string, ...args: unknown[]): boolean;
  removeAllListeners(event?: string): unknown;
}

/** Node's checks of a Worker's filename: a string path (absolute, or ./ or ../), a file: URL, or the code itself. */
function resolveFilename(filename: unknown, isEval: boolean): string {
  const url = filename as { href?: unknown; protocol?: unknown };
  const isUrl = filename !== null && typeof filename === 'object' && typeof url.href === 'string' && typeof url.protocol === 'string';
  if (isUrl) {
    if (isEval) throw new (codes().ERR_INVALID_ARG_VALUE)('options.eval', true, 'must be false when \'filename\' is not a string');
    if (url.protocol !== 'file:') throw new (codes().ERR_INVALID_URL_SCHEME)(['file', 'data']);
    return (nodeRequire('url') as { fileURLToPath(u: unknown): string }).fileURLToPath(filename);
  }
  if (typeof filename !== 'string') throw new (codes().ERR_INVALID_ARG_TYPE)('filename', ['string', 'URL'], filename);
  if (isEval) return filename;
  const path = nodeRequire('path') as { isAbsolute(p: string): boolean; resolve(...p: string[]): string };
  if (!path.isAbsolute(filename) && !/^\.\.?[\\/]/.test(filename)) throw new (codes().ERR_WORKER_PATH)(filename);
  return path.resolve(filename);
}

/** Whether `file` names a main module as Node's loader finds one (as given, with an extension, or a directory's index). */
function mainExists(file: string): boolean {
  const fs = nodeRequire('fs') as { statSync(p: string, o: object): { isFile(): boolean } | undefined };
  const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;
  return [file, `${file}.js`, `${file}.json`, `${file}.mjs`, `${file}.cjs`, `${file}/index.js`].some(isFile) || fs.statSync(`${file}/package.json`, { throwIfNoEntry: false }) !== undefined;
}

function envFor(option: unknown): Record<string, string> {
  const source = (option === undefined || option === null || option === SHARE_ENV ? proc().env : option) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const key of Object.keys(source)) if (source[key] !== undefined) env[key] = String(source[key]);
  return env;
}

const base = () => (nodeLibBundle().nodeLib('events') as { EventEmitter: new () => object }).EventEmitter;
let WorkerClass: (new (filename: unknown, options?: unknown) => object) | undefined;

/** The Worker class (made on first use: it extends Node's EventEmitter from the lib bundle). */
export function workerClass(): new (filename: unknown, options?: unknown) => object {
  if (WorkerClass) return WorkerClass;
  const { Readable } = nodeRequire('stream') as { Readable: new (o: object) => { push(c: unknown): boolean; pipe(d: unknown, o: object): unknown } };

  class Worker extends base() {
    #pid: number | null = null;
    #channel: PortChannel;
    #threadId: number;
    #refed = true;
    #exited = false;
    #exitWaiters: Array<(code: number) => void> = [];
    #resourceLimits: Record<string, number>;
    readonly stdin: ChildWritable | null = null;
    readonly stdout: InstanceType<typeof Readable>;
    readonly stderr: InstanceType<typeof Readable>;
    performance = { eventLoopUtilization: () => ({ idle: 0, active: 0, utilization: 0 }) };

    constructor(filename: unknown, options: unknown = {}) {
      super();
      const { validateObject, validateArray } = nodeRequire('internal/validators');
      validateObject(options, 'options');
      const o = options as Record<string, unknown>;
      const isEval = o.eval === true;
      const file = resolveFilename(filename, isEval);
      if (o.argv !== undefined) validateArray(o.argv, 'options.argv');
      if (o.execArgv !== undefined) validateArray(o.execArgv, 'options.execArgv');
      if (o.env !== undefined && o.env !== null && o.env !== SHARE_ENV && typeof o.env !== 'object') {
        throw new (codes().ERR_INVALID_ARG_TYPE)('options.env', ['Object', 'undefined', 'null', 'worker_threads.SHARE_ENV'], o.env);
      }
      if (o.resourceLimits !== undefined) validateObject(o.resourceLimits, 'options.resourceLimits');
      if (o.name !== undefined) nodeRequire('internal/validators').validateString(o.name, 'options.name');
      this.#resourceLimits = limitsOf(o.resourceLimits);
      this.#threadId = nodeCall<number>('cp.threadId', []);
      const self = this as unknown as NodeEmitter;
      this.#channel = new PortChannel(
        { send: (bytes) => this.#send(bytes), ref: () => {} },
        encode,
        `p${this.#threadId}`,
        (value) => self.emit('message', value),
      );
      const { ports } = messaging().checkTransfer(null, o.transferList);
      const setup: WorkerSetup = {
        threadId: this.#threadId,
        eval: isEval,
        data: encodeData(this.#channel.pack(o.workerData, ports)),
        environment: encodeData(this.#channel.pack([...environmentData], [])),
        argv: ((o.argv as unknown[] | undefined) ?? []).map((a) => String(a)),
        execArgv: ((o.execArgv as unknown[] | undefined) ?? proc().execArgv).map((a) => String(a)),
        name: typeof o.name === 'string' ? o.name : '',
        resourceLimits: this.#resourceLimits,
        stdin: o.stdin === true,
        pwd: false,
      };
      const given = envFor(o.env);
      setup.pwd = 'PWD' in given;
      const env = { ...given, [WORKER_MARKER]: JSON.stringify(setup) };
      const args = isEval ? ['-e', file, ...setup.argv] : [file, ...setup.argv];
      this.stdout = new Readable({ read() {} });
      this.stderr = new Readable({ read() {} });
      if (o.stdout !== true) this.stdout.pipe(proc().stdout, { end: false });
      if (o.stderr !== true) this.stderr.pipe(proc().stderr, { end: false });
      if (!isEval && !mainExists(file)) {
        // As Node's worker reports a main module it cannot find: 'error', then 'exit' with 1.
        const err = Object.assign(new Error(`Cannot find module '${file}'`), { code: 'MODULE_NOT_FOUND', requireStack: [] });
        proc().nextTick(() => {
          self.emit('error', err);
          this.#ended({ code: 1, signal: null });
        });
        return;
      }
      let pid: number;
      try {
        pid = nodeCall<number>('cp.spawn', [{ file: 'node', args, env, cwd: proc().cwd(), stdio: [o.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'], ipc: true, worker: true }]);
      } catch (err) {
        // As Node reports a thread it could not start (the VM's process limit here): 'error'
        // with ERR_WORKER_INIT_FAILED, then 'exit' with 1.
        const e = err as { code?: string; message?: string };
        const failure = new (codes().ERR_WORKER_INIT_FAILED)(e.message ?? e.code ?? 'unknown');
        proc().nextTick(() => {
          self.emit('error', failure);
          this.#ended({ code: 1, signal: null });
        });
        return;
      }
      this.#pid = pid;
      if (o.stdin === true) (this as { stdin: ChildWritable | null }).stdin = new ChildWritable((data) => nodeCall<boolean>('cp.write', [pid, data]), () => nodeCall('cp.end', [pid]));
      onChildEvent(pid, (kind, data) => {
        if (kind === 'ipc') this.#received(data as Uint8Array[] | null);
        else if (kind === 'stdout') this.stdout.push(data);
        else if (kind === 'stderr') this.stderr.push(data);
        else if (kind === 'drain') this.stdin?.drained();
        else if (kind === 'exit') this.#ended(data as { code: number | null; signal: string | null });
      });
      // As Node, once the thread is started: process 'worker' with the Worker.
      (globalThis as unknown as { process: NodeEmitter }).process.emit('worker', this);
    }

    #received(batch: Uint8Array[] | null): void {
      if (batch === null) return;
      const self = this as unknown as NodeEmitter;
      for (const bytes of batch) {
        proc().nextTick(() => {
          if (this.#exited) return;
          let envelope;
          try {
            envelope = decode(bytes);
          } catch (err) {
            self.emit('messageerror', err);
            return;
          }
          if (envelope.t === 'online') self.emit('online');
          else if (envelope.t === 'port' || envelope.t === 'portClose') this.#channel.receive(envelope);
          else if (envelope.t === 'error') self.emit('error', errorFromWire(envelope.e));
        });
      }
    }

    #ended({ code, signal }: { code: number | null; signal: string | null }): void {
      const self = this as unknown as NodeEmitter;
      const exitCode = signal ? TERMINATED_EXIT_CODE : (code ?? TERMINATED_EXIT_CODE);
      this.#exited = true;
      this.#pid = null;
      this.#channel.closeAll();
      (this.stdin as { gone?: () => void } | null)?.gone?.();
      this.stdout.push(null);
      this.stderr.push(null);
      self.removeAllListeners('message');
      self.removeAllListeners('messageerror');
      for (const resolve of this.#exitWaiters.splice(0)) resolve(exitCode);
      self.emit('exit', exitCode);
      self.removeAllListeners();
    }

    postMessage(value: unknown, transferList?: unknown): void {
      if (arguments.length === 0) throw new (codes().ERR_MISSING_ARGS)('message');
      this.#channel.postMain(value, transferList);
    }

    #send(bytes: Uint8Array): void {
      if (this.#pid === null) return;
      try {
        nodeCall<boolean>('cp.send', [this.#pid, bytes]);
      } catch (err) {
        // The worker has ended (its channel closed): Node drops a message to a gone port.
        if ((err as { code?: string }).code === 'ENOBUFS') throw err;
      }
    }

    terminate(callback?: unknown): Promise<number | undefined> {
      if (typeof callback === 'function') {
        proc().emitWarning('Passing a callback to worker.terminate() is deprecated. It returns a Promise instead.', 'DeprecationWarning', 'DEP0132');
        (this as unknown as { once(e: string, f: (c: number) => void): void }).once('exit', (code) => (callback as (e: null, c: number) => void)(null, code));
      }
      if (this.#pid === null) return Promise.resolve(undefined);
      const waiting = new Promise<number>((resolve) => this.#exitWaiters.push(resolve));
      // Its end is awaited: an unref'd worker keeps the parent alive until it has ended.
      nodeCall('cp.ref', [this.#pid, true]);
      nodeCall('cp.kill', [this.#pid, 'SIGKILL']);
      return waiting;
    }

    hasRef(): boolean {
      return this.#pid !== null && this.#refed;
    }

    ref(): void {
      if (this.#pid === null) return;
      this.#refed = true;
      nodeCall('cp.ref', [this.#pid, true]);
      nodeCall('cp.channelRef', [this.#pid, true]);
    }

    unref(): void {
      if (this.#pid === null) return;
      this.#refed = false;
      nodeCall('cp.ref', [this.#pid, false]);
      nodeCall('cp.channelRef', [this.#pid, false]);
    }

    get threadId(): number {
      return this.#pid === null ? -1 : this.#threadId;
    }

    get resourceLimits(): Record<string, number> {
      return this.#exited ? {} : { ...this.#resourceLimits };
    }

    getHeapSnapshot(): Promise<never> {
      return Promise.reject(Object.assign(new Error('worker.getHeapSnapshot() is not available in the sandbox'), { code: 'ERR_NOT_SUPPORTED' }));
    }
  }
  WorkerClass = Worker as never;
  return WorkerClass!;
}

const LIMIT_KEYS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;
/** Node's defaults where a limit is not given (V8's own figures for a 64-bit isolate). */
const LIMIT_DEFAULTS: Record<string, number> = { maxYoungGenerationSizeMb: 48, maxOldGenerationSizeMb: 2048, codeRangeSizeMb: 0, stackSizeMb: 4 };

function limitsOf(option: unknown): Record<string, number> {
  const given = (option ?? {}) as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const key of LIMIT_KEYS) {
    const v = given[key];
    out[key] = typeof v === 'number' && v > 0 ? v : LIMIT_DEFAULTS[key]!;
  }
  return out;
}
