import ivm from 'isolated-vm';
import { BUILTIN_SYMBOL, REQUIRE_SYMBOL, type ModuleRecord } from './guest/contract.js';
import { attributeError, readImportAttributes } from './import-attributes.js';

/**
 * Compiles, links and evaluates an ES module graph in a guest isolate. Files come from
 * `resolve` (the VM filesystem); builtins and CommonJS files are bridged by small glue
 * modules that reach into the runtime (their default export, plus the builtins' names).
 */
export async function evaluateModuleGraph(
  isolate: ivm.Isolate,
  context: ivm.Context,
  entry: { path: string; source: string },
  resolve: (specifier: string, fromDir: string) => ModuleRecord,
  builtinExports: Record<string, string[]>,
): Promise<void> {
  const byPath = new Map<string, Promise<ivm.Module>>();
  const pathOf = new Map<ivm.Module, string>();
  const attributesOf = new Map<ivm.Module, Map<string, string>>();

  const compile = (key: string, source: string, filename: string): Promise<ivm.Module> => {
    let pending = byPath.get(key);
    if (!pending) {
      const read = readImportAttributes(source);
      pending = isolate.compileModule(read.source, { filename }).then((module) => {
        pathOf.set(module, filename);
        attributesOf.set(module, read.types);
        return module;
      });
      byPath.set(key, pending);
    }
    return pending;
  };

  const glue = (record: ModuleRecord): { key: string; source: string } => {
    if (record.format === 'builtin') {
      const names = (builtinExports[record.path] ?? []).filter((n) => n !== 'default');
      const source = `const m = globalThis[Symbol.for(${JSON.stringify(BUILTIN_SYMBOL)})](${JSON.stringify(record.path)});\nexport default m;\n${names.length ? `export const { ${names.join(', ')} } = m;` : ''}`;
      return { key: `builtin:${record.path}`, source };
    }
    if (record.format === 'json') return { key: record.path, source: `export default ${record.source};` };
    return { key: record.path, source: `export default globalThis[Symbol.for(${JSON.stringify(REQUIRE_SYMBOL)})](${JSON.stringify(record.path)});` };
  };

  const root = await compile(entry.path, entry.source, entry.path);
  await root.instantiate(context, async (specifier, referrer) => {
    const from = pathOf.get(referrer) ?? entry.path;
    const fromDir = from.startsWith('/') ? from.slice(0, from.lastIndexOf('/')) || '/' : '/';
    let record: ModuleRecord;
    try {
      record = resolve(specifier, fromDir);
    } catch (err) {
      // The guest sees the reason, never the daemon's frames.
      if (err instanceof Error) err.stack = `${err.name}: ${err.message}`;
      throw err;
    }
    const mismatch = attributeError(record.path, record.format, attributesOf.get(referrer)?.get(specifier));
    if (mismatch && record.format !== 'builtin') throw mismatch;
    if (record.format === 'module') return compile(record.path, record.source, record.path);
    const { key, source } = glue(record);
    return compile(key, source, key);
  });
  await root.evaluate({ promise: true } as ivm.ScriptRunOptions);
}
