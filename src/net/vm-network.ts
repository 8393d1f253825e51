import type { Duplex } from 'node:stream';

/**
 * The contract every guest entry point to the network goes through (guest JS `net`/`dns`/
 * `tls`/`http`/`fetch`, the command binaries' host_net, the protocol's vm/fetch and
 * vm/forward). One object per VM implements it in the daemon: it judges each operation
 * by the VM's network policy (and the address a name resolves to), counts it against the
 * VM's limits, and hands back plain Node streams, so callers never touch a host socket.
 * Failures are NetErrors carrying the errno a real system would give.
 */

/** Who asks: the guest process, for the policy's `ask` round trip and the denial log. */
export interface NetActor {
  readonly pid: number;
  /** The program, for logs (`node`, `curl`). */
  readonly command?: string;
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface ConnectTarget {
  /** A name or a literal address, as the guest wrote it. */
  readonly host: string;
  readonly port: number;
  /** The name is one the guest looked up itself through this VM's network (judged as `dns` then): not judged again. */
  readonly lookedUp?: boolean;
  /** TLS done by the daemon on this connection: the stream carries plaintext. */
  readonly tls?: {
    readonly servername?: string;
    readonly alpnProtocols?: readonly string[];
    /** false only when the guest asked for it (rejectUnauthorized: false, curl -k). */
    readonly rejectUnauthorized?: boolean;
  };
}

export interface ConnectedStream {
  readonly stream: Duplex;
  readonly local: ResolvedAddress & { readonly port: number };
  readonly remote: ResolvedAddress & { readonly port: number };
  /** With tls: the protocol ALPN chose, and the peer certificate's summary. */
  readonly alpnProtocol?: string | false;
  /** With tls: how the handshake went, for the guest's TLSSocket (authorized, getPeerCertificate ...). */
  readonly tls?: TlsOutcome;
}

export interface TlsOutcome {
  /** Whether the peer's certificate verified (false only when the guest asked not to reject). */
  readonly authorized: boolean;
  readonly authorizationError?: string;
  readonly protocol?: string;
  readonly cipher?: { readonly name: string; readonly standardName?: string; readonly version: string };
  /** The peer certificate's summary (names, issuer, validity, fingerprints; no raw key material). */
  readonly peerCertificate?: Readonly<Record<string, unknown>>;
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  close(): void;
}

export interface ListenRequest {
  /** '0.0.0.0', '::', '127.0.0.1' ...: every listen is on the VM's own loopback. */
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly backlog: number;
}

export interface VmNetwork {
  /** A name to addresses: per-VM overrides first, then the daemon's resolver; judged as `dns`. */
  lookup(name: string, family: 0 | 4 | 6, who: NetActor): Promise<ResolvedAddress[]>;
  /** A stream to host:port: another process of this VM if one listens there, else the world, as the policy allows. */
  connect(target: ConnectTarget, who: NetActor): Promise<ConnectedStream>;
  /** Listens on the VM's loopback; each peer arrives as a stream. */
  listen(request: ListenRequest, who: NetActor, onConnection: (peer: ConnectedStream) => void): Promise<Listener>;
  /** Its UDP sockets: the VM's loopback in memory, the world as the policy allows (./udp.ts). */
  readonly udp: import('./udp.js').VmUdp;
}

/** A failure as the guest sees it: an errno code ('ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EMFILE' ...). */
export class NetError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetError';
  }
}
