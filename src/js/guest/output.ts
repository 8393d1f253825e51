import { block, hooks } from './hooks.js';

/**
 * Every byte a guest writes to stdout or stderr passes here. Writes are fire-and-forget
 * (cheap and ordered); once per window the guest waits until the host has room, so a
 * guest printing in a tight loop cannot pile up output in the daemon.
 */
let window = 0;
let sinceWait = 0;

export function configureOutput(windowBytes: number): void {
  window = windowBytes;
  sinceWait = 0;
}

export function writeOut(fd: 1 | 2, data: string | Uint8Array): void {
  hooks.write(fd, data);
  sinceWait += typeof data === 'string' ? data.length : data.byteLength;
  if (window > 0 && sinceWait >= window) {
    sinceWait = 0;
    block('outputWindow');
  }
}
