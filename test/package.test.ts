import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/**
 * What a dependent gets: `npm pack` the project (with its prepack/postpack, which put the
 * agentOS commands in vendor/), install the tarball into a fresh project, and type-check the
 * README's client snippet with `tsc --strict` against what was installed. Installing uses
 * --ignore-scripts (isolated-vm's native build is not needed to type-check) and
 * --prefer-offline (npm's cache serves what it holds, the registry the rest).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const NPM_TIMEOUT_MS = 120_000;

const work = mkdtempSync(join(tmpdir(), 'agentos-package-'));
const project = join(work, 'dependent');

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: NPM_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every path under `dir`, without following symbolic links. */
function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out.push(path);
    if (lstatSync(path).isDirectory()) walk(path, out);
  }
  return out;
}

function duBytes(dir: string): number {
  return walk(dir).reduce((sum, path) => {
    const st = lstatSync(path);
    return sum + (st.isFile() ? st.size : 0);
  }, 0);
}

/** The README's client snippet: the ts block that imports the package by name. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes("from 'agentos-sidecar'"));
  if (!block) throw new Error("README.md has no ```ts block importing 'agentos-sidecar'");
  return block;
}

let tarball = '';

test.before(() => {
  // prepack + pack + postpack, as `npm pack` runs them; the build (prepare) is npm test's.
  try {
    npm(['run', 'prepack'], ROOT);
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string }>;
    tarball = join(work, packed[0].filename);
  } finally {
    npm(['run', 'postpack'], ROOT);
  }
  // A dependent with nothing but a package.json and the types of its Node.
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'dependent', version: '1.0.0', private: true, type: 'module' }));
  const typesNode = (JSON.parse(readFileSync(require.resolve('@types/node/package.json'), 'utf8')) as { version: string }).version;
  npm(['install', '--ignore-scripts', '--prefer-offline', tarball, `@types/node@${typesNode}`], project);
});

test.after(() => {
  rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the client with its declarations, the daemon, the commands, and no development files', () => {
  assert.ok(!existsSync(join(ROOT, 'vendor', 'agentos-commands')), 'postpack removed vendor/agentos-commands');
  assert.ok(existsSync(join(ROOT, 'vendor', 'node', 'LICENSE')), 'vendor/node (committed source) is kept');
  const installed = join(project, 'node_modules', 'agentos-sidecar');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.is(manifest.license, 'Apache-2.0');
  for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'bin/agentos-sidecar', 'dist/sidecar.mjs', 'dist/guest-runtime.js', 'dist/wasm-runner.js', 'dist/src/client/index.d.ts', 'dist/protocol/index.d.ts', 'protocol/schema.json']) {
    assert.ok(existsSync(join(installed, file)), file);
  }
  const files = walk(installed).map((path) => path.slice(installed.length + 1));
  assert.equal(files.filter((f) => /\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no source maps or sources');
  assert.equal(files.filter((f) => /^(test|bench|scripts|src|examples|dist\/(bench|examples|scripts))\//.test(f)), [], 'no tests, benchmarks or scripts');
  // Exactly the command binaries of the development dependency, each a WebAssembly module.
  const source = join(dirname(dirname(require.resolve('@rivet-dev/agentos-runtime-core'))), 'commands');
  const commands = readdirSync(join(installed, 'vendor', 'agentos-commands')).filter((f) => f !== 'SOURCE.json').sort();
  assert.equal(commands, readdirSync(source).sort());
  for (const name of commands) assert.is(statSync(join(installed, 'vendor', 'agentos-commands', name)).size, statSync(join(source, name)).size, name);
  const origin = JSON.parse(readFileSync(join(installed, 'vendor', 'agentos-commands', 'SOURCE.json'), 'utf8')) as Record<string, unknown>;
  assert.equal([origin.package, origin.license], ['@rivet-dev/agentos-runtime-core', 'Apache-2.0']);
});

test('installing it pulls no native sidecar and leaves no dangling link', () => {
  const modules = join(project, 'node_modules');
  const paths = walk(modules);
  const manifests = paths.filter((p) => p.endsWith('/package.json') && !p.slice(modules.length).includes('/vendor/'));
  const names = new Set(manifests.map((p) => (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name).filter(Boolean));
  assert.equal([...names].filter((n) => n!.startsWith('@rivet-dev/')), [], 'no @rivet-dev package (the native sidecar and its platform builds)');
  const dangling = paths.filter((p) => lstatSync(p).isSymbolicLink() && !existsSync(p));
  assert.equal(dangling, []);
  assert.ok(names.has('isolated-vm') && names.has('vscode-jsonrpc') && names.has('@sinclair/typebox'));
  assert.not.ok(names.has('pino'), 'pino is bundled into the daemon, not installed');
  console.log(`package: ${(statSync(tarball).size / 1e6).toFixed(1)} MB tarball, ${(duBytes(modules) / 1e6).toFixed(0)} MB of node_modules in the dependent (isolated-vm not built)`);
});

test("the README's client snippet type-checks under tsc --strict against the installed package; a wrong call does not", () => {
  writeFileSync(join(project, 'snippet.ts'), readmeSnippet());
  // The protocol entry and the error classes, as a host would use them.
  writeFileSync(
    join(project, 'protocol-use.ts'),
    [
      "import { ConnectionClosedError, SidecarClient, SidecarError } from 'agentos-sidecar';",
      "import { HostRequests, type ErrorCode } from 'agentos-sidecar/protocol';",
      'export const methods: string[] = HostRequests.map((spec) => spec.method);',
      "export const code: ErrorCode = 'ERR_AGENTOS_VM_NOT_FOUND';",
      'export async function stop(client: SidecarClient, vmId: string, pid: number, signal: AbortSignal): Promise<void> {',
      "  await client.kill(vmId, pid, 'SIGTERM', { signal });",
      '  try { await client.ping({ signal }); } catch (err) { if (err instanceof ConnectionClosedError) console.log(err.reason); else if (err instanceof SidecarError) console.log(err.code); }',
      '  await client.close();',
      '}',
      '',
    ].join('\n'),
  );
  // Control: the types are real (not `any`), so a misspelt option and a deep import fail.
  writeFileSync(
    join(project, 'wrong.ts'),
    [
      "import { SidecarClient } from 'agentos-sidecar';",
      "import { SidecarClient as Deep } from 'agentos-sidecar/dist/src/client/client.js';",
      'export const deep: unknown = Deep;',
      'const sidecar = await SidecarClient.start();',
      "await sidecar.createVm({ enviroment: { A: '1' } });",
      '',
    ].join('\n'),
  );
  const tsconfig = (files: string[]) =>
    JSON.stringify({
      compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, skipLibCheck: false, types: ['node'] },
      files,
    });
  const tsc = (files: string[]) => {
    writeFileSync(join(project, 'tsconfig.json'), tsconfig(files));
    return spawnSync(process.execPath, [TSC, '-p', project], { cwd: project, encoding: 'utf8', timeout: NPM_TIMEOUT_MS });
  };
  const good = tsc(['snippet.ts', 'protocol-use.ts']);
  assert.is(good.stdout + good.stderr, '');
  assert.is(good.status, 0);
  const bad = tsc(['wrong.ts']);
  const errors = [...bad.stdout.matchAll(/^wrong\.ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  // Line 2: the exports map hides dist/ (TS2307); line 5: no such option (TS2353).
  assert.equal(errors, ['2 TS2307', '5 TS2353'], bad.stdout);
});

test.run();
