import { unavailable } from './feature-unavailable.js';
import { jsStreamSocketClass } from './js-stream-socket.js';
import { netHost } from './net-host.js';
import type { TlsFailure } from './net-transport.js';
import { withMethods } from './node-constructor.js';

/**
 * What Node's lib/tls.js takes from _tls_wrap and _tls_common, for a guest whose TLS the
 * daemon does. Two kinds of TLSSocket, both net.Sockets whose stream is cleartext:
 * - tls.connect to a host with no context of its own (no ca, cert, key, pfx, secureContext
 *   ...): the daemon opens the connection with TLS (servername, ALPN, rejectUnauthorized;
 *   system roots plus the VM's network.caCerts; network.inject applies), as before.
 * - over a stream the guest holds (a server's accepted socket, tls.connect({socket}), new
 *   TLSSocket(duplex, {isServer}), tls.connect with its own context over a net socket): the
 *   daemon runs a TLSSocket whose ciphertext goes through the guest's stream
 *   (src/js/node-host/tls-calls.ts). A SecureContext is the options, checked once by the
 *   daemon (Node's errors for a bad key or certificate) and kept built there by its serial.
 * The handshake's result (ALPN protocol, whether the peer was authorized and why not, the
 * certificate's summary) comes from the daemon; nothing of OpenSSL lives in the guest.
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

    /** Starts a client's handshake (tls.connect's sockets have begun already; see wrapStream for one made directly). */
    _start() {}

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
  function TLSSocket(this: any, socket?: any, options: Record<string, any> = {}): any {
    if (!(this instanceof (TLSSocket as any))) return new (TLSSocket as any)(socket, options);
    net.Socket.call(this, { allowHalfOpen: options.allowHalfOpen, signal: options.signal });
    Object.assign(this, { encrypted: true, authorized: false, authorizationError: null, alpnProtocol: null, servername: null, secureConnecting: true, session: {}, _secureEstablished: false, _tlsOptions: options, server: options.server ?? null });
    if (socket) wrapStream(this, socket, options);
    else if (options.isServer) throw unavailable('tls.TLSSocket in server mode without a socket');
  }
  return withMethods(TLSSocket, TLSSocketMethods, net.Socket);
}

/** Node's ConnResetException: a peer that went away before the handshake finished. */
function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** An error of the daemon's TLS session, as Node's tls gives it (OpenSSL's library and reason on it). */
function tlsError(e: TlsFailure): Error {
  const Ctor = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error;
  const err = new Ctor(e.message) as Error & Record<string, unknown>;
  for (const key of ['code', 'library', 'reason', 'function', 'host'] as const) if (e[key] !== undefined) err[key] = e[key];
  return err;
}

/**
 * Runs `tls` over `raw` (a net.Socket or any Duplex of the guest): the daemon's session
 * takes what raw reads and gives what raw must write; `tls` reads and writes cleartext.
 */
function wrapStream(tls: any, raw: any, options: Record<string, any>): void {
  const isServer = options.isServer === true;
  const context = options.secureContext ?? createSecureContext(options);
  if (!(context instanceof (SecureContext as any))) {
    const { codes } = netHost().nodeRequire('internal/errors');
    throw new codes.ERR_TLS_INVALID_CONTEXT('context');
  }
  const connectOptions = tls[kConnectOptions] ?? {};
  const host = connectOptions.host ?? raw._host ?? undefined;
  const request = {
    isServer,
    serial: context.serial,
    context: context.wire,
    ALPNProtocols: alpnNames(options.ALPNProtocols),
    rejectUnauthorized: options.rejectUnauthorized !== false,
    requestCert: options.requestCert === true,
    ...(isServer ? { handshakeTimeout: options.handshakeTimeout } : {
      // As Node's tls.connect: SNI only when asked for; the certificate is checked against the host.
      servername: options.servername || undefined,
      host,
      checkServerIdentity: typeof options.checkServerIdentity !== 'function' || options.checkServerIdentity === tlsIdentity(),
      minDHSize: options.minDHSize,
    }),
  };
  let errorTold = false;
  let cipherClosed = false;
  // Once the TLSSocket is gone, raw ends after the session's last ciphertext (Node's destroy
  // leaves what TLS wrote in the socket's buffer, to be sent), then goes as the socket would.
  const endRaw = () => {
    if (raw.destroyed) return;
    if (!raw.writableEnded) raw.end();
    if (!tls.destroyed) return;
    if (raw.writableFinished) raw.destroy();
    else raw.once('finish', () => raw.destroy());
  };
  // As Node: a client TLSSocket made directly (not by tls.connect) says nothing on raw until
  // its _start(); the daemon's session has begun, so its first flight waits here till then.
  let held: Uint8Array[] | null = !isServer && tls[kConnectOptions] === undefined ? [] : null;
  const writeCipher = (bytes: Uint8Array) => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(g.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };
  const session = netHost().tlsWrap(request, {
    cipher(bytes) {
      if (held) {
        if (bytes) held.push(bytes.slice());
        return;
      }
      if (bytes !== null) writeCipher(bytes);
      else if (!raw.destroyed && !raw.writableEnded) endRaw();
    },
    cipherClose() {
      cipherClosed = true;
      if (tls.destroyed) endRaw();
    },
    want() {
      raw.resume();
    },
    secure(info) {
      tls._secureEstablished = true;
      if (info.servername !== undefined) tls.servername = info.servername;
      if (!isServer) {
        tls.emit('secure');
        tls._tlsEstablished(info);
        return;
      }
      tls.session = info;
      tls.alpnProtocol = info.alpnProtocol ?? false;
      tls.authorized = info.authorized === true;
      tls.authorizationError = info.authorizationError ?? null;
      tls.secureConnecting = false;
      tls.emit('secure');
      tls.server?.emit('secureConnection', tls);
    },
    error(e) {
      const err = tlsError(e);
      // Over a Unix socket Node names the path, not a host (its onConnectEnd).
      if (!isServer && connectOptions.path) {
        Object.assign(err, { path: connectOptions.path });
        delete (err as { host?: unknown }).host;
      }
      if (isServer && tls.server && !tls._secureEstablished) {
        if (!errorTold) {
          errorTold = true;
          tls.server.emit('tlsClientError', err, tls);
        }
        tls.destroy();
        return;
      }
      tls.destroy(err);
    },
  });
  tls.attach(session.handle);
  // The session's local end is raw's (a Duplex of the guest has none).
  session.handle.local = () => raw._handle?.local?.() ?? undefined;
  tls._parent = raw;
  // Node's TLS handle names the JS stream under it: the socket, or a JSStreamSocket around
  // another Duplex (made when first asked for: http2-wrapper reads its constructor).
  let parentWrap: unknown;
  Object.defineProperty(session.handle, '_parentWrap', {
    get: () => (parentWrap ??= raw instanceof netHost().nodeRequire('net').Socket ? raw : new (jsStreamSocketClass())(raw)),
    configurable: true,
  });
  const copyPeer = () => Object.assign(tls, { remoteAddress: raw.remoteAddress, remotePort: raw.remotePort, remoteFamily: raw.remoteFamily });
  copyPeer();
  if (raw.connecting) raw.once('connect', () => { copyPeer(); tls.emit('connect'); });
  const listen = () => {
    raw.on('data', (chunk: unknown) => {
      const bytes = typeof chunk === 'string' ? g.Buffer.from(chunk) : chunk;
      if (!session.feed(bytes)) raw.pause();
    });
    raw.on('end', () => session.feed(null));
    raw.resume();
  };
  if (held) {
    // Until then it keeps no process alive, as a TLSWrap that never started does not.
    tls.unref();
    tls._start = () => {
      if (!held) return;
      const flight = held;
      held = null;
      tls.ref();
      for (const bytes of flight) writeCipher(bytes);
      listen();
    };
  } else listen();
  raw.on('error', (err: Error) => {
    if (isServer && tls.server && !tls._secureEstablished && !errorTold) {
      errorTold = true;
      tls.server.emit('tlsClientError', err, tls);
      tls.destroy();
    } else tls.destroy(err);
  });
  raw.on('close', () => {
    if (!tls.destroyed && !tls._secureEstablished) tls.destroy();
  });
  tls.once('close', () => {
    if (isServer && tls.server && !tls._secureEstablished && !errorTold) {
      errorTold = true;
      tls.server.emit('tlsClientError', hangUp(), tls);
    }
    // Raw ends once the session handed over its last ciphertext (at once if it already did).
    if (cipherClosed || raw.writableEnded) endRaw();
  });
  if (!options.pauseOnConnect) tls.read(0);
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

/** Keys that give a connection a context of its own: TLS over the guest's socket, not the daemon's connection. */
const OWN_CONTEXT = ['secureContext', 'ca', 'cert', 'key', 'pfx', 'crl', 'ciphers', 'ecdhCurve', 'sigalgs', 'minVersion', 'maxVersion', 'secureProtocol', 'secureOptions', 'session', 'pskCallback', 'passphrase'];

export function connect(...args: any[]) {
  const [given, cb] = normalizeConnectArgs(args);
  const options: Record<string, any> = { rejectUnauthorized: !allowUnauthorized(), checkServerIdentity: tlsIdentity(), ...given };
  options.rejectUnauthorized = options.rejectUnauthorized !== false;
  const TLSSocket = TLSSocketCtor();
  const host = options.host ?? 'localhost';
  const isIP = netHost().nodeRequire('net').isIP;
  const servername = options.servername ?? (isIP(host) ? undefined : host);
  // Over a Unix socket (a path wins over host and port, as in Node) or a socket the guest
  // holds, TLS runs on the guest's stream; otherwise the daemon does it on its connection.
  if (options.socket || options.path || OWN_CONTEXT.some((k) => options[k] !== undefined)) {
    const raw = options.socket ?? netHost().nodeRequire('net').connect(options.path ? { ...options } : { ...options, host, port: options.port });
    const socket = Object.create((TLSSocket as any).prototype);
    socket[kConnectOptions] = options.path ? { ...options } : { ...options, host };
    TLSSocket.call(socket, raw, { ...options, isServer: false });
    if (options.servername) socket.servername = options.servername;
    if (cb) socket.once('secureConnect', cb);
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket;
  }
  const socket = new TLSSocket(undefined, { allowHalfOpen: options.allowHalfOpen, signal: options.signal });
  socket[kConnectOptions] = options;
  if (cb) socket.once('secureConnect', cb);
  if (servername) socket.servername = servername;
  if (options.timeout) socket.setTimeout(options.timeout);
  socket.connect({
    ...options,
    tls: { servername: servername || undefined, alpnProtocols: alpnNames(options.ALPNProtocols), rejectUnauthorized: options.rejectUnauthorized },
  });
  return socket;
}

/** Node's SNICallback default: the contexts added with addContext, the last match first. */
function defaultSNI(this: any, servername: string, cb: (err: Error | null, ctx?: unknown) => void) {
  const contexts = this.server?._contexts ?? [];
  for (let i = contexts.length - 1; i >= 0; i--) if (contexts[i][0].test(servername)) return cb(null, contexts[i][1]);
  return cb(null, undefined);
}

let ServerClass: any;

function makeServer() {
  const net = netHost().nodeRequire('net');
  const { codes } = netHost().nodeRequire('internal/errors');
  const validators = netHost().nodeRequire('internal/validators');
  class ServerMethods extends net.Server {
    declare _sharedCreds: any;
    declare _contexts: [RegExp, unknown][];
    declare _contextOptions: Record<string, any>;
    declare requestCert: boolean;
    declare rejectUnauthorized: boolean;
    declare ALPNProtocols: unknown;
    declare handshakeTimeout: number;
    declare sessionTimeout?: number;
    declare ticketKeys?: Uint8Array;

    setSecureContext(options: Record<string, any>) {
      validators.validateObject(options, 'options');
      const merged = { ...options };
      this._contextOptions = merged;
      this.requestCert = merged.requestCert === true;
      this.rejectUnauthorized = merged.rejectUnauthorized !== false;
      if (merged.ticketKeys !== undefined) {
        if (!(merged.ticketKeys instanceof Uint8Array)) throw new codes.ERR_INVALID_ARG_TYPE('options.ticketKeys', ['Buffer', 'TypedArray', 'DataView'], merged.ticketKeys);
        if (merged.ticketKeys.byteLength !== 48) throw new codes.ERR_INVALID_ARG_VALUE('options.ticketKeys', merged.ticketKeys.byteLength, 'must be exactly 48 bytes');
        this.ticketKeys = merged.ticketKeys;
      }
      const previous = this._sharedCreds;
      this._sharedCreds = createSecureContext({ ...merged, ...(this.ticketKeys ? { ticketKeys: this.ticketKeys } : {}) });
      if (previous?.serial) forget(previous.serial);
    }
    addContext(servername: string, context: unknown) {
      if (!servername) throw new codes.ERR_TLS_REQUIRED_SERVER_NAME();
      const re = new RegExp(`^${servername.replace(/([.^$+?\-\\[\]{}])/g, '\\$1').replaceAll('*', '[^.]*')}$`);
      const ctx = context instanceof (SecureContext as any) ? context : createSecureContext(context as Record<string, unknown>);
      this._contexts.push([re, ctx]);
    }
    getTicketKeys() {
      return this.ticketKeys ? g.Buffer.from(this.ticketKeys) : g.Buffer.alloc(48);
    }
    setTicketKeys(keys: Uint8Array) {
      validators.validateBuffer(keys);
      this.setSecureContext({ ...this._contextOptions, ticketKeys: keys });
    }
    close(cb?: (err?: Error) => void) {
      if (this._sharedCreds?.serial) forget(this._sharedCreds.serial);
      return net.Server.prototype.close.call(this, cb);
    }
  }
  function Server(this: any, options?: any, listener?: (socket: unknown) => void): any {
    if (!(this instanceof (Server as any))) return new (Server as any)(options, listener);
    if (typeof options === 'function') {
      listener = options;
      options = {};
    } else if (options == null || typeof options === 'object') options = options ?? {};
    else throw new codes.ERR_INVALID_ARG_TYPE('options', 'Object', options);
    net.Server.call(this, options);
    this._contexts = [];
    if (options.ALPNCallback !== undefined && options.ALPNProtocols !== undefined) throw new codes.ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS();
    if (options.SNICallback !== undefined && typeof options.SNICallback !== 'function') throw new codes.ERR_INVALID_ARG_TYPE('options.SNICallback', 'function', options.SNICallback);
    const handshakeTimeout = options.handshakeTimeout ?? 120000;
    validators.validateNumber(handshakeTimeout, 'options.handshakeTimeout');
    this.handshakeTimeout = handshakeTimeout;
    if (options.sessionTimeout !== undefined) {
      validators.validateInt32(options.sessionTimeout, 'options.sessionTimeout', 0);
      this.sessionTimeout = options.sessionTimeout;
    }
    // Node keeps the server's protocols in ALPN's wire format (a Buffer).
    netHost().nodeRequire('tls').convertALPNProtocols(options.ALPNProtocols, this);
    this.setSecureContext(options);
    this.on('connection', function (this: any, raw: unknown) {
      new (TLSSocketCtor())(raw, {
        secureContext: this._sharedCreds,
        isServer: true,
        server: this,
        requestCert: this.requestCert,
        rejectUnauthorized: this.rejectUnauthorized,
        handshakeTimeout: this.handshakeTimeout,
        ALPNProtocols: this.ALPNProtocols,
        SNICallback: options.SNICallback ?? defaultSNI,
        pauseOnConnect: this.pauseOnConnect,
      });
    });
    if (listener) this.on('secureConnection', listener);
  }
  return withMethods(Server, ServerMethods, net.Server);
}

export function ServerCtor() {
  return (ServerClass ??= makeServer());
}

export function createServer(options?: unknown, listener?: unknown) {
  const S = ServerCtor();
  return new S(options, listener);
}

/** tls.createSecurePair (deprecated since Node 0.11): not here. */
export function createSecurePair(): never {
  throw unavailable('tls.createSecurePair');
}

function forget(serial: number) {
  try {
    netHost().nodeCall('net.tlsForget', [serial]);
  } catch {
    // The process has no network: nothing was kept.
  }
}

/** The options a context is built from, as they cross to the daemon (functions stay here). */
const CONTEXT_KEYS = ['key', 'cert', 'ca', 'pfx', 'passphrase', 'crl', 'ciphers', 'ecdhCurve', 'dhparam', 'sigalgs', 'privateKeyIdentifier', 'privateKeyEngine', 'clientCertEngine', 'honorCipherOrder', 'minVersion', 'maxVersion', 'secureProtocol', 'secureOptions', 'sessionIdContext', 'sessionTimeout', 'ticketKeys'];

function wireOf(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return depth > 3 ? value : value.map((v) => wireOf(v, depth + 1));
  if (value && typeof value === 'object' && depth <= 3) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wireOf(v, depth + 1)]));
  return value;
}

let nextSerial = 1;

/** _tls_common: a context is its options, built and kept by the daemon under its serial. */
class SecureContextMethods {
  declare context: object;
  declare options: Record<string, unknown>;
  declare serial: number;
  declare wire: Record<string, unknown>;
}
export const SecureContext = withMethods(function SecureContext(this: any, options: Record<string, unknown> = {}): any {
  if (!(this instanceof (SecureContext as any))) return new (SecureContext as any)(options);
  this.serial = nextSerial++;
  this.context = { serial: this.serial };
  this.options = options;
  const wire: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) if (options[key] !== undefined) wire[key] = wireOf(options[key]);
  this.wire = wire;
}, SecureContextMethods, Function.prototype);

export function createSecureContext(options: Record<string, unknown> = {}) {
  if (options === null || typeof options !== 'object') options = {};
  const context = new SecureContext(options);
  const answer = netHost().nodeCall<{ error?: TlsFailure } | null>('net.tlsCheck', [context.wire, context.serial]);
  if (answer?.error) throw tlsError(answer.error);
  return context;
}
