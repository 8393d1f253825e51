import { init as initCjsLexer, parse as parseCjs } from 'cjs-module-lexer';
import { init as initEsmLexer, parse as parseEsm } from 'es-module-lexer';

/**
 * What the host reads from a module's source before the guest runs it. isolated-vm gives
 * V8 no host hooks for `import()` or `import.meta`, so both are rewritten, token by token
 * (es-module-lexer finds them, never in strings or comments), into calls of the runtime's
 * `__agentos_import(referrer, specifier, options)` and `__agentos_meta(path)`; a CommonJS
 * module's export names are found as Node itself finds them (cjs-module-lexer).
 */
export const lexersReady: Promise<void> = Promise.all([initEsmLexer, initCjsLexer()]).then(() => undefined);

export const IMPORT_FN = '__agentos_import';
export const META_FN = '__agentos_meta';

/** Where `import(` (start of `import` to after the parenthesis) and `import.meta` are in a source: flat [kind, from, to] triples. */
export function findModuleHooks(source: string): number[] {
  if (!source.includes('import')) return [];
  let imports: ReturnType<typeof parseEsm>[0];
  try {
    [imports] = parseEsm(source);
  } catch {
    // Not lexable (a syntax error, or CommonJS the lexer cannot read): V8 reports it as it is.
    return [];
  }
  const edits: number[] = [];
  for (const entry of imports) {
    if (entry.d >= 0) edits.push(EDIT_IMPORT, entry.ss, entry.d + 1);
    else if (entry.d === -2) edits.push(EDIT_META, entry.s, entry.e);
  }
  return edits;
}

const EDIT_IMPORT = 1;
const EDIT_META = 2;

/** The source with its hooks rewritten for the module at `path` (`import.meta` only in an ES module). */
export function applyModuleHooks(source: string, edits: readonly number[], path: string, isModule: boolean): string {
  const referrer = JSON.stringify(path);
  let out = '';
  let at = 0;
  for (let k = 0; k < edits.length; k += 3) {
    const [kind, from, to] = [edits[k]!, edits[k + 1]!, edits[k + 2]!];
    if (kind === EDIT_META && !isModule) continue;
    // `import(` -> `__agentos_import("/referrer", `; `import.meta` -> `__agentos_meta("/referrer")`
    out += source.slice(at, from) + (kind === EDIT_IMPORT ? `${IMPORT_FN}(${referrer}, ` : `${META_FN}(${referrer})`);
    at = to;
  }
  return at === 0 ? source : out + source.slice(at);
}

export function rewriteModuleHooks(source: string, path: string, isModule: boolean): string {
  return applyModuleHooks(source, findModuleHooks(source), path, isModule);
}

/** Names a CommonJS module exports and the specifiers it re-exports whole, as Node's ESM loader reads them. */
export function cjsExportNames(source: string): { exports: string[]; reexports: string[] } {
  try {
    return parseCjs(source);
  } catch {
    return { exports: [], reexports: [] };
  }
}
