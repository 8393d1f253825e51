import type { Buffer as BufferType } from 'buffer';
import { patchBuffer } from './node/buffer.js';
import { loadNodePath } from './node/path-module.js';

/**
 * The polyfills are loaded on first use, not at isolate start: evaluating them all costs
 * ~3.5 ms per isolate, more than the rest of a trivial process. esbuild keeps each
 * CommonJS dependency behind a wrapper that runs on its first `require`.
 */
declare function require(id: 'buffer'): { Buffer: typeof BufferType };

export interface PathModule {
  resolve(...parts: string[]): string;
  join(...parts: string[]): string;
  relative(from: string, to: string): string;
  [key: string]: unknown;
}

let buffer: typeof BufferType | undefined;
let path: PathModule | undefined;

export const lazyBuffer = (): typeof BufferType => (buffer ??= patchBuffer(require('buffer').Buffer as never));
/** Node's own lib/path.js (posix, with .posix and .win32), as `require('path')` gives it. */
export const lazyPath = (): PathModule => (path ??= loadNodePath((globalThis as { process?: unknown }).process) as PathModule);
