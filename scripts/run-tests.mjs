// Runs every test/*.test.ts with uvu (through tsx) and ends with the one summary line CI
// reads: "N passed, N failed, N skipped". Exits non-zero on any failure, or when uvu printed
// no totals. A test file that skips something calls uvu's test.skip() (counted) and prints a
// line "skip: <what and how to get it>", repeated here just above the summary so a skip is
// never silent.
//
// A failed assertion can leave a test's sidecar running, and its open pipes keep uvu alive
// after its totals: uvu then gets a grace period and is killed (its sidecars see stdin EOF
// and exit). A whole run that never finishes is cut off too, so CI gets an answer.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const EXIT_GRACE_MS = 10_000;
const RUN_DEADLINE_MS = 20 * 60_000;

const require = createRequire(import.meta.url);
const uvu = join(dirname(require.resolve('uvu')), '..', 'bin.js');
const pattern = process.argv[2] ?? '\\.test\\.ts$';
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
child.on('exit', (code) => {
  clearTimeout(deadline);
  clearTimeout(grace);
  const text = plain();
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const skips = [...text.matchAll(/^skip: (.+)$/gm)].map((m) => m[1]);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log('\nthe test run ended without a summary (a test file crashed or hung?)');
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  // uvu's Total counts the tests that ran, not the skipped ones.
  // Lingering after an all-green run is a leak in the code under test: count it.
  const failed = total - passed + (lingered && total === passed ? 1 : 0);
  if (skips.length) console.log(`\n${skips.map((why) => `skipped: ${why}`).join('\n')}`);
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || (code !== 0 && !lingered) ? 1 : 0);
});
