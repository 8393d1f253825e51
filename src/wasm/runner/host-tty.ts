import { E, WasiError } from './errno.js';
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
