import { zlibBinding, zlibConstants } from './zlib-binding.js';
import { zlibHost } from './zlib-host.js';

/**
 * Node's own lib/zlib.js, vendored whole under vendor/node/lib (Node 20.19.2, MIT) and run
 * as Node runs its builtins, over a binding whose handles are the daemon's (./zlib-binding.ts).
 * Its internal requires go to the runtime's loader (./internal.ts: Node's own
 * internal/errors, validators, util, util/types, assert); `stream` and `buffer` are the
 * guest's builtins.
 */
type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: (name: string) => unknown, primordials: object) => void;
declare function require(id: string): ModuleFn;

let constants: Record<string, number> | undefined;
const ownerSymbol = Symbol('owner_symbol');

function binding(name: string): unknown {
  if (name === 'zlib') return zlibBinding;
  if (name === 'constants') return { zlib: (constants ??= zlibConstants()) };
  return zlibHost.internalBinding(name);
}

function zlibRequire(id: string): unknown {
  // Node's async_hooks symbols: zlib.js only ties a handle to its stream with owner_symbol.
  if (id === 'internal/async_hooks') return { symbols: { owner_symbol: ownerSymbol } };
  return zlibHost.nodeRequire(id);
}

let zlib: unknown;
export function loadZlib(): unknown {
  if (zlib) return zlib;
  const module = { exports: {} as unknown };
  require('../../../../vendor/node/lib/zlib.js')(module.exports as object, zlibRequire, module, zlibHost.nodeRequire('process'), binding, zlibHost.primordials());
  return (zlib = module.exports);
}
