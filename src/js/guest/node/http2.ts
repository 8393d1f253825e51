import { unavailable } from './feature-unavailable.js';

/** Node 20's http2.constants, taken from the building Node's own module (scripts/build-bundles.mjs). */
declare const __HTTP2_CONSTANTS__: Record<string, number | string>;

/**
 * `http2` as far as a VM has it: the module loads with Node's constants and
 * `sensitiveHeaders`, so packages that only read them load (npm's sigstore client does);
 * sessions, servers and the settings codecs need nghttp2, which the guest does not have, and
 * throw ERR_FEATURE_UNAVAILABLE_ON_PLATFORM when called.
 */
export function createHttp2(): Record<string, unknown> {
  const missing = (name: string) => () => {
    throw unavailable(`http2.${name}()`);
  };
  class Http2ServerRequest {
    constructor() {
      throw unavailable('http2.Http2ServerRequest');
    }
  }
  class Http2ServerResponse {
    constructor() {
      throw unavailable('http2.Http2ServerResponse');
    }
  }
  return {
    connect: missing('connect'),
    constants: { ...__HTTP2_CONSTANTS__ },
    createServer: missing('createServer'),
    createSecureServer: missing('createSecureServer'),
    getDefaultSettings: missing('getDefaultSettings'),
    getPackedSettings: missing('getPackedSettings'),
    getUnpackedSettings: missing('getUnpackedSettings'),
    performServerHandshake: missing('performServerHandshake'),
    sensitiveHeaders: Symbol('sensitiveHeaders'),
    Http2ServerRequest,
    Http2ServerResponse,
  };
}
