/**
 * worker_threads' environment data (setEnvironmentData/getEnvironmentData): one map a
 * process; a Worker starts with a copy of its parent's, as Node's does.
 */
export const environmentData = new Map<unknown, unknown>();
