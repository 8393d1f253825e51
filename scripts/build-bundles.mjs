// Bundles the daemon (dist/sidecar.mjs, what bin/agentos-sidecar runs) and the two
// runtimes that run inside isolates, not in Node: the guest JS runtime (src/js/guest, with
// the small polyfills it loads on demand) and the WASI runner (src/wasm/runner). Each
// runtime is type-checked on its own (V8 without Node), then bundled.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { guestNodeAliases } from './guest-node-aliases.mjs';
import { vendorNodePlugin } from './vendor-node-plugin.mjs';
import { guestBuiltinRequires } from './guest-builtin-requires.mjs';

const require = createRequire(import.meta.url);
const runtimes = [
  { dir: 'src/js/guest', entry: 'runtime.ts', out: 'dist/guest-runtime.js' },
  { dir: 'src/wasm/runner', entry: 'runner.ts', out: 'dist/wasm-runner.js' },
];
mkdirSync('dist', { recursive: true });
// The daemon itself, bundled into one file: loading its ~200 modules one by one (TypeBox
// alone is ~100 files) made the daemon take 0.5 s to start. Dependencies with native
// code or their own file loading stay external.
await build({
  entryPoints: ['src/daemon/main.ts'],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: 'dist/sidecar.mjs',
  external: ['isolated-vm'],
  // CommonJS dependencies (pino, vscode-jsonrpc) call require() inside an ES module bundle.
  banner: { js: "import { createRequire as __agentosRequire } from 'node:module'; const require = __agentosRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
// The worker thread that prepares WASM modules off the daemon's thread (src/wasm/module-prep.ts).
await build({
  entryPoints: ['src/wasm/module-prep-worker.ts'],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: 'dist/wasm-prep-worker.mjs',
  logLevel: 'warning',
});
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
    plugins: [vendorNodePlugin, guestNodeAliases],
    logLevel: 'warning',
  });
}
// Node's library modules for guest JS (stream, events, url, readline ...): a bundle of its
// own, which a guest process evaluates the first time it requires one of them
// (src/js/guest/node-lib-loader.ts); its last statement is the value the eval returns.
await build({
  entryPoints: ['src/js/guest/node/lib-entry.ts'],
  bundle: true,
  format: 'iife',
  globalName: '__agentosLib',
  footer: { js: '__agentosLib;' },
  platform: 'browser',
  target: 'es2022',
  minifySyntax: true,
  legalComments: 'none',
  outfile: 'dist/guest-lib.js',
  plugins: [vendorNodePlugin, guestNodeAliases],
  logLevel: 'warning',
});
// http, https, tls and fetch for guest JS: a third bundle, evaluated the first time a process
// needs one of them (src/js/guest/net-lib-loader.ts).
await build({
  entryPoints: ['src/js/guest/node/net-entry.ts'],
  bundle: true,
  format: 'iife',
  globalName: '__agentosNet',
  footer: { js: '__agentosNet;' },
  platform: 'browser',
  target: 'es2022',
  minifySyntax: true,
  legalComments: 'none',
  outfile: 'dist/guest-net.js',
  // As Node builds its copy of undici: fetch's default user-agent is then 'node'.
  define: { __UNDICI_IS_NODE__: 'true' },
  plugins: [vendorNodePlugin, guestBuiltinRequires, guestNodeAliases],
  logLevel: 'warning',
});
// zlib for guest JS (Node's lib/zlib.js over the daemon's handles): a fourth bundle, evaluated
// the first time a process requires zlib (src/js/guest/zlib-lib-loader.ts).
await build({
  entryPoints: ['src/js/guest/node/zlib-entry.ts'],
  bundle: true,
  format: 'iife',
  globalName: '__agentosZlib',
  footer: { js: '__agentosZlib;' },
  platform: 'browser',
  target: 'es2022',
  minifySyntax: true,
  legalComments: 'none',
  outfile: 'dist/guest-zlib.js',
  plugins: [vendorNodePlugin, guestNodeAliases],
  logLevel: 'warning',
});
