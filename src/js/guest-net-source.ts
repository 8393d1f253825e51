import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

let source: string | undefined;

/**
 * dist/guest-net.js: http, https, tls and fetch for guest JS (built from src/js/guest/node by
 * scripts/build-bundles.mjs), handed to a guest the first time it needs one of them, so a
 * process that never uses the network does not compile them.
 */
export function guestNetSource(): string {
  return (source ??= readFileSync(join(PACKAGE_ROOT, 'dist', 'guest-net.js'), 'utf8'));
}
