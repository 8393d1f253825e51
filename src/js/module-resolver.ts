import { FsError } from '../fs/errors.js';
import { basename, components, dirname, normalize } from '../fs/paths.js';
import type { DirNode, FsNode, VirtualFs, WalkBudget } from '../fs/vfs.js';
import type { ModuleRecord } from './guest/contract.js';
import { checkPackageJsonSize, PackageJsonLimitError, parsePackageJson } from './package-json.js';

/**
 * Node's module resolution over the VM filesystem: relative and absolute specifiers with
 * the usual extension and directory probes, and bare names through `node_modules`
 * folders, honouring `package.json` `main`, a string or `.` `exports`, and `type`.
 *
 * It runs on the daemon thread, so its work is bounded: the directories from `/` to the
 * requiring one are resolved once, in one pass; every probe is a lookup relative to a
 * directory already found (never the full path again); and all of one resolution's
 * lookups share one walk budget of AGENTOS_FS_PATH_WALK_MAX components (ELOOP past it).
 */
export function resolveModule(vfs: VirtualFs, specifier: string, fromDir: string, mode: 'require' | 'import', builtins: ReadonlySet<string>): ModuleRecord {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (builtins.has(bare)) return { path: bare, format: 'builtin', source: '' };
  const r = new Resolution(vfs);
  try {
    return resolveWith(r, specifier, fromDir, mode);
  } catch (err) {
    if (!r.spent) throw err;
    const max = vfs.bounds.pathWalkMax;
    const bounded = new FsError('ELOOP', 'require', specifier);
    bounded.message = `Cannot find module '${specifier}' from '${fromDir}': resolving it walked more than ${max} path components (AGENTOS_FS_PATH_WALK_MAX)`;
    throw bounded;
  }
}

function resolveWith(r: Resolution, specifier: string, fromDir: string, mode: 'require' | 'import'): ModuleRecord {
  const { vfs } = r;
  let path: string | undefined;
  if (specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    const target = normalize(specifier.startsWith('/') ? specifier : `${fromDir}/${specifier}`);
    const parent = r.dirAt(dirname(target));
    const name = basename(target);
    if (parent) {
      const asFile = name === '' ? undefined : mode === 'import' ? r.fileIn(parent, name) : r.asFile(parent, name);
      path = asFile ?? r.asDirectory(name === '' ? parent : r.dirIn(parent, name), mode);
    }
  } else {
    path = fromNodeModules(r, specifier, fromDir, mode);
  }
  if (!path) {
    const err = new FsError('ENOENT', 'require', specifier, `Cannot find module '${specifier}' from '${fromDir}'`);
    Object.assign(err, { errno: 'ENOENT' });
    throw Object.assign(err, { moduleNotFound: true });
  }
  return { path, format: formatOf(vfs, path), source: Buffer.from(vfs.readFile(path)).toString('utf8') };
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

  asFile(dir: Dir, rel: string): string | undefined {
    for (const candidate of [rel, `${rel}.js`, `${rel}.json`, `${rel}.cjs`, `${rel}.mjs`]) {
      const found = this.fileIn(dir, candidate);
      if (found) return found;
    }
    return undefined;
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

  asDirectory(dir: Dir | undefined, mode: 'require' | 'import'): string | undefined {
    if (!dir) return undefined;
    const pkg = this.readPackage(dir);
    const main = pkg ? exportsEntry(pkg, mode) ?? (typeof pkg.main === 'string' ? pkg.main : undefined) : undefined;
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

function exportsEntry(pkg: Record<string, unknown>, mode: 'require' | 'import'): string | undefined {
  let entry = pkg.exports;
  if (entry && typeof entry === 'object' && !Array.isArray(entry) && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  for (let depth = 0; depth < 4 && entry && typeof entry === 'object' && !Array.isArray(entry); depth++) {
    const conditions = entry as Record<string, unknown>;
    entry = conditions[mode] ?? conditions.node ?? conditions.default;
  }
  return typeof entry === 'string' ? entry : undefined;
}

/** `node_modules` of the requiring directory, then of each ancestor: one lookup a level. */
function fromNodeModules(r: Resolution, specifier: string, fromDir: string, mode: 'require' | 'import'): string | undefined {
  const chain = r.ancestry(fromDir);
  for (let k = chain.length - 1; k >= 0; k--) {
    const modules = r.dirIn(chain[k]!, 'node_modules');
    if (!modules) continue;
    const found = r.asFile(modules, specifier) ?? r.asDirectory(r.dirIn(modules, specifier), mode);
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
