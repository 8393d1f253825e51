/**
 * TLS over a byte stream the guest holds (its own socket, an accepted connection, any Duplex
 * of its own), done by the daemon: a node:tls TLSSocket, client or server, whose transport
 * is a CipherSide. The ciphertext OpenSSL writes goes to the guest (which writes it to its
 * stream); the ciphertext the guest reads from its stream is fed back in. The cleartext side
 * is the TLSSocket itself, which the guest reads and writes as any other daemon socket. As
 * Node's TLSWrap sits on a StreamBase: the guest never holds key material or OpenSSL state.
 */
import { Duplex } from 'node:stream';
import { createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import { tlsOutcome } from './tls-outcome.js';
import type { TlsOutcome } from './vm-network.js';

/** The ciphertext end of a daemon TLSSocket, fed by and drained to the guest. */
export class CipherSide extends Duplex {
  constructor(
    /** Ciphertext for the guest's stream (null: OpenSSL's side ended); settles when the guest took it. */
    private readonly out: (chunk: Buffer | null) => Promise<unknown> | undefined,
    /** OpenSSL wants more ciphertext: the guest may feed again. */
    private readonly want: () => void,
  ) {
    super({ allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const taken = this.out(chunk);
    if (taken) taken.then(() => cb(), () => cb());
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    void this.out(null);
    cb();
  }

  override _read(): void {
    this.full = false;
    this.want();
  }

  /**
   * Ciphertext from the guest's stream (null: it ended); false when the guest should wait for
   * want(). OpenSSL takes it on the next turn: what it makes of it (a handshake's end, an
   * error) must reach the guest as events, never inside the guest's own call.
   */
  feed(bytes: Uint8Array | null): boolean {
    if (this.destroyed || this.readableEnded) return true;
    const chunk = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    this.pending += chunk?.byteLength ?? 0;
    setImmediate(() => {
      this.pending -= chunk?.byteLength ?? 0;
      if (!this.destroyed && !this.readableEnded && !this.push(chunk)) this.full = true;
    });
    return !this.full && this.readableLength + this.pending < this.readableHighWaterMark;
  }

  private pending = 0;
  private full = false;
}

/**
 * Secure contexts one process built, by the guest's number for its SecureContext object, so
 * a server's connections share one (and its session tickets); the oldest goes past `capacity`.
 */
export class ContextCache {
  private readonly built = new Map<number, SecureContext>();
  constructor(private readonly capacity: number) {}

  /** A context for these options; `serial` 0 builds one that is not kept (a client's own). */
  get(serial: number, options: Record<string, unknown>, defaultCa: readonly string[] | undefined): SecureContext {
    const hit = serial > 0 ? this.built.get(serial) : undefined;
    if (hit) {
      this.built.delete(serial);
      this.built.set(serial, hit);
      return hit;
    }
    const given = options.ca !== undefined || options.pfx !== undefined;
    const context = createSecureContext(given || !defaultCa ? options : { ...options, ca: [...rootCertificates, ...defaultCa] });
    if (serial > 0) {
      if (this.built.size >= this.capacity) this.built.delete(this.built.keys().next().value as number);
      this.built.set(serial, context);
    }
    return context;
  }

  drop(serial: number): void {
    this.built.delete(serial);
  }
}

/**
 * What the guest learns when the handshake is done. A server that asked for a certificate
 * judges it as Node's tls.Server does (onServerSocketSecure): the verify error's code, and,
 * when it rejects the unauthorized, the connection ends here (undefined: nothing to tell).
 */
export function secureOutcome(socket: TLSSocket, server: { requestCert: boolean; rejectUnauthorized: boolean } | undefined): (TlsOutcome & { servername?: string | false; alpnProtocol: string | false }) | undefined {
  const { authorized, authorizationError, ...rest } = tlsOutcome(socket);
  let judged: { authorized: boolean; authorizationError?: string } = { authorized, ...(authorizationError ? { authorizationError } : {}) };
  if (server) {
    judged = { authorized: false };
    if (server.requestCert) {
      const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
      const verifyError = handle?.verifyError?.();
      if (verifyError) {
        if (server.rejectUnauthorized) {
          socket.destroy();
          return undefined;
        }
        judged = { authorized: false, authorizationError: verifyError.code ?? verifyError.message };
      } else judged = { authorized: true };
    }
  }
  const servername = (socket as unknown as { servername?: unknown }).servername;
  return { ...rest, ...judged, alpnProtocol: socket.alpnProtocol ?? false, ...(typeof servername === 'string' || servername === false ? { servername } : {}) };
}
