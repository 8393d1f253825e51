/**
 * Node's `worker_threads`: a Worker is another JS process of the VM (worker.ts); in it,
 * this module shows the worker's side (worker-self.ts). Environment data and
 * markAsUntransferable work as Node's.
 */
import { SHARE_ENV, workerClass } from './worker.js';
import { workerSelf } from './worker-self.js';
import { messaging } from './message-channel.js';
import { environmentData } from './environment-data.js';

export function createWorkerThreads() {
  const untransferable = new WeakSet<object>();
  const self = workerSelf();
  const g = globalThis as Record<string, unknown>;
  return {
    isMainThread: self === undefined,
    threadId: self?.threadId ?? 0,
    get parentPort() {
      return self ? self.parentPort : null;
    },
    get workerData() {
      return self ? self.workerData : null;
    },
    resourceLimits: self?.resourceLimits ?? {},
    SHARE_ENV,
    get Worker() {
      return workerClass();
    },
    getEnvironmentData: (key: unknown) => environmentData.get(key),
    setEnvironmentData: (key: unknown, value: unknown) => {
      if (value === undefined) environmentData.delete(key);
      else environmentData.set(key, value);
    },
    markAsUntransferable: (value: unknown) => {
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') untransferable.add(value as object);
    },
    isMarkedAsUntransferable: (value: unknown) => ((typeof value === 'object' && value !== null) || typeof value === 'function') && untransferable.has(value as object),
    receiveMessageOnPort: (port: unknown) => messaging().receiveMessageOnPort(port),
    // The web globals, where the runtime has them.
    get MessageChannel() { return g.MessageChannel; },
    get MessagePort() { return g.MessagePort; },
    get BroadcastChannel() { return g.BroadcastChannel; },
  };
}
