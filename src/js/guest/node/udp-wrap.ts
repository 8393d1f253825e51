import { netHost } from './net-host.js';
import { UV_ERRORS } from './uv-errors.js';

/**
 * internalBinding('udp_wrap') for Node's own lib/dgram.js and lib/internal/dgram.js
 * (vendored under vendor/node/lib): a UDP handle whose socket lives in the daemon, in the
 * VM's UDP table (src/net/udp.ts, through src/js/node-host/udp-calls.ts). The calls and
 * return values are those of Node's C++ UDPWrap over libuv: negative errno numbers, a send
 * that finished at once returns its size + 1, one that goes to the world completes later
 * through its SendWrap's oncomplete. The socket options are answered here as Linux answers
 * them for a host whose only interface is its loopback (the VM's): the same range checks,
 * EBADF before the socket exists, ENODEV for a multicast group no interface routes to.
 */

const UV = new Map(UV_ERRORS.map(([n, name]) => [name, n]));
const uv = (code: string): number => UV.get(code) ?? UV.get('EINVAL')!;
const UV_EBADF = uv('EBADF');
const UV_EINVAL = uv('EINVAL');
export const UV_UDP_IPV6ONLY = 1;
/** The largest UDP payload over IPv4 and IPv6 (the daemon checks again: src/net/udp.ts). */
const MAX_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;
const UV_UDP_REUSEADDR = 4;

type Endpoint = { address: string; family: 4 | 6; port: number };
type Listener = (kind: string, data: unknown) => void;

const call = <T>(op: string, args: unknown[]): T => netHost().nodeCall<T>(op, args);
const listen = (id: number, listener: Listener | undefined) => netHost().netListen(id, listener);
const isIP = (text: string): number => netHost().nodeRequire('net').isIP(text);
/** What Node's C++ binding makes of a numeric argument (Uint32Value: a bind(callback) port is 0). */
const u32 = (v: unknown): number => Number(v) >>> 0;
const BufferCtor = () => (globalThis as unknown as { Buffer: { from(ab: ArrayBufferLike, offset: number, length: number): Uint8Array } }).Buffer;

interface SendReq {
  oncomplete?: (status: number, sent?: number) => void;
}

const bytesOf = (v: ArrayBufferView): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** The datagram's bytes, whatever views (DataView, Float64Array ...) carry them. */
function concat(list: ArrayBufferView[], count: number): Uint8Array {
  if (count === 1) return bytesOf(list[0]!);
  let total = 0;
  for (let i = 0; i < count; i++) total += list[i]!.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < count; i++) {
    out.set(bytesOf(list[i]!), at);
    at += list[i]!.byteLength;
  }
  return out;
}

const isMulticast4 = (a: string) => isIP(a) === 4 && Number(a.split('.')[0]) >= 224 && Number(a.split('.')[0]) <= 239;
const isMulticast6 = (a: string) => isIP(a) === 6 && /^ff/i.test(a);
const isLoopback4 = (a: string) => isIP(a) === 4 && a.split('.')[0] === '127';

export class SendWrap {
  oncomplete?: (status: number, sent?: number) => void;
}

export class UDP {
  onmessage?: (nread: number, handle: UDP, buf?: Uint8Array, rinfo?: object) => void;
  onerror?: unknown;
  lookup?: unknown;
  private id: number | undefined;
  private family: 4 | 6 | undefined;
  private refed = true;
  private closed = false;
  private nextReq = 1;
  private readonly pending = new Map<number, SendReq>();
  private readonly groups = new Set<string>();

  getAsyncId(): number {
    return -1;
  }

  get fd(): number {
    return -1;
  }

  /** The family this handle's socket is (udp6 handles have bind6 as bind: internal/dgram.js newHandle). */
  private kind(): 4 | 6 {
    return this.family ?? ((this as unknown as { bind: unknown }).bind === UDP.prototype.bind6 ? 6 : 4);
  }

  private ensureOpen(family: 4 | 6): number {
    if (this.id !== undefined) return this.id;
    this.family = family;
    const id = call<number>('net.udp.open', [family]);
    this.id = id;
    listen(id, (kind, data) => this.event(kind, data));
    if (!this.refed) call('net.udp.ref', [id, false]);
    return id;
  }

  private event(kind: string, data: unknown): void {
    if (this.closed) return;
    if (kind === 'message') {
      const d = data as { data: Uint8Array; address: string; family: 4 | 6; port: number };
      const buf = BufferCtor().from(d.data.buffer, d.data.byteOffset, d.data.byteLength);
      this.onmessage?.(d.data.byteLength, this, buf, { address: d.address, family: d.family === 6 ? 'IPv6' : 'IPv4', port: d.port });
    } else if (kind === 'error') {
      this.onmessage?.(uv((data as { code: string }).code), this);
    } else if (kind === 'sent') {
      const d = data as { req: number; code: string | null; size: number };
      const req = this.pending.get(d.req);
      this.pending.delete(d.req);
      req?.oncomplete?.(d.code ? uv(d.code) : 0, d.size);
    }
  }

  private doBind(family: 4 | 6, ip: string, port: number, flags: number): number {
    if (this.closed) return UV_EBADF;
    if (typeof ip !== 'string' || isIP(ip) !== family) return UV_EINVAL;
    const id = this.ensureOpen(family);
    const err = call<string | null>('net.udp.bind', [id, ip, u32(port), u32(flags)]);
    return err ? uv(err) : 0;
  }

  bind(ip: string, port: number, flags: number): number {
    return this.doBind(4, ip, port, flags);
  }

  bind6(ip: string, port: number, flags: number): number {
    return this.doBind(6, ip, port, flags);
  }

  open(_fd: number): number {
    return UV_EBADF;
  }

  private doConnect(family: 4 | 6, ip: string, port: number): number {
    if (this.closed) return UV_EBADF;
    if (isIP(ip) !== family) return UV_EINVAL;
    const id = this.ensureOpen(family);
    const err = call<string | null>('net.udp.connect', [id, ip, u32(port)]);
    return err ? uv(err) : 0;
  }

  connect(ip: string, port: number): number {
    return this.doConnect(4, ip, port);
  }

  connect6(ip: string, port: number): number {
    return this.doConnect(6, ip, port);
  }

  disconnect(): number {
    if (this.id === undefined || this.closed) return UV_EBADF;
    const err = call<string | null>('net.udp.disconnect', [this.id]);
    return err ? uv(err) : 0;
  }

  /** send(req, list, count, port, ip, hasCallback) to an address; send(req, list, count, hasCallback) on a connected socket. */
  private doSend(family: 4 | 6, args: unknown[]): number {
    const [req, list, count] = args as [SendReq, ArrayBufferView[], number];
    const to = args.length >= 6;
    const port = to ? u32(args[3]) : null;
    const ip = to ? (args[4] as string) : null;
    const hasCallback = args[args.length - 1] === true;
    if (this.closed) return UV_EBADF;
    if (ip !== null && isIP(ip) !== family) return UV_EINVAL;
    // Past the largest datagram, as the kernel answers, before any byte crosses to the daemon.
    let total = 0;
    for (let i = 0; i < count; i++) total += list[i]!.byteLength;
    if (total > MAX_PAYLOAD[family]) return uv('EMSGSIZE');
    const id = this.ensureOpen(family);
    const reqId = this.nextReq++;
    const result = call<number | string | null>('net.udp.send', [id, concat(list, count), ip, port, hasCallback ? reqId : null]);
    if (typeof result === 'number') return result + 1;
    if (typeof result === 'string') return uv(result);
    if (hasCallback) this.pending.set(reqId, req);
    return 0;
  }

  send(...args: unknown[]): number {
    return this.doSend(4, args);
  }

  send6(...args: unknown[]): number {
    return this.doSend(6, args);
  }

  recvStart(): number {
    if (this.id === undefined || this.closed) return UV_EBADF;
    call('net.udp.recv', [this.id, true]);
    return 0;
  }

  recvStop(): number {
    if (this.id === undefined || this.closed) return 0;
    call('net.udp.recv', [this.id, false]);
    return 0;
  }

  private endpoint(op: 'net.udp.local' | 'net.udp.remote', out: Record<string, unknown>): number {
    if (this.id === undefined || this.closed) return UV_EBADF;
    const got = call<Endpoint | string>(op, [this.id]);
    if (typeof got === 'string') return uv(got);
    out.address = got.address;
    out.family = got.family === 6 ? 'IPv6' : 'IPv4';
    out.port = got.port;
    return 0;
  }

  getsockname(out: Record<string, unknown>): number {
    return this.endpoint('net.udp.local', out);
  }

  getpeername(out: Record<string, unknown>): number {
    return this.endpoint('net.udp.remote', out);
  }

  /** A socket option: EBADF until the socket exists (libuv opens it at bind), else 0. */
  private option(): number {
    return this.id === undefined || this.closed ? UV_EBADF : 0;
  }

  setBroadcast(_on: number): number {
    return this.option();
  }

  setTTL(ttl: number): number {
    if (ttl < 1 || ttl > 255) return UV_EINVAL;
    return this.option();
  }

  setMulticastTTL(ttl: number): number {
    if (ttl < 0 || ttl > 255) return UV_EINVAL;
    return this.option();
  }

  setMulticastLoopback(_on: number): number {
    return this.option();
  }

  setMulticastInterface(iface: string): number {
    const v6 = this.kind() === 6;
    const address = v6 ? iface.replace(/%.*$/, '') : iface;
    if (isIP(address) !== (v6 ? 6 : 4)) return UV_EINVAL;
    const err = this.option();
    if (err) return err;
    // The VM's one interface is its loopback: the any address picks it, any other is not ours.
    if (v6) return address === '::' || /%(lo|1)$/.test(iface) || address === '::1' ? 0 : uv('ENXIO');
    return address === '0.0.0.0' || isLoopback4(address) ? 0 : uv('EADDRNOTAVAIL');
  }

  /** Joins or leaves a group (libuv binds an unbound socket first, with SO_REUSEADDR). */
  private membership(group: string, iface: string | undefined, join: boolean, source?: string): number {
    const family = isIP(group);
    if (family === 0 || (source !== undefined && isIP(source) !== family)) return UV_EINVAL;
    if (iface !== undefined && iface !== null && isIP(iface.replace(/%.*$/, '')) !== family) return UV_EINVAL;
    if (this.closed) return UV_EBADF;
    if (this.id === undefined) {
      const err = this.doBind(family as 4 | 6, family === 4 ? '0.0.0.0' : '::', 0, UV_UDP_REUSEADDR);
      if (err) return err;
    }
    if (!(family === 4 ? isMulticast4(group) : isMulticast6(group))) return UV_EINVAL;
    const key = `${source ?? ''}|${group}`;
    if (!join) {
      if (!this.groups.delete(key)) return uv('EADDRNOTAVAIL');
      return 0;
    }
    // Only the loopback can carry a group here, and only when named as the interface.
    const onLoopback = iface !== undefined && iface !== null && (family === 4 ? isLoopback4(iface) : /^::1$|%(lo|1)$/.test(iface));
    if (!onLoopback) return uv('ENODEV');
    if (this.groups.has(key)) return uv('EADDRINUSE');
    this.groups.add(key);
    return 0;
  }

  addMembership(group: string, iface?: string): number {
    return this.membership(group, iface, true);
  }

  dropMembership(group: string, iface?: string): number {
    return this.membership(group, iface, false);
  }

  addSourceSpecificMembership(source: string, group: string, iface?: string): number {
    return this.membership(group, iface, true, source);
  }

  dropSourceSpecificMembership(source: string, group: string, iface?: string): number {
    return this.membership(group, iface, false, source);
  }

  /** SO_RCVBUF/SO_SNDBUF (0 reads it); undefined with `ctx` filled as Node's binding does on an error. */
  bufferSize(size: number, recv: boolean, ctx: Record<string, unknown>): number | undefined {
    const syscall = recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size';
    const got = this.id === undefined || this.closed ? 'EBADF' : call<number | string>('net.udp.buffer', [this.id, size, recv]);
    if (typeof got === 'number') return got;
    const errno = uv(got);
    ctx.errno = errno;
    ctx.code = got;
    ctx.message = UV_ERRORS.find(([n]) => n === errno)?.[2] ?? got;
    ctx.syscall = syscall;
    return undefined;
  }

  getSendQueueSize(): number {
    if (this.id === undefined || this.closed) return 0;
    return call<{ size: number }>('net.udp.queue', [this.id]).size;
  }

  getSendQueueCount(): number {
    if (this.id === undefined || this.closed) return 0;
    return call<{ count: number }>('net.udp.queue', [this.id]).count;
  }

  ref(): void {
    this.refed = true;
    if (this.id !== undefined && !this.closed) call('net.udp.ref', [this.id, true]);
  }

  unref(): void {
    this.refed = false;
    if (this.id !== undefined && !this.closed) call('net.udp.ref', [this.id, false]);
  }

  hasRef(): boolean {
    return this.refed && !this.closed;
  }

  close(cb?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    if (this.id !== undefined) {
      listen(this.id, undefined);
      call('net.udp.close', [this.id]);
    }
    if (typeof cb === 'function') (globalThis as unknown as { setImmediate(fn: () => void): void }).setImmediate(cb);
  }
}

export const constants = { UV_UDP_IPV6ONLY, UV_UDP_REUSEADDR };
