import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as P from '../../protocol/index.js';
import type { SidecarClient } from '../../src/client/client.js';

/** Where the official WASI test programs are: WASI_TESTSUITE_DIR, or ../shared beside the repo. */
export function suiteDir(): string | undefined {
  const dir = process.env.WASI_TESTSUITE_DIR ?? fileURLToPath(new URL('../../../shared/wasi-testsuite', import.meta.url));
  return existsSync(join(dir, 'tests')) ? dir : undefined;
}

export interface SuiteCase {
  group: string;
  name: string;
  wasm: string;
  args: string[];
  env: Record<string, string>;
  root?: string;
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

export function listCases(dir: string): SuiteCase[] {
  const cases: SuiteCase[] = [];
  for (const group of ['c', 'rust', 'assemblyscript']) {
    const folder = join(dir, 'tests', group, 'testsuite', 'wasm32-wasip1');
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.wasm')).sort()) {
      const name = file.slice(0, -5);
      const specPath = join(folder, `${name}.json`);
      const spec = existsSync(specPath) ? (JSON.parse(readFileSync(specPath, 'utf8')) as Record<string, unknown>) : {};
      cases.push({
        group,
        name,
        wasm: join(folder, file),
        args: (spec.args as string[]) ?? [],
        env: (spec.env as Record<string, string>) ?? {},
        root: typeof spec.root === 'string' ? join(folder, spec.root) : undefined,
        exitCode: (spec.exit_code as number) ?? 0,
        stdout: spec.stdout as string | undefined,
        stderr: spec.stderr as string | undefined,
      });
    }
  }
  return cases;
}

/** Files under a host directory, as vm/create `files` (the case's root becomes the VM's `/`). */
function rootFiles(root: string): Array<{ path: string; data: string }> {
  const out: Array<{ path: string; data: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.endsWith('.cleanup')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else out.push({ path: `/${relative(root, path)}`, data: readFileSync(path).toString('base64') });
    }
  };
  walk(root);
  return out;
}

export interface CaseResult {
  testCase: SuiteCase;
  pass: boolean;
  reason: string;
}

/** Runs one case in a fresh VM through the daemon, as a host would. */
export async function runCase(client: SidecarClient, c: SuiteCase): Promise<CaseResult> {
  const { vmId } = await client.createVm({ cwd: '/', files: c.root ? rootFiles(c.root) : [] });
  try {
    // The VM's own skeleton (/tmp, /home, …) would show up in the case's directory listings.
    for (const entry of (await client.request(P.FsReaddir, { vmId, path: '/' })).entries) {
      if (!c.root || !existsSync(join(c.root, entry.name))) await client.request(P.FsRemove, { vmId, path: `/${entry.name}`, recursive: true });
    }
    const command = `${c.group}-${c.name}`;
    await client.request(P.WasmRegister, { vmId, name: command, data: readFileSync(c.wasm).toString('base64') });
    const r = await client.exec(vmId, command, c.args, { env: c.env, inheritEnv: false, cwd: '/', timeoutMs: 20_000, preopens: c.root ? [{ name: '/', path: '/' }] : [] });
    const problems = judge(c, r);
    return { testCase: c, pass: problems.length === 0, reason: problems.join('; ') };
  } finally {
    await client.disposeVm(vmId);
  }
}

/** What differs between a run and the case's expectations (empty: the case passes). */
function judge(c: SuiteCase, r: { exitCode: number; stdout: string; stderr: string }): string[] {
  const problems: string[] = [];
  if (r.exitCode !== c.exitCode) problems.push(`exit code ${r.exitCode}, expected ${c.exitCode}`);
  if (c.stdout !== undefined && r.stdout !== c.stdout) problems.push(`stdout ${JSON.stringify(r.stdout.slice(0, 80))}`);
  if (c.stderr !== undefined && r.stderr !== c.stderr) problems.push(`stderr ${JSON.stringify(r.stderr.slice(0, 80))}`);
  if (problems.length > 0 && r.stderr && c.stderr === undefined) problems.push(`stderr: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`);
  return problems;
}

const NODE_WASI_CASE = fileURLToPath(new URL('./node-wasi-case.mjs', import.meta.url));

/**
 * The same case under Node's own node:wasi (the baseline the table states), in a child
 * Node process bounded by `timeoutMs`, with the case's root copied to a scratch directory
 * preopened as "/" (as the daemon's run preopens the VM's copy).
 */
export function runCaseNodeWasi(c: SuiteCase, timeoutMs = 20_000): CaseResult {
  const root = c.root ? mkdtempSync(join(tmpdir(), 'wasi-node-')) : undefined;
  try {
    if (root) cpSync(c.root!, root, { recursive: true, filter: (src) => !src.endsWith('.cleanup') });
    const spec = { wasm: c.wasm, args: [`${c.group}-${c.name}`, ...c.args], env: c.env, root };
    const r = spawnSync(process.execPath, ['--no-warnings', NODE_WASI_CASE, JSON.stringify(spec)], { cwd: root ?? tmpdir(), timeout: timeoutMs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error || r.signal) return { testCase: c, pass: false, reason: `node:wasi did not finish: ${r.error?.message ?? r.signal}` };
    const problems = judge(c, { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    return { testCase: c, pass: problems.length === 0, reason: problems.join('; ') };
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}
