/**
 * Node's own lib/ files, vendored whole under vendor/node/lib (Node 20.19.2, MIT), run the
 * way Node runs its builtins: a module function given `require` for Node's internal ids,
 * `internalBinding` (./bindings.ts: JavaScript stand-ins for the C++ bindings) and
 * `primordials` (built by Node's own per_context/primordials.js on first use). Nothing here
 * runs until guest code first needs one of these modules.
 */
import { internalBinding } from './bindings.js';
import { internalShims } from './internal-shims.js';

type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: typeof internalBinding, primordials: object) => void;
declare function require(id: string): ModuleFn;

// esbuild needs literal paths; each file is compiled into the bundle and evaluated on first use.
const vendored: Record<string, () => ModuleFn> = {
  'internal/util/inspect': () => require('../../../../vendor/node/lib/internal/util/inspect.js'),
  'internal/errors': () => require('../../../../vendor/node/lib/internal/errors.js'),
  'internal/validators': () => require('../../../../vendor/node/lib/internal/validators.js'),
  'internal/util/types': () => require('../../../../vendor/node/lib/internal/util/types.js'),
  'internal/util/comparisons': () => require('../../../../vendor/node/lib/internal/util/comparisons.js'),
  'internal/util': () => require('../../../../vendor/node/lib/internal/util.js'),
  'internal/util/colors': () => require('../../../../vendor/node/lib/internal/util/colors.js'),
  'internal/util/debuglog': () => require('../../../../vendor/node/lib/internal/util/debuglog.js'),
  'internal/util/parse_args/parse_args': () => require('../../../../vendor/node/lib/internal/util/parse_args/parse_args.js'),
  'internal/util/parse_args/utils': () => require('../../../../vendor/node/lib/internal/util/parse_args/utils.js'),
  'internal/mime': () => require('../../../../vendor/node/lib/internal/mime.js'),
  'internal/assert': () => require('../../../../vendor/node/lib/internal/assert.js'),
  'internal/assert/assertion_error': () => require('../../../../vendor/node/lib/internal/assert/assertion_error.js'),
  'internal/assert/calltracker': () => require('../../../../vendor/node/lib/internal/assert/calltracker.js'),
  'internal/assert/utils': () => require('../../../../vendor/node/lib/internal/assert/utils.js'),
  'assert': () => require('../../../../vendor/node/lib/assert.js'),
  'util': () => require('../../../../vendor/node/lib/util.js'),
};

let host: { process: unknown; builtin: (name: string) => unknown } | undefined;
let primordials: Record<string, unknown> | undefined;
const cache = new Map<string, { exports: unknown }>();

/** Gives the vendored modules the guest's `process` and its public builtins (`buffer`, `fs` ...). */
export function configureNodeInternals(proc: Record<string, unknown>, builtin: (name: string) => unknown): void {
  // Read at load time by internal/util.js; a process's `setup` fills in the real values.
  proc.versions ??= {};
  host = { process: proc, builtin };
}

function getPrimordials(): Record<string, unknown> {
  if (!primordials) {
    primordials = {};
    const build = require('../../../../vendor/node/lib/internal/per_context/primordials.js');
    build({}, nodeRequire, { exports: {} }, host?.process, internalBinding, primordials);
  }
  return primordials;
}

/** `require` as Node's own lib/ sees it: internal ids first, then the guest's builtins. */
export function nodeRequire(id: string): any {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const shim = internalShims[id];
  if (shim) {
    const module = { exports: shim() };
    cache.set(id, module);
    return module.exports;
  }
  const load = vendored[id];
  if (!load) {
    if (!host) throw new Error(`Node internal module ${id} is not available`);
    return host.builtin(id.replace(/^node:/, ''));
  }
  const module = { exports: {} as unknown };
  cache.set(id, module);
  try {
    load()(module.exports as object, nodeRequire, module, host?.process, internalBinding, getPrimordials());
  } catch (err) {
    cache.delete(id);
    throw err;
  }
  return module.exports;
}
