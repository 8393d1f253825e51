import { netTransport, type Endpoint, type NetHandle } from './net-transport.js';
import { nodeLib } from './node-lib.js';
import { withMethods } from './node-constructor.js';

/**
 * `net` as Node 20 shapes it: isIP/isIPv4/isIPv6 from Node's own internal/net.js, BlockList
 * and SocketAddress from Node's own internal/blocklist.js and internal/socketaddress.js (all
 * vendored), and Socket (a stream.Duplex) and Server over one transport handle
 * (net-transport.ts). Errors are Node's: `connect ECONNREFUSED 10.0.0.1:80`,
 * `listen EACCES: permission denied 0.0.0.0:80`, `getaddrinfo ENOTFOUND example.com`, with
 * errno, code, syscall, address and port, reached through 'error' events, never thrown.
 */
declare function require(id: string): any;
/** The guest's timer globals (the guest tsconfig has no lib that declares them). */
const timers = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };

const UV: Record<string, [number, string]> = {
  ECONNREFUSED: [-111, 'connection refused'],
  EACCES: [-13, 'permission denied'],
  EADDRINUSE: [-98, 'address already in use'],
  EPIPE: [-32, 'broken pipe'],
  ECONNRESET: [-104, 'connection reset by peer'],
  ETIMEDOUT: [-110, 'connection timed out'],
  ENOTFOUND: [-3008, 'getaddrinfo ENOTFOUND'],
  EAI_AGAIN: [-3001, 'temporary failure'],
  EMFILE: [-24, 'too many open files'],
  ENOBUFS: [-105, 'no buffer space available'],
  ENETDOWN: [-100, 'network is down'],
  EADDRNOTAVAIL: [-99, 'address not available'],
  EINVAL: [-22, 'invalid argument'],
  // Unix domain sockets on paths: what the filesystem says of the name.
  ENOENT: [-2, 'no such file or directory'],
  ENOTDIR: [-20, 'not a directory'],
  ELOOP: [-40, 'too many symbolic links encountered'],
  ENAMETOOLONG: [-36, 'name too long'],
  EROFS: [-30, 'read-only file system'],
  ENOSPC: [-28, 'no space left on device'],
  EPERM: [-1, 'operation not permitted'],
};

/** Bytes of sun_path a Unix socket's name keeps (libuv copies at most this many, as Node 20 does, cutting the rest). */
const SUN_PATH_BYTES = 107;

/**
 * A Unix socket's name as the kernel would use it: cut to sun_path's size as libuv does, and
 * a relative one resolved against the process's cwd; `\0name` is Linux's abstract namespace.
 */
function pipeAddress(given: string): string {
  const B = (globalThis as any).Buffer;
  const bytes = B.from(given);
  const name: string = bytes.length > SUN_PATH_BYTES ? bytes.subarray(0, SUN_PATH_BYTES).toString() : given;
  if (name.startsWith('\0')) return name;
  return nodeLib('path').resolve((globalThis as any).process.cwd(), name);
}

/** A Unix socket's error as Node gives it: `connect ENOENT /x.sock`, `listen EADDRINUSE: address already in use /x.sock` (port -1). */
function pipeError(code: string, syscall: 'connect' | 'listen', path: string): NodeErr {
  const err = hostPortError(code, syscall, path, 0, syscall === 'listen');
  if (syscall === 'listen') err.port = -1;
  return err;
}

type NodeErr = Error & { errno?: number; code?: string; syscall?: string; address?: string; port?: number; hostname?: string };

/** Node's exceptionWithHostPort (connect: no description) and uvExceptionWithHostPort (listen: with it). */
function hostPortError(code: string, syscall: string, address: string, port: number, describe: boolean): NodeErr {
  const [errno, text] = UV[code] ?? [-1, code];
  const where = port > 0 ? `${address}:${port}` : address;
  const err: NodeErr = new Error(`${syscall} ${code}${describe ? `: ${text}` : ''} ${where}`);
  Object.assign(err, { errno, code, syscall, address });
  if (port > 0) err.port = port;
  return err;
}

/** An error on an open connection, as libuv words it (`read ECONNRESET`, no address). */
function readError(code: string): NodeErr {
  const [errno] = UV[code] ?? [-1];
  const syscall = code === 'EPIPE' ? 'write' : 'read';
  return Object.assign(new Error(`${syscall} ${code}`), { errno, code, syscall }) as NodeErr;
}

/** Node's getaddrinfo failure (a connect by name): ENOTFOUND, or EAI_AGAIN when the lookup may be retried. */
function notFound(hostname: string, code = 'ENOTFOUND'): NodeErr {
  const err: NodeErr = new Error(`getaddrinfo ${code} ${hostname}`);
  return Object.assign(err, { errno: code === 'EAI_AGAIN' ? -3001 : -3008, code, syscall: 'getaddrinfo', hostname });
}

const validators = () => require('readable-stream/lib/internal/validators.js');
const codes = () => nodeLib('internal/errors').codes;
const stream = () => nodeLib('stream');
const nextTick = (fn: (...a: any[]) => void, ...args: unknown[]) => (globalThis as any).process.nextTick(fn, ...args);

let autoSelectFamilyDefault = true;
let autoSelectFamilyAttemptTimeoutDefault = 250;

/** What a name resolves to without a network: IP literals and localhost only. */
function resolveLocally(host: string): { address: string; family: 4 | 6 } | undefined {
  const { isIP } = nodeLib('internal/net');
  const family = isIP(host);
  if (family) return { address: host, family };
  if (host.toLowerCase() === 'localhost') return { address: '127.0.0.1', family: 4 };
  return undefined;
}

/** Node's normalizeArgs: (options[, cb]) | (path[, cb]) | (port[, host][, cb]) to [options, cb]. */
function normalizeArgs(args: any[]): [Record<string, any>, ((...a: any[]) => void) | null] {
  if (args.length === 0) return [{}, null];
  const arg0 = args[0];
  let options: Record<string, any> = {};
  if (typeof arg0 === 'object' && arg0 !== null) options = arg0;
  else if (typeof arg0 === 'string' && Number.isNaN(Number(arg0)) ) options.path = arg0;
  else {
    options.port = arg0;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const cb = args[args.length - 1];
  return [options, typeof cb === 'function' ? cb : null];
}

function makeSocket(Duplex: any) {
  class SocketMethods extends Duplex {
    declare _handle: NetHandle | null;
    declare connecting: boolean;
    declare remoteAddress?: string;
    declare remotePort?: number;
    declare remoteFamily?: string;
    declare bytesRead: number;
    declare _bytesWritten: number;
    declare _host: string | null;
    declare server: unknown;
    declare pendingWrite: (() => void) | null;
    declare timer: unknown;
    declare idle: number;
    /** As Node's: what setTimeout last set (undefined before), a plain property the guest may set. */
    declare timeout: number | undefined;
    declare refed: boolean;
    declare readPending: boolean;

    get pending() { return !this._handle || this.connecting; }
    get readyState() {
      if (this.connecting) return 'opening';
      if (this.readable && this.writable) return 'open';
      if (this.readable && !this.writable) return 'readOnly';
      if (!this.readable && this.writable) return 'writeOnly';
      return 'closed';
    }
    get bytesWritten() { return this._bytesWritten; }
    /** As Node's: what waits to be written, while there is a handle. */
    get bufferSize() { return this._handle ? this.writableLength : undefined; }
    get localAddress() { return this._handle?.local()?.address; }
    get localPort() { return this._handle?.local()?.port; }
    get localFamily() { const l = this._handle?.local(); return l ? `IPv${l.family}` : undefined; }

    address() {
      const l = this._handle?.local();
      return l ? { address: l.address, family: `IPv${l.family}`, port: l.port } : {};
    }

    attach(handle: NetHandle) {
      this._handle = handle;
      handle.onError = (code) => {
        if (!this.destroyed) this.destroy(readError(code));
      };
    }

    connect(...args: any[]) {
      const [options, cb] = Array.isArray(args[0]) && (args[0] as any)[normalizedArgs] ? args[0] as any : normalizeArgs(args);
      if (this.destroyed) { this._readableState.reset?.(); this.destroyed = false; }
      if (cb) this.once('connect', cb);
      if (options.path) { // as Node: a falsy path (http passes null) is TCP
        validators().validateString(options.path, 'options.path');
        const given: string = options.path;
        this.connecting = true;
        nextTick(() => {
          if (this.destroyed) return;
          const handle = this._handle ?? netTransport().open();
          this.attach(handle);
          if (!this.refed) handle.ref(false);
          handle.connectPath(pipeAddress(given), (code) => {
            if (this.destroyed) return;
            this.connecting = false;
            if (code) this.destroy(pipeError(code, 'connect', given));
            else this.connected(undefined);
          });
        });
        return this;
      }
      const { host = 'localhost', port } = options;
      if (port === undefined || port === null) throw new (codes().ERR_MISSING_ARGS)(['options', 'port', 'path']);
      if (typeof host !== 'string') throw new (codes().ERR_INVALID_ARG_TYPE)('hostname', 'string', host);
      const portNumber = validators().validatePort(port);
      this.connecting = true;
      this._host = host;
      // A lookup function of the caller's (the `lookup` option, http's agents pass it on)
      // answers instead of the VM's resolver, as in Node; what it gives is an address the
      // policy judges as any other.
      if (options.lookup != null && !nodeLib('internal/net').isIP(host)) {
        validators().validateFunction(options.lookup, 'options.lookup');
        this.lookupAndConnect(host, portNumber, options);
        return this;
      }
      // Addresses and localhost here; any other name goes to the daemon, which resolves it,
      // judges the name and the address, and connects to exactly that address.
      const found = resolveLocally(host);
      nextTick(() => {
        if (this.destroyed) return;
        if (found) {
          if (!nodeLib('internal/net').isIP(host)) this.emit('lookup', null, found.address, found.family, host);
          this.remoteAddress = found.address;
          this.remoteFamily = `IPv${found.family}`;
        }
        this.remotePort = portNumber;
        const handle = this._handle ?? netTransport().open();
        this.attach(handle);
        if (!this.refed) handle.ref(false);
        const base = found ? { address: found.address, port: portNumber, family: found.family } : { host, address: host, port: portNumber, family: 4 as const };
        // tls.connect's TLSSocket asks the daemon to do TLS on this connection.
        const remote = options.tls ? { ...base, tls: options.tls } : base;
        handle.connect(remote, (code, _local, reached, tlsSession) => {
          if (this.destroyed) return;
          if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
            const err = notFound(host, code);
            this.emit('lookup', err, undefined, undefined, host);
            this.destroy(err);
            return;
          }
          if (!found && reached) {
            this.emit('lookup', null, reached.address, reached.family, host);
            this.remoteAddress = reached.address;
            this.remoteFamily = `IPv${reached.family}`;
          }
          this.connecting = false;
          if (code) {
            this.destroy(hostPortError(code, 'connect', this.remoteAddress ?? host, portNumber, false));
            return;
          }
          this.connected(tlsSession);
        });
      });
      return this;
    }

    /**
     * Node's lookupAndConnect with the caller's lookup function: the same options handed to
     * it (family, hints, and all: true when Node would try several addresses), the same
     * 'lookup' events and errors, then the addresses it gave, in turn, until one connects.
     */
    lookupAndConnect(host: string, port: number, options: any) {
      const { isIP } = nodeLib('internal/net');
      const errors = codes();
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      const dnsopts: { family: unknown; hints: number; all?: boolean } = { family, hints: options.hints || 0 };
      if (family !== 4 && family !== 6 && dnsopts.hints === 0) dnsopts.hints = nodeLib('dns').ADDRCONFIG;
      const autoSelect = options.autoSelectFamily ?? autoSelectFamilyDefault;
      if (options.autoSelectFamily != null) validators().validateBoolean(options.autoSelectFamily, 'options.autoSelectFamily');
      const fail = (err: Error) => nextTick(() => this.destroy(err));
      if (family !== 4 && family !== 6 && !options.localAddress && autoSelect) {
        dnsopts.all = true;
        options.lookup(host, dnsopts, (err: Error | null, addresses: Array<{ address: string; family: number }>) => {
          if (!this.connecting) return;
          if (err) {
            this.emit('lookup', err, undefined, undefined, host);
            fail(err);
            return;
          }
          const valid: Array<{ address: string; family: 4 | 6 }> = [];
          for (const { address, family: type } of addresses) {
            this.emit('lookup', err, address, type, host);
            if (!this.connecting) return;
            if (isIP(address) && (type === 4 || type === 6) && !valid.some((a) => a.address === address)) valid.push({ address, family: type });
          }
          if (valid.length === 0) {
            const { address, family: type } = addresses[0] ?? {};
            if (!isIP(address)) fail(new errors.ERR_INVALID_IP_ADDRESS(address));
            else if (type !== 4 && type !== 6) fail(new errors.ERR_INVALID_ADDRESS_FAMILY(type, options.host, options.port));
            return;
          }
          // Node alternates the families, the first address's first.
          const first = valid[0]!.family;
          const same = valid.filter((a) => a.family === first);
          const other = valid.filter((a) => a.family !== first);
          const order = Array.from({ length: Math.max(same.length, other.length) }, (_, i) => [same[i], other[i]]).flat().filter((a) => a !== undefined);
          this.connectInTurn(order, port, options, []);
        });
        return;
      }
      options.lookup(host, dnsopts, (err: Error | null, ip: string, type: number) => {
        this.emit('lookup', err, ip, type, host);
        if (!this.connecting) return;
        if (err) fail(err);
        else if (!isIP(ip)) fail(new errors.ERR_INVALID_IP_ADDRESS(ip));
        else if (type !== 4 && type !== 6) fail(new errors.ERR_INVALID_ADDRESS_FAMILY(type, options.host, options.port));
        else this.connectInTurn([{ address: ip, family: type }], port, options, []);
      });
    }

    /** Connects to each address in turn until one answers; all refused: Node's AggregateError of them (one: its error). */
    connectInTurn(addresses: Array<{ address: string; family: 4 | 6 }>, port: number, options: any, failures: Error[]) {
      const [next, ...rest] = addresses;
      this.remoteAddress = next!.address;
      this.remoteFamily = `IPv${next!.family}`;
      this.remotePort = port;
      this._handle?.close();
      this._handle = null;
      const handle = netTransport().open();
      this.attach(handle);
      if (!this.refed) handle.ref(false);
      const remote = { address: next!.address, port, family: next!.family };
      handle.connect(options.tls ? { ...remote, tls: options.tls } : remote, (code, _local, _reached, tlsSession) => {
        if (this.destroyed || this._handle !== handle) return;
        if (!code) {
          this.connecting = false;
          this.connected(tlsSession);
          return;
        }
        const err = hostPortError(code, 'connect', next!.address, port, false);
        if (rest.length > 0) {
          this.connectInTurn(rest, port, options, [...failures, err]);
          return;
        }
        this.connecting = false;
        const all = [...failures, err];
        // Node's NodeAggregateError: an AggregateError with the first error's code.
        this.destroy(all.length === 1 ? err : Object.assign(new AggregateError(all), { code: (all[0] as NodeErr).code }));
      });
    }

    /** Connected: 'connect', then 'ready', and what was written meanwhile goes out. */
    connected(tlsSession: unknown) {
      this.emit('connect');
      if (tlsSession) (this as unknown as { _tlsEstablished?: (s: unknown) => void })._tlsEstablished?.(tlsSession);
      if (this.destroyed) return;
      this.emit('ready');
      const flush = this.pendingWrite;
      this.pendingWrite = null;
      flush?.();
      if (!this.isPaused()) this.read(0);
    }

    _read() {
      // As Node's: a read asked for while connecting starts once connected.
      if (this.connecting || !this._handle) {
        if (this.connecting && !this.readPending) { this.readPending = true; this.once('connect', () => { this.readPending = false; this._read(); }); }
        return;
      }
      let inRead = true;
      this._handle.readStart((chunk) => {
        if (chunk === null) {
          // As Node's onStreamRead at EOF: the read(0) lets 'end' come even to a socket
          // nobody reads (no 'data' listener), so it can end its side and close.
          this.push(null);
          if (inRead) nextTick(() => this.read(0)); else this.read(0);
          return;
        }
        this.bytesRead += chunk.length;
        this.touch();
        if (!this.push((globalThis as any).Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this._handle?.readStop();
      });
      inRead = false;
    }

    _write(chunk: any, encoding: string, cb: (err?: Error | null) => void) {
      if (this.connecting || !this._handle) {
        this.pendingWrite = () => this._write(chunk, encoding, cb);
        return;
      }
      const data = typeof chunk === 'string' ? (globalThis as any).Buffer.from(chunk, encoding) : chunk;
      this._handle.write(data, (code) => {
        if (code) { cb(hostPortError(code, 'write', this.remoteAddress ?? '', 0, true)); return; }
        this._bytesWritten += data.length;
        this.touch();
        cb();
      });
    }

    /**
     * Node's writev (corked or queued writes handed over together): each chunk to the handle
     * in turn, which batches them into one call to the daemon as it batches any writes.
     */
    _writev(chunks: { chunk: any; encoding: string }[], cb: (err?: Error | null) => void) {
      let i = 0;
      const next = (err?: Error | null) => {
        if (err || i === chunks.length) { cb(err); return; }
        const { chunk, encoding } = chunks[i++]!;
        this._write(chunk, encoding, next);
      };
      next();
    }

    _final(cb: (err?: Error | null) => void) {
      if (!this._handle || this.connecting) { this.pendingWrite = () => this._final(cb); return; }
      this._handle.shutdown((code) => cb(code ? hostPortError(code, 'shutdown', '', 0, true) : null));
    }

    _destroy(err: Error | null, cb: (err?: Error | null) => void) {
      this.connecting = false;
      timers.clearTimeout(this.timer);
      this.pendingWrite = null;
      this._handle?.close();
      this._handle = null;
      cb(err);
      nextTick(() => this.emit('close', Boolean(err)));
    }

    touch() {
      if (!this.idle) return;
      timers.clearTimeout(this.timer);
      // An idle timeout never keeps the process alive (Node's setUnrefTimeout).
      this.timer = timers.setTimeout(() => this.emit('timeout'), this.idle);
      (this.timer as { unref?: () => void } | undefined)?.unref?.();
    }

    setTimeout(msecs: number, callback?: () => void) {
      validators().validateNumber(msecs, 'msecs', 0);
      this.idle = msecs;
      this.timeout = msecs;
      timers.clearTimeout(this.timer);
      if (callback) msecs === 0 ? this.removeListener('timeout', callback) : this.once('timeout', callback);
      this.touch();
      return this;
    }
    setNoDelay() { return this; }
    setKeepAlive() { return this; }
    ref() { this.refed = true; this._handle?.ref(true); return this; }
    unref() { this.refed = false; this._handle?.ref(false); return this; }
    destroySoon() {
      if (this.writable) this.end();
      if (this.writableFinished) this.destroy(); else this.once('finish', () => this.destroy());
    }
    resetAndDestroy() { return this.destroy(); }
  }
  function Socket(this: any, options?: any): any {
    if (!(this instanceof (Socket as any))) return new (Socket as any)(options);
    if (typeof options === 'number') options = { fd: options };
    else if (options == null) options = {};
    Object.assign(this, { _handle: null, connecting: false, bytesRead: 0, _bytesWritten: 0, _host: null, server: null, pendingWrite: null, timer: undefined, idle: 0, refed: true });
    // Without allowHalfOpen, the Duplex ends the writable side a tick after 'end', as Node's.
    Duplex.call(this, { ...options, allowHalfOpen: Boolean(options.allowHalfOpen), emitClose: false, autoDestroy: true, decodeStrings: false });
    this.on('end', onReadableStreamEnd);
    if (options.handle) {
      this.attach(options.handle);
      // An accepted socket reads at once, as Node's, unless its server pauses on connect.
      if (options.pauseOnCreate) this.pause(); else this.read(0);
    }
  }
  return withMethods(Socket, SocketMethods, Duplex);
}

/** Node's: once the peer ended, a socket that is not half-open fails later writes with EPIPE. */
function onReadableStreamEnd(this: any) {
  if (!this.allowHalfOpen) this.write = writeAfterFIN;
}

function writeAfterFIN(this: any, chunk: unknown, encoding?: unknown, cb?: unknown) {
  if (!this.writableEnded) return Object.getPrototypeOf(this).write.call(this, chunk, encoding, cb);
  if (typeof encoding === 'function') cb = encoding;
  const err = nodeErr('EPIPE', 'This socket has been ended by the other party');
  if (typeof cb === 'function') nextTick(cb as () => void, err);
  this.destroy(err);
  return false;
}

const normalizedArgs = Symbol('normalizedArgs');

function makeServer(EventEmitter: any, Socket: any) {
  class ServerMethods extends EventEmitter {
    declare _handle: NetHandle | null;
    /** A listen the host is asked about. */
    declare pendingListen: NetHandle | null;
    declare refed: boolean;
    declare _connections: number;
    declare maxConnections?: number;
    declare allowHalfOpen: boolean;
    declare pauseOnConnect: boolean;
    declare closing: boolean;
    /** The path (or `\0` abstract name) it listens on, as given: address() gives it back. */
    declare pipeName: string | undefined;

    get listening() { return Boolean(this._handle); }

    listen(...args: any[]) {
      const [options, cb] = normalizeArgs(args);
      if (cb) this.once('listening', cb);
      if (this._handle) throw new (codes().ERR_SERVER_ALREADY_LISTEN ?? Error)('Listen method has been called more than once without closing.');
      // As Node's: listen(), listen(cb), listen(null) and {port: undefined | null} take any free port.
      if (args.length === 0 || typeof args[0] === 'function' || (options.port === undefined && 'port' in options) || options.port === null) options.port = 0;
      let { port = 0, host } = options;
      const backlog = typeof args[2] === 'number' ? args[2] : options.backlog ?? 511;
      if (typeof options.path === 'string' && options.path !== '' && options.port === undefined) return this.listenPipe(options.path, options.readableAll === true, options.writableAll === true);
      port = validators().validatePort(port, 'options.port');
      const family = host && nodeLib('internal/net').isIPv6(host) ? 6 : 4;
      const address = host ?? (family === 6 ? '::' : '0.0.0.0');
      const handle = netTransport().open();
      this.pendingListen = handle;
      handle.listen({ address, port, family }, backlog, (peer, remote) => this.accept(peer, remote), (code) => {
        if (this.pendingListen !== handle) return;
        this.pendingListen = null;
        if (code) {
          handle.close();
          // Node binds with the unspecified address when none was given and names it so.
          nextTick(() => this.emit('error', hostPortError(code, 'listen', host ?? '0.0.0.0', port, true)));
          return;
        }
        this._handle = handle;
        if (!this.refed) handle.ref(false);
        nextTick(() => this.emit('listening'));
      });
      return this;
    }

    /** listen(path): a Unix domain socket, its file made (or refused) at once. */
    listenPipe(given: string, readableAll: boolean, writableAll: boolean) {
      const handle = netTransport().open();
      handle.listenPath(pipeAddress(given), { readableAll, writableAll }, (peer) => this.accept(peer, undefined), (code) => {
        if (code) {
          handle.close();
          nextTick(() => this.emit('error', pipeError(code, 'listen', given)));
          return;
        }
        this._handle = handle;
        this.pipeName = given;
        if (!this.refed) handle.ref(false);
        nextTick(() => this.emit('listening'));
      });
      return this;
    }

    /** `remote` undefined: a Unix socket's peer, which has no address (Node leaves remoteAddress unset). */
    accept(peer: NetHandle, remote: Endpoint | undefined) {
      if (this.maxConnections !== undefined && this._connections >= this.maxConnections) { peer.close(); return; }
      const socket = new Socket({ handle: peer, allowHalfOpen: this.allowHalfOpen, pauseOnCreate: this.pauseOnConnect });
      if (remote) Object.assign(socket, { remoteAddress: remote.address, remotePort: remote.port, remoteFamily: `IPv${remote.family}` });
      Object.assign(socket, { server: this });
      this._connections++;
      socket.on('close', () => { this._connections--; this.maybeClosed(); });
      this.emit('connection', socket);
    }

    maybeClosed() {
      if (this.closing && !this._handle && this._connections === 0) { this.closing = false; nextTick(() => this.emit('close')); }
    }

    address() {
      if (this._handle && this.pipeName !== undefined) return this.pipeName;
      const l = this._handle?.local();
      return l ? { address: l.address, family: `IPv${l.family}`, port: l.port } : null;
    }

    close(cb?: (err?: Error) => void) {
      if (typeof cb === 'function') {
        if (!this._handle) this.once('close', () => cb(nodeErr('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
        else this.once('close', cb);
      }
      if (this._handle) { this._handle.close(); this._handle = null; this.pipeName = undefined; }
      if (this.pendingListen) { this.pendingListen.close(); this.pendingListen = null; }
      this.closing = true;
      this.maybeClosed();
      return this;
    }

    getConnections(cb: (err: Error | null, count: number) => void) {
      nextTick(cb, null, this._connections);
      return this;
    }
    ref() { this.refed = true; this._handle?.ref(true); return this; }
    unref() { this.refed = false; this._handle?.ref(false); return this; }
    [Symbol.for('nodejs.asyncDispose')]() {
      return new Promise<void>((resolve) => (this._handle ? this.close(() => resolve()) : resolve()));
    }
  }
  function Server(this: any, options?: any, listener?: (socket: unknown) => void): any {
    if (!(this instanceof (Server as any))) return new (Server as any)(options, listener);
    EventEmitter.call(this);
    if (typeof options === 'function') { listener = options; options = {}; }
    else if (options == null || typeof options === 'object') options = { ...options };
    else throw new (codes().ERR_INVALID_ARG_TYPE)('options', 'Object', options);
    Object.assign(this, { _handle: null, pendingListen: null, refed: true, _connections: 0, closing: false });
    if (listener) this.on('connection', listener);
    this.allowHalfOpen = Boolean(options.allowHalfOpen);
    this.pauseOnConnect = Boolean(options.pauseOnConnect);
  }
  return withMethods(Server, ServerMethods, EventEmitter);
}

function nodeErr(code: string, message: string) {
  const err = new Error(message) as NodeErr;
  err.code = code;
  return err;
}

let loaded: Record<string, unknown> | undefined;

export function loadNet(): Record<string, unknown> {
  if (loaded) return loaded;
  const internalNet = nodeLib('internal/net');
  const { BlockList } = nodeLib('internal/blocklist');
  const { SocketAddress } = nodeLib('internal/socketaddress');
  const Socket = makeSocket(stream().Duplex);
  const Server = makeServer(nodeLib('events'), Socket);
  const connect = (...args: any[]) => {
    const [options, cb] = normalizeArgs(args);
    const socket = new Socket(options);
    if (options.timeout) socket.setTimeout(options.timeout);
    const normalized: any = [options, cb];
    normalized[normalizedArgs] = true;
    return socket.connect(normalized);
  };
  loaded = {
    isIP: internalNet.isIP,
    isIPv4: internalNet.isIPv4,
    isIPv6: internalNet.isIPv6,
    BlockList,
    SocketAddress,
    Socket,
    Stream: Socket,
    Server,
    connect,
    createConnection: connect,
    createServer: (options?: unknown, listener?: unknown) => new Server(options, listener as never),
    _normalizeArgs: normalizeArgs,
    getDefaultAutoSelectFamily: () => autoSelectFamilyDefault,
    setDefaultAutoSelectFamily(value: unknown) {
      validators().validateBoolean(value, 'value');
      autoSelectFamilyDefault = value as boolean;
    },
    getDefaultAutoSelectFamilyAttemptTimeout: () => autoSelectFamilyAttemptTimeoutDefault,
    setDefaultAutoSelectFamilyAttemptTimeout(value: unknown) {
      validators().validateInt32(value, 'value', 1);
      autoSelectFamilyAttemptTimeoutDefault = Math.max(value as number, 10);
    },
  };
  return loaded;
}
