/**
 * Node's own lib/ files, vendored whole under vendor/node/lib (Node 20.19.2, MIT), run the
 * way Node runs its builtins: a module function given `require` for Node's internal ids,
 * `internalBinding` (./bindings.ts: JavaScript stand-ins for the C++ bindings) and
 * `primordials` (built by Node's own per_context/primordials.js on first use). Nothing here
 * runs until guest code first needs one of these modules.
 */
import { internalBinding } from './bindings.js';
import { internalShims } from './internal-shims.js';
import { lazyPrimordials } from './lazy-primordials.js';

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
  'internal/fs/utils': () => require('../../../../vendor/node/lib/internal/fs/utils.js'),
  'internal/fs/streams': () => require('../../../../vendor/node/lib/internal/fs/streams.js'),
  'internal/mime': () => require('../../../../vendor/node/lib/internal/mime.js'),
  'internal/assert': () => require('../../../../vendor/node/lib/internal/assert.js'),
  'internal/assert/assertion_error': () => require('../../../../vendor/node/lib/internal/assert/assertion_error.js'),
  'internal/assert/calltracker': () => require('../../../../vendor/node/lib/internal/assert/calltracker.js'),
  'internal/assert/utils': () => require('../../../../vendor/node/lib/internal/assert/utils.js'),
  'internal/event_target': () => require('../../../../vendor/node/lib/internal/event_target.js'),
  'internal/abort_controller': () => require('../../../../vendor/node/lib/internal/abort_controller.js'),
  'internal/webidl': () => require('../../../../vendor/node/lib/internal/webidl.js'),
  // Blob and File: Node's own, over a binding of JavaScript views (./blob-binding.ts).
  'internal/blob': () => require('../../../../vendor/node/lib/internal/blob.js'),
  'internal/file': () => require('../../../../vendor/node/lib/internal/file.js'),
  // cluster: Node's own, over child_process.fork's IPC channel; its server handles are ./cluster-handles.ts.
  'cluster': () => require('../../../../vendor/node/lib/cluster.js'),
  'internal/cluster/primary': () => require('../../../../vendor/node/lib/internal/cluster/primary.js'),
  'internal/cluster/child': () => require('../../../../vendor/node/lib/internal/cluster/child.js'),
  'internal/cluster/worker': () => require('../../../../vendor/node/lib/internal/cluster/worker.js'),
  'internal/cluster/utils': () => require('../../../../vendor/node/lib/internal/cluster/utils.js'),
  'assert': () => require('../../../../vendor/node/lib/assert.js'),
  'util': () => require('../../../../vendor/node/lib/util.js'),
  'constants': () => require('../../../../vendor/node/lib/constants.js'),
  'internal/constants': () => require('../../../../vendor/node/lib/internal/constants.js'),
  'internal/process/report': () => require('../../../../vendor/node/lib/internal/process/report.js'),
  'punycode': () => require('../../../../vendor/node/lib/punycode.js'),
  'stream/consumers': () => require('../../../../vendor/node/lib/stream/consumers.js'),
  // domain: Node's own, over async_hooks.createHook, the uncaught-exception capture callback and events' domain hooks.
  'domain': () => require('../../../../vendor/node/lib/domain.js'),
  // console: Node's own, behind the global console of ../console.ts (which loads it on first need).
  'console': () => require('../../../../vendor/node/lib/console.js'),
  'internal/console/global': () => require('../../../../vendor/node/lib/internal/console/global.js'),
  'internal/console/constructor': () => require('../../../../vendor/node/lib/internal/console/constructor.js'),
  'internal/cli_table': () => require('../../../../vendor/node/lib/internal/cli_table.js'),
};

// Internal ids whose functions a public builtin re-exports as they are: the readline files run
// in the library bundle (../node-lib-loader.ts), and readline.js exports cursorTo and
// clearScreenDown of internal/readline/callbacks (console.clear uses them).
const publicAliases: Record<string, string> = {
  'internal/readline/callbacks': 'readline',
};

let host: { process: unknown; builtin: (name: string) => unknown } | undefined;
const loadHooks = new Map<string, (exports: unknown) => void>();

/** Runs `fn` on a vendored module's exports once it has loaded, whoever required it first (the runtime finishes Node's bootstrap steps so). */
export function afterNodeModuleLoad(id: string, fn: (exports: unknown) => void): void {
  loadHooks.set(id, fn);
}

const provided = new Map<string, () => unknown>();

/** An internal module that the runtime itself implements for one process (fs's FileHandle class for internal/fs/promises). */
export function provideNodeInternal(id: string, load: () => unknown): void {
  provided.set(id, load);
}
let primordials: Record<string, unknown> | undefined;
const cache = new Map<string, { exports: unknown }>();

/** Gives the vendored modules the guest's `process` and its public builtins (`buffer`, `fs` ...). */
export function configureNodeInternals(proc: Record<string, unknown>, builtin: (name: string) => unknown): void {
  // Read at load time by internal/util.js; a process's `setup` fills in the real values.
  proc.versions ??= {};
  host = { process: proc, builtin };
}

/** Node's primordials, each name made when a vendored module first asks for it (./lazy-primordials.ts). */
export function getPrimordials(): Record<string, unknown> {
  return (primordials ??= lazyPrimordials(() => {
    const all: Record<string, unknown> = {};
    const build = require('../../../../vendor/node/lib/internal/per_context/primordials.js');
    build({}, nodeRequire, { exports: {} }, host?.process, internalBinding, all);
    return all;
  }));
}

/** `require` as Node's own lib/ sees it: internal ids first, then the guest's builtins. */
export function nodeRequire(id: string): any {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const shim = internalShims[id] ?? provided.get(id);
  if (shim) {
    const module = { exports: shim() };
    cache.set(id, module);
    return module.exports;
  }
  const load = vendored[id];
  if (!load) {
    if (!host) throw new Error(`Node internal module ${id} is not available`);
    return host.builtin(publicAliases[id] ?? id.replace(/^node:/, ''));
  }
  const module = { exports: {} as unknown };
  cache.set(id, module);
  try {
    load()(module.exports as object, nodeRequire, module, host?.process, internalBinding, getPrimordials());
  } catch (err) {
    cache.delete(id);
    throw err;
  }
  loadHooks.get(id)?.(module.exports);
  if (id === 'internal/assert/utils') withCallSites(module.exports as Record<string, (...a: unknown[]) => unknown>, 'innerOk');
  // Node's bootstrap reads NODE_DEBUG once; here, when debuglog first loads.
  if (id === 'internal/util/debuglog') (module.exports as { initializeDebugEnv(v: unknown): void }).initializeDebugEnv((host?.process as { env?: Record<string, string> })?.env?.NODE_DEBUG);
  return module.exports;
}

/**
 * Node's own Error.prepareStackTrace gives code that registered an error in errors.js's
 * `overrideStackTrace` the raw call sites (assert.ok reads its caller's file and line so).
 * The guest keeps V8's default for user code, so the hook is installed only around the
 * vendored function that needs it.
 */
function withCallSites(exports: Record<string, (...a: unknown[]) => unknown>, name: string): void {
  const inner = exports[name]!;
  const { overrideStackTrace } = nodeRequire('internal/errors') as { overrideStackTrace: WeakMap<object, (e: unknown, s: unknown) => unknown> };
  exports[name] = function (this: unknown, ...args: unknown[]) {
    const E = Error as { prepareStackTrace?: unknown };
    const saved = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
    E.prepareStackTrace = (err: object, sites: unknown) => {
      const override = overrideStackTrace.get(err);
      if (override) {
        overrideStackTrace.delete(err);
        return override(err, (sites as CallSite[]).map(withFileName));
      }
      return typeof saved?.value === 'function' ? saved.value(err, sites) : `${String(err)}\n${(sites as unknown[]).map((s) => `    at ${String(s)}`).join('\n')}`;
    };
    try {
      return inner.apply(this, args);
    } finally {
      if (saved) Object.defineProperty(Error, 'prepareStackTrace', saved);
      else delete E.prepareStackTrace;
    }
  };
}

interface CallSite {
  getFileName(): string | undefined;
  getScriptNameOrSourceURL(): string | undefined;
  [method: string]: (...a: unknown[]) => unknown;
}

/** Guest modules are compiled with a sourceURL: V8 gives their file name only through getScriptNameOrSourceURL. */
function withFileName(site: CallSite): CallSite {
  const out = {} as CallSite;
  for (let p: object | null = site; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const fn = (site as Record<string, unknown>)[key];
      if (typeof fn === 'function' && key !== 'constructor' && !(key in out)) out[key] = (...a: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(site, a);
    }
  }
  out.getFileName = () => site.getFileName() ?? site.getScriptNameOrSourceURL();
  return out;
}
