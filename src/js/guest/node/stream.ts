/**
 * `stream` and `stream/promises`: readable-stream v4, which is Node's own lib/internal/streams
 * (from Node 18.19) published as a package, over the guest's Buffer, events and process.
 */
import { makeDuplexPair } from './duplex-pair.js';

declare function require(id: string): Record<string, unknown>;

export const loadStream = () => {
  const stream = require('readable-stream/lib/stream.js') as Record<string, any>;
  stream.duplexPair ??= makeDuplexPair(stream.Duplex);
  return stream;
};
export const loadStreamPromises = () => {
  const promises = require('readable-stream/lib/stream/promises.js');
  return promises;
};
