import { E, WasiError } from './errno.js';
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

