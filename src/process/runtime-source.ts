import ivm from 'isolated-vm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * A runtime bundled to run inside isolates (`dist/guest-runtime.js`,
 * `dist/wasm-runner.js`, built by scripts/build-bundles.mjs), with V8's code cache for
 * it. A cache made right after compiling holds only the top-level code; `rememberCompiled`
 * takes a new one from an isolate that has already run the runtime's common paths, so
 * later isolates skip compiling those functions too (it halves a trivial process's time).
 */
export class RuntimeSource {
  private readonly source: string;
  private cache: ivm.ExternalCopy<ArrayBuffer> | undefined;

  constructor(
    file: string,
    private readonly filename: string,
  ) {
    this.source = readFileSync(join(PACKAGE_ROOT, 'dist', file), 'utf8');
  }

  /** Re-takes the code cache from an isolate that ran the runtime (V8 reuses its compiled functions). */
  async rememberCompiled(isolate: ivm.Isolate): Promise<void> {
    const script = await isolate.compileScript(this.source, { filename: this.filename, produceCachedData: true });
    const produced = (script as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (produced) this.cache = produced;
    script.release();
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
