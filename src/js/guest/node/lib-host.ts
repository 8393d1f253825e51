/**
 * What the runtime hands the library bundle (dist/guest-lib.js) as it evaluates it: the
 * runtime's own Buffer module and inspect, so that both bundles share one Buffer class.
 * Taken off the global object before anything else in the bundle runs.
 */
export interface LibHost {
  buffer: unknown;
  inspect: (value: unknown) => string;
}

export const LIB_HOST_KEY = 'agentos.lib.host';
const g = globalThis as unknown as Record<symbol, unknown>;
export const libHost = g[Symbol.for(LIB_HOST_KEY)] as LibHost;
delete g[Symbol.for(LIB_HOST_KEY)];
