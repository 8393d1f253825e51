/**
 * What Node's cluster primary (vendor/node/lib/internal/cluster/primary.js) uses to share a
 * worker's server: Node's RoundRobinHandle and SharedHandle send the accepted connections or
 * the listening handle to the workers, and a handle cannot cross between processes of a VM.
 * This stand-in for both answers every worker's `listen` at once with ENOTSUP, which the
 * worker's server emits as its 'error' (`bind ENOTSUP`), instead of a listen that never
 * gets a connection.
 */
import { internalBinding } from './bindings.js';

export class UnsharedHandle {
  data: unknown = null;
  private readonly workers = new Set<unknown>();

  constructor(readonly key: string, readonly address: unknown, readonly message: unknown) {}

  add(worker: unknown, send: (errno: number, reply: unknown, handle: unknown) => void): void {
    this.workers.add(worker);
    const { UV_ENOTSUP } = internalBinding('uv') as { UV_ENOTSUP: number };
    (globalThis as unknown as { process: { nextTick(fn: () => void): void } }).process.nextTick(() => send(UV_ENOTSUP, null, null));
  }

  has(worker: unknown): boolean {
    return this.workers.has(worker);
  }

  /** True when no worker is left (the primary forgets the handle then). */
  remove(worker: unknown): boolean {
    this.workers.delete(worker);
    return this.workers.size === 0;
  }
}
