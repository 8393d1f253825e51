import { lazyBuffer } from './lazy.js';

// One pair of functions for both places Node has them: globalThis.atob is buffer.atob
// (test/common compares the globals it finds against buffer's).
export const atob = (s: string) => lazyBuffer().from(String(s), 'base64').toString('latin1');
export const btoa = (s: string) => lazyBuffer().from(String(s), 'latin1').toString('base64');
