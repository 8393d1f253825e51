import type { ModuleRecord } from './contract.js';
import { hooks, unwrap } from './hooks.js';

/**
 * CommonJS loading from the VM filesystem. The host resolves a specifier with Node's
 * algorithm and answers with the source in one call; the runtime evaluates it with a
 * `sourceURL`, so stack traces name the guest's own files and lines.
 */
export interface CjsModule {
  id: string;
  filename: string;
  path: string;
  exports: unknown;
  loaded: boolean;
  children: CjsModule[];
  parent: CjsModule | null;
  require: ((spec: string) => unknown) & { resolve(spec: string): string; cache: Record<string, CjsModule>; main?: CjsModule };
}

export function createModuleSystem(builtins: Record<string, unknown>) {
  const cache: Record<string, CjsModule> = Object.create(null);
  let main: CjsModule | undefined;

  function builtin(spec: string): unknown {
    const name = spec.startsWith('node:') ? spec.slice(5) : spec;
    if (Object.hasOwn(builtins, name)) return builtins[name];
    return undefined;
  }

  function dirOf(path: string): string {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  function makeRequire(fromDir: string, parent: CjsModule | null): CjsModule['require'] {
    const req = ((spec: string) => {
      if (typeof spec !== 'string') throw new TypeError('The "id" argument must be of type string');
      const found = builtin(spec);
      if (found !== undefined) return found;
      if (spec.startsWith('node:')) {
        throw Object.assign(new Error(`No such built-in module: ${spec} (the sandbox offers: ${Object.keys(builtins).join(', ')})`), { code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
      }
      const record = unwrap<ModuleRecord>(hooks.load(spec, fromDir));
      return load(record, parent).exports;
    }) as CjsModule['require'];
    req.resolve = (spec: string) => (builtin(spec) !== undefined ? spec : unwrap<ModuleRecord>(hooks.load(spec, fromDir)).path);
    req.cache = cache;
    req.main = main;
    return req;
  }

  function load(record: ModuleRecord, parent: CjsModule | null, isMain = false): CjsModule {
    if (record.format === 'builtin') {
      return { exports: builtin(record.path) } as CjsModule;
    }
    const cached = cache[record.path];
    if (cached) return cached;
    const module = {
      id: isMain ? '.' : record.path,
      filename: record.path,
      path: dirOf(record.path),
      exports: {},
      loaded: false,
      children: [],
      parent,
    } as unknown as CjsModule;
    module.require = makeRequire(module.path, module);
    if (isMain) {
      main = module;
      module.require.main = module;
    }
    parent?.children.push(module);
    cache[record.path] = module;
    try {
      if (record.format === 'json') {
        module.exports = JSON.parse(record.source);
      } else if (record.format === 'module') {
        throw Object.assign(new Error(`require() of ES Module ${record.path} not supported; use import`), { code: 'ERR_REQUIRE_ESM' });
      } else {
        const source = record.source.startsWith('#!') ? `//${record.source}` : record.source;
        const wrapper = (0, eval)(`(function (exports, require, module, __filename, __dirname) {${source}\n})\n//# sourceURL=${record.path}`);
        wrapper.call(module.exports, module.exports, module.require, module, record.path, module.path);
      }
      module.loaded = true;
    } catch (err) {
      delete cache[record.path];
      throw err;
    }
    return module;
  }

  return { makeRequire, load, builtin, cache };
}
