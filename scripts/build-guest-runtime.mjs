// Bundles the guest runtime (src/js/guest) and the small polyfills it uses into one
// script that every guest isolate runs before guest code. Type-checked on its own
// (it runs in V8 without Node), then bundled by esbuild.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'src/js/guest'], { stdio: 'inherit' });
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['src/js/guest/runtime.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minifySyntax: true,
  legalComments: 'none',
  outfile: 'dist/guest-runtime.js',
  logLevel: 'warning',
});
