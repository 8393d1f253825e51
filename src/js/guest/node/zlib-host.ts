/**
 * What the runtime hands the zlib bundle (dist/guest-zlib.js) as it evaluates it
 * (src/js/guest/zlib-lib-loader.ts): the runtime's loader of Node's internal modules and its
 * primordials, so zlib.js shares Node's one internal/errors, validators and util; the
 * daemon's `node` hook; and the daemon's zlib.constants, which the daemon puts in front of
 * the bundle's source (src/js/guest-zlib-source.ts), so the module loads with no process bound.
 */
export interface ZlibHost {
  nodeRequire: (id: string) => any;
  primordials: () => object;
  internalBinding: (name: string) => unknown;
  nodeCall: <T>(op: string, args: unknown[]) => T;
  callMaxBytes: () => number;
  setImmediate: (fn: () => void) => unknown;
  utf8: (text: string) => Uint8Array;
  constants: Record<string, number>;
}

export const ZLIB_HOST_KEY = 'agentos.zlib.host';
export const ZLIB_CONSTANTS_KEY = 'agentos.zlib.constants';
const g = globalThis as unknown as Record<symbol, unknown>;
export const zlibHost = { ...(g[Symbol.for(ZLIB_HOST_KEY)] as Omit<ZlibHost, 'constants'>), constants: g[Symbol.for(ZLIB_CONSTANTS_KEY)] as Record<string, number> };
delete g[Symbol.for(ZLIB_HOST_KEY)];
delete g[Symbol.for(ZLIB_CONSTANTS_KEY)];
