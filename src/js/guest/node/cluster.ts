/**
 * Node's `cluster` as a guest process sees it: always the primary, with no workers. A worker
 * is a forked process joined to the primary by an IPC channel, which VM processes do not have
 * yet (child_process.fork has no `send` either), so `fork()` fails with a clear error
 * instead of starting a process that could never talk back.
 */
export function createCluster(EventEmitter: new () => { emit(name: string, ...args: unknown[]): boolean }) {
  const cluster = new EventEmitter() as Record<string, unknown> & { emit(name: string, ...args: unknown[]): boolean };
  const settings: Record<string, unknown> = {};
  const setupPrimary = (options: Record<string, unknown> = {}) => {
    Object.assign(settings, { args: [], exec: undefined, execArgv: [], silent: false }, settings, options);
    cluster.emit('setup', settings);
  };
  Object.assign(cluster, {
    isPrimary: true,
    isMaster: true,
    isWorker: false,
    workers: {},
    settings,
    SCHED_NONE: 1,
    SCHED_RR: 2,
    schedulingPolicy: 2,
    setupPrimary,
    setupMaster: setupPrimary,
    fork() {
      throw Object.assign(new Error('cluster.fork() is not available in the sandbox: VM processes have no IPC channel'), { code: 'ERR_NOT_SUPPORTED' });
    },
    disconnect(callback?: () => void) {
      if (typeof callback === 'function') queueMicrotask(callback);
    },
  });
  return cluster;
}
