import { FsError } from '../fs/errors.js';
import { dirname, normalize } from '../fs/paths.js';
import type { VirtualFs } from '../fs/vfs.js';
import type { ModuleRecord } from './guest/contract.js';

/**
 * Node's module resolution over the VM filesystem: relative and absolute specifiers with
 * the usual extension and directory probes, and bare names through `node_modules`
 * folders, honouring `package.json` `main`, a string or `.` `exports`, and `type`.
 */
export function resolveModule(vfs: VirtualFs, specifier: string, fromDir: string, mode: 'require' | 'import', builtins: ReadonlySet<string>): ModuleRecord {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (builtins.has(bare)) return { path: bare, format: 'builtin', source: '' };
  let path: string | undefined;
  if (specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    const target = normalize(specifier.startsWith('/') ? specifier : `${fromDir}/${specifier}`);
    path = mode === 'import' ? (isFile(vfs, target) ? target : undefined) ?? asDirectory(vfs, target, mode) : asFile(vfs, target) ?? asDirectory(vfs, target, mode);
  } else {
    path = fromNodeModules(vfs, specifier, fromDir, mode);
  }
  if (!path) {
    const err = new FsError('ENOENT', 'require', specifier, `Cannot find module '${specifier}' from '${fromDir}'`);
    Object.assign(err, { errno: 'ENOENT' });
    throw Object.assign(err, { moduleNotFound: true });
  }
  return { path, format: formatOf(vfs, path), source: Buffer.from(vfs.readFile(path)).toString('utf8') };
}

function isFile(vfs: VirtualFs, path: string): boolean {
  try {
    return vfs.stat(path).type === 'file';
  } catch {
    return false;
  }
}

function asFile(vfs: VirtualFs, path: string): string | undefined {
  for (const candidate of [path, `${path}.js`, `${path}.json`, `${path}.cjs`, `${path}.mjs`]) {
    if (isFile(vfs, candidate)) return candidate;
  }
  return undefined;
}

function readPackage(vfs: VirtualFs, dir: string): Record<string, unknown> | undefined {
  const file = `${dir}/package.json`;
  if (!isFile(vfs, file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(vfs.readFile(file)).toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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

function asDirectory(vfs: VirtualFs, dir: string, mode: 'require' | 'import'): string | undefined {
  const pkg = readPackage(vfs, dir);
  const main = pkg ? exportsEntry(pkg, mode) ?? (typeof pkg.main === 'string' ? pkg.main : undefined) : undefined;
  if (main) {
    const target = normalize(`${dir}/${main}`);
    const found = asFile(vfs, target) ?? asFile(vfs, `${target}/index`);
    if (found) return found;
  }
  return asFile(vfs, `${dir}/index`);
}

function fromNodeModules(vfs: VirtualFs, specifier: string, fromDir: string, mode: 'require' | 'import'): string | undefined {
  for (let dir = normalize(fromDir); ; dir = dirname(dir)) {
    const base = dir === '/' ? '/node_modules' : `${dir}/node_modules`;
    const target = `${base}/${specifier}`;
    const found = asFile(vfs, target) ?? asDirectory(vfs, target, mode);
    if (found) return found;
    if (dir === '/') return undefined;
  }
}

/** CommonJS or ES module, by extension and the nearest package.json `type`, as Node decides. */
export function formatOf(vfs: VirtualFs, path: string): ModuleRecord['format'] {
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.mjs')) return 'module';
  if (path.endsWith('.cjs')) return 'commonjs';
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = readPackage(vfs, dir);
    if (pkg) return pkg.type === 'module' ? 'module' : 'commonjs';
    if (dir === '/') return 'commonjs';
  }
}
