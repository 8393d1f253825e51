import { netHost } from './net-host.js';
import { withMethods } from './node-constructor.js';

/**
 * What Node's lib/tls.js takes from _tls_wrap and _tls_common, for a guest whose TLS the
 * daemon does: a TLSSocket is a net.Socket whose connection the daemon opens with TLS
 * (servername, ALPN, rejectUnauthorized; system roots plus the VM's network.caCerts), so the
 * guest's stream is plaintext. The handshake's result (ALPN protocol, whether the peer was
 * authorized and why not, the certificate's summary) comes with the connection. A TLS server
 * in the guest, or TLS over a socket the guest made itself, would need TLS in the guest:
 * both fail with ERR_FEATURE_UNAVAILABLE_ON_PLATFORM.
 */
declare function require(id: string): any;
const g = globalThis as unknown as Record<string, any>;

/** What the daemon reports of a TLS handshake, through the socket's handle (net-transport.ts). */
export interface TlsSession {
  alpnProtocol?: string | false;
  authorized?: boolean;
  authorizationError?: string;
  protocol?: string;
  cipher?: { name: string; standardName?: string; version: string };
  peerCertificate?: Record<string, unknown>;
}

const kConnectOptions = Symbol('kConnectOptions');
let allowUnauthorizedWarned = false;

function unavailable(feature: string): Error {
  const err = new Error(`The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`) as Error & { code: string };
  err.code = 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM';
  return err;
}

function allowUnauthorized(): boolean {
  const allow = g.process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0';
  if (allow && !allowUnauthorizedWarned) {
    allowUnauthorizedWarned = true;
    g.process.emitWarning("Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS connections and HTTPS requests insecure by disabling certificate verification.");
  }
  return allow;
}

/** ALPN protocols as names, from an array or Node's wire format (length-prefixed). */
function alpnNames(protocols: unknown): string[] | undefined {
  if (Array.isArray(protocols)) return protocols.map(String);
  if (protocols instanceof Uint8Array) {
    const out: string[] = [];
    for (let i = 0; i < protocols.length;) {
      const len = protocols[i]!;
      out.push(new g.TextDecoder().decode(protocols.subarray(i + 1, i + 1 + len)));
      i += 1 + len;
    }
    return out;
  }
  return undefined;
}

let TLSSocketClass: any;

function makeTLSSocket() {
  const net = netHost().nodeRequire('net');
  class TLSSocketMethods extends net.Socket {
    declare encrypted: boolean;
    declare authorized: boolean;
    declare authorizationError: string | null;
    declare alpnProtocol: string | false | null;
    declare servername: string | false | null;
    declare secureConnecting: boolean;
    declare session: TlsSession;
    declare [kConnectOptions]?: Record<string, any>;

    /** Called by net once the daemon has connected: the handshake is already done there. */
    _tlsEstablished(session: TlsSession) {
      this.session = session;
      this.alpnProtocol = session.alpnProtocol ?? false;
      const options = this[kConnectOptions] ?? {};
      let error: string | undefined = session.authorized === false ? (session.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') : undefined;
      if (!error && typeof options.checkServerIdentity === 'function' && options.checkServerIdentity !== tlsIdentity() && session.peerCertificate) {
        const hostname = options.servername || options.host || 'localhost';
        const verifyError = options.checkServerIdentity(hostname, this.getPeerCertificate(true));
        if (verifyError) {
          if (options.rejectUnauthorized !== false) { this.destroy(verifyError); return; }
          error = verifyError.code || verifyError.message;
        }
      }
      this.authorized = !error;
      this.authorizationError = error ?? null;
      this.secureConnecting = false;
      this.emit('secureConnect');
    }

    getPeerCertificate(_detailed?: boolean) {
      return this.session.peerCertificate ? { ...this.session.peerCertificate } : {};
    }
    getProtocol() { return this.session.protocol ?? null; }
    getCipher() { return this.session.cipher ?? undefined; }
    getSession() { return undefined; }
    getTLSTicket() { return undefined; }
    isSessionReused() { return false; }
    getEphemeralKeyInfo() { return {}; }
    getFinished() { return undefined; }
    getPeerFinished() { return undefined; }
    getSharedSigalgs() { return []; }
    setServername(name: string) {
      netHost().nodeRequire('internal/validators').validateString(name, 'name');
      this.servername = name;
    }
    setSession() {}
    setMaxSendFragment() { return true; }
    renegotiate(_options: unknown, callback?: (err: Error) => void) {
      const err = unavailable('TLS renegotiation');
      if (callback) g.process.nextTick(callback, err);
      return false;
    }
    disableRenegotiation() {}
    exportKeyingMaterial() { throw unavailable('exportKeyingMaterial'); }
    enableTrace() {}
  }
  function TLSSocket(this: any, socket?: unknown, options: Record<string, any> = {}): any {
    if (!(this instanceof (TLSSocket as any))) return new (TLSSocket as any)(socket, options);
    if (socket) throw unavailable('TLS over an existing socket (tls.connect({socket}))');
    net.Socket.call(this, { allowHalfOpen: options.allowHalfOpen, signal: options.signal });
    if (options.isServer) throw unavailable('tls.TLSSocket in server mode');
    Object.assign(this, { encrypted: true, authorized: false, authorizationError: null, alpnProtocol: null, servername: null, secureConnecting: true, session: {} });
  }
  return withMethods(TLSSocket, TLSSocketMethods, net.Socket);
}

function tlsIdentity() {
  return (netHost().nodeRequire('tls') as { checkServerIdentity: unknown }).checkServerIdentity;
}

export function TLSSocketCtor() {
  return (TLSSocketClass ??= makeTLSSocket());
}

/** Node's normalizeConnectArgs: net's, with a trailing options object merged in. */
function normalizeConnectArgs(listArgs: any[]) {
  const net = netHost().nodeRequire('net');
  const args = net._normalizeArgs(listArgs);
  const options = args[0];
  if (listArgs[1] !== null && typeof listArgs[1] === 'object') Object.assign(options, listArgs[1]);
  else if (listArgs[2] !== null && typeof listArgs[2] === 'object') Object.assign(options, listArgs[2]);
  return [options, args[1]];
}

export function connect(...args: any[]) {
  const [given, cb] = normalizeConnectArgs(args);
  const options: Record<string, any> = { rejectUnauthorized: !allowUnauthorized(), checkServerIdentity: tlsIdentity(), ...given };
  options.rejectUnauthorized = options.rejectUnauthorized !== false;
  if (options.path) throw unavailable('TLS over a Unix socket');
  const TLSSocket = TLSSocketCtor();
  const socket = new TLSSocket(options.socket, { allowHalfOpen: options.allowHalfOpen, signal: options.signal });
  socket[kConnectOptions] = options;
  if (cb) socket.once('secureConnect', cb);
  const host = options.host ?? 'localhost';
  const isIP = netHost().nodeRequire('net').isIP;
  const servername = options.servername ?? (isIP(host) ? undefined : host);
  if (servername) socket.servername = servername;
  if (options.timeout) socket.setTimeout(options.timeout);
  socket.connect({
    ...options,
    tls: { servername: servername || undefined, alpnProtocols: alpnNames(options.ALPNProtocols), rejectUnauthorized: options.rejectUnauthorized },
  });
  return socket;
}

export function createServer(): never {
  throw unavailable('tls.createServer (TLS is done by the daemon, for outbound connections only)');
}

/** Callable with or without `new`, as Node's (https.Server calls `tls.Server.call(this, ...)`). */
export function Server(): never {
  throw unavailable('tls.Server (TLS is done by the daemon, for outbound connections only)');
}

/** _tls_common: a context only carries the options the daemon is told about. */
class SecureContextMethods {
  declare context: object;
  declare options: Record<string, unknown>;
}
export const SecureContext = withMethods(function SecureContext(this: any, options: Record<string, unknown> = {}): any {
  if (!(this instanceof (SecureContext as any))) return new (SecureContext as any)(options);
  this.context = {};
  this.options = options;
}, SecureContextMethods, Function.prototype);

export function createSecureContext(options: Record<string, unknown> = {}) {
  return new SecureContext(options);
}
