import ivm from 'isolated-vm';
import { BUILTIN_SYMBOL, REQUIRE_SYMBOL, type ModuleRecord } from './guest/contract.js';
import { attributeError, readImportAttributes } from './import-attributes.js';
import type { CodeCache } from './code-cache.js';
import { ModuleError } from './module-resolver.js';
import { rewriteModuleHooks } from './module-source.js';

/** Resolves a specifier from a module file (`import` mode), with the same permission check as `require`. */
export type ImportResolver = (specifier: string, fromFile: string) => ModuleRecord;

/**
 * One process's ES modules: compiles, links and evaluates them in its isolate, each file
 * once, whether the main program, a static import or a dynamic `import()` reaches it first
 * (Node's module map). Builtins and CommonJS files are bridged by small glue modules that
 * reach into the runtime: their default export, plus the builtins' names, or the names
 * cjs-module-lexer finds in a CommonJS file.
 */
export class EsmLoader {
  private readonly byKey = new Map<string, Promise<ivm.Module>>();
  private readonly pathOf = new Map<ivm.Module, string>();
  private readonly attributesOf = new Map<ivm.Module, Map<string, string>>();
  private readonly evaluations = new Map<ivm.Module, Promise<unknown>>();
  /** V8 links one module graph at a time per isolate: concurrent `import()`s that share a module wait their turn. */
  private linking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly resolve: ImportResolver,
    private readonly builtinExports: Record<string, string[]>,
    private readonly cjsNames: (record: ModuleRecord) => string[],
    private readonly codeCache: CodeCache,
    /** Runs guest code (a module's evaluation) as every entry into the isolate runs: in the process's run slot. */
    private readonly enter: <T>(start: () => Promise<T>) => Promise<T>,
  ) {}

  /** The main program as an ES module. */
  async runMain(entry: { path: string; source: string }): Promise<void> {
    const root = await this.compile(entry.path, entry.source, entry.path, true);
    await this.run(root);
  }

  /** `import(specifier)` from `fromFile`: the module's namespace, once it has been evaluated. */
  async importDynamic(specifier: string, fromFile: string, type: string | undefined): Promise<ivm.Reference> {
    const module = await this.moduleFor(specifier, fromFile, type);
    await this.run(module);
    return module.namespace;
  }

  private async run(module: ivm.Module): Promise<void> {
    const linked = this.linking.then(() =>
      module.instantiate(this.context, (specifier, referrer) => this.moduleFor(specifier, this.pathOf.get(referrer) ?? '/', this.attributesOf.get(referrer)?.get(specifier))));
    this.linking = linked.catch(() => undefined);
    await linked;
    let evaluation = this.evaluations.get(module);
    if (!evaluation) {
      evaluation = this.enter(() => module.evaluate());
      this.evaluations.set(module, evaluation);
    }
    await evaluation;
  }

  private async moduleFor(specifier: string, fromFile: string, type: string | undefined): Promise<ivm.Module> {
    let record: ModuleRecord;
    try {
      record = this.resolve(specifier, fromFile);
    } catch (err) {
      // The guest sees the reason, never the daemon's frames.
      // Node's own resolution errors name their code: `Error [ERR_MODULE_NOT_FOUND]: ...`.
      if (err instanceof Error) err.stack = `${err.name}${err instanceof ModuleError ? ` [${err.code}]` : ''}: ${err.message}`;
      throw err;
    }
    const mismatch = attributeError(record.path, record.format, type);
    if (mismatch && record.format !== 'builtin') throw mismatch;
    if (record.format === 'module') return this.compile(record.path, record.source, record.path, true);
    const { key, source } = this.glue(record);
    return this.compile(key, source, key, false);
  }

  private compile(key: string, source: string, filename: string, guestCode: boolean): Promise<ivm.Module> {
    let pending = this.byKey.get(key);
    if (!pending) {
      const read = readImportAttributes(guestCode ? rewriteModuleHooks(source, filename, true) : source);
      const cacheKey = guestCode ? this.codeCache.keyOf(read.source, 'module') : undefined;
      const cachedData = cacheKey === undefined ? undefined : this.codeCache.lookup(cacheKey, read.source, 'module', filename);
      pending = this.isolate.compileModule(read.source, cachedData ? { filename, cachedData } : { filename }).then((module) => {
        this.pathOf.set(module, filename);
        this.attributesOf.set(module, read.types);
        return module;
      });
      this.byKey.set(key, pending);
    }
    return pending;
  }

  private glue(record: ModuleRecord): { key: string; source: string } {
    if (record.format === 'builtin') {
      const names = (this.builtinExports[record.path] ?? []).filter((n) => n !== 'default');
      const source = `const m = globalThis[Symbol.for(${JSON.stringify(BUILTIN_SYMBOL)})](${JSON.stringify(record.path)});\nexport default m;\n${names.length ? `export const { ${names.join(', ')} } = m;` : ''}`;
      return { key: `builtin:${record.path}`, source };
    }
    if (record.format === 'json') return { key: record.path, source: `export default ${record.source};` };
    // CommonJS: `default` is module.exports; the names Node's lexer finds are its properties.
    const names = this.cjsNames(record).filter((n) => n !== 'default');
    const locals = names.map((name, i) => `const e${i} = m == null ? undefined : m[${JSON.stringify(name)}];`).join('\n');
    const list = names.map((name, i) => `e${i} as ${JSON.stringify(name)}`).join(', ');
    const source = `const m = globalThis[Symbol.for(${JSON.stringify(REQUIRE_SYMBOL)})](${JSON.stringify(record.path)});\nexport default m;\n${locals}\n${names.length ? `export { ${list} };` : ''}`;
    return { key: record.path, source };
  }
}
