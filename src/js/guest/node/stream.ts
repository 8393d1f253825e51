/**
 * `stream` and `stream/promises`: readable-stream v4, which is Node's own lib/internal/streams
 * (from Node 18.19) published as a package, over the guest's Buffer, events and process.
 */
import { makeDuplexPair } from './duplex-pair.js';
import { nodeLib } from './node-lib.js';

declare function require(id: string): Record<string, unknown>;

export const loadStream = () => {
  const stream = require('readable-stream/lib/stream.js') as Record<string, any>;
  stream.duplexPair ??= makeDuplexPair(stream.Duplex);
  adaptWebStreams(stream);
  return stream;
};

/**
 * readable-stream declares Readable/Writable/Duplex.fromWeb and toWeb over adapters it does
 * not ship (each call failed with "is not a function"); here they are Node's own
 * internal/webstreams/adapters.js, loaded on the first call. Duplex.from(webStream) uses them too.
 */
function adaptWebStreams(stream: Record<string, any>): void {
  const adapters = () => nodeLib('internal/webstreams/adapters') as Record<string, (...args: unknown[]) => unknown>;
  const statics: Array<[any, string, string]> = [
    [stream.Readable, 'fromWeb', 'newStreamReadableFromReadableStream'],
    [stream.Readable, 'toWeb', 'newReadableStreamFromStreamReadable'],
    [stream.Writable, 'fromWeb', 'newStreamWritableFromWritableStream'],
    [stream.Writable, 'toWeb', 'newWritableStreamFromStreamWritable'],
    [stream.Duplex, 'fromWeb', 'newStreamDuplexFromReadableWritablePair'],
    [stream.Duplex, 'toWeb', 'newReadableWritablePairFromDuplex'],
  ];
  for (const [Class, name, adapter] of statics) {
    Class[name] = { [name]: (a: unknown, b: unknown) => adapters()[adapter]!(a, b) }[name];
  }
}
export const loadStreamPromises = () => {
  const promises = require('readable-stream/lib/stream/promises.js');
  return promises;
};
