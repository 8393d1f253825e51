/**
 * `string_decoder`: the npm package, which is Node's lib/string_decoder.js (of Node 8, before
 * Node moved its state into C++), with Node 20's two differences: an unknown encoding is
 * Node's TypeError ERR_UNKNOWN_ENCODING, and `end()` leaves the decoder empty for reuse.
 */
import { nodeError } from '../node-error.js';

interface Decoder { lastNeed: number; lastTotal: number; end(buf?: unknown): string }
declare function require(id: 'string_decoder/'): { StringDecoder: new (encoding?: string) => Decoder };

let loaded: { StringDecoder: unknown } | undefined;

export function loadStringDecoder(): { StringDecoder: unknown } {
  if (loaded) return loaded;
  const Base = require('string_decoder/').StringDecoder;
  class StringDecoder extends Base {
    constructor(encoding?: string) {
      try {
        super(encoding);
      } catch {
        throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${String(encoding)}`);
      }
    }
    override end(buf?: unknown): string {
      const text = super.end(buf);
      this.lastNeed = 0;
      this.lastTotal = 0;
      return text;
    }
  }
  loaded = { StringDecoder };
  return loaded;
}
