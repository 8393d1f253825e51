import { E, WasiError } from './errno.js';
import { pollFds } from './poll-fds.js';
import type { Wasi } from './wasi.js';

type Fn = (...args: any[]) => number | void;

/** host_tty: no process has a terminal (no pty is offered yet). */
export function hostTtyImports(wasi: Wasi): Record<string, Fn> {
  return {
    isatty: () => 0,
    set_raw_mode: () => E.NOTTY,
    // Timed terminal reads (brush's line editor): there is no terminal, so "no input".
    read: () => 0,
    get_size(fd: number) {
      wasi.fd(fd);
      throw new WasiError(E.NOTTY);
    },
  };
}

/**
 * host_net: a sandbox without network. No fd is ever a socket, so send/recv answer
 * NOTSOCK (the libc's read/write hook then falls back to fd_read/fd_write, which is how
 * pipes keep working); socket creation answers "address family not supported"; poll
 * works on every other kind of fd.
 */
export function hostNetImports(wasi: Wasi): Record<string, Fn> {
  const notSocket = (fd: number) => {
    wasi.fd(fd);
    throw new WasiError(E.NOTSOCK);
  };
  const noNetwork = () => {
    throw new WasiError(E.AFNOSUPPORT);
  };
  return {
    net_send: notSocket,
    net_recv: notSocket,
    net_sendto: notSocket,
    net_recvfrom: notSocket,
    net_connect: notSocket,
    net_bind: notSocket,
    net_listen: notSocket,
    net_accept: notSocket,
    net_validate_socket: notSocket,
    net_validate_accept: notSocket,
    net_setsockopt: notSocket,
    net_getsockopt: notSocket,
    net_getsockname: notSocket,
    net_getpeername: notSocket,
    net_tls_connect: notSocket,
    net_close: notSocket,
    net_socket: noNetwork,
    net_getaddrinfo: noNetwork,
    net_dns_query_rr_v1: noNetwork,
    // The libc's poll() comes here for every fd, so it must answer for pipes and files.
    net_poll(fdsPtr: number, nfds: number, timeoutMs: number, retReady: number) {
      const v = wasi.view();
      const entries = Array.from({ length: nfds }, (_, i) => ({ fd: v.getInt32(fdsPtr + i * 8, true), events: v.getInt16(fdsPtr + i * 8 + 4, true) }));
      const revents = pollFds(wasi, entries, timeoutMs | 0);
      const out = wasi.view();
      revents.forEach((r, i) => out.setInt16(fdsPtr + i * 8 + 6, r, true));
      out.setUint32(retReady, revents.filter((r) => r !== 0).length, true);
    },
  };
}
