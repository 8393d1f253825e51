import { exports as exportsTarget, imports as importsTarget } from 'resolve.exports';
import { FsError } from '../fs/errors.js';
import { basename, components, dirname, normalize } from '../fs/paths.js';
import type { DirNode, FsNode, VirtualFs, WalkBudget } from '../fs/vfs.js';
import type { ModuleRecord } from './guest/contract.js';
import { checkPackageJsonSize, PackageJsonLimitError, parsePackageJson } from './package-json.js';

/**
 * Node's module resolution over the VM filesystem: relative and absolute specifiers with
 * the usual extension and directory probes (CommonJS only; `import` names files exactly),
 * bare names through `node_modules` folders with `package.json` `exports` (subpaths,
 * patterns, conditions `node`, `import` or `require`, `default`), a package naming itself,
 * `imports` (`#name`), and `main` where there is no `exports`; `type` gives the format.
 *
 * It runs on the daemon thread, so its work is bounded: the directories from `/` to the
 * requiring one are resolved once, in one pass; every probe is a lookup relative to a
 * directory already found (never the full path again); and all of one resolution's
 * lookups share one walk budget of AGENTOS_FS_PATH_WALK_MAX components (ELOOP past it).
 */
export function resolveModule(vfs: VirtualFs, specifier: string, fromDir: string, mode: 'require' | 'import', builtins: ReadonlySet<string>, fromFile?: string, withSource = true): ModuleRecord {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (builtins.has(bare) && (specifier.startsWith('node:') || !NODE_ONLY.has(bare))) return { path: bare, format: 'builtin', source: '' };
  if (specifier.startsWith('node:')) throw new ModuleError('ERR_UNKNOWN_BUILTIN_MODULE', `No such built-in module: ${specifier}`);
  const r = new Resolution(vfs);
  try {
    const path = resolveWith(r, specifier, fromDir, mode, fromFile);
    return { path, format: formatOf(vfs, path), source: withSource ? Buffer.from(vfs.readFile(path)).toString('utf8') : '' };
  } catch (err) {
    if (!r.spent && err instanceof ModuleError && mode === 'import' && (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ERR_UNSUPPORTED_DIR_IMPORT')) addCommonJsHint(vfs, err, specifier, fromDir);
    if (!r.spent) throw err;
    const max = vfs.bounds.pathWalkMax;
    const bounded = new FsError('ELOOP', 'require', specifier);
    bounded.message = `Cannot find module '${specifier}' from '${fromDir}': resolving it walked more than ${max} path components (AGENTOS_FS_PATH_WALK_MAX)`;
    throw bounded;
  }
}

/** Builtins Node only gives with the `node:` prefix. */
const NODE_ONLY = new Set(['test', 'test/reporters', 'sea', 'sqlite']);

/** A resolution failure with Node's code and message (MODULE_NOT_FOUND, ERR_PACKAGE_PATH_NOT_EXPORTED, ...). */
export class ModuleError extends Error {
  /** The file a not-found or directory import named (import.meta.resolve answers with it, as Node does). */
  path?: string;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function resolveWith(r: Resolution, specifier: string, fromDir: string, mode: 'require' | 'import', fromFile: string | undefined): string {
  const importedFrom = fromFile ?? `${fromDir === '/' ? '' : fromDir}/`;
  if (specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' || (mode === 'import' && specifier.startsWith('file:'))) {
    const target = normalize(specifier.startsWith('file:') ? fileUrlPath(specifier) : specifier.startsWith('/') ? specifier : `${fromDir}/${specifier}`);
    const found = mode === 'import' ? r.exactFile(target) : r.fileOrDirectory(target);
    if (found) return found;
    if (mode === 'import') {
      if (r.dirAt(target)) throw Object.assign(new ModuleError('ERR_UNSUPPORTED_DIR_IMPORT', `Directory import '${target}' is not supported resolving ES modules imported from ${importedFrom}`), { path: target });
      throw Object.assign(new ModuleError('ERR_MODULE_NOT_FOUND', `Cannot find module '${target}' imported from ${importedFrom}`), { path: target });
    }
    throw notFound(specifier);
  }
  if (specifier.startsWith('#')) return packageImports(r, specifier, fromDir, mode, importedFrom);
  if (mode === 'import' && /^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier)) {
    throw new ModuleError('ERR_UNSUPPORTED_ESM_URL_SCHEME', `Only URLs with a scheme in: file, data, and node are supported by the default ESM loader. Received protocol '${specifier.slice(0, specifier.indexOf(':') + 1)}'`);
  }
  const found = fromNodeModules(r, specifier, fromDir, mode, importedFrom);
  if (found) return found;
  if (mode === 'import') throw new ModuleError('ERR_MODULE_NOT_FOUND', `Cannot find package '${packageName(specifier)}' imported from ${importedFrom}`);
  throw notFound(specifier);
}

/** Node's hint when `require` would have found what `import` did not: `Did you mean to import "./x.js"?` */
function addCommonJsHint(vfs: VirtualFs, err: ModuleError, specifier: string, fromDir: string): void {
  let found: string;
  try {
    found = resolveWith(new Resolution(vfs), specifier, fromDir, 'require', undefined);
  } catch {
    return;
  }
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    const rel = relativePath(fromDir, found);
    found = rel.startsWith('../') ? rel : `./${rel}`;
  } else if (!specifier.startsWith('/') && !specifier.startsWith('#') && !specifier.startsWith('file:')) {
    const i = specifier.indexOf('/');
    const pkg = i === -1 ? specifier : specifier.slice(0, i);
    const needle = `/node_modules/${pkg}/`;
    const at = found.lastIndexOf(needle);
    found = at === -1 ? `file://${found}` : `${pkg}/${found.slice(at + needle.length).split('/').map(encodeURIComponent).join('/')}`;
  }
  if (found === specifier) return;
  err.message += `\nDid you mean to import ${JSON.stringify(found)}?`;
}

function relativePath(fromDir: string, to: string): string {
  const a = components(fromDir);
  const b = components(to);
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return [...a.slice(k).map(() => '..'), ...b.slice(k)].join('/');
}

function notFound(specifier: string): ModuleError {
  return new ModuleError('MODULE_NOT_FOUND', `Cannot find module '${specifier}'`);
}

function fileUrlPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    throw new ModuleError('ERR_INVALID_URL', `Invalid URL`);
  }
}

/** `name` or `@scope/name`: the package part of a bare specifier. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** A directory found during resolution: the path Node would name it by, and its node. */
interface Dir {
  readonly path: string;
  readonly node: DirNode;
}

/**
 * One resolution's lookups. Resolving the requiring directory's ancestors is one path walk
 * and has one walk budget; all the probes beneath them share another.
 */
class Resolution {
  private readonly probes: WalkBudget;
  private readonly walk: WalkBudget;
  private budget: WalkBudget;
  constructor(readonly vfs: VirtualFs) {
    this.probes = { left: vfs.bounds.pathWalkMax };
    this.walk = { left: vfs.bounds.pathWalkMax };
    this.budget = this.probes;
  }

  get spent(): boolean {
    return this.probes.left < 0 || this.walk.left < 0;
  }

  /** The node at `rel` beneath `dir`, or undefined when there is none; a spent budget throws. */
  private at(dir: DirNode, rel: string): FsNode | undefined {
    // One plain name is one map lookup (the common probe); links and longer paths walk.
    if (this.budget.left > 0 && isPlainName(rel)) {
      const node = this.vfs.entryOf(dir, rel);
      if (node?.kind !== 'symlink') {
        this.budget.left--;
        return node;
      }
    }
    try {
      // A `main` of "/x" means x in the package, as Node's path join makes it.
      return this.vfs.lookupFrom(dir, rel.replace(/^\/+/, '') || '.', 'stat', this.budget);
    } catch (err) {
      if (this.spent) throw err;
      return undefined;
    }
  }

  dirAt(path: string): Dir | undefined {
    const node = this.at(this.vfs.root, path);
    return node?.kind === 'directory' ? { path, node } : undefined;
  }

  dirIn(dir: Dir, rel: string): Dir | undefined {
    const node = this.at(dir.node, rel);
    return node?.kind === 'directory' ? { path: join(dir.path, rel), node } : undefined;
  }

  fileIn(dir: Dir, rel: string): string | undefined {
    return this.at(dir.node, rel)?.kind === 'file' ? join(dir.path, rel) : undefined;
  }

  /** Node's `require` probes: the name, then with `.js`, `.json` and `.node` appended. */
  asFile(dir: Dir, rel: string): string | undefined {
    for (const candidate of [rel, `${rel}.js`, `${rel}.json`, `${rel}.node`]) {
      const found = this.fileIn(dir, candidate);
      if (found) return found;
    }
    return undefined;
  }

  /** The file at an absolute path, exactly (how `import` and `exports` targets name files). */
  exactFile(path: string): string | undefined {
    const parent = this.dirAt(dirname(path));
    const name = basename(path);
    return parent && name !== '' ? this.fileIn(parent, name) : undefined;
  }

  /** `require` of a path: as a file with the probes, else as a directory. */
  fileOrDirectory(path: string): string | undefined {
    const parent = this.dirAt(dirname(path));
    if (!parent) return undefined;
    const name = basename(path);
    return (name === '' ? undefined : this.asFile(parent, name)) ?? this.asDirectory(name === '' ? parent : this.dirIn(parent, name));
  }

  readPackage(dir: Dir): Record<string, unknown> | undefined {
    const file = this.fileIn(dir, 'package.json');
    if (!file) return undefined;
    const { packageJsonMaxBytes: maxBytes, packageJsonMaxDepth: maxDepth } = this.vfs.bounds;
    // Its size first: a file past the bound is not even copied out of the filesystem.
    try {
      checkPackageJsonSize(file, this.vfs.stat(file).size, { maxBytes, maxDepth });
      return parsePackageJson(file, this.vfs.readFile(file), { maxBytes, maxDepth });
    } catch (err) {
      if (err instanceof PackageJsonLimitError) this.vfs.reportLimit(err.limit, err.observed, err.capacity);
      throw err;
    }
  }

  /** A directory as Node loads one: its package.json `main` (with probes), else `index`. */
  asDirectory(dir: Dir | undefined): string | undefined {
    if (!dir) return undefined;
    const pkg = this.readPackage(dir);
    const main = typeof pkg?.main === 'string' ? pkg.main : undefined;
    if (main && components(main).length > 0) {
      const found = this.asFile(dir, main) ?? this.asFile(dir, `${main}/index`);
      if (found) return found;
    }
    return this.asFile(dir, 'index');
  }

  /**
   * The directories `/`, `/a`, `/a/b`, … of a path, each resolved from the one before (one
   * component, links followed), as far as they exist.
   */
  ancestry(path: string): Dir[] {
    const chain: Dir[] = [{ path: '/', node: this.vfs.root }];
    this.walk.left = this.vfs.bounds.pathWalkMax;
    this.budget = this.walk;
    try {
      for (const name of components(normalize(path))) {
        const next = this.dirIn(chain[chain.length - 1]!, name);
        if (!next) break;
        chain.push(next);
      }
    } finally {
      this.budget = this.probes;
    }
    return chain;
  }
}

function isPlainName(rel: string): boolean {
  return rel !== '' && rel !== '.' && rel !== '..' && !rel.includes('/');
}

/** `dir/rel`, normalised; a plain name is appended as is, so a walk up a deep path stays linear. */
function join(dir: string, rel: string): string {
  if (!isPlainName(rel)) return normalize(`${dir}/${rel}`);
  return dir === '/' ? `/${rel}` : `${dir}/${rel}`;
}

/** Conditions Node matches in `exports` and `imports`, besides `default`. */
function conditionsOf(mode: 'require' | 'import') {
  return { require: mode === 'require', conditions: ['node', 'node-addons'] } as const;
}

/** A package's `exports` or `imports` target (`./dist/x.js`) as a file of the package, exactly. */
function targetFile(r: Resolution, dir: Dir, target: string, mode: 'require' | 'import', importedFrom: string): string {
  const path = normalize(`${dir.path}/${target}`);
  const found = r.exactFile(path);
  if (found) return found;
  if (mode === 'import') throw Object.assign(new ModuleError('ERR_MODULE_NOT_FOUND', `Cannot find module '${path}' imported from ${importedFrom}`), { path });
  throw notFound(path);
}

/** `name/sub` through a package's `exports` map, as Node's PACKAGE_EXPORTS_RESOLVE does. */
function throughExports(r: Resolution, dir: Dir, pkg: Record<string, unknown>, subpath: string, mode: 'require' | 'import', importedFrom: string): string {
  let targets: string[] | void;
  try {
    targets = exportsTarget(pkg as never, subpath, conditionsOf(mode)) as string[] | void;
  } catch {
    targets = undefined;
  }
  const target = targets?.find((t) => typeof t === 'string');
  const from = mode === 'import' ? ` imported from ${importedFrom}` : '';
  if (!target) {
    const sub = subpath === '.' ? 'No "exports" main defined' : `Package subpath '${subpath}' is not defined by "exports"`;
    throw new ModuleError('ERR_PACKAGE_PATH_NOT_EXPORTED', `${sub} in ${dir.path}/package.json${from}`);
  }
  if (!target.startsWith('./')) {
    throw new ModuleError('ERR_INVALID_PACKAGE_TARGET', `Invalid "exports" target ${JSON.stringify(target)} defined for '${subpath}' in the package config ${dir.path}/package.json${from}; targets must start with "./"`);
  }
  return targetFile(r, dir, target, mode, importedFrom);
}

/** `#name` through the `imports` of the nearest package.json, as PACKAGE_IMPORTS_RESOLVE does. */
function packageImports(r: Resolution, specifier: string, fromDir: string, mode: 'require' | 'import', importedFrom: string): string {
  const chain = r.ancestry(fromDir);
  for (let k = chain.length - 1; k >= 0; k--) {
    const pkg = r.readPackage(chain[k]!);
    if (!pkg) continue;
    let targets: string[] | void;
    try {
      targets = importsTarget(pkg as never, specifier, conditionsOf(mode)) as string[] | void;
    } catch {
      targets = undefined;
    }
    const target = targets?.find((t) => typeof t === 'string');
    if (target?.startsWith('./')) return targetFile(r, chain[k]!, target, mode, importedFrom);
    if (target) return resolveWith(r, target, chain[k]!.path, mode, importedFrom);
    throw new ModuleError('ERR_PACKAGE_IMPORT_NOT_DEFINED', `Package import specifier "${specifier}" is not defined in package ${chain[k]!.path}/package.json imported from ${importedFrom}`);
  }
  throw new ModuleError('ERR_PACKAGE_IMPORT_NOT_DEFINED', `Package import specifier "${specifier}" is not defined imported from ${importedFrom}`);
}

/**
 * A package naming itself (its `name` and `exports`) from inside, then `node_modules` of the
 * requiring directory and of each ancestor: one lookup a level.
 */
function fromNodeModules(r: Resolution, specifier: string, fromDir: string, mode: 'require' | 'import', importedFrom: string): string | undefined {
  const chain = r.ancestry(fromDir);
  const name = packageName(specifier);
  const subpath = `.${specifier.slice(name.length)}`;
  if (name === '' || name.startsWith('.') || name.includes('\\') || name.includes('%') || (name.startsWith('@') && !name.includes('/'))) {
    throw new ModuleError(mode === 'import' ? 'ERR_INVALID_MODULE_SPECIFIER' : 'MODULE_NOT_FOUND', mode === 'import' ? `Invalid module "${specifier}" is not a valid package name imported from ${importedFrom}` : `Cannot find module '${specifier}'`);
  }
  for (let k = chain.length - 1; k >= 0; k--) {
    const pkg = r.readPackage(chain[k]!);
    if (!pkg) continue;
    if (pkg.name === name && pkg.exports !== undefined && pkg.exports !== null) return throughExports(r, chain[k]!, pkg, subpath, mode, importedFrom);
    break;
  }
  for (let k = chain.length - 1; k >= 0; k--) {
    const modules = r.dirIn(chain[k]!, 'node_modules');
    if (!modules) continue;
    const dir = r.dirIn(modules, name);
    const pkg = dir && r.readPackage(dir);
    if (dir && pkg && pkg.exports !== undefined && pkg.exports !== null) return throughExports(r, dir, pkg, subpath, mode, importedFrom);
    if (mode === 'import') {
      if (!dir) continue;
      if (subpath === '.') return r.asDirectory(dir) ?? undefined;
      const path = normalize(`${dir.path}/${subpath}`);
      const found = r.exactFile(path);
      if (found) return found;
      if (r.dirAt(path)) throw Object.assign(new ModuleError('ERR_UNSUPPORTED_DIR_IMPORT', `Directory import '${path}' is not supported resolving ES modules imported from ${importedFrom}`), { path });
      throw Object.assign(new ModuleError('ERR_MODULE_NOT_FOUND', `Cannot find module '${path}' imported from ${importedFrom}`), { path });
    }
    const found = r.asFile(modules, specifier) ?? r.asDirectory(r.dirIn(modules, specifier));
    if (found) return found;
  }
  return undefined;
}

/** CommonJS or ES module, by extension and the nearest package.json `type`, as Node decides. */
export function formatOf(vfs: VirtualFs, path: string): ModuleRecord['format'] {
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.mjs')) return 'module';
  if (path.endsWith('.cjs')) return 'commonjs';
  const r = new Resolution(vfs);
  const chain = r.ancestry(dirname(path));
  for (let k = chain.length - 1; k >= 0; k--) {
    const pkg = r.readPackage(chain[k]!);
    if (pkg) return pkg.type === 'module' ? 'module' : 'commonjs';
  }
  return 'commonjs';
}
