// Runs every test/*.test.ts with uvu (through tsx) and ends with the one summary line CI
// reads: "N passed, N failed" (skips are counted on the line above it). Exits non-zero on
// any failure, or when uvu printed no totals. A test file that skips something calls uvu's test.skip() (counted) and prints a
// line "skip: <what and how to get it>", repeated here just above the summary so a skip is
// never silent.
//
// A failed assertion can leave a test's sidecar running, and its open pipes keep uvu alive
// after its totals: uvu then gets a grace period and is killed (its sidecars see stdin EOF
// and exit). A whole run that never finishes is cut off too, so CI gets an answer.
//
// A whole run (no pattern) then runs the fixed CI subset of Node's own test suite in VMs
// (scripts/node-conformance.mjs --subset, see scripts/node-conformance/ci-subset.mjs; about
// 2 minutes on 2 cores), counted as one test: it fails on any outcome that differs from
// test/node-conformance.expected. Without the suite (scripts/fetch-node-tests.sh fetches it,
// NODE_TEST_DIR points elsewhere) it is one skip with its "skip:" line.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CI_SUBSET } from './node-conformance/ci-subset.mjs';

const EXIT_GRACE_MS = 10_000;
const RUN_DEADLINE_MS = 20 * 60_000;
const CONFORMANCE_DEADLINE_MS = 15 * 60_000;

const require = createRequire(import.meta.url);
const uvu = join(dirname(require.resolve('uvu')), '..', 'bin.js');
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const withNodeSuite = process.argv[2] === undefined;
const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', uvu, 'test', pattern], { stdio: ['ignore', 'pipe', 'inherit'] });

let output = '';
let lingered = false;
const plain = () => output.replace(/\x1b\[[0-9;]*m/g, '');
const cutOff = (why) => {
  console.log(`\n${why}`);
  child.kill('SIGKILL');
};
const deadline = setTimeout(() => cutOff(`the test run took longer than ${RUN_DEADLINE_MS / 60_000} minutes; stopped`), RUN_DEADLINE_MS);
let grace;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk;
  if (!grace && /Duration:/.test(plain())) {
    grace = setTimeout(() => {
      lingered = true;
      cutOff(`uvu printed its totals but did not exit within ${EXIT_GRACE_MS / 1000} s (a test left a process running); stopped`);
    }, EXIT_GRACE_MS);
  }
});
child.on('exit', async (code) => {
  clearTimeout(deadline);
  clearTimeout(grace);
  const conformance = withNodeSuite ? await runNodeConformance() : { passed: 0, failed: 0, skipped: 0, skipLines: '' };
  const text = plain() + conformance.skipLines;
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const skips = [...text.matchAll(/^skip: (.+)$/gm)].map((m) => m[1]);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log('\nthe test run ended without a summary (a test file crashed or hung?)');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  // uvu's Total counts the tests that ran, not the skipped ones.
  // Lingering after an all-green run is a leak in the code under test: count it.
  const failed = total - passed + (lingered && total === passed ? 1 : 0) + conformance.failed;
  if (skips.length) console.log(`\n${skips.map((why) => `skipped: ${why}`).join('\n')}`);
  // The last line is the plain summary CI reads; skips are counted on the line above it.
  console.log(`\n${skipped + conformance.skipped} skipped`);
  console.log(`${passed + conformance.passed} passed, ${failed} failed`);
  process.exit(failed > 0 || (code !== 0 && !lingered) ? 1 : 0);
});

/** Node's test/parallel against test/node-conformance.expected: one test's worth of pass, fail or skip. */
function runNodeConformance() {
  return new Promise((resolve) => {
    console.log("\nNode conformance, CI's subset (scripts/node-conformance.mjs --subset test/node-conformance.ci-subset):");
    const run = spawn(process.execPath, [join(dirname(new URL(import.meta.url).pathname), 'node-conformance.mjs'), '--subset', CI_SUBSET], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    run.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk;
    });
    // The suite bounds each file; this bounds the whole, so a hung run is a failure CI sees.
    const deadline = setTimeout(() => {
      console.log(`\nNode conformance took longer than ${CONFORMANCE_DEADLINE_MS / 60_000} minutes; stopped`);
      run.kill('SIGKILL');
    }, CONFORMANCE_DEADLINE_MS);
    run.on('exit', (code) => {
      clearTimeout(deadline);
      const skipLines = [...out.matchAll(/^skip: .+$/gm)].map((m) => `\n${m[0]}`).join('');
      if (skipLines) resolve({ passed: 0, failed: 0, skipped: 1, skipLines });
      else resolve({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, skipLines: '' });
    });
  });
}
