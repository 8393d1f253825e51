/** The process's working directory, and path resolution against it (no `path` polyfill needed). */
let cwd = '/';

export function getCwd(): string {
  return cwd;
}

export function setCwd(dir: string): void {
  cwd = dir;
}

export function resolvePath(path: string): string {
  const out: string[] = [];
  for (const part of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
