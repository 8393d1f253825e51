import ivm from 'isolated-vm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A runtime bundled to run inside isolates (`dist/guest-runtime.js`,
 * `dist/wasm-runner.js`, built by scripts/build-runtimes.mjs), with V8's code cache for
 * it, made from the first compile so every later isolate skips parsing it.
 */
export class RuntimeSource {
  private readonly source: string;
  private cache: ivm.ExternalCopy<ArrayBuffer> | undefined;

  constructor(
    file: string,
    private readonly filename: string,
  ) {
    this.source = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
  }

  compile(isolate: ivm.Isolate): Promise<ivm.Script> {
    return isolate
      .compileScript(this.source, { filename: this.filename, ...(this.cache ? { cachedData: this.cache } : { produceCachedData: true }) })
      .then((script) => {
        const produced = (script as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
        if (!this.cache && produced) this.cache = produced;
        return script;
      });
  }
}
