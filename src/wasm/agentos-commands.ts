import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/** The npm package holding the agentOS command binaries (a development dependency). */
export const AGENTOS_COMMANDS_PACKAGE = '@rivet-dev/agentos-runtime-core';

/**
 * The folder of agentOS command binaries, or undefined when there is none. An installed
 * copy of this package carries them in vendor/agentos-commands (scripts/pack-commands.mjs
 * puts them there at pack time: the package itself would pull a 142 MB native sidecar into
 * every dependent); a checkout finds them in the development dependency.
 */
export function agentosCommandsDir(): string | undefined {
  const packed = join(PACKAGE_ROOT, 'vendor', 'agentos-commands');
  if (existsSync(packed)) return packed;
  try {
    // The package's exports do not list commands/: find it from its main entry (dist/index.js).
    const main = createRequire(join(PACKAGE_ROOT, 'package.json')).resolve(AGENTOS_COMMANDS_PACKAGE);
    const dir = join(dirname(dirname(main)), 'commands');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}
