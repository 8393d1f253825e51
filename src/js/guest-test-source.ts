import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

let source: string | undefined;

/**
 * dist/guest-test.js: Node's lib/test.js and internal/test_runner for guest JS (built from
 * src/js/guest/node by scripts/build-bundles.mjs), handed to a guest the first time it
 * requires node:test.
 */
export function guestTestSource(): string {
  return (source ??= readFileSync(join(PACKAGE_ROOT, 'dist', 'guest-test.js'), 'utf8'));
}
