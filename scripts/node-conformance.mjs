#!/usr/bin/env node
// Runs Node's own test/parallel in VMs through the daemon and checks the outcomes against
// test/node-conformance.expected: an unexpected pass or fail exits 1.
//
//   node scripts/node-conformance.mjs [REGEX] [--update] [--jobs N] [--timeout MS] [--shard I/N] [--subset FILE]
//
// REGEX picks test files by name; --shard I/N runs every Nth file from the Ith (1-based);
// --subset FILE runs the files FILE lists (one a line, # comments); --json FILE writes each
// file's outcome there. --update rewrites the
// expectations for the files that ran (keeping hand-written reasons) and test/node-conformance.md.
// Needs `npm run build` (it drives dist/) and the suite (scripts/fetch-node-tests.sh); without
// the suite it prints one "skip:" line and exits 0.
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CI_SUBSET, readSubset, writeCiSubset } from './node-conformance/ci-subset.mjs';
import { classify } from './node-conformance/classify.mjs';
import { readExpectations, surprises, writeExpectations } from './node-conformance/expectations.mjs';
import { causeOf, summarize, writeReport } from './node-conformance/report.mjs';
import { listTests, NODE_VERSION, readTest, suiteDir, suiteMissing, testFlags, walkFiles } from './node-conformance/suite.mjs';
import { Worker } from './node-conformance/worker.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXPECTED = join(ROOT, 'test', 'node-conformance.expected');
const REPORT = join(ROOT, 'test', 'node-conformance.md');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    update: { type: 'boolean', default: false },
    jobs: { type: 'string', default: String(Math.max(1, availableParallelism())) },
    timeout: { type: 'string', default: '20000' },
    shard: { type: 'string' },
    subset: { type: 'string' },
    verbose: { type: 'boolean', short: 'v', default: false },
    json: { type: 'string' },
  },
});

const suite = suiteDir();
const missing = suiteMissing(suite);
if (missing) {
  console.log(`skip: Node ${NODE_VERSION} conformance: ${missing}`);
  process.exit(0);
}

const all = listTests(suite);
let names = all;
if (positionals[0]) names = names.filter((n) => new RegExp(positionals[0]).test(n));
if (opts.subset) {
  const wanted = readSubset(opts.subset);
  names = names.filter((n) => wanted.has(n));
}
if (opts.shard) {
  const [i, n] = opts.shard.split('/').map(Number);
  names = names.filter((_, k) => k % n === i - 1);
}
const jobs = Math.max(1, Math.min(Number(opts.jobs), names.length));
const timeoutMs = Number(opts.timeout);
// A file last seen hanging ("no exit within ...") is expected to hang again: it gets a short
// budget, so a few dozen such files do not cost the run ten minutes of waiting. If it exits
// now, it is a surprise and re-runs below with the full budget, so a fix is still noticed
// (one that passes only after more than the short budget is not).
const KNOWN_HANG_TIMEOUT_MS = 5000;
const lastSeen = readExpectations(EXPECTED);
const budgetOf = (name) => (lastSeen.get(name)?.reason.startsWith('no exit within') ? Math.min(timeoutMs, KNOWN_HANG_TIMEOUT_MS) : timeoutMs);
// More surprises than this is a real change (or a broken build), not flakiness: no re-runs.
const RETRY_MAX = 100;

const started = Date.now();
const seedFiles = ['test/common', 'test/fixtures', 'test/parallel'].flatMap((part) => walkFiles(suite, join(suite, part)));
const outcomes = new Map();
const times = [];
let done = 0;
let nextIndex = 0;

async function startWorker(id) {
  const worker = new Worker(id, suite, seedFiles, timeoutMs);
  await worker.start();
  return worker;
}

async function runLoop(id) {
  let worker = await startWorker(id);
  while (nextIndex < names.length) {
    const name = names[nextIndex++];
    const { flags, unsupported } = testFlags(readTest(suite, name));
    const t0 = Date.now();
    const budget = budgetOf(name);
    const run = unsupported ? { unsupportedFlag: unsupported } : { ...(await worker.run(name, flags, budget)), timeoutMs: budget };
    times.push([name, Date.now() - t0]);
    const outcome = classify(name, run);
    outcomes.set(name, outcome);
    done++;
    if (opts.verbose) console.log(`${outcome.status.padEnd(4)} ${name}${outcome.reason ? `  (${outcome.category}: ${outcome.reason})` : ''}`);
    else if (done % 100 === 0) console.log(`${done}/${names.length} files, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (!worker.healthy) {
      await worker.stop();
      worker = await startWorker(id);
    }
  }
  await worker.stop();
}

await Promise.all(Array.from({ length: jobs }, (_, i) => runLoop(i + 1)));
const durationMs = Date.now() - started;

const msOf = new Map(times);
if (opts.json) writeFileSync(opts.json, JSON.stringify(Object.fromEntries([...outcomes].map(([n, o]) => [n, { ...o, ms: msOf.get(n) }])), null, 1));
let expected = readExpectations(EXPECTED);
// A file whose outcome differs from the expectation runs once more, alone: timing tests on a
// loaded 2-core machine can go either way, and one such flip must not turn the run red. Only
// an outcome that holds on the second run counts as changed; a flip is reported as flaky.
const firstSurprises = surprises(expected, outcomes);
const flaky = [];
if (firstSurprises.length > 0 && firstSurprises.length <= RETRY_MAX) {
  let worker = await startWorker(jobs + 1);
  for (const { name } of firstSurprises) {
    const { flags } = testFlags(readTest(suite, name));
    const again = classify(name, { ...(await worker.run(name, flags)), timeoutMs });
    if (!worker.healthy) {
      await worker.stop();
      worker = await startWorker(jobs + 1);
    }
    if (again.status !== outcomes.get(name).status) {
      flaky.push(name);
      outcomes.set(name, again);
    }
  }
  await worker.stop();
}
const unexpected = surprises(expected, outcomes);
if (opts.update) expected = writeExpectations(EXPECTED, expected, outcomes, NODE_VERSION);

const ran = summarize(names, new Map([...outcomes].filter(([, o]) => o.status !== 'pass')));
console.log(`\nNode ${NODE_VERSION} test/parallel: ${ran.pass} of ${ran.total} files passed, ${ran.skip} skipped, ${ran.total - ran.pass - ran.skip} failed; ${(durationMs / 1000).toFixed(1)} s with ${jobs} workers`);
const causes = [...ran.byReason].sort((a, b) => b[1] - a[1]).slice(0, 15);
if (causes.length) console.log(`most common causes:\n${causes.map(([c, n]) => `  ${String(n).padStart(5)}  ${c}`).join('\n')}`);
const slowest = times.sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(`slowest: ${slowest.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
if (flaky.length) console.log(`flaky (a different outcome when run again; the second counts): ${flaky.join(', ')}`);

if (opts.update) {
  const whole = names.length === all.length;
  writeReport(REPORT, summarize(all, expected), { version: NODE_VERSION, ...(whole ? { durationMs, jobs, date: new Date().toISOString().slice(0, 10) } : {}) });
  // Only a whole run knows every file's outcome and time.
  if (whole) console.log(`${writeCiSubset(CI_SUBSET, outcomes, msOf, NODE_VERSION, expected)} files in ${CI_SUBSET}`);
  console.log(`updated ${EXPECTED} and ${REPORT}`);
} else if (unexpected.length) {
  console.log(`\n${unexpected.length} unexpected outcome(s) (run with --update to accept them):`);
  for (const u of unexpected) console.log(`  ${u.name}: expected ${u.want}, got ${u.got}${u.reason ? ` (${u.reason})` : ''}`);
  process.exit(1);
}
console.log(unexpected.length ? `${unexpected.length} outcome(s) changed and were written` : 'every outcome as expected');
// causeOf is used by the report; imported here so an unknown export fails at start-up, not after a 10-minute run.
void causeOf;
