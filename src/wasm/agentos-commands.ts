import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/** The npm package holding the agentOS command binaries (an optional dependency). */
export const AGENTOS_COMMANDS_PACKAGE = '@rivet-dev/agentos-runtime-core';

/** Its `commands/` folder, or undefined when the package is not installed. */
export function agentosCommandsDir(): string | undefined {
  try {
    // The package's exports do not list commands/: find it from its main entry (dist/index.js).
    const main = createRequire(join(PACKAGE_ROOT, 'package.json')).resolve(AGENTOS_COMMANDS_PACKAGE);
    const dir = join(dirname(dirname(main)), 'commands');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}
