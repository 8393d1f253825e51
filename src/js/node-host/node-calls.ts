/**
 * The `node` hook of a guest JS process: Node builtins the daemon does for the guest
 * (crypto, zlib, child_process), one small call each, and jobs the guest blocks on (a
 * synchronous child, a key derivation) run off the daemon's thread. Every argument comes
 * from guest code.
 */
import { AskPending } from '../../permissions/process-permits.js';
import type { HookResult } from '../../process/hook-result.js';
import { cryptoCall, cryptoJob, type CryptoBounds, type CryptoState } from './crypto-calls.js';
import { CryptoKeys, keyJob } from './crypto-keys.js';
import { Handles } from './handles.js';
import { checkChildRequest, spawnFailure, type ChildDeliver, type JsChildren, type SyncResult } from './js-children.js';
import { tlsInfo } from './tls-info.js';
import { ZlibCalls, type ZlibBounds, type ZlibState } from './zlib-calls.js';

export interface NodeBounds extends CryptoBounds, ZlibBounds {
  handles: number;
}

type Job = { run: () => Promise<unknown>; charged: boolean; done?: HookResult };

export class NodeCalls {
  private readonly crypto: Handles<CryptoState>;
  private readonly zlib: ZlibCalls;
  private readonly keys: CryptoKeys;
  private readonly jobs = new Map<number, Job>();
  private nextJob = 1;

  constructor(
    private readonly bounds: NodeBounds,
    private readonly children: JsChildren | undefined,
    private readonly deliver: ChildDeliver,
    /** Time a job took off the daemon's thread, charged to the process as CPU time. */
    private readonly charge: (ms: number) => void,
  ) {
    const onFull = (observed: number, capacity: number) => bounds.onLimit('node_handles_per_process', observed, capacity, 'AGENTOS_NODE_HANDLES_PER_PROCESS');
    this.crypto = new Handles(bounds.handles, onFull);
    this.keys = new CryptoKeys(this.crypto, bounds);
    this.zlib = new ZlibCalls(new Handles<ZlibState>(bounds.handles, onFull), bounds);
  }

  call(op: unknown, args: unknown): HookResult {
    if (typeof op !== 'string' || !Array.isArray(args)) return { err: { message: 'invalid node call', code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' } };
    try {
      return { ok: this.dispatch(op, args) };
    } catch (err) {
      if (err instanceof AskPending) throw err;
      return { err: shapeOf(err) };
    }
  }

  private dispatch(op: string, args: unknown[]): unknown {
    if (op.startsWith('zb.')) return this.zlib.call(op, args);
    if (op.startsWith('cp.')) return this.childCall(op, args);
    if (op === 'tls.info') return tlsInfo();
    if (op === 'job') return this.stage(args);
    if (op === 'jobResult') {
      const job = this.jobs.get(args[0] as number);
      if (!job?.done) throw Object.assign(new Error('no such finished job'), { code: 'ERR_INVALID_STATE' });
      this.jobs.delete(args[0] as number);
      if ('err' in job.done) throw Object.assign(new Error(job.done.err.message), job.done.err);
      return job.done.ok;
    }
    if (op.startsWith('k.')) return this.keys.call(op, args);
    return cryptoCall(op, args, this.crypto, this.bounds);
  }

  private childCall(op: string, args: unknown[]): unknown {
    const children = this.children;
    if (!children) throw Object.assign(new Error('this process cannot start processes'), { code: 'ENOSYS' });
    switch (op) {
      case 'cp.spawn': {
        const req = checkChildRequest(args[0]);
        try {
          return children.spawn(req, this.deliver);
        } catch (err) {
          // The host must be asked first: the guest waits and calls again (process-permits.ts).
          if (err instanceof AskPending) throw err;
          throw Object.assign(new Error(), spawnFailure(err, req.file));
        }
      }
      case 'cp.write':
        return children.write(args[0], args[1], this.deliver);
      case 'cp.end':
        children.endStdin(args[0]);
        return null;
      case 'cp.kill':
        return children.kill(args[0], args[1]);
      case 'cp.ref':
        children.ref(args[0], args[1]);
        return null;
      case 'cp.send':
        return children.send(args[0], args[1]);
      case 'cp.disconnect':
        children.disconnect(args[0]);
        return null;
      case 'cp.threadId':
        return children.threadId();
      case 'cp.channelRef':
        children.channelRef(args[0], args[1]);
        return null;
      default:
        throw Object.assign(new Error(`unknown child_process call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  /** Checks a job's arguments now (a bad one throws at once, as Node's sync forms do); `runJob` runs it. */
  private stage(args: unknown[]): number {
    // The runtime blocks on a job as soon as it stages it: one is all a process has, and
    // one left behind (its result never collected) goes when the next is staged.
    this.jobs.clear();
    const [kind, jobArgs] = args;
    if (typeof kind !== 'string' || !Array.isArray(jobArgs)) throw Object.assign(new TypeError('invalid job'), { code: 'ERR_INVALID_ARG_TYPE' });
    let run: () => Promise<unknown>;
    if (kind === 'spawnSync') {
      const children = this.children;
      if (!children) throw Object.assign(new Error('this process cannot start processes'), { code: 'ENOSYS' });
      const req = checkChildRequest(jobArgs[0]);
      const o = (typeof jobArgs[1] === 'object' && jobArgs[1] !== null ? jobArgs[1] : {}) as Record<string, unknown>;
      const input = o.input instanceof Uint8Array ? o.input : null;
      const timeout = typeof o.timeout === 'number' && o.timeout > 0 ? o.timeout : 0;
      const maxBuffer = typeof o.maxBuffer === 'number' && o.maxBuffer >= 0 ? o.maxBuffer : 1024 * 1024;
      const killSignal = typeof o.killSignal === 'string' ? o.killSignal : 'SIGTERM';
      run = async (): Promise<SyncResult | { spawnError: ReturnType<typeof spawnFailure> }> => {
        try {
          return await children.runSync(req, input, timeout, maxBuffer, killSignal);
        } catch (err) {
          return { spawnError: spawnFailure(err, req.file) };
        }
      };
    } else if (kind === 'k.job') {
      run = keyJob(jobArgs, this.keys, this.bounds);
    } else {
      run = cryptoJob(kind, jobArgs, this.bounds);
    }
    const id = this.nextJob++;
    // A child's time is its own; a key derivation's is the guest's.
    this.jobs.set(id, { run, charged: kind !== 'spawnSync' });
    return id;
  }

  /** Runs a staged job to its end (the guest blocks meanwhile); its result waits for `jobResult`. */
  async runJob(id: unknown): Promise<void> {
    const job = this.jobs.get(id as number);
    if (!job || job.done) return;
    const started = performance.now();
    try {
      job.done = { ok: await job.run() };
    } catch (err) {
      job.done = { err: shapeOf(err) };
    }
    if (job.charged) this.charge(performance.now() - started);
  }

  dispose(): void {
    this.crypto.clear((state) => CryptoKeys.release(state, this.bounds));
    this.zlib.dispose();
    this.jobs.clear();
  }
}

/** A thrown error as the guest gets it: Node's message, code and class. */
function shapeOf(err: unknown): { message: string; code?: string; name?: string; syscall?: string; path?: string; errno?: number } {
  const e = err as { message?: string; code?: unknown; name?: string; syscall?: string; path?: string; errno?: unknown };
  const name = err instanceof TypeError || e?.name === 'TypeError' ? 'TypeError' : err instanceof RangeError || e?.name === 'RangeError' ? 'RangeError' : undefined;
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(name ? { name } : {}),
    ...(typeof e?.syscall === 'string' ? { syscall: e.syscall } : {}),
    ...(typeof e?.path === 'string' ? { path: e.path } : {}),
    ...(typeof e?.errno === 'number' ? { errno: e.errno } : {}),
  };
}
