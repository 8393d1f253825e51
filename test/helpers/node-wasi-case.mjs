// Runs one WASI test program under Node's own node:wasi, as the baseline the conformance
// table compares with: `node --no-warnings node-wasi-case.mjs '<json>'` with
// {wasm, args, env, root}. The program's stdout, stderr and exit code are this process's
// own (the caller compares them with the case's expectations). The case's root, copied
// by the caller to a scratch directory, is preopened as "/", as the daemon's run does.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const spec = JSON.parse(process.argv[2]);
const wasi = new WASI({
  version: 'preview1',
  args: spec.args,
  env: spec.env,
  preopens: spec.root ? { '/': spec.root } : {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(spec.wasm));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
