import { lazyBuffer } from './lazy.js';
import { nodeError } from './node/errors.js';

// One pair of functions for both places Node has them: globalThis.atob is buffer.atob
// (test/common compares the globals it finds against buffer's). WHATWG's forgiving-base64.
const INVALID_CHAR = 'Invalid character';
const domError = (message: string) => new (globalThis as unknown as { DOMException: new (m: string, n: string) => Error }).DOMException(message, 'InvalidCharacterError');

export function btoa(...args: unknown[]): string {
  if (args.length === 0) throw nodeError('ERR_MISSING_ARGS', 'input');
  const input = `${args[0]}`;
  for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) > 0xff) throw domError(INVALID_CHAR);
  return lazyBuffer().from(input, 'latin1').toString('base64');
}

export function atob(...args: unknown[]): string {
  if (args.length === 0) throw nodeError('ERR_MISSING_ARGS', 'input');
  // ASCII whitespace removed, padding checked.
  let input = `${args[0]}`.replace(/[\t\n\f\r ]/g, '');
  if (input.length % 4 === 0) input = input.replace(/==?$/, '');
  if (/[^A-Za-z0-9+/]/.test(input)) throw domError(INVALID_CHAR);
  if (input.length % 4 === 1) throw domError('The string to be decoded is not correctly encoded.');
  return lazyBuffer().from(input, 'base64').toString('latin1');
}
