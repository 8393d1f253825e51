import { netHost } from './net-host.js';

/**
 * `stream` as undici's files get it: the guest's, except that finished() on a web
 * ReadableStream the guest's stream/web made (web-streams-polyfill, which has no
 * 'nodejs.webstream.isClosedPromise' as Node's own streams do) never calls back instead of
 * throwing. undici uses it only to report the end of a response body to resource timing,
 * which the guest does not keep.
 */
const kIsClosedPromise = Symbol.for('nodejs.webstream.isClosedPromise');

let wrapped: object | undefined;
export function streamForUndici(): object {
  if (wrapped) return wrapped;
  const stream = netHost().nodeRequire('stream') as { finished: (...args: unknown[]) => unknown };
  const out = Object.create(stream) as Record<string, unknown>;
  out.finished = function finished(target: unknown, ...rest: unknown[]) {
    const web = target && typeof (target as { getReader?: unknown }).getReader === 'function';
    if (web && !(target as Record<symbol, unknown>)[kIsClosedPromise]) return () => {};
    return stream.finished(target, ...rest);
  };
  return (wrapped = out);
}
