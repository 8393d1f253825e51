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
/** A bundle a guest process evaluates on first use: an IIFE whose last statement is its value. */
const lazyBundle = (entry, globalName, outfile, plugins, extra = {}) =>
  build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName,
    footer: { js: `${globalName};` },
    platform: 'browser',
    target: 'es2022',
    minifySyntax: true,
    legalComments: 'none',
    outfile,
    plugins,
    logLevel: 'warning',
    ...extra,
  });
// Node's library modules for guest JS (stream, events, url, readline ...), evaluated the
// first time a process requires one of them (src/js/guest/node-lib-loader.ts).
await lazyBundle('src/js/guest/node/lib-entry.ts', '__agentosLib', 'dist/guest-lib.js', [vendorNodePlugin, guestNodeAliases]);
// http, https, tls and fetch for guest JS, evaluated the first time a process needs one of
// them (src/js/guest/net-lib-loader.ts). As Node builds its copy of undici: fetch's default
// user-agent is then 'node'.
await lazyBundle('src/js/guest/node/net-entry.ts', '__agentosNet', 'dist/guest-net.js', [vendorNodePlugin, guestBuiltinRequires, guestNodeAliases], { define: { __UNDICI_IS_NODE__: 'true', __HTTP2_CONSTANTS__: JSON.stringify(require('node:http2').constants) } });
// zlib for guest JS (Node's lib/zlib.js over the daemon's handles), evaluated the first time
// a process requires zlib (src/js/guest/zlib-lib-loader.ts).
await lazyBundle('src/js/guest/node/zlib-entry.ts', '__agentosZlib', 'dist/guest-zlib.js', [vendorNodePlugin, guestNodeAliases]);
// node:test for guest JS (Node's lib/test.js and internal/test_runner), evaluated the first
// time a process requires it (src/js/guest/test-lib-loader.ts).
await lazyBundle('src/js/guest/node/test-entry.ts', '__agentosTest', 'dist/guest-test.js', [vendorNodePlugin, guestNodeAliases]);
