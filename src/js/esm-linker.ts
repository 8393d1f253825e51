import ivm from 'isolated-vm';
import { BUILTIN_SYMBOL, REQUIRE_SYMBOL, requireCycleMessage, type ModuleRecord } from './guest/contract.js';
import { attributeError, readImportAttributes } from './import-attributes.js';
import type { CodeCache } from './code-cache.js';
import { ModuleError } from './module-resolver.js';
import { rewriteModuleHooks } from './module-source.js';

/** Resolves a specifier from a module file (`import` mode), with the same permission check as `require`. */
export type ImportResolver = (specifier: string, fromFile: string) => ModuleRecord;

/**
 * One step of a `require()` of an ES module, which links and evaluates on the guest's own
 * thread (guest/require-esm.ts): a module this process already has, or the source the guest
 * compiles and then hands back with `adopt`, so `import` and `require` share one instance.
 */
export type RequireStep =
  | { module: ivm.Module; path: string; awaits: boolean }
  | { compile: { key: string; source: string; filename: string; cachedData?: ivm.ExternalCopy<ArrayBuffer> }; path: string; awaits: boolean };

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
  private readonly evaluations = new Map<ivm.Module, Promise<unknown>>();
  /** Modules compiled and settled, by key: what a `require()` (which cannot wait) may reuse. */
  private readonly ready = new Map<string, ivm.Module>();
  /** Import attributes of each module file, by path (a referrer's, through pathOf). */
  private readonly attributesByPath = new Map<string, Map<string, string>>();
  /** Sources handed to the guest to compile for a `require()`, until it adopts the module. */
  private readonly handedOut = new Set<string>();
  /** Each module's imports, by key: what an evaluation that completed has evaluated. */
  private readonly importsOf = new Map<string, Set<string>>();
  /** Modules whose evaluation has run to its end (or to its first `await`). */
  private readonly evaluated = new Set<string>();
  /** Module files whose source may hold a top-level `await` (the guest's test for a compiled one, kept for a known one). */
  private readonly mayAwait = new Set<string>();
  /** Evaluations started with `evaluate()` whose synchronous part may still be running. */
  private evaluating = 0;
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
      module.instantiate(this.context, (specifier, referrer) => this.moduleFor(specifier, this.pathOf.get(referrer) ?? '/', this.attributesByPath.get(this.pathOf.get(referrer) ?? '')?.get(specifier))));
    this.linking = linked.catch(() => undefined);
    await linked;
    let evaluation = this.evaluations.get(module);
    if (!evaluation) {
      this.evaluating++;
      evaluation = this.enter(() => module.evaluate()).finally(() => this.evaluating--);
      this.evaluations.set(module, evaluation);
    }
    await evaluation;
    this.markEvaluated(this.pathOf.get(module));
  }

  /**
   * `require()` of an ES module, one module at a time: the module if this process has it,
   * else its source (rewritten and cached as an import's) for the guest to compile. Nothing
   * of the guest's runs here, on the daemon's thread.
   */
  requireStep(specifier: string, fromFile: string, nested: boolean): RequireStep {
    const { key, source, filename, guestCode } = this.sourceFor(specifier, fromFile, this.attributesByPath.get(fromFile)?.get(specifier));
    this.noteImport(fromFile, key);
    const known = this.ready.get(key);
    if (known) {
      // Inside another module's evaluation, a module not yet evaluated may be on that
      // evaluation's stack: V8 must never be asked to evaluate it again from within (Node
      // refuses the same cycle).
      if ((nested || this.evaluating > 0) && !this.evaluated.has(key)) {
        throw Object.assign(new Error(requireCycleMessage(filename, fromFile)), { code: 'ERR_REQUIRE_CYCLE_MODULE' });
      }
      // A graph an earlier require() left suspended in its top-level await is still async:
      // the guest cannot read that from a module handle, so it is told here.
      return { module: known, path: filename, awaits: this.mayAwait.has(key) };
    }
    if (this.byKey.has(key)) {
      // An import() of it is being compiled or linked: its instance is not ours to take yet.
      throw Object.assign(new Error(`Cannot require() ES Module ${filename} while an import() of it is loading`), { code: 'ERR_REQUIRE_CYCLE_MODULE' });
    }
    const ready = this.compilable(source, filename, guestCode);
    this.handedOut.add(key);
    return { compile: { key, source: ready.source, filename, ...(ready.cachedData ? { cachedData: ready.cachedData } : {}) }, path: filename, awaits: this.mayAwait.has(key) };
  }

  /** The module the guest compiled from `requireStep`'s source: this process's instance from now on. */
  adopt(key: string, module: ivm.Module): void {
    if (!this.handedOut.delete(key) || this.byKey.has(key)) throw Object.assign(new Error(`no module source was handed out for ${key}`), { code: 'ERR_INVALID_STATE' });
    this.pathOf.set(module, key);
    this.byKey.set(key, Promise.resolve(module));
    this.ready.set(key, module);
  }

  /** A module graph that a `require()` evaluated to its end: all of it is evaluated. */
  markEvaluated(root: string | undefined): void {
    const todo = root === undefined ? [] : [root];
    for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
      if (this.evaluated.has(key)) continue;
      this.evaluated.add(key);
      for (const next of this.importsOf.get(key) ?? []) todo.push(next);
    }
  }

  private noteImport(fromKey: string, key: string): void {
    let imports = this.importsOf.get(fromKey);
    if (!imports) this.importsOf.set(fromKey, (imports = new Set()));
    imports.add(key);
  }

  /** A `require()` whose linking failed: its modules are forgotten, so a later import compiles them afresh. */
  forget(keys: readonly string[]): void {
    for (const key of keys) {
      const module = this.ready.get(key);
      if (!module) continue;
      this.ready.delete(key);
      this.byKey.delete(key);
      this.pathOf.delete(module);
    }
  }

  private sourceFor(specifier: string, fromFile: string, type: string | undefined): { key: string; source: string; filename: string; guestCode: boolean } {
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
    if (record.format === 'module') return { key: record.path, source: record.source, filename: record.path, guestCode: true };
    const { key, source } = this.glue(record);
    return { key, source, filename: key, guestCode: false };
  }

  private async moduleFor(specifier: string, fromFile: string, type: string | undefined): Promise<ivm.Module> {
    const { key, source, filename, guestCode } = this.sourceFor(specifier, fromFile, type);
    this.noteImport(fromFile, key);
    return this.compile(key, source, filename, guestCode);
  }

  private compile(key: string, source: string, filename: string, guestCode: boolean): Promise<ivm.Module> {
    let pending = this.byKey.get(key);
    if (!pending) {
      const read = this.compilable(source, filename, guestCode);
      pending = this.isolate.compileModule(read.source, read.cachedData ? { filename, cachedData: read.cachedData } : { filename }).then((module) => {
        this.pathOf.set(module, filename);
        this.ready.set(key, module);
        return module;
      });
      this.byKey.set(key, pending);
    }
    return pending;
  }

  /** A module's source as it is compiled (import() and import.meta rewritten, attributes read and kept by path) and its code cache. */
  private compilable(source: string, filename: string, guestCode: boolean): { source: string; cachedData?: ivm.ExternalCopy<ArrayBuffer> } {
    const read = readImportAttributes(guestCode ? rewriteModuleHooks(source, filename, true) : source);
    if (guestCode && /\bawait\b/.test(source)) this.mayAwait.add(filename);
    this.attributesByPath.set(filename, read.types);
    const cacheKey = guestCode ? this.codeCache.keyOf(read.source, 'module') : undefined;
    const cachedData = cacheKey === undefined ? undefined : this.codeCache.lookup(cacheKey, read.source, 'module', filename);
    return cachedData ? { source: read.source, cachedData } : { source: read.source };
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
