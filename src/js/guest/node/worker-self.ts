/**
 * A worker's side of worker_threads: when the parent's marker (worker-wire.ts) is in the
 * environment, the runtime starts in worker mode (as Node's worker_thread main does):
 * `isMainThread` false, `parentPort` joined to the Worker object in the parent, `workerData`,
 * `threadId`, argv and execArgv as the Worker's options gave them; 'online' goes to the
 * parent before the main program runs, and an exception nothing caught goes to it as the
 * Worker's 'error' event before the worker exits with 1.
 */
import { nodeCall } from './bridge.js';
import { onChildEvent } from './child-events.js';
import type { Port } from './message-channel.js';
import { environmentData } from './environment-data.js';
import { PortChannel } from './port-relay.js';
import { decode, decodeData, encode, errorToWire, WORKER_MARKER, type WorkerSetup } from './worker-wire.js';

/** The pid the daemon's deliveries for the channel to the parent carry. */
const PARENT_CHANNEL = 0;

export interface WorkerSelf {
  threadId: number;
  parentPort: Port;
  workerData: unknown;
  resourceLimits: Record<string, number>;
  name: string;
}

let self: WorkerSelf | undefined;
/** What preMain finishes (setup may not call out; making ports loads Node's event_target). */
let start: (() => void) | undefined;

/** This process's worker state; undefined in a main thread. */
export function workerSelf(): WorkerSelf | undefined {
  return self;
}

/** Worker mode, when the marker says so. */
export function setupWorkerSelf(proc: Record<string, any>): boolean {
  const env = proc.env as Record<string, string | undefined>;
  const raw = env[WORKER_MARKER];
  if (raw === undefined) return false;
  delete env[WORKER_MARKER];
  const setup = JSON.parse(raw) as WorkerSetup;
  // The daemon gives every process PWD; a worker's env is what its parent gave it.
  if (!setup.pwd) delete env.PWD;
  const argv = proc.argv as string[];
  // `node -e CODE args...` leaves argv as [node, args...]; Node's eval worker shows `[worker eval]`.
  if (setup.eval) argv.splice(1, 0, '[worker eval]');
  proc.execArgv = setup.execArgv;
  disableInWorker(proc);
  const tick = (proc.nextTick as (fn: () => void) => void).bind(proc);
  let port: Port | undefined;
  const channel = new PortChannel(
    { send: (bytes) => nodeCall<boolean>('ipc.send', [bytes]), ref: (refed) => nodeCall('ipc.ref', [refed]) },
    encode,
    `w${proc.pid as number}`,
    (value, ports) => port?.enqueue(value, ports),
  );
  let data: unknown;
  start = () => {
    port = channel.mainPort();
    const packed = decodeData(setup.data);
    data = channel.unpack(packed.d, packed.ids).value;
    for (const [key, value] of decodeData(setup.environment).d as Array<[unknown, unknown]>) environmentData.set(key, value);
  };
  self = {
    threadId: setup.threadId,
    get parentPort() {
      return port!;
    },
    get workerData() {
      return data;
    },
    resourceLimits: setup.resourceLimits,
    name: setup.name,
  };
  onChildEvent(PARENT_CHANNEL, (kind, batch) => {
    if (kind !== 'ipc') return;
    if (batch === null) return tick(() => channel.closeAll());
    for (const bytes of batch as Uint8Array[]) {
      tick(() => {
        const envelope = decode(bytes);
        if (envelope.t === 'port' || envelope.t === 'portClose') channel.receive(envelope);
      });
    }
  });
  return true;
}

/** What a worker may not do to its process, as Node's worker bootstrap stubs it out. */
function disableInWorker(proc: Record<string, any>): void {
  const unsupported = (what: string) => Object.assign(new TypeError(`${what} is not supported in workers`), { code: 'ERR_WORKER_UNSUPPORTED_OPERATION' });
  for (const name of ['abort', 'chdir', 'send', 'disconnect', 'setuid', 'seteuid', 'setgid', 'setegid', 'setgroups', 'initgroups']) {
    const stub = () => {
      throw unsupported(`process.${name}()`);
    };
    stub.disabled = true;
    proc[name] = stub;
  }
  const umask = proc.umask as (mask?: unknown) => number;
  proc.umask = (mask?: unknown) => {
    if (mask !== undefined) throw unsupported('Setting process.umask()');
    return umask.call(proc);
  };
  for (const name of ['channel', 'connected']) {
    Object.defineProperty(proc, name, { get: () => { throw unsupported(`process.${name}`); }, enumerable: false, configurable: true });
  }
  for (const name of ['_startProfilerIdleNotifier', '_stopProfilerIdleNotifier', '_debugProcess', '_debugPause', '_debugEnd']) delete proc[name];
  // Read-only in a worker: setting them changes nothing.
  for (const name of ['title', 'debugPort']) {
    const value = proc[name] as unknown;
    Object.defineProperty(proc, name, { get: () => value, set: () => {}, enumerable: true, configurable: true });
  }
}

/** Before the main program: the ports and workerData, and the parent's 'online'. */
export function announceOnline(): void {
  if (!self || !start) return;
  start();
  start = undefined;
  nodeCall('ipc.send', [encode({ t: 'online' })]);
}

/** An exception nothing caught, for the parent's 'error' event; false in a main thread. */
export function reportUncaught(err: unknown): boolean {
  if (!self) return false;
  try {
    nodeCall('ipc.send', [encode({ t: 'error', e: errorToWire(err) })]);
  } catch {
    // The parent is gone: nobody to tell.
  }
  return true;
}
