// The expectations file: one line per test file that is expected not to pass,
//   test-x.js | fail | category | reason
// A reason that starts with "= " was written by hand: --update keeps it and its category
// while the status still follows the run. Files that are absent pass. Status `flaky` (set by
// hand, with why) accepts either outcome: a test that depends on timing the VM cannot hold
// on a loaded machine; it counts as not passing in the report, and --update keeps it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = `# Node ${'$'}{version}'s test/parallel files expected NOT to pass in a VM (every other file must pass).
# Written by \`npm run conformance:node -- --update\`; a reason starting with "= " is hand-written
# and kept by --update, with its category. Columns: file | fail, skip or flaky | category | reason.
`;

export function readExpectations(file) {
  const map = new Map();
  if (!existsSync(file)) return map;
  for (const [index, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(' | ');
    if (parts.length < 4 || !['fail', 'skip', 'flaky'].includes(parts[1])) throw new Error(`${file}:${index + 1}: expected "file | fail|skip|flaky | category | reason", got ${JSON.stringify(line)}`);
    const [name, status, category, ...rest] = parts;
    map.set(name, { status, category, reason: rest.join(' | ') });
  }
  return map;
}

/** Merges this run's outcomes (only the files that ran) into the old entries and writes the file. */
export function writeExpectations(file, old, outcomes, version) {
  const merged = new Map(old);
  for (const [name, outcome] of outcomes) {
    if (old.get(name)?.status === 'flaky') continue;
    if (outcome.status === 'pass') {
      merged.delete(name);
      continue;
    }
    const previous = old.get(name);
    const manual = previous?.reason.startsWith('= ');
    merged.set(name, {
      status: outcome.status,
      category: manual ? previous.category : outcome.category,
      reason: manual ? previous.reason : outcome.reason.replace(/^= /, ''),
    });
  }
  const lines = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, e]) => `${name} | ${e.status} | ${e.category} | ${e.reason}`);
  writeFileSync(file, HEADER.replace('${version}', version) + lines.join('\n') + '\n');
  return merged;
}

/** Files whose outcome differs from what the expectations say. */
export function surprises(expected, outcomes) {
  const out = [];
  for (const [name, outcome] of outcomes) {
    const want = expected.get(name)?.status ?? 'pass';
    if (want !== 'flaky' && want !== outcome.status) out.push({ name, want, got: outcome.status, reason: outcome.reason });
  }
  return out;
}
