import type * as Zlib from './node/zlib-entry.js';
import { evalBundle } from './bundle-loader.js';
import { lazyBuffer } from './lazy.js';
import { internalBinding } from './node/bindings.js';
import { callMaxBytes, nodeCall } from './node/bridge.js';
import { getPrimordials, nodeRequire } from './node/internal.js';
import { timerGlobals } from './timers.js';

/**
 * zlib lives in a bundle of its own, dist/guest-zlib.js (Node's lib/zlib.js over the
 * daemon's zlib handles), which the daemon hands over the first time a process requires
 * zlib (one blocking call), as the library and network bundles are: a process that never
 * compresses does not compile it.
 */
type ZlibModule = typeof Zlib;
let loaded: ZlibModule | undefined;

export function zlibLibBundle(): ZlibModule {
  if (loaded) return loaded;
  loaded = evalBundle<ZlibModule>('zlibLib', 'agentos-zlib', 'agentos.zlib.host', {
    nodeRequire,
    primordials: getPrimordials,
    internalBinding,
    nodeCall,
    callMaxBytes,
    setImmediate: timerGlobals.setImmediate,
    utf8: (text: string) => {
      const b = (lazyBuffer() as unknown as { from(s: string, e: string): Uint8Array }).from(text, 'utf8');
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  }, [Symbol.for('agentos.zlib.constants'), '__agentosZlib']);
  return loaded;
}
