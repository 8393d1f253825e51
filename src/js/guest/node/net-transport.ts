/**
 * The one seam between the guest's `net` module and a network: a transport opens handles
 * that connect, listen, write, read and close, and looks names up. The runtime installs the
 * VM's broker (net-broker-transport.ts) when the library bundle loads; the default, a
 * firewall that refuses everything (connect ECONNREFUSED, listen EACCES, names ENOTFOUND,
 * answered asynchronously as a kernel would), is what a bundle without a runtime gets.
 */
export type Endpoint = { address: string; port: number; family: 4 | 6 };

/** A connect target: an address, or a name the daemon resolves and judges (no rebinding). */
export type Remote = Endpoint & { host?: string; tls?: TlsRequest };

/** TLS the daemon does on a connection (guest tls/https/fetch): the guest's stream stays plaintext. */
export type TlsRequest = { servername?: string; alpnProtocols?: string[]; rejectUnauthorized: boolean };
/** What the daemon reports of the handshake. */
export type TlsSessionInfo = { alpnProtocol?: string | false; authorized: boolean; authorizationError?: string; protocol?: string; cipher?: { name: string; standardName?: string; version: string }; peerCertificate?: Record<string, unknown> };

export interface NetHandle {
  /** Calls `done` later with null (connected, with the local end and the address reached) or an errno code ('ECONNREFUSED'). */
  connect(remote: Remote, done: (code: string | null, local?: Endpoint, reached?: Endpoint, tls?: TlsSessionInfo) => void): void;
  /**
   * Binds and listens, then calls onConnection per peer. `done` gets null or an errno code,
   * at once when the policy answers at once (so `server.address()` is right after listen),
   * later when it asks the host.
   */
  listen(local: Endpoint, backlog: number, onConnection: (peer: NetHandle, remote: Endpoint) => void, done: (code: string | null) => void): void;
  /**
   * A Unix domain socket listener at `path` (absolute in the VM, or `\0` and an abstract
   * name): `done` gets null or an errno code at once (EADDRINUSE, EACCES, EROFS ...).
   */
  listenPath(path: string, access: { readableAll: boolean; writableAll: boolean }, onConnection: (peer: NetHandle) => void, done: (code: string | null) => void): void;
  /** Connects to the Unix socket at `path`; `done` comes later with null or an errno code (ENOENT, ECONNREFUSED ...). */
  connectPath(path: string, done: (code: string | null) => void): void;
  write(data: Uint8Array, done: (code: string | null) => void): void;
  /** Starts delivering data; null means the peer ended its side. */
  readStart(onData: (chunk: Uint8Array | null) => void): void;
  readStop(): void;
  shutdown(done: (code: string | null) => void): void;
  close(): void;
  /** The bound local end once listening or connected. */
  local(): Endpoint | undefined;
  /** Whether the handle keeps the process alive (Node's ref/unref). */
  ref(refed: boolean): void;
  /** Set by the socket: an error on an open connection (ECONNRESET, ENOBUFS). */
  onError?: (code: string) => void;
}

/** An error of a TLS session as the daemon reports it (OpenSSL's library and reason with it). */
export type TlsFailure = { code: string; message: string; name?: string; library?: string; reason?: string; function?: string; host?: string };
export interface TlsEvents {
  /** Ciphertext for the guest's stream; null: the session ended its side. */
  cipher(bytes: Uint8Array | null): void;
  /** The session is gone in the daemon: no more ciphertext comes. */
  cipherClose(): void;
  /** The daemon takes ciphertext again after `feed` said to wait. */
  want(): void;
  secure(info: TlsSessionInfo & { servername?: string | false }): void;
  error(err: TlsFailure): void;
}
export interface TlsSession {
  handle: NetHandle;
  feed(bytes: Uint8Array | null): boolean;
}

export interface NetTransport {
  open(): NetHandle;
  /** TLS (done by the daemon) over a stream the guest holds; absent without a network. */
  tlsWrap?(request: unknown, events: TlsEvents): TlsSession;
  /** A name to addresses (dns.lookup): an errno code ('ENOTFOUND') or the addresses. */
  lookup(name: string, family: 0 | 4 | 6, done: (code: string | null, addresses?: { address: string; family: 4 | 6 }[]) => void): void;
}

/** The guest's timer globals (the guest tsconfig has no lib that declares them). */
const timers = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };

class DeniedHandle implements NetHandle {
  connect(_remote: Endpoint, done: (code: string | null) => void) {
    timers.setTimeout(() => done('ECONNREFUSED'), 0);
  }
  listen(_local: Endpoint, _backlog: number, _onConnection: unknown, done: (code: string | null) => void) {
    done('EACCES');
  }
  listenPath(_path: string, _access: unknown, _onConnection: unknown, done: (code: string | null) => void) {
    done('EACCES');
  }
  connectPath(_path: string, done: (code: string | null) => void) {
    timers.setTimeout(() => done('ECONNREFUSED'), 0);
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
  ref() {}
}

/** No network: every connection refused, every listen denied, no name found. */
export const deniedTransport: NetTransport = {
  open: () => new DeniedHandle(),
  lookup: (_name, _family, done) => void timers.setTimeout(() => done('ENOTFOUND'), 0),
};

let current: NetTransport = deniedTransport;
export const netTransport = () => current;
export function setNetTransport(transport: NetTransport): void {
  current = transport;
}
