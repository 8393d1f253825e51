// Bundles the two runtimes that run inside isolates, not in Node: the guest JS runtime
// (src/js/guest, with the small polyfills it loads on demand) and the WASI runner
// (src/wasm/runner). Each is type-checked on its own (V8 without Node), then bundled.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const runtimes = [
  { dir: 'src/js/guest', entry: 'runtime.ts', out: 'dist/guest-runtime.js' },
  { dir: 'src/wasm/runner', entry: 'runner.ts', out: 'dist/wasm-runner.js' },
];
mkdirSync('dist', { recursive: true });
for (const { dir, entry, out } of runtimes) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { stdio: 'inherit' });
  await build({
    entryPoints: [`${dir}/${entry}`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minifySyntax: true,
    legalComments: 'none',
    outfile: out,
    logLevel: 'warning',
  });
}
