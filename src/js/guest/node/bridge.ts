import { block, hooks, unwrap } from '../hooks.js';

/**
 * Calls into what the daemon does for Node's builtins (src/js/node-host/node-calls.ts):
 * `nodeCall` for a small synchronous step, `nodeJob` for work the guest waits on while
 * it runs off the daemon's thread (a synchronous child, a key derivation).
 */
export function nodeCall<T>(op: string, args: unknown[]): T {
  return unwrap<T>(hooks.node(op, args));
}

type Sizes = { callMaxBytes: number };
let sizes: Sizes | undefined;

/** The most input one call may carry (NODE_CALL_MAX_BYTES): larger inputs go in pieces of this. */
export function callMaxBytes(): number {
  return (sizes ??= nodeCall<Sizes>('lists', [])).callMaxBytes;
}

export function nodeJob<T>(kind: string, args: unknown[]): T {
  const id = nodeCall<number>('job', [kind, args]);
  block('job', id);
  return nodeCall<T>('jobResult', [id]);
}

/** Node's `errno` numbers (negative, as libuv gives them) for the codes the daemon reports. */
export const UV_ERRNO: Record<string, number> = {
  E2BIG: -7, EACCES: -13, EAGAIN: -11, EBADF: -9, EINVAL: -22, EISDIR: -21, ENOBUFS: -105, ENOENT: -2, ENOEXEC: -8,
  ENOSYS: -38, ENOTDIR: -20, EPERM: -1, EPIPE: -32, ESRCH: -3, ETIMEDOUT: -110,
};
