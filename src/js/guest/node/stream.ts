/**
 * `stream` and `stream/promises`: readable-stream v4, which is Node's own lib/internal/streams
 * (from Node 18.19) published as a package, over the guest's Buffer, events and process.
 */
declare function require(id: string): Record<string, unknown>;

export const loadStream = () => require('readable-stream/lib/stream.js');
export const loadStreamPromises = () => {
  const promises = require('readable-stream/lib/stream/promises.js');
  return promises;
};
