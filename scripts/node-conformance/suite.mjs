// Where Node's test suite is, which of its files run, and how each is invoked: the
// `// Flags:` line, checked against the guest's own `node` command-line parser so that
// the runner supports exactly the flags the VM's node does.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { parseNodeArgs } from '../../dist/src/js/node-cli.js';

export const NODE_VERSION = '20.19.2';

/** The unpacked suite: $NODE_TEST_DIR, else the cache scripts/fetch-node-tests.sh fills. */
export function suiteDir() {
  return process.env.NODE_TEST_DIR || join(homedir(), '.cache', 'agentos-sidecar', `node-v${NODE_VERSION}`);
}

/** Why the suite cannot be used, or undefined when it can. */
export function suiteMissing(dir) {
  for (const part of ['test/parallel', 'test/common', 'test/fixtures']) {
    if (!existsSync(join(dir, part))) return `${join(dir, part)} is missing (run scripts/fetch-node-tests.sh, or set NODE_TEST_DIR)`;
  }
  return undefined;
}

/** Every test file Node's harness runs from test/parallel, sorted. */
export function listTests(dir) {
  return readdirSync(join(dir, 'test/parallel'))
    .filter((name) => /^test-.*\.m?js$/.test(name))
    .sort();
}

/** Every regular file under `root`, as paths relative to `base`. */
export function walkFiles(base, root) {
  const out = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isFile())) out.push(relative(base, full));
    }
  }
  return out.sort();
}

/**
 * The flags a test asks for (all its `// Flags:` lines, as tools/test.py reads them), and
 * the first one the guest's node refuses, if any.
 */
export function testFlags(source) {
  const flags = [];
  for (const match of source.matchAll(/^\/\/ Flags:(.*)$/gm)) flags.push(...match[1].trim().split(/\s+/).filter(Boolean));
  for (const flag of flags) {
    const parsed = parseNodeArgs([flag, 'x.js']);
    if (parsed.kind === 'error') return { flags, unsupported: flag };
  }
  return { flags, unsupported: undefined };
}

export function readTest(dir, name) {
  return readFileSync(join(dir, 'test/parallel', name), 'utf8');
}
