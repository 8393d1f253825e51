import { E, WasiError } from './errno.js';
import { pollFds } from './poll-fds.js';
import type { Wasi } from './wasi.js';

type Fn = (...args: any[]) => number | void;

/** host_tty: the process's stdio are a terminal when it was spawned with a pty (or inherited one). */
export function hostTtyImports(wasi: Wasi): Record<string, Fn> {
  const stdinIsTty = () => wasi.isTty(0);
  return {
    isatty: (fd: number) => (wasi.isTty(fd) ? 1 : 0),
    set_raw_mode(enabled: number) {
      if (!stdinIsTty()) throw new WasiError(E.NOTTY);
      wasi.hostProc('ttyRaw', enabled !== 0);
    },
    // A timed read of the terminal (brush's line editor): 0 on timeout or EOF; no terminal, no input.
    read(buf: number, len: number, timeoutMs: number) {
      if (!stdinIsTty() || len <= 0) return 0;
      if (timeoutMs >>> 0 !== 0xffffffff) {
        const ready = wasi.hooks.block.applySyncPromise(undefined, ['stdinPoll', timeoutMs >>> 0]) as number;
        if (ready <= 0) return 0;
      }
      const data = (wasi.hooks.block.applySyncPromise(undefined, ['stdinSome', Math.min(len, wasi.callMaxBytes)]) as Uint8Array | null) ?? new Uint8Array(0);
      wasi.bytes(buf, data.byteLength).set(data);
      return data.byteLength;
    },
    get_size(fd: number, colsPtr: number, rowsPtr: number) {
      if (!wasi.isTty(fd)) throw new WasiError(E.NOTTY);
      const { cols, rows } = wasi.hostProc<{ cols: number; rows: number }>('ttySize');
      const v = wasi.view();
      v.setUint16(colsPtr, cols, true);
      v.setUint16(rowsPtr, rows, true);
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
