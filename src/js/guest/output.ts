import { block, hooks } from './hooks.js';

/**
 * Every byte a guest writes to stdout or stderr passes here. Writes are fire-and-forget
 * (cheap and ordered); once per window the guest waits until the host has room, so a
 * guest printing in a tight loop cannot pile up output in the daemon. A write larger than
 * the window crosses a window at a time, with the wait between: one 256 MiB write would
 * otherwise be copied into the daemon whole before any wait.
 */
let window = 0;
let sinceWait = 0;

// Taken before guest code runs, which may replace any of them.
const apply = Reflect.apply;
const sliceString = String.prototype.slice;
const exec = RegExp.prototype.exec;
/** A high surrogate then a low one: the two halves of one character. */
const SPLIT_PAIR = /^[\uD800-\uDBFF][\uDC00-\uDFFF]$/;
// A copy, not a view: a view crosses to the daemon with the whole buffer behind it.
const sliceBytes = Uint8Array.prototype.slice;
const byteLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')!.get!;

export function configureOutput(windowBytes: number): void {
  window = windowBytes;
  sinceWait = 0;
}

export function writeOut(fd: 1 | 2, data: string | Uint8Array): void {
  const text = typeof data === 'string';
  const length = text ? data.length : (apply(byteLength, data, []) as number);
  if (window <= 0 || length <= window) return send(fd, data, length);
  for (let at = 0; at < length; ) {
    let end = Math.min(length, at + window);
    // Never between the two halves of a surrogate pair: each piece is encoded on its own.
    if (text && end < length && apply(exec, SPLIT_PAIR, [apply(sliceString, data, [end - 1, end + 1])]) !== null) end--;
    send(fd, apply(text ? sliceString : sliceBytes, data, [at, end]) as string | Uint8Array, end - at);
    at = end;
  }
}

function send(fd: 1 | 2, data: string | Uint8Array, length: number): void {
  hooks.write(fd, data);
  sinceWait += length;
  if (window > 0 && sinceWait >= window) {
    sinceWait = 0;
    block('outputWindow');
  }
}

