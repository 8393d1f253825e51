import { block } from './hooks.js';
import type { BlockingOp } from './contract.js';

/**
 * Evaluates one of the guest's lazily loaded bundles (dist/guest-lib.js, guest-net.js,
 * guest-zlib.js): the daemon hands its source over on first use (`op`, one blocking call).
 * `host` is what the bundle takes from the runtime: it sees it under Symbol.for(hostKey)
 * while it evaluates, and the names in `scratch` (what the bundle leaves on globalThis) are
 * removed after, so guest code finds neither.
 */
export function evalBundle<T>(op: BlockingOp, name: string, hostKey: string, host: object, scratch: Array<string | symbol>): T {
  const source = block<string>(op);
  const g = globalThis as unknown as Record<string | symbol, unknown>;
  g[Symbol.for(hostKey)] = host;
  try {
    return (0, eval)(`${source}\n//# sourceURL=node:internal/${name}`) as T;
  } finally {
    delete g[Symbol.for(hostKey)];
    for (const key of scratch) delete g[key];
  }
}
