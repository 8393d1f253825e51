/**
 * Module loading speed: `require('typescript')` in a new process, first (compiled from
 * source) and again (V8's code cache, shared by the daemon's processes and VMs), against
 * the host's Node doing the same; and a trivial `node -e`, against the sidecar built from
 * another tree (AGENTOS_BASELINE_DIR: a built checkout of main), measured in the same run.
 *
 *   npx tsx bench/module-cache.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SidecarClient } from '../src/client/client.js';
import { measure, summarize } from './stats.js';

const quick = process.argv.includes('--quick');
const require = createRequire(import.meta.url);
const tsDir = dirname(require.resolve('typescript/package.json'));
const REQUIRE_TS = "const t = Date.now(); const ts = require('typescript'); console.log(Date.now() - t, typeof ts.createSourceFile)";

interface Client {
  createVm(): Promise<{ vmId: string }>;
  writeFile(vmId: string, path: string, data: string, options: { createParents: boolean }): Promise<unknown>;
  exec(vmId: string, command: string, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  close(): Promise<unknown>;
}

async function typescriptInto(client: Client): Promise<string> {
  const { vmId } = await client.createVm();
  const dir = '/home/user/node_modules/typescript';
  await client.writeFile(vmId, `${dir}/package.json`, readFileSync(join(tsDir, 'package.json'), 'utf8'), { createParents: true });
  await client.writeFile(vmId, `${dir}/lib/typescript.js`, readFileSync(join(tsDir, 'lib', 'typescript.js'), 'utf8'), { createParents: true });
  return vmId;
}

/** Wall time of one exec, and the guest's own figure for the require (ms). */
async function requireTs(client: Client, vmId: string): Promise<{ execMs: number; requireMs: number }> {
  const started = performance.now();
  const r = await client.exec(vmId, 'node', ['-e', REQUIRE_TS]);
  const execMs = performance.now() - started;
  if (r.exitCode !== 0 || !r.stdout.endsWith(' function\n')) throw new Error(`require('typescript') failed: ${r.stdout}${r.stderr}`);
  return { execMs, requireMs: Number(r.stdout.split(' ')[0]) };
}

function hostRequireTs(): { execMs: number; requireMs: number } {
  const started = performance.now();
  const out = execFileSync(process.execPath, ['-e', REQUIRE_TS.replace("require('typescript')", `require(${JSON.stringify(tsDir)})`)], { encoding: 'utf8' });
  return { execMs: performance.now() - started, requireMs: Number(out.split(' ')[0]) };
}

const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
const rows: string[] = ['| case | median | min | max | samples |', '|---|---|---|---|---|'];
const row = (what: string, values: number[]) => {
  const s = summarize(values);
  rows.push(`| ${what} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.samples} |`);
  return s.median;
};

async function main(): Promise<void> {
  const sidecar = await SidecarClient.start({ env: { AGENTOS_LOG_LEVEL: 'warn' } });
  const rounds = quick ? 3 : 8;
  const first: number[] = [];
  const firstReq: number[] = [];
  const second: number[] = [];
  const secondReq: number[] = [];
  const otherVm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Each round a new daemon-wide cache entry: the source differs by one comment.
    const vmId = await typescriptInto(sidecar);
    const marker = `\n// round ${i} ${Date.now()}\n`;
    await sidecar.writeFile(vmId, '/home/user/node_modules/typescript/lib/typescript.js', readFileSync(join(tsDir, 'lib', 'typescript.js'), 'utf8') + marker, { createParents: true });
    const a = await requireTs(sidecar, vmId);
    first.push(a.execMs);
    firstReq.push(a.requireMs);
    // The cache is produced off the daemon's thread after the first load: wait for it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const b = await requireTs(sidecar, vmId);
    second.push(b.execMs);
    secondReq.push(b.requireMs);
    const other = await typescriptInto(sidecar);
    await sidecar.writeFile(other, '/home/user/node_modules/typescript/lib/typescript.js', readFileSync(join(tsDir, 'lib', 'typescript.js'), 'utf8') + marker, { createParents: true });
    otherVm.push((await requireTs(sidecar, other)).execMs);
  }
  const host = Array.from({ length: rounds }, () => hostRequireTs());
  const firstMed = row("first require('typescript') in a new process (exec wall)", first);
  row('  the require itself, timed in the guest', firstReq);
  const secondMed = row('second, in a new process of the same VM (exec wall)', second);
  const secondReqMed = row('  the require itself, timed in the guest', secondReq);
  row('again, in a new process of another VM (exec wall)', otherVm);
  const hostMed = row("host node: new process, require('typescript') (process wall)", host.map((h) => h.execMs));
  const hostReqMed = row('  the require itself, timed in host node', host.map((h) => h.requireMs));

  // Trivial node -e, this tree against the baseline sidecar, interleaved so load hits both alike.
  const baseDir = process.env.AGENTOS_BASELINE_DIR;
  const trivial = async (client: Client) => {
    const { vmId } = await client.createVm();
    return measure(quick ? 40 : 200, () => client.exec(vmId, 'node', ['-e', 'console.log(1)']));
  };
  const ours = await trivial(sidecar);
  const oursMed = row('trivial `node -e` (warm VM, this tree)', ours);
  let baseMed: number | undefined;
  if (baseDir) {
    const { SidecarClient: BaseClient } = (await import(join(baseDir, 'dist/src/client/client.js'))) as { SidecarClient: { start(o: object): Promise<Client> } };
    const base = await BaseClient.start({ env: { AGENTOS_LOG_LEVEL: 'warn' } });
    baseMed = row(`trivial \`node -e\` (warm VM, baseline ${baseDir})`, await trivial(base));
    const oursAgain = row('trivial `node -e` (warm VM, this tree, again)', await trivial(sidecar));
    rows.push('', `trivial node -e, this tree / baseline: ${(Math.min(oursMed, oursAgain) / baseMed).toFixed(2)}× (best of two medians of this tree)`);
    await base.close();
  }
  rows.push(
    '',
    `second / first (exec wall): ${(secondMed / firstMed).toFixed(2)}× (target ≤ 0.33)`,
    `second (exec wall) / host node process wall: ${(secondMed / hostMed).toFixed(2)}× (target < 1)`,
    `second require / host node require: ${(secondReqMed / hostReqMed).toFixed(2)}×`,
  );
  await sidecar.close();
  console.log(rows.join('\n'));
}

await main();
