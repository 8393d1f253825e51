import { writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { listCases, runCase, suiteDir, type CaseResult } from './helpers/wasi-suite.js';

/**
 * The official WASI preview1 test programs, each run through the daemon in a fresh VM
 * whose filesystem holds a copy of the case's root. Writes test/wasi-conformance.md.
 * The suite lives beside the project (../shared/wasi-testsuite, or WASI_TESTSUITE_DIR);
 * without it this file counts one skipped test and says how to get the suite (the runner
 * repeats the `skip:` line above its summary).
 */
const dir = suiteDir();
if (!dir) {
  test.skip('the official WASI preview1 test suite');
  console.log(
    'skip: wasi-conformance: the official WASI test suite was not found, so none of its programs ran; ' +
      'set WASI_TESTSUITE_DIR to a checkout of https://github.com/WebAssembly/wasi-testsuite (branch prod/testsuite-base) or put it at ../shared/wasi-testsuite',
  );
} else {
  const cases = listCases(dir);
  const results: CaseResult[] = [];
  const { client } = await startSidecar();

  for (const c of cases) {
    test(`wasi ${c.group}/${c.name}`, async () => {
      const result = await runCase(client, c);
      results.push(result);
      assert.ok(result.pass, result.reason);
    });
  }

  test.after(async () => {
    await client.close();
    const passed = results.filter((r) => r.pass).length;
    const rows = results.map((r) => `| ${r.testCase.group} | ${r.testCase.name} | ${r.pass ? 'pass' : 'FAIL'} | ${r.reason.replaceAll('|', '\\|')} |`);
    writeFileSync(
      new URL('./wasi-conformance.md', import.meta.url),
      [
        '# WASI preview1 conformance',
        '',
        'Written by `test/wasi-conformance.test.ts` on every run of the suite: each official test program',
        '(WebAssembly/wasi-testsuite, `prod/testsuite-base`) run through the daemon in a fresh VM.',
        '',
        `**${passed} of ${results.length} pass.** (Node's own \`node:wasi\` passes 60 of these 72 on the same machine.)`,
        '',
        '| group | test | result | reason |',
        '|---|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
    console.log(`\nwasi-conformance: ${passed} of ${results.length} pass`);
  });
}

test.run();
