import type { SidecarClient } from '../../src/client/client.js';
import { COMMAND_CASES, HELLO_ZIP_BASE64, WORK_FILES, type CommandCase } from './command-table.js';

export interface CommandResult {
  testCase: CommandCase;
  pass: boolean;
  exitCode: number;
  reason: string;
  ms: number;
}

/** A VM holding /w with the table's files, a zip, a symlink and an empty directory. */
export async function commandVm(client: SidecarClient): Promise<string> {
  const { vmId } = await client.createVm({
    cwd: '/w',
    env: { NAME: 'agent' },
    files: Object.entries(WORK_FILES).map(([path, data]) => ({ path, data, encoding: 'utf8' as const })),
  });
  const setup = await client.exec(vmId, 'node', ['-e', `const fs = require("fs"); fs.symlinkSync("a.txt", "link-to-a"); fs.mkdirSync("made-empty"); fs.writeFileSync("hello.zip", Buffer.from("${HELLO_ZIP_BASE64}", "base64"))`]);
  if (setup.exitCode !== 0) throw new Error(`command VM setup failed: ${setup.stderr}`);
  return vmId;
}

export async function runCommandCase(client: SidecarClient, vmId: string, c: CommandCase): Promise<CommandResult> {
  const started = performance.now();
  const r = await client.exec(vmId, c.name, c.args, {
    timeoutMs: 20_000,
    ...(c.stdinBase64 !== undefined ? { stdin: c.stdinBase64, stdinEncoding: 'base64' as const } : { stdin: c.stdin ?? '' }),
  });
  const ms = performance.now() - started;
  const problems: string[] = [];
  if (r.exitCode !== c.exit) problems.push(`exit ${r.exitCode}, expected ${c.exit}`);
  // Exact text unless the table gives a pattern; a stream the table says nothing of must be empty.
  for (const [stream, got, want] of [['stdout', r.stdout, c.out ?? ''], ['stderr', r.stderr, c.err ?? '']] as const) {
    const ok = typeof want === 'string' ? got === want : want.test(got);
    if (!ok) problems.push(`${stream} ${JSON.stringify(got.slice(0, 160))} is not ${typeof want === 'string' ? JSON.stringify(want.slice(0, 160)) : want}`);
  }
  if (r.error && c.exit !== r.exitCode) problems.push(`${r.error.code}: ${r.error.message}`);
  if (c.also && problems.length === 0) {
    const again = await client.exec(vmId, c.name, c.also.args, { timeoutMs: 20_000 });
    if ([again.exitCode, again.stdout, again.stderr].join('|') !== `${c.also.exit}||`) problems.push(`the second run (${c.also.args.join(' ')}) exited ${again.exitCode}, expected ${c.also.exit}; ${again.stderr.slice(0, 160)}`);
  }
  if (c.then && problems.length === 0) {
    const check = await client.exec(vmId, 'sh', ['-c', c.then], { timeoutMs: 20_000 });
    if (check.exitCode !== 0) problems.push(`its effect is missing: \`${c.then}\` exited ${check.exitCode} ${check.stderr.slice(0, 160)}`);
  }
  return { testCase: c, pass: problems.length === 0, exitCode: r.exitCode, reason: problems.join('; '), ms };
}

/**
 * How a case's outcome is checked, for the table: `effect` (a follow-up command checks what
 * it changed), `exact` (its output or message, to the byte), `pattern` (a pattern, where
 * the text varies by design), `status` (the exit status is the whole job).
 */
export function checkedBy(c: CommandCase): 'effect' | 'exact' | 'pattern' | 'status' {
  if (c.then) return 'effect';
  if (c.also) return 'exact';
  if (c.out instanceof RegExp || c.err instanceof RegExp) return 'pattern';
  if (c.out !== undefined || c.err !== undefined) return 'exact';
  return 'status';
}

export { COMMAND_CASES };
