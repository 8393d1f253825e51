import type { SidecarClient } from '../../src/client/client.js';
import { COMMAND_CASES, WORK_FILES, type CommandCase } from './command-table.js';

export interface CommandResult {
  testCase: CommandCase;
  pass: boolean;
  exitCode: number;
  reason: string;
  ms: number;
}

/** A VM holding /w with the table's files, a symlink and an empty directory. */
export async function commandVm(client: SidecarClient): Promise<string> {
  const { vmId } = await client.createVm({
    cwd: '/w',
    env: { NAME: 'agent' },
    files: Object.entries(WORK_FILES).map(([path, data]) => ({ path, data, encoding: 'utf8' as const })),
  });
  const setup = await client.exec(vmId, 'node', ['-e', 'const fs = require("fs"); fs.symlinkSync("a.txt", "link-to-a"); fs.mkdirSync("made-empty")']);
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
  if (c.out && !c.out.test(r.stdout)) problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 120))} does not match ${c.out}`);
  if (c.err && !c.err.test(r.stderr)) problems.push(`stderr ${JSON.stringify(r.stderr.slice(0, 120))} does not match ${c.err}`);
  if (problems.length > 0 && r.stderr && !c.err) problems.push(`stderr: ${JSON.stringify(r.stderr.slice(0, 160))}`);
  if (r.error && c.exit !== r.exitCode) problems.push(`${r.error.code}: ${r.error.message}`);
  if (c.then && problems.length === 0) {
    const check = await client.exec(vmId, 'sh', ['-c', c.then], { timeoutMs: 20_000 });
    if (check.exitCode !== 0) problems.push(`its effect is missing: \`${c.then}\` exited ${check.exitCode} ${check.stderr.slice(0, 160)}`);
  }
  return { testCase: c, pass: problems.length === 0, exitCode: r.exitCode, reason: problems.join('; '), ms };
}

export { COMMAND_CASES };
