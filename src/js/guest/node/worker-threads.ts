/**
 * Node's `worker_threads` for the one thread a guest process has: it is the main thread,
 * environment data works, and `new Worker()` fails with a clear error (a VM process runs
 * in one isolate; a worker would need an isolate of its own, not offered yet).
 */
export function createWorkerThreads() {
  const environmentData = new Map<unknown, unknown>();
  const untransferable = new WeakSet<object>();
  class Worker {
    constructor() {
      throw Object.assign(new Error('worker_threads.Worker is not available in the sandbox: a guest process has one thread'), { code: 'ERR_NOT_SUPPORTED' });
    }
  }
  const g = globalThis as Record<string, unknown>;
  return {
    isMainThread: true,
    threadId: 0,
    parentPort: null,
    workerData: null,
    resourceLimits: {},
    SHARE_ENV: Symbol.for('nodejs.worker_threads.SHARE_ENV'),
    Worker,
    getEnvironmentData: (key: unknown) => environmentData.get(key),
    setEnvironmentData: (key: unknown, value: unknown) => {
      if (value === undefined) environmentData.delete(key);
      else environmentData.set(key, value);
    },
    markAsUntransferable: (value: unknown) => {
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') untransferable.add(value as object);
    },
    isMarkedAsUntransferable: (value: unknown) => ((typeof value === 'object' && value !== null) || typeof value === 'function') && untransferable.has(value as object),
    receiveMessageOnPort: (port: { receiveMessageOnPort?: () => unknown }) => port?.receiveMessageOnPort?.(),
    // The web globals, where the runtime has them.
    get MessageChannel() { return g.MessageChannel; },
    get MessagePort() { return g.MessagePort; },
    get BroadcastChannel() { return g.BroadcastChannel; },
  };
}
