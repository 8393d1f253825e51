import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

let source: string | undefined;

/**
 * dist/guest-lib.js: Node's library modules for guest JS (stream, events, url, readline ...,
 * built from src/js/guest/node by scripts/build-bundles.mjs). It is kept out of the runtime
 * every isolate compiles at start, and handed to a guest the first time it requires one of
 * them: a trivial process does not pay for a megabyte of library it never uses.
 */
export function guestLibSource(): string {
  return (source ??= readFileSync(join(PACKAGE_ROOT, 'dist', 'guest-lib.js'), 'utf8'));
}
