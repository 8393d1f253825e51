import { COMMONJS_PREFIX, requireCycleMessage, wrapCommonJs, type ModuleRecord } from './contract.js';
import { getCwd, resolvePath } from './cwd.js';
import { compileScript, guestError, hooks, unwrap } from './hooks.js';
import { requireEsm } from './require-esm.js';

/** Builtins Node 20 gives only with the `node:` prefix (as the daemon's module-resolver.ts). */
export const NODE_ONLY_BUILTINS: ReadonlySet<string> = new Set(['test', 'test/reporters', 'sea', 'sqlite']);

/**
 * CommonJS loading from the VM filesystem, shaped as Node's: `module`, `require`,
 * `require.resolve` (with `paths`), `require.resolve.paths`, `require.cache`, `require.main`,
 * and MODULE_NOT_FOUND errors with their require stack. The host resolves a specifier with
 * Node's algorithm and answers with the source in one call; the runtime evaluates it with a
 * `sourceURL`, so stack traces name the guest's own files and lines.
 */
export interface CjsModule {
  id: string;
  filename: string | null;
  path: string;
  paths: string[];
  exports: unknown;
  loaded: boolean;
  children: CjsModule[];
  parent: CjsModule | null | undefined;
  isPreloading: boolean;
  require: GuestRequire;
}

export type GuestRequire = ((spec: string) => unknown) & {
  resolve: ((spec: string, options?: { paths?: unknown }) => string) & { paths(spec: string): string[] | null };
  cache: Record<string, CjsModule>;
  main: CjsModule | undefined;
  extensions: Record<string, unknown>;
};

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Node's Module._nodeModulePaths: `node_modules` of the directory and of each ancestor. */
export function nodeModulePaths(from: string): string[] {
  const parts = resolvePath(from).split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) {
    if (parts[i - 1] === 'node_modules') continue;
    out.push(`/${parts.slice(0, i).join('/')}/node_modules`);
  }
  out.push('/node_modules');
  return out;
}

function invalidArg(name: string, expected: string, value: unknown): TypeError {
  const got =
    value === null ? 'null'
    : value === undefined ? 'undefined'
    : typeof value === 'function' ? `function ${(value as { name?: string }).name || '<anonymous>'}`
    : typeof value === 'object' ? (value.constructor?.name ? `an instance of ${value.constructor.name}` : 'an instance of Object')
    : typeof value === 'string' ? `type string ('${value}')`
    : typeof value === 'symbol' ? `type symbol (${String(value)})`
    : `type ${typeof value} (${typeof value === 'bigint' ? `${value}n` : String(value)})`;
  const err = new TypeError(`The "${name}" argument must be ${expected === 'Array' ? 'an instance of Array' : `of type ${expected}`}. Received ${got}`);
  return Object.assign(err, { code: 'ERR_INVALID_ARG_TYPE' });
}

/** `node --no-experimental-require-module`: Node 20's require of an ES module as it was before 20.19. */
function requireEsmOff(): boolean {
  const execArgv = (globalThis as unknown as { process?: { execArgv?: unknown } }).process?.execArgv;
  return Array.isArray(execArgv) && execArgv.includes('--no-experimental-require-module');
}

export function createModuleSystem(builtins: Record<string, unknown>) {
  const cache: Record<string, CjsModule> = Object.create(null);
  const extensions: Record<string, unknown> = Object.create(null);
  for (const ext of ['.js', '.json', '.node']) extensions[ext] = () => undefined;
  let main: CjsModule | undefined;

  function builtin(spec: string): unknown {
    const prefixed = spec.startsWith('node:');
    const name = prefixed ? spec.slice(5) : spec;
    // As Node 20: node:test (and the like) only with the prefix; `test` is a package name.
    if (!prefixed && NODE_ONLY_BUILTINS.has(name)) return undefined;
    if (Object.hasOwn(builtins, name)) return builtins[name];
    return undefined;
  }

  /** The files of the require chain, nearest first, as Node lists them in MODULE_NOT_FOUND. */
  function requireStack(parent: CjsModule | null): string[] {
    const stack: string[] = [];
    for (let m: CjsModule | null | undefined = parent; m; m = m.parent) if (m.filename) stack.push(m.filename);
    return stack;
  }

  function fail(err: unknown, parent: CjsModule | null): never {
    const e = err as Error & { code?: string; requireStack?: string[] };
    if (e && e.code === 'MODULE_NOT_FOUND') {
      const stack = requireStack(parent);
      if (stack.length > 0) {
        e.message += `\nRequire stack:\n- ${stack.join('\n- ')}`;
        e.requireStack = stack;
      }
      if (e.stack) e.stack = `Error: ${e.message}`;
    }
    throw e;
  }

  function resolveFrom(spec: string, fromDir: string, parent: CjsModule | null): string {
    try {
      return unwrap<string>(hooks.resolve(spec, { fromDir, fromFile: parent?.filename ?? undefined, mode: 'require' }));
    } catch (err) {
      return fail(err, parent);
    }
  }

  function makeRequire(fromDir: string, parent: CjsModule | null): GuestRequire {
    const req = ((spec: string) => {
      if (typeof spec !== 'string') throw invalidArg('id', 'string', spec);
      if (spec === '') throw Object.assign(new TypeError(`The argument 'id' must be a non-empty string. Received ''`), { code: 'ERR_INVALID_ARG_VALUE' });
      const found = builtin(spec);
      if (found !== undefined) return found;
      if (spec.startsWith('node:')) throw Object.assign(new Error(`No such built-in module: ${spec}`), { code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
      let record: ModuleRecord;
      try {
        record = unwrap<ModuleRecord>(hooks.load(spec, fromDir));
      } catch (err) {
        return fail(err, parent);
      }
      return load(record, parent).exports;
    }) as GuestRequire;
    const resolve = (spec: string, options?: { paths?: unknown }) => {
      if (typeof spec !== 'string') throw invalidArg('request', 'string', spec);
      if (builtin(spec) !== undefined) return spec;
      const paths = options?.paths;
      if (paths === undefined) return resolveFrom(spec, fromDir, parent);
      if (!Array.isArray(paths)) throw invalidArg('options.paths', 'Array', paths);
      // As Node: a relative request from each path itself, a bare one from each path's node_modules chain.
      for (const p of paths) {
        try {
          return unwrap<string>(hooks.resolve(spec, { fromDir: resolvePath(String(p)), mode: 'require' }));
        } catch (err) {
          if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
        }
      }
      return fail(guestError({ message: `Cannot find module '${spec}'`, code: 'MODULE_NOT_FOUND' }), parent);
    };
    resolve.paths = (spec: string) => {
      if (typeof spec !== 'string') throw invalidArg('request', 'string', spec);
      if (spec.startsWith('node:') || builtin(spec) !== undefined) return null;
      if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') return [fromDir];
      const home = (globalThis as unknown as { process?: { env?: Record<string, string | undefined> } }).process?.env?.HOME;
      return [...nodeModulePaths(fromDir), ...(home ? [`${home}/.node_modules`, `${home}/.node_libraries`] : []), '/usr/lib/node'];
    };
    req.resolve = resolve as GuestRequire['resolve'];
    req.cache = cache;
    req.main = main;
    req.extensions = extensions;
    return req;
  }

  function newModule(filename: string | null, id: string, parent: CjsModule | null): CjsModule {
    const path = filename ? dirOf(filename) : getCwd();
    const module = { id, filename, path, paths: nodeModulePaths(path), exports: {}, loaded: false, children: [], parent, isPreloading: false } as unknown as CjsModule;
    module.require = makeRequire(path, module);
    return module;
  }

  function load(record: ModuleRecord, parent: CjsModule | null, isMain = false): CjsModule {
    if (record.format === 'builtin') {
      return { exports: builtin(`node:${record.path}`) } as CjsModule;
    }
    const cached = cache[record.path];
    if (cached && record.format === 'module' && !cached.loaded) {
      throw Object.assign(new Error(requireCycleMessage(record.path, parent?.filename ?? 'an unnamed module')), { code: 'ERR_REQUIRE_CYCLE_MODULE' });
    }
    if (cached) {
      if (parent && !parent.children.includes(cached)) parent.children.push(cached);
      return cached;
    }
    const module = newModule(record.path, isMain ? '.' : record.path, parent);
    if (isMain) {
      main = module;
      module.require.main = module;
    }
    parent?.children.push(module);
    cache[record.path] = module;
    try {
      if (record.format === 'json') {
        try {
          module.exports = JSON.parse(record.source.startsWith('\uFEFF') ? record.source.slice(1) : record.source);
        } catch (err) {
          (err as Error).message = `${record.path}: ${(err as Error).message}`;
          throw err;
        }
      } else if (record.format === 'module') {
        if (requireEsmOff()) {
          throw Object.assign(new Error(`require() of ES Module ${record.path}${parent?.filename ? ` from ${parent.filename}` : ''} not supported.\nInstead change the require of ${record.path} to a dynamic import() which is available in all CommonJS modules.`), { code: 'ERR_REQUIRE_ESM' });
        }
        module.exports = requireEsm(record.path, parent?.filename ?? `${getCwd() === '/' ? '' : getCwd()}/[eval]`);
      } else {
        const wrapper = compileScript(wrapCommonJs(record.source), record.path, record.cache, -COMMONJS_PREFIX.length) as (...args: unknown[]) => unknown;
        wrapper.call(module.exports, module.exports, module.require, module, record.path, module.path);
      }
      module.loaded = true;
    } catch (err) {
      delete cache[record.path];
      if (parent) parent.children.splice(parent.children.indexOf(module) >>> 0, 1);
      throw err;
    }
    return module;
  }

  /** The `module` of `node -e` code: Node names it `[eval]`, in the working directory. */
  function evalModule(): CjsModule {
    const module = newModule(null, '[eval]', null);
    module.filename = `${getCwd() === '/' ? '' : getCwd()}/[eval]`;
    module.loaded = false;
    return module;
  }

  /** createRequire(filename): a require as if from a module at that path. */
  function requireFrom(filename: string): GuestRequire {
    const module = newModule(filename, filename, null);
    module.filename = filename;
    return module.require;
  }

  return { makeRequire, load, builtin, cache, evalModule, requireFrom, getMain: () => main };
}

export type ModuleSystem = ReturnType<typeof createModuleSystem>;
