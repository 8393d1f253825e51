/**
 * WHATWG fetch and its classes for the guest: undici 6.21.2's own (what Node 20.19 bundles
 * as its fetch, from undici's index-fetch.js), with undici's global dispatcher the guest's
 * (./fetch-dispatcher.ts). Required on first use of fetch, Headers, Request, Response or FormData.
 */

declare function require(id: string): any;

let loaded: Record<string, unknown> | undefined;
export function loadFetch(): Record<string, unknown> {
  if (loaded) return loaded;
  // undici reports each fetch to performance.markResourceTiming, which adds a resource entry
  // to Node's timeline; the guest's performance keeps no resource entries yet.
  const performance = (globalThis as unknown as { performance: Record<string, unknown> }).performance;
  if (typeof performance.markResourceTiming !== 'function') {
    Object.defineProperty(performance, 'markResourceTiming', { value: function markResourceTiming() {}, writable: true, configurable: true });
  }
  const fetchImpl = require('undici/lib/web/fetch/index.js').fetch;
  // As index-fetch.js: the rejection's stack is the caller's.
  function fetch(resource: unknown, init: unknown = undefined) {
    return fetchImpl(resource, init).catch((err: unknown) => {
      if (err && typeof err === 'object') (Error as unknown as { captureStackTrace(e: object): void }).captureStackTrace(err);
      throw err;
    });
  }
  loaded = {
    fetch,
    FormData: require('undici/lib/web/fetch/formdata.js').FormData,
    Headers: require('undici/lib/web/fetch/headers.js').Headers,
    Response: require('undici/lib/web/fetch/response.js').Response,
    Request: require('undici/lib/web/fetch/request.js').Request,
  };
  return loaded;
}
