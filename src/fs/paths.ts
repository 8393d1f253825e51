import { FsError } from './errors.js';
import { normalize } from './normalize.js';

export interface PathRules {
  readonly pathMax: number;
  readonly nameMax: number;
}

/**
 * Checks what no path may hold before it is resolved: NUL bytes (which would let a guest
 * truncate a path on the way to any C-string API), emptiness, and excessive length.
 */
export function checkPath(path: string, rules: PathRules, syscall: string): void {
  if (path.length === 0) throw new FsError('ENOENT', syscall, path);
  if (path.includes('\0')) throw new FsError('EINVAL', syscall, path.replaceAll('\0', '\\0'), 'path contains a NUL byte');
  if (Buffer.byteLength(path) > rules.pathMax) throw new FsError('ENAMETOOLONG', syscall, `${path.slice(0, 64)}…`);
  for (const part of path.split('/')) {
    if (Buffer.byteLength(part) > rules.nameMax) throw new FsError('ENAMETOOLONG', syscall, `${path.slice(0, 64)}…`);
  }
}

/** The names a path walks through, in order: empty parts and `.` dropped, `..` kept. */
export function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** Joins a path onto a working directory; both are VM paths, the result is absolute. */
export function absolute(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd.endsWith('/') ? cwd : `${cwd}/`}${path}`;
}

export { normalize };

/**
 * True when `..` would climb above the root. Guests get POSIX clamping; the host API
 * refuses such paths outright because they always mean a bug or an attack in the host.
 */
export function climbsAboveRoot(cwd: string, path: string): boolean {
  let depth = 0;
  for (const part of absolute(cwd, path).split('/')) {
    if (part === '' || part === '.') continue;
    depth += part === '..' ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

export function dirname(path: string): string {
  const n = normalize(path);
  const i = n.lastIndexOf('/');
  return i <= 0 ? '/' : n.slice(0, i);
}

export function basename(path: string): string {
  const n = normalize(path);
  return n.slice(n.lastIndexOf('/') + 1);
}
