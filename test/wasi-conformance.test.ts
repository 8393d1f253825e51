import { writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { listCases, runCase, runCaseNodeWasi, suiteDir, type CaseResult } from './helpers/wasi-suite.js';

/**
 * The official WASI preview1 test programs, each run through the daemon in a fresh VM
 * whose filesystem holds a copy of the case's root, and the same programs under Node's own
 * node:wasi as the baseline (measured here, in the same run). Writes test/wasi-conformance.md.
 * The suite lives beside the project (../shared/wasi-testsuite, or WASI_TESTSUITE_DIR).
 * Without it this file registers one skipped test, so the run's summary counts the skip (the runner repeats
 * the `skip:` line above its summary);
 * with WASI_TESTSUITE_DIR set to a directory that does not hold the suite, one failing test.
 */
const GET_IT = 'clone https://github.com/WebAssembly/wasi-testsuite (branch prod/testsuite-base) to ../shared/wasi-testsuite or set WASI_TESTSUITE_DIR';
const dir = suiteDir();
if (!dir && process.env.WASI_TESTSUITE_DIR !== undefined) {
  test('wasi conformance: WASI_TESTSUITE_DIR holds the WASI test suite', () => {
    assert.unreachable(`WASI_TESTSUITE_DIR=${process.env.WASI_TESTSUITE_DIR} has no tests/ directory (${GET_IT})`);
  });
} else if (!dir) {
  console.log(`skip: wasi-conformance: the official WASI test suite was not found, so none of its programs ran; ${GET_IT}`);
  test.skip('wasi conformance: the WASI test suite is not present', () => {});
} else {
  const cases = listCases(dir);
  const results: CaseResult[] = [];
  const baseline = new Map<string, CaseResult>();
  const key = (r: CaseResult) => `${r.testCase.group}/${r.testCase.name}`;
  const { client } = await startSidecar();

  test('wasi conformance: the suite holds test programs', () => {
    assert.ok(cases.length > 0, `no .wasm cases under ${dir}/tests`);
  });

  for (const c of cases) {
    test(`wasi ${c.group}/${c.name}`, async () => {
      const result = await runCase(client, c);
      results.push(result);
      assert.ok(result.pass, result.reason);
    });
  }

  // The baseline is a measurement, not a test of ours: node:wasi failing a case fails nothing.
  test('node:wasi baseline: every case run under node:wasi too', () => {
    for (const c of cases) {
      const r = runCaseNodeWasi(c);
      baseline.set(key(r), r);
    }
    assert.is(baseline.size, cases.length);
  });

  test.after(async () => {
    await client.close();
    const passed = results.filter((r) => r.pass).length;
    const nodePassed = [...baseline.values()].filter((r) => r.pass).length;
    const nodeCell = (r: CaseResult) => {
      const b = baseline.get(key(r));
      return b ? (b.pass ? 'pass' : `FAIL: ${b.reason}`) : 'not run';
    };
    const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
    const rows = results.map((r) => `| ${r.testCase.group} | ${r.testCase.name} | ${r.pass ? 'pass' : 'FAIL'} | ${cell(r.reason)} | ${cell(nodeCell(r))} |`);
    writeFileSync(
      new URL('./wasi-conformance.md', import.meta.url),
      [
        '# WASI preview1 conformance',
        '',
        'Written by `test/wasi-conformance.test.ts` on every run of the suite: each official test program',
        '(WebAssembly/wasi-testsuite, `prod/testsuite-base`) run through the daemon in a fresh VM, and the same',
        'program under Node\'s own `node:wasi` in a child Node process (`test/helpers/node-wasi-case.mjs`: the',
        'case\'s root copied to a scratch directory and preopened as `/`, as the daemon\'s run preopens its copy),',
        'both judged by the same expectations.',
        '',
        `**${passed} of ${results.length} pass through the daemon.** \`node:wasi\` (Node ${process.version}) passes ${nodePassed} of ${baseline.size}, measured in the same run.`,
        '',
        '| group | test | daemon | reason | node:wasi |',
        '|---|---|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
    console.log(`\nwasi-conformance: ${passed} of ${results.length} pass; node:wasi ${nodePassed} of ${baseline.size}`);
  });
}

test.run();
