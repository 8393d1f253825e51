/**
 * The daemon's half of guest TLS over a guest's own stream (tls.createServer, https.createServer,
 * new tls.TLSSocket(socket), tls.connect({socket}), TLS over any Duplex): each session is a
 * node:tls TLSSocket whose transport is a CipherSide (src/net/tls-session.ts). Its cleartext is
 * a socket handle like any other (net.read / net.write / net.end / net.close); besides, the
 * guest hears 'cipher' (bytes for its stream), 'cipherEnd', 'cipherWant' (feed again) and
 * 'secure' (the handshake's outcome), and feeds what it reads with net.tlsFeed. Each session
 * counts as one of the VM's connections; contexts are built from guest bytes checked first.
 *
 *   net.tlsCheck(options, serial)  → null | error: builds (and keeps) a guest SecureContext
 *   net.tlsWrap(request)           → id of the session
 *   net.tlsFeed(id, bytes | null)  → false: wait for 'cipherWant'
 *   net.tlsForget(serial)          → drops a kept context (the guest server closed)
 */
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect as tlsConnect, TLSSocket } from 'node:tls';
import type { NetBroker } from '../../net/broker.js';
import { alpnList, contextOptions } from '../../net/tls-options.js';
import { CipherSide, ContextCache, secureOutcome } from '../../net/tls-session.js';
import { NetError } from '../../net/vm-network.js';
import { shape, type NetDeliver, type SocketEntry } from './net-calls.js';

export interface TlsHost {
  add(entry: SocketEntry): number;
  drop(id: number): void;
  attach(id: number, entry: SocketEntry, stream: Duplex): void;
  socket(id: unknown): SocketEntry;
  deliver: NetDeliver;
}

const invalid = (message: string) => Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
const serialOf = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);

export class TlsCalls {
  private readonly contexts: ContextCache;

  constructor(
    private readonly network: NetBroker,
    private readonly host: TlsHost,
  ) {
    this.contexts = new ContextCache(network.tlsBounds.contextsPerProcess);
  }

  call(op: string, args: unknown[]): unknown {
    switch (op) {
      case 'net.tlsCheck':
        return this.check(args[0], serialOf(args[1]));
      case 'net.tlsWrap':
        return this.wrap(args[0]);
      case 'net.tlsFeed': {
        const entry = this.host.socket(args[0]);
        if (!entry.cipher) throw Object.assign(new Error('not a TLS session'), { code: 'EBADF' });
        const bytes = args[1];
        if (bytes !== null && !(bytes instanceof Uint8Array)) throw invalid('The "data" argument must be bytes');
        const more = entry.cipher.feed(bytes);
        if (!more) entry.feedStopped = true;
        return more;
      }
      case 'net.tlsForget':
        this.contexts.drop(serialOf(args[0]));
        return null;
      default:
        throw Object.assign(new Error(`unknown net call '${op}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }

  /** Guest options to Node's; a bound hit is counted and logged. */
  private options(raw: unknown): Record<string, unknown> {
    try {
      return contextOptions(raw, this.network.tlsBounds.contextBytes);
    } catch (err) {
      if (err instanceof NetError) this.network.limitHit('tls_context_max_bytes', this.network.tlsBounds.contextBytes + 1, this.network.tlsBounds.contextBytes, 'AGENTOS_TLS_CONTEXT_MAX_BYTES');
      throw err;
    }
  }

  /** Builds a guest's SecureContext now, so a bad key or certificate throws where Node's would. */
  private check(raw: unknown, serial: number): unknown {
    try {
      this.contexts.drop(serial);
      this.contexts.get(serial, this.options(raw), undefined);
      return null;
    } catch (err) {
      return { error: shape(err) };
    }
  }

  private wrap(raw: unknown): number {
    if (!raw || typeof raw !== 'object') throw invalid('The "request" argument must be an object');
    const r = raw as Record<string, unknown>;
    const server = r.isServer === true;
    const bounds = this.network.tlsBounds;
    const context = this.contexts.get(serialOf(r.serial), this.options(r.context), server ? undefined : this.network.caCerts);
    const ALPNProtocols = alpnList(r.ALPNProtocols, bounds.contextBytes);
    const entry: SocketEntry = { kind: 'socket', refed: true, reading: false, queued: 0, held: false, closed: false };
    const id = this.host.add(entry);
    const side = new CipherSide(
      (chunk) => this.host.deliver(id, chunk ? 'cipher' : 'cipherEnd', chunk ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null),
      () => {
        if (!entry.feedStopped || entry.closed) return;
        entry.feedStopped = false;
        void this.host.deliver(id, 'cipherWant', null);
      },
    );
    let socket: TLSSocket;
    try {
      if (server) {
        const requested = typeof r.handshakeTimeout === 'number' && r.handshakeTimeout > 0 ? r.handshakeTimeout : bounds.handshakeTimeoutMs;
        socket = new TLSSocket(side, {
          isServer: true,
          secureContext: context,
          requestCert: r.requestCert === true,
          rejectUnauthorized: r.rejectUnauthorized !== false,
          ...(ALPNProtocols ? { ALPNProtocols } : {}),
          ...({ handshakeTimeout: Math.min(requested, bounds.handshakeTimeoutMs) } as object),
        });
      } else {
        socket = tlsConnect({
          socket: side,
          secureContext: context,
          ...(typeof r.servername === 'string' && r.servername ? { servername: r.servername } : {}),
          ...(typeof r.host === 'string' && r.host ? { host: r.host } : {}),
          ...(ALPNProtocols ? { ALPNProtocols } : {}),
          rejectUnauthorized: r.rejectUnauthorized !== false,
          // The guest's own checkServerIdentity runs in the guest, on the certificate it is told of.
          checkServerIdentity: r.checkServerIdentity === false ? () => undefined : checkServerIdentity,
          ...(typeof r.minDHSize === 'number' ? { minDHSize: r.minDHSize } : {}),
        });
      }
      this.network.holdConnection(socket);
    } catch (err) {
      this.host.drop(id);
      side.destroy();
      throw err;
    }
    entry.cipher = side;
    socket.once('close', () => side.destroy());
    side.once('close', () => void this.host.deliver(id, 'cipherClose', null));
    this.host.attach(id, entry, socket);
    if (server) {
      // A bare server TLSSocket reports a handshake timeout (and the like) only as '_tlsError':
      // Node's tls.Server turns it into tlsClientError; here the guest's server does.
      socket.on('_tlsError', (err: Error) => {
        if (!entry.closed) void this.host.deliver(id, 'error', shape(err));
        socket.destroy();
      });
    }
    const judge = server ? { requestCert: r.requestCert === true, rejectUnauthorized: r.rejectUnauthorized !== false } : undefined;
    socket.once(server ? 'secure' : 'secureConnect', () => {
      const outcome = secureOutcome(socket, judge);
      if (outcome && !entry.closed) void this.host.deliver(id, 'secure', outcome);
    });
    return id;
  }
}
