// The fixed subset of Node's test/parallel that `npm test` (and so CI) runs: the whole suite
// takes about 10 minutes on 2 cores, past CI's budget. It is every file that passed in the
// last whole `--update` run and took under CI_SUBSET_MAX_MS there, so the subset guards what
// works against regressions in a few minutes; the whole run (`npm run conformance:node`)
// is what finds new passes and keeps the expectations and the report true.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CI_SUBSET = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'node-conformance.ci-subset');

/** A passing file slower than this is left to the whole run (timers, timeouts, big loops). */
export const CI_SUBSET_MAX_MS = 2000;

/** Writes FILE from a whole run: its passing files under the time bound, one a line (a file known to go either way is left out). */
export function writeCiSubset(file, outcomes, msOf, version, expected) {
  const steady = ([name, o]) => o.status === 'pass' && expected.get(name)?.status !== 'flaky' && (msOf.get(name) ?? Infinity) < CI_SUBSET_MAX_MS;
  const names = [...outcomes].filter(steady).map(([name]) => name).sort();
  const header = [
    `# Node ${version}'s test/parallel files that \`npm test\` runs (CI's subset); written by a whole`,
    '# `npm run conformance:node -- --update` run: every file that passed there in under',
    `# ${CI_SUBSET_MAX_MS / 1000} s and is not listed as flaky. Each must still pass. The whole suite runs with \`npm run conformance:node\`.`,
  ];
  writeFileSync(file, `${[...header, ...names].join('\n')}\n`);
  return names.length;
}

/** The file names FILE lists (one a line; # starts a comment). */
export function readSubset(file) {
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
}
