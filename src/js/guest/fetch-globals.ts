import { netLibBundle } from './net-lib-loader.js';

/**
 * fetch, Headers, Request, Response and FormData as Node 20 defines them: `fetch` an
 * enumerable function that loads the implementation on first call, the classes getters
 * that load it on first touch (the network bundle, dist/guest-net.js: undici's fetch).
 */
const g = globalThis as unknown as Record<string, unknown>;

export function defineFetchGlobals(): void {
  const lazy = () => netLibBundle().loadFetch() as Record<string, unknown> & { fetch: (input: unknown, init?: unknown) => Promise<unknown> };
  const fetch = function fetch(input: unknown, init: unknown = undefined) {
    return lazy().fetch(input, init);
  };
  // The bundler drops a function expression's name: Node's is `fetch`.
  Object.defineProperty(fetch, 'name', { value: 'fetch' });
  Object.defineProperty(g, 'fetch', {
    value: fetch,
    writable: true,
    enumerable: true,
    configurable: true,
  });
  for (const name of ['Headers', 'Request', 'Response', 'FormData']) {
    Object.defineProperty(g, name, {
      get: () => lazy()[name],
      set: (value: unknown) => Object.defineProperty(g, name, { value, writable: true, configurable: true }),
      enumerable: false,
      configurable: true,
    });
  }
}
