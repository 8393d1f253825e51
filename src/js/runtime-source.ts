import ivm from 'isolated-vm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The bundled guest runtime (`dist/guest-runtime.js`, built by
 * scripts/build-runtimes.mjs) and V8's code cache for it, made once from the first
 * compile so every later isolate skips parsing it.
 */
const RUNTIME_PATH = fileURLToPath(new URL('../../guest-runtime.js', import.meta.url));
const source = readFileSync(RUNTIME_PATH, 'utf8');
let cache: ivm.ExternalCopy<ArrayBuffer> | undefined;

export function compileRuntime(isolate: ivm.Isolate): ivm.Script {
  const script = isolate.compileScriptSync(source, {
    filename: 'agentos:runtime',
    ...(cache ? { cachedData: cache } : { produceCachedData: true }),
  });
  const produced = (script as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
  if (!cache && produced) cache = produced;
  return script;
}
