import type * as Lib from './node/lib-entry.js';
import { evalBundle } from './bundle-loader.js';
import { inspect } from './inspect.js';
import { lazyBuffer } from './lazy.js';

/**
 * Node's library modules (stream, events, url, querystring, readline, string_decoder,
 * stream/web) live in a bundle of their own, dist/guest-lib.js, which the daemon hands over
 * the first time a process requires one of them (one blocking call) and which is evaluated
 * then: the runtime every isolate compiles at start stays small.
 */
type LibModule = typeof Lib;
let lib: LibModule | undefined;
let configured: ((lib: LibModule) => void) | undefined;

/** What the bundle needs from the runtime once loaded (the guest's process and builtins). */
export function onNodeLibLoad(configure: (lib: LibModule) => void): void {
  configured = configure;
}

export function nodeLibBundle(): LibModule {
  if (lib) return lib;
  lib = evalBundle<LibModule>('nodeLib', 'agentos-lib', 'agentos.lib.host', { buffer: { Buffer: lazyBuffer() }, inspect }, ['__agentosLib']);
  configured?.(lib);
  return lib;
}
