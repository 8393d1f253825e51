import { resolvePath } from '../cwd.js';
import { dirOf, NODE_ONLY_BUILTINS, nodeModulePaths, type ModuleSystem } from '../modules.js';

/**
 * The `module` builtin: Node's Module class with createRequire, builtinModules, isBuiltin
 * and the statics programs reach for (_cache, _extensions, _nodeModulePaths,
 * _resolveFilename, wrap). It is built on first `require('module')` over the runtime's
 * module system, which the runtime hands over once it exists (bindModuleSystem).
 */
let system: ModuleSystem | undefined;
let names: readonly string[] = [];

export function bindModuleSystem(modules: ModuleSystem, builtinNames: readonly string[]): void {
  system = modules;
  names = builtinNames;
}

function fileOf(from: unknown): string {
  if (typeof from === 'string' && from.startsWith('file://')) return decodeURIComponent(from.slice(7).replace(/^localhost(?=\/)/, '').replace(/[?#].*$/, ''));
  if (from && typeof from === 'object' && typeof (from as { href?: unknown }).href === 'string' && (from as { protocol?: unknown }).protocol === 'file:') {
    return decodeURIComponent((from as { pathname: string }).pathname);
  }
  if (typeof from === 'string' && from.startsWith('/')) return from;
  const err = new TypeError(`The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received ${typeof from === 'string' ? `'${from}'` : String(from)}`);
  throw Object.assign(err, { code: 'ERR_INVALID_ARG_VALUE' });
}

const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'] as const;

export function createModuleBuiltin(): unknown {
  const modules = system!;
  // As Node 20: the node:-only ones are not listed, and are builtins only with the prefix.
  const builtinModules = [...names].filter((n) => !n.startsWith('internal/') && !NODE_ONLY_BUILTINS.has(n)).sort();
  const isBuiltin = (name: unknown) => typeof name === 'string' && (builtinModules.includes(name.startsWith('node:') ? name.slice(5) : name) || (name.startsWith('node:') && NODE_ONLY_BUILTINS.has(name.slice(5))));
  function Module(this: Record<string, unknown>, id = '', parent?: unknown) {
    this.id = id;
    this.path = dirOf(String(id));
    this.exports = {};
    this.filename = null;
    this.loaded = false;
    this.children = [];
    this.parent = parent;
    this.paths = [];
  }
  const createRequire = (from: unknown) => modules.requireFrom(fileOf(from));
  Object.assign(Module, {
    Module,
    builtinModules,
    isBuiltin,
    createRequire,
    _cache: modules.cache,
    _extensions: modules.makeRequire('/', null).extensions,
    _nodeModulePaths: (from: string) => nodeModulePaths(resolvePath(String(from))),
    _resolveFilename: (request: string, parent?: { filename?: string | null; path?: string }) => {
      const from = parent?.filename ? parent.filename : `${resolvePath('.')}/[eval]`;
      return modules.requireFrom(from).resolve(request);
    },
    _load: (request: string, parent?: { filename?: string | null }) => modules.requireFrom(parent?.filename ?? `${resolvePath('.')}/[eval]`)(request),
    wrap: (script: string) => `${WRAPPER[0]}${script}${WRAPPER[1]}`,
    wrapper: [...WRAPPER],
    globalPaths: [],
    syncBuiltinESMExports: () => undefined,
    register: () => undefined,
  });
  return Module;
}
