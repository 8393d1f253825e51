/**
 * Lexical normalisation: folds `.`, `..` and repeated slashes. `..` at the root stays at
 * the root, as POSIX says, so no spelling of a path can name anything outside the VM.
 * No imports: the WASM runner's jail (inside its isolate) uses it as the daemon does.
 */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
