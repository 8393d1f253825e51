// Puts the agentOS command binaries into vendor/agentos-commands/ for `npm pack` (prepack),
// and removes them again (postpack, or `--clean`).
//
// Why a copy: the binaries come from @rivet-dev/agentos-runtime-core, whose own dependency
// is a 142 MB native sidecar we never run. Our root `overrides` swap that for an empty
// stand-in, but overrides apply only at the root, so a dependent that installed the package
// got the native sidecar anyway. The package is therefore a development dependency, and
// what we use of it, the commands/ folder, ships inside our tarball (with its license).
// Files are hard-linked where the filesystem allows it: packing reads them once.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEST = join(ROOT, 'vendor', 'agentos-commands');
const SOURCE_PACKAGE = '@rivet-dev/agentos-runtime-core';

// Only the commands it copies: vendor/node holds Node's own lib files, kept in git.
rmSync(DEST, { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

let main;
try {
  main = createRequire(join(ROOT, 'package.json')).resolve(SOURCE_PACKAGE);
} catch {
  console.error(`pack-commands: ${SOURCE_PACKAGE} is not installed (npm ci installs it); refusing to pack without the commands`);
  process.exit(1);
}
// Its exports do not list commands/: it sits beside dist/, where the main entry is.
const packageDir = dirname(dirname(main));
const source = join(packageDir, 'commands');
if (!existsSync(source)) {
  console.error(`pack-commands: ${source} does not exist`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

mkdirSync(DEST, { recursive: true });
let count = 0;
for (const entry of readdirSync(source, { withFileTypes: true })) {
  // The folder is flat: one WebAssembly binary per command.
  if (!entry.isFile()) continue;
  const from = join(source, entry.name);
  const to = join(DEST, entry.name);
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
  count++;
}
writeFileSync(
  join(DEST, 'SOURCE.json'),
  `${JSON.stringify(
    {
      package: manifest.name,
      version: manifest.version,
      license: manifest.license,
      repository: manifest.repository,
      folder: 'commands/',
      note: 'copied unmodified; `license` is what the package declares. The binaries are builds of third-party programs (coreutils, git, sqlite, ...) that keep their own licenses.',
    },
    null,
    2,
  )}\n`,
);
console.error(`pack-commands: ${count} commands from ${manifest.name}@${manifest.version} (${manifest.license}) in vendor/agentos-commands`);
