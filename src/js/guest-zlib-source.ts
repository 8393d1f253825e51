import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:zlib';
import { PACKAGE_ROOT } from '../package-root.js';

let source: string | undefined;

/**
 * dist/guest-zlib.js: Node's lib/zlib.js for guest JS over the daemon's zlib handles (built
 * from src/js/guest/node by scripts/build-bundles.mjs), handed to a guest the first time it
 * requires zlib, with the daemon's zlib.constants in front: zlib.js reads them as it loads,
 * which must work with no process bound (the engine lists builtins' exports so).
 */
export function guestZlibSource(): string {
  return (source ??= `globalThis[Symbol.for('agentos.zlib.constants')] = ${literal(constants as unknown as Record<string, number>)};\n${readFileSync(join(PACKAGE_ROOT, 'dist', 'guest-zlib.js'), 'utf8')}`);
}

/** The constants as a JavaScript object literal (Z_MAX_CHUNK is Infinity, which JSON has not). */
function literal(values: Record<string, number>): string {
  return `{${Object.entries(values).map(([k, v]) => `${JSON.stringify(k)}:${Number.isFinite(v) ? v : v > 0 ? 'Infinity' : '-Infinity'}`).join(',')}}`;
}
