import { compileModule, hooks, linkModule, unwrap, type ModuleHandle } from './hooks.js';

/**
 * `require()` of an ES module, as Node 20.19 allows it: the graph is linked and evaluated
 * synchronously, on this thread (never the daemon's), in this process's one module map, so
 * a later `import` gets the same instance. The daemon hands each module over, or its source
 * to compile here (esm-linker.ts requireStep).
 *
 * isolated-vm's synchronous evaluation does not say how it ended: a module that threw
 * leaves its promise rejected, which isolated-vm reports when the current entry ends, and a
 * top-level `await` just stops there. So the graph is evaluated through a guard module that
 * imports it and sets a flag after it: unset means the graph did not finish.
 */
type Step =
  | { module: ModuleHandle; path: string; awaits: boolean }
  | { compile: { key: string; source: string; filename: string; cachedData?: unknown }; path: string; awaits: boolean };

/**
 * require() of a module whose evaluation threw. Its error reaches the process as isolated-vm
 * reports it, as an unhandled rejection when this entry ends: the runtime's guard lets this
 * one pass quietly, so an uncaught one ends the process with the module's own error, as in Node.
 */
export class ModuleEvaluationFailed extends Error {
  constructor(path: string) {
    super(`require() of ES Module ${path}: its evaluation threw; the error is raised when the current task ends`);
    this.name = 'Error';
  }
}

const GUARD = 'agentos:required';
let depth = 0;

function step(specifier: string, from: string): Step {
  return unwrap<Step>(hooks.node('esm.step', [specifier, from, depth > 0]));
}

/** A synthetic module over `target`, linked to it alone. */
function overModule(source: string, filename: string, target: ModuleHandle): ModuleHandle {
  const module = compileModule(source, filename, undefined);
  linkModule(module, () => target);
  module.evaluateSync();
  return module;
}

export function requireEsm(path: string, fromFile: string): unknown {
  const pathOf = new Map<ModuleHandle, string>();
  const adopted: string[] = [];
  let awaits = false;
  const moduleFor = (specifier: string, from: string): ModuleHandle => {
    const next = step(specifier, from);
    let module: ModuleHandle;
    if ('module' in next) module = next.module;
    else {
      const { key, source, filename, cachedData } = next.compile;
      module = compileModule(source, filename, cachedData);
      unwrap(hooks.node('esm.adopt', [key, module]));
      adopted.push(key);
    }
    // The daemon tests each module file's source for `await` once, and remembers it.
    awaits ||= next.awaits;
    pathOf.set(module, next.path);
    return module;
  };
  let root: ModuleHandle;
  try {
    root = moduleFor(path, fromFile);
    linkModule(root, (specifier, referrer) => {
      const from = pathOf.get(referrer);
      if (from === undefined) throw new Error(`require() of ES Module ${path}: a module of its graph was not linked by this require`);
      return moduleFor(specifier, from);
    });
  } catch (err) {
    hooks.node('esm.forget', [adopted]);
    throw err;
  }
  // Only what runs while this graph evaluates is inside it (a require there is nested).
  depth++;
  try {
    // The graph's namespace comes through the guard: isolated-vm gives a module's own
    // namespace only to the handle that evaluated it.
    const guard = overModule(`import * as namespace from ${JSON.stringify(GUARD)};\nexport { namespace };\nexport const done = true;`, `${path}?require`, root);
    let done = false;
    try {
      done = guard.namespace.deref().done === true;
    } catch {
      // The flag is still in its temporal dead zone: the graph did not finish.
    }
    if (!done) {
      if (awaits) {
        throw Object.assign(new Error(`require() cannot be used on an ESM graph with top-level await. Use import() instead. To see where the top-level await comes from, use --experimental-print-required-tla.\n  From ${fromFile} \n  Requiring ${path} `), { code: 'ERR_REQUIRE_ASYNC_MODULE' });
      }
      throw new ModuleEvaluationFailed(path);
    }
    unwrap(hooks.node('esm.evaluated', [pathOf.get(root)]));
    const namespace = guard.namespace.deref().namespace as Record<string, unknown>;
    // As Node 20.19: an export named "module.exports" is what require() returns; a default
    // export without `__esModule` comes in a facade that adds `__esModule: true`.
    if (Object.prototype.hasOwnProperty.call(namespace, 'module.exports')) return namespace['module.exports'];
    if (!Object.prototype.hasOwnProperty.call(namespace, 'default') || Object.prototype.hasOwnProperty.call(namespace, '__esModule')) return namespace;
    const target = JSON.stringify(GUARD);
    return overModule(`export * from ${target};\nexport { default } from ${target};\nexport const __esModule = true;`, `${path}?facade`, root).namespace.deref();
  } finally {
    depth--;
  }
}
