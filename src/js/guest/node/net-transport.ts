/**
 * The one seam between the guest's `net` module and a network: a transport opens handles
 * that connect, listen, write, read and close. Until the VM has a network broker (issue 12),
 * the transport is a firewall that refuses everything: connect fails with ECONNREFUSED and
 * listen with EACCES, answered asynchronously as a kernel would, so `net` reports them through
 * its ordinary 'error' path. The broker plugs in with setNetTransport without touching net.ts.
 */
export type Endpoint = { address: string; port: number; family: 4 | 6 };

export interface NetHandle {
  /** Calls `done` later with null (connected, with the local end) or an errno code ('ECONNREFUSED'). */
  connect(remote: Endpoint, done: (code: string | null, local?: Endpoint) => void): void;
  /** Binds and listens; returns an errno code at once, or null and then calls onConnection per peer. */
  listen(local: Endpoint, backlog: number, onConnection: (peer: NetHandle, remote: Endpoint) => void): string | null;
  write(data: Uint8Array, done: (code: string | null) => void): void;
  /** Starts delivering data; null means the peer ended its side. */
  readStart(onData: (chunk: Uint8Array | null) => void): void;
  readStop(): void;
  shutdown(done: (code: string | null) => void): void;
  close(): void;
  /** The bound local end once listening or connected. */
  local(): Endpoint | undefined;
}

export interface NetTransport {
  open(): NetHandle;
}

/** The guest's timer globals (the guest tsconfig has no lib that declares them). */
const timers = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };

class DeniedHandle implements NetHandle {
  connect(_remote: Endpoint, done: (code: string | null) => void) {
    timers.setTimeout(() => done('ECONNREFUSED'), 0);
  }
  listen() {
    return 'EACCES';
  }
  write(_data: Uint8Array, done: (code: string | null) => void) {
    timers.setTimeout(() => done('EPIPE'), 0);
  }
  readStart() {}
  readStop() {}
  shutdown(done: (code: string | null) => void) {
    timers.setTimeout(() => done(null), 0);
  }
  close() {}
  local() {
    return undefined;
  }
}

/** No network: every connection refused, every listen denied. */
export const deniedTransport: NetTransport = { open: () => new DeniedHandle() };

let current: NetTransport = deniedTransport;
export const netTransport = () => current;
export function setNetTransport(transport: NetTransport): void {
  current = transport;
}
