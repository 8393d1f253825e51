import { SOCK_CONNECTED, SOCK_CONNECTING, SOCK_LISTENING } from '../../process/socket-channel.js';
import type { SocketBuffers } from '../../process/socket-channel.js';
import { datagramRecv, datagramSend, daemonNetCall } from './datagrams.js';
import { E, WasiError } from './errno.js';
import { pollFds } from './poll-fds.js';
import { awaitConnected, formatAddress, parseAddress, socketOf, socketRecv, socketSend, type SocketDesc } from './sockets.js';
import { encodeUtf8 } from './utf8.js';
import type { Fd, Wasi } from './wasi.js';

type Fn = (...args: any[]) => number | void;

/**
 * The agentOS libc's address families are wasi-libc's (INET 1, INET6 2, UNIX 3; curl's
 * trace shows socket(1, ...) for an IPv4 connect), not Linux's; Linux's AF_INET6 (10) is
 * taken too.
 */
const AF_INET = 1;
const AF_INET6 = 2;
const AF_UNIX = 3;
const AF_INET6_LINUX = 10;
/** The libc's SOCK_* are WASI filetypes (DGRAM 5, STREAM 6); Linux's 1 and 2 are taken too. */
const SOCK_TYPE_MASK = 0xf;
const SOCK_NONBLOCK = 0x4000;
const SOCK_CLOEXEC = 0x2000;
const FDFLAG_NONBLOCK = 4;
const SOL_SOCKET = 1;
const SOL_SOCKET_WASI = 0x7fffffff;
const IPPROTO_TCP = 6;
const SO_REUSEADDR = 2;
const SO_TYPE = 3;
const SO_ERROR = 4;
const SO_KEEPALIVE = 9;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const SO_ACCEPTCONN = 30;
const SO_DOMAIN = 39;
const TCP_NODELAY = 1;
/** recv/send flags are Linux's (wget peeks with 2, curl sends with 0x4000). */
const MSG_PEEK = 2;
/** recv: answer a datagram's whole size, even when it was cut to the buffer. */
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const ALL_RIGHTS = 0x1fffffffn;
/** What SO_SNDBUF/SO_RCVBUF report for a UDP socket: Linux's default (src/net/udp.ts keeps the same). */
const UDP_BUFFER_BYTES = 212_992;
/** struct timeval {i64 sec, i64 usec}, and an int option value. */
const TIMEVAL_BYTES = 16;
const INT_BYTES = 4;

/** An IP literal's family, or 0 for a name. */
function literalFamily(host: string): 0 | 4 | 6 {
  if (/^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(host)) return 4;
  if (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host)) return 6;
  return 0;
}

/**
 * host_net: TCP sockets in the process's one fd table, their bytes moved through shared
 * rings (sockets.ts) and their connections made by the daemon through the VM's network,
 * which judges each by the VM's policy; UDP sockets on the VM's UDP table (datagrams.ts),
 * the same one guest JS `dgram` uses. poll answers for every kind of fd.
 */
export function hostNetImports(wasi: Wasi): Record<string, Fn> {
  const sock = (n: number): { fd: Fd; s: SocketDesc } => {
    const fd = wasi.fd(n);
    if (!fd.socket) throw new WasiError(E.NOTSOCK);
    return { fd, s: fd.socket };
  };
  const nonblocking = (fd: Fd) => (fd.fdflags & FDFLAG_NONBLOCK) !== 0;
  const daemon = <T>(op: 'netLookup' | 'netListen', request: unknown): T => daemonNetCall<T>(wasi, op, request);
  const adopt = (handle: { id: number; buffers: SocketBuffers }, type: 'stream' | 'dgram', family: 4 | 6, fdflags: number, cloexec: boolean): number => {
    const entry: Fd = { kind: 'socket', vmPath: '', root: '', socket: socketOf({ ...handle, type, family }), rights: ALL_RIGHTS, inheriting: ALL_RIGHTS, fdflags };
    if (cloexec) entry.cloexec = true;
    try {
      return wasi.allocFd(entry);
    } catch (err) {
      wasi.hostProc('netRef', handle.id, -1);
      throw err;
    }
  };
  const writeAddress = (text: string, ptr: number, lenPtr: number) => {
    const bytes = encodeUtf8(text);
    const cap = wasi.view().getUint32(lenPtr, true);
    const n = Math.min(cap, bytes.byteLength);
    wasi.bytes(ptr, n).set(bytes.subarray(0, n));
    wasi.view().setUint32(lenPtr, n, true);
  };
  const nameOf = (n: number, peer: boolean) => {
    const { s } = sock(n);
    const a = wasi.hostProc<{ address: string; port: number }>('netName', s.id, peer);
    return formatAddress(a.address, a.port);
  };
  /** recv/recvfrom: the bytes read, and for a datagram its source (written where the caller asked). */
  const recvInto = (n: number, ptr: number, cap: number, flags: number, addrPtr = 0, addrLenPtr = 0): number => {
    const { fd, s } = sock(n);
    const len = Math.min(cap >>> 0, wasi.limits.callMaxBytes);
    const peek = (flags & MSG_PEEK) !== 0;
    const dontWait = nonblocking(fd) || (flags & MSG_DONTWAIT) !== 0;
    if (s.type === 'dgram') {
      const got = datagramRecv(wasi, s, len, dontWait, peek);
      wasi.bytes(ptr, got.data.byteLength).set(got.data);
      if (addrPtr !== 0 && addrLenPtr !== 0) writeAddress(got.from, addrPtr, addrLenPtr);
      return flags & MSG_TRUNC ? got.size : got.data.byteLength;
    }
    const got = socketRecv(s, wasi.bytes(ptr, len), dontWait, peek);
    if (addrPtr !== 0 && addrLenPtr !== 0) writeAddress(nameOf(n, true), addrPtr, addrLenPtr);
    return got;
  };
  /** send/sendto: a datagram goes whole to `to` (or the connected peer), or not at all. */
  const sendFrom = (n: number, ptr: number, len: number, flags: number, to?: { host: string; port: number }): number => {
    const { fd, s } = sock(n);
    if (s.type === 'dgram') {
      // A datagram is never cut: past what one call carries it is too long, as past UDP's own size.
      if (len >>> 0 > wasi.limits.callMaxBytes) throw new WasiError(E.MSGSIZE);
      return datagramSend(wasi, s, wasi.bytes(ptr, len).slice(), to);
    }
    const data = wasi.bytes(ptr, Math.min(len >>> 0, wasi.limits.callMaxBytes)).slice();
    return socketSend(s, data, nonblocking(fd) || (flags & MSG_DONTWAIT) !== 0, () => {
      if ((flags & MSG_NOSIGNAL) === 0) wasi.onBrokenPipe();
    });
  };
  return {
    net_socket(domain: number, type: number, _protocol: number, retFd: number) {
      // No AF_UNIX sockets: the VM has no socket files.
      if (domain === AF_UNIX) throw new WasiError(E.AFNOSUPPORT);
      if (domain !== AF_INET && domain !== AF_INET6 && domain !== AF_INET6_LINUX) throw new WasiError(E.AFNOSUPPORT);
      const kind = type & SOCK_TYPE_MASK;
      const dgram = kind === 5 || kind === 2;
      if (!dgram && kind !== 6 && kind !== 1) throw new WasiError(E.PROTOTYPE);
      wasi.checkRoom();
      const family = domain === AF_INET ? 4 : 6;
      const handle = wasi.hostProc<{ id: number; buffers: SocketBuffers }>('netSocket', family, dgram ? 'dgram' : 'stream');
      const fd = adopt(handle, dgram ? 'dgram' : 'stream', family, type & SOCK_NONBLOCK ? FDFLAG_NONBLOCK : 0, (type & SOCK_CLOEXEC) !== 0);
      wasi.view().setUint32(retFd, fd, true);
    },
    net_connect(n: number, addrPtr: number, addrLen: number) {
      const { fd, s } = sock(n);
      const { host, port } = parseAddress(wasi.string(addrPtr, addrLen));
      // UDP: a default peer, set at once (never EINPROGRESS).
      if (s.type === 'dgram') return void wasi.hostProc('netConnect', s.id, host, port, null);
      if (s.channel.state === SOCK_CONNECTING && nonblocking(fd)) throw new WasiError(E.ALREADY);
      wasi.hostProc('netConnect', s.id, host, port, null);
      if (nonblocking(fd)) throw new WasiError(E.INPROGRESS);
      const errno = awaitConnected(s);
      if (errno !== 0) throw new WasiError(errno);
    },
    net_tls_connect(n: number, hostPtr: number, hostLen: number) {
      const { s } = sock(n);
      const servername = wasi.string(hostPtr, hostLen);
      if (s.channel.state !== SOCK_CONNECTED) throw new WasiError(E.NOTCONN);
      // The daemon does TLS: the connection is made again to the same peer, with TLS.
      wasi.hostProc('netTls', s.id, servername);
      const errno = awaitConnected(s);
      if (errno !== 0) throw new WasiError(errno);
    },
    net_bind(n: number, addrPtr: number, addrLen: number) {
      const { s } = sock(n);
      const { host, port } = parseAddress(wasi.string(addrPtr, addrLen));
      wasi.hostProc('netBind', s.id, host, port);
    },
    net_listen(n: number, backlog: number) {
      const { s } = sock(n);
      if (s.channel.state === SOCK_LISTENING) return;
      daemon('netListen', { id: s.id, backlog: backlog | 0 });
    },
    net_accept(n: number, retFd: number, addrPtr: number, addrLenPtr: number) {
      const { fd, s } = sock(n);
      if (s.type === 'dgram') throw new WasiError(E.NOTSUP);
      if (s.channel.state !== SOCK_LISTENING) throw new WasiError(E.INVAL);
      for (;;) {
        const seen = s.channel.rx.seen;
        if (s.channel.pending > 0) {
          let handle: { id: number; buffers: SocketBuffers; remote: { address: string; port: number } };
          try {
            handle = wasi.hostProc('netAccept', s.id);
          } catch (err) {
            if (err instanceof WasiError && err.errno === E.AGAIN) continue;
            throw err;
          }
          const accepted = adopt(handle, 'stream', s.family, 0, false);
          wasi.view().setUint32(retFd, accepted, true);
          if (addrPtr !== 0 && addrLenPtr !== 0) writeAddress(formatAddress(handle.remote.address, handle.remote.port), addrPtr, addrLenPtr);
          return;
        }
        if (nonblocking(fd)) throw new WasiError(E.AGAIN);
        s.channel.rx.waitChange(seen);
      }
    },
    net_validate_socket(n: number) {
      sock(n);
    },
    net_validate_accept(n: number) {
      const { s } = sock(n);
      if (s.type === 'dgram') throw new WasiError(E.NOTSUP);
      if (s.channel.state !== SOCK_LISTENING) throw new WasiError(E.INVAL);
    },
    net_send(n: number, ptr: number, len: number, flags: number, ret: number) {
      const sent = sendFrom(n, ptr, len, flags);
      wasi.view().setUint32(ret, sent, true);
    },
    net_recv(n: number, ptr: number, cap: number, flags: number, ret: number) {
      const got = recvInto(n, ptr, cap, flags);
      wasi.view().setUint32(ret, got, true);
    },
    net_sendto(n: number, ptr: number, len: number, flags: number, addrPtr: number, addrLen: number, ret: number) {
      const { s } = sock(n);
      if (s.type === 'dgram') {
        const to = addrLen !== 0 ? parseAddress(wasi.string(addrPtr, addrLen)) : undefined;
        return void wasi.view().setUint32(ret, sendFrom(n, ptr, len, flags, to), true);
      }
      // A stream socket ignores the address (as Linux does for a connected one).
      if (addrLen !== 0 && s.channel.state !== SOCK_CONNECTED) throw new WasiError(E.NOTCONN);
      wasi.view().setUint32(ret, sendFrom(n, ptr, len, flags), true);
    },
    net_recvfrom(n: number, ptr: number, cap: number, flags: number, ret: number, addrPtr: number, addrLenPtr: number) {
      const got = recvInto(n, ptr, cap, flags, addrPtr, addrLenPtr);
      wasi.view().setUint32(ret, got, true);
    },
    net_setsockopt(n: number, level: number, name: number, valPtr: number, valLen: number) {
      const { s } = sock(n);
      if (level === SOL_SOCKET || level === SOL_SOCKET_WASI) {
        if (name === SO_RCVTIMEO || name === SO_SNDTIMEO) {
          if (valLen < TIMEVAL_BYTES) throw new WasiError(E.INVAL);
          const v = wasi.view();
          const ms = Number(v.getBigInt64(valPtr, true)) * 1000 + Math.ceil(Number(v.getBigInt64(valPtr + 8, true)) / 1000);
          if (ms < 0) throw new WasiError(E.INVAL);
          if (name === SO_RCVTIMEO) s.recvTimeoutMs = ms;
          else s.sendTimeoutMs = ms;
          return;
        }
        // Accepted and without effect here: the daemon's streams choose these themselves.
        if (name === SO_REUSEADDR || name === SO_KEEPALIVE || name === 7 || name === 8 || name === 13 || name === 15) return;
        throw new WasiError(E.NOPROTOOPT);
      }
      if (level === IPPROTO_TCP) return;
      throw new WasiError(E.NOPROTOOPT);
    },
    net_getsockopt(n: number, level: number, name: number, valPtr: number, valLenPtr: number) {
      const { s } = sock(n);
      const v = wasi.view();
      const cap = v.getUint32(valLenPtr, true);
      const int = (value: number) => {
        if (cap < INT_BYTES) throw new WasiError(E.INVAL);
        v.setInt32(valPtr, value, true);
        v.setUint32(valLenPtr, INT_BYTES, true);
      };
      if (level === SOL_SOCKET || level === SOL_SOCKET_WASI) {
        switch (name) {
          case SO_ERROR:
            // A connect still under way has no error yet.
            return int(s.channel.state === SOCK_CONNECTING ? 0 : s.channel.takeErrno());
          case SO_TYPE:
            return int(s.type === 'stream' ? 6 : 5);
          case SO_ACCEPTCONN:
            return int(s.channel.state === SOCK_LISTENING ? 1 : 0);
          case SO_DOMAIN:
            return int(s.family === 6 ? AF_INET6 : AF_INET);
          case SO_RCVTIMEO:
          case SO_SNDTIMEO: {
            if (cap < TIMEVAL_BYTES) throw new WasiError(E.INVAL);
            const ms = name === SO_RCVTIMEO ? s.recvTimeoutMs : s.sendTimeoutMs;
            v.setBigInt64(valPtr, BigInt(Math.floor(ms / 1000)), true);
            v.setBigInt64(valPtr + 8, BigInt((ms % 1000) * 1000), true);
            v.setUint32(valLenPtr, TIMEVAL_BYTES, true);
            return;
          }
          case SO_REUSEADDR:
          case SO_KEEPALIVE:
            return int(0);
          case 7:
          case 8:
            // A UDP socket's buffers are the daemon's (Linux's default size); a stream's are its rings.
            return int(s.type === 'dgram' ? UDP_BUFFER_BYTES : s.channel.rx.capacity);
          default:
            throw new WasiError(E.NOPROTOOPT);
        }
      }
      if (level === IPPROTO_TCP && name === TCP_NODELAY) return int(1);
      throw new WasiError(E.NOPROTOOPT);
    },
    net_getsockname(n: number, ptr: number, lenPtr: number) {
      writeAddress(nameOf(n, false), ptr, lenPtr);
    },
    net_getpeername(n: number, ptr: number, lenPtr: number) {
      writeAddress(nameOf(n, true), ptr, lenPtr);
    },
    net_close(n: number) {
      sock(n);
      wasi.closeFd(n);
    },
    net_getaddrinfo(hostPtr: number, hostLen: number, _portPtr: number, _portLen: number, family: number, outPtr: number, outLenPtr: number) {
      const host = wasi.string(hostPtr, hostLen, 253, E.INVAL);
      const want = family === 4 || family === 6 ? family : 0;
      const literal = literalFamily(host);
      let found: Array<{ address: string; family: 4 | 6 }>;
      if (literal !== 0) {
        if (want !== 0 && want !== literal) throw new WasiError(E.NOENT);
        found = [{ address: host, family: literal }];
      } else {
        found = daemon<Array<{ address: string; family: 4 | 6 }>>('netLookup', { name: host, family: want });
      }
      const json = encodeUtf8(JSON.stringify(found.map((a) => ({ addr: a.address, family: a.family }))));
      const cap = wasi.view().getUint32(outLenPtr, true);
      const n = Math.min(cap, json.byteLength);
      wasi.bytes(outPtr, n).set(json.subarray(0, n));
      wasi.view().setUint32(outLenPtr, n, true);
    },
    // Raw DNS records (ssh's PTR and SSHFP): not offered.
    net_dns_query_rr_v1: () => {
      throw new WasiError(E.NOTSUP);
    },
    // The libc's poll() comes here for every fd, so it must answer for pipes and files too.
    net_poll(fdsPtr: number, nfds: number, timeoutMs: number, retReady: number) {
      if (nfds >>> 0 > wasi.limits.maxOpenFiles * 4) throw new WasiError(E.INVAL);
      const v = wasi.view();
      const entries = Array.from({ length: nfds }, (_, i) => ({ fd: v.getInt32(fdsPtr + i * 8, true), events: v.getInt16(fdsPtr + i * 8 + 4, true) }));
      const revents = pollFds(wasi, entries, timeoutMs | 0);
      const out = wasi.view();
      revents.forEach((r, i) => out.setInt16(fdsPtr + i * 8 + 6, r, true));
      out.setUint32(retReady, revents.filter((r) => r !== 0).length, true);
    },
  };
}
