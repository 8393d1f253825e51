import { writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentosCommandsDir } from '../src/wasm/agentos-commands.js';
import { checkedBy, COMMAND_CASES, commandVm, runCommandCase, type CommandResult } from './helpers/command-run.js';
import { startSidecar } from './helpers/sidecar.js';

/**
 * Every binary of the agentOS command set, run unmodified through the daemon, each in a
 * fresh VM: one minimal real use (or the honest refusal where a VM lacks what the job
 * needs). Writes test/commands-conformance.md.
 */
const dir = agentosCommandsDir();
const results: CommandResult[] = [];
const { client } = await startSidecar();

test('the agentOS command set is installed, and the table covers each of its binaries once', () => {
  assert.ok(dir, 'the development dependency @rivet-dev/agentos-runtime-core is not installed (npm ci installs it)');
  const available = new Set(client.initializeResult!.capabilities.commands);
  const names = COMMAND_CASES.map((c) => c.name);
  assert.equal(names.length, new Set(names).size, 'a command appears twice in the table');
  assert.equal(names.filter((n) => !available.has(n)), [], 'table entries the sidecar does not have');
  assert.equal([...available].filter((n) => n !== 'node' && !names.includes(n)), [], 'commands without a table entry');
  assert.is(names.length, 166);
});

test('a case that claims a real job checks its output to the byte or its effect; a refusal its exact message', () => {
  const weak = COMMAND_CASES.filter((c) => (c.kind === 'real' && checkedBy(c) === 'status') || (c.kind === 'refuses' && typeof c.err !== 'string' && !(c.err instanceof RegExp && c.err.source.startsWith('^') && c.err.source.endsWith('$'))));
  assert.equal(weak.map((c) => c.name), [], 'cases whose check cannot tell a real job (or an honest refusal) from a stub');
  // Exit status alone is the check only where it is the whole job.
  assert.equal(COMMAND_CASES.filter((c) => checkedBy(c) === 'status').map((c) => c.name), ['false', 'sync', 'true']);
});

for (const c of COMMAND_CASES) {
  test(`command ${c.name} ${c.args.join(' ')}`.trim(), async () => {
    const vmId = await commandVm(client);
    const result = await runCommandCase(client, vmId, c);
    results.push(result);
    await client.disposeVm(vmId);
    assert.ok(result.pass, result.reason);
  });
}

test.after(async () => {
  await client.close();
  const passed = results.filter((r) => r.pass).length;
  const count = (kind: string, by?: string) => results.filter((r) => r.pass && r.testCase.kind === kind && (!by || checkedBy(r.testCase) === by)).length;
  const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', '\\n');
  const rows = results
    .sort((a, b) => a.testCase.name.localeCompare(b.testCase.name))
    .map(({ testCase: c, pass, exitCode, reason }) =>
      `| \`${c.name}\` | \`${cell([c.name, ...c.args.map((a) => (/\s/.test(a) ? `'${a}'` : a))].join(' '))}\` | ${c.kind} | ${c.exit} | ${checkedBy(c)} | ${pass ? 'pass' : `FAIL (exit ${exitCode})`} | ${cell(pass ? [c.note, c.then ? `then \`${c.then}\`` : ''].filter(Boolean).join('; ') : reason)} |`,
    );
  writeFileSync(
    new URL('./commands-conformance.md', import.meta.url),
    [
      '# agentOS command set conformance',
      '',
      'Written by `test/commands.test.ts` on every run of the suite: each of the 166 `wasm32-wasip1` binaries',
      'in `@rivet-dev/agentos-runtime-core/commands`, unmodified, run through the daemon in a fresh VM whose',
      'cwd `/w` holds a few small files (`test/helpers/command-table.ts`). Every case checks its exit code,',
      'and stdout and stderr in full (a stream the table says nothing of must be empty).',
      '',
      `**${passed} of ${results.length} behave as expected**: ${count('real')} do a real job, ${count('real', 'exact')} checked by their`,
      `exact output, ${count('real', 'effect')} by their effect (a follow-up command checks the files or state they changed)`,
      `and ${count('real', 'pattern')} by a pattern where the output varies by design or runs long (a random`,
      `order, the colour database); ${count('status')} are checked by their exit status alone, which is their whole job`,
      `(\`true\`, \`false\`, \`sync\`); ${count('info')} can only show their version or usage here (server halves of`,
      `git, helpers of ssh, \`yes\`); and ${count('refuses')} refuse honestly, each checked by its exact message, because`,
      'the job needs what a VM does not have (a network, SELinux, login records, a second user, FIFOs).',
      '',
      '| command | run | kind | expected exit | checked by | result | note |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  console.log(`\ncommands: ${passed} of ${results.length} behave as expected`);
});

test.run();
