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

export function rewriteModuleHooks(source: string, path: string, isModule: boolean): string {
  if (!source.includes('import')) return source;
  let imports: ReturnType<typeof parseEsm>[0];
  try {
    [imports] = parseEsm(source, path);
  } catch {
    // Not lexable (a syntax error, or CommonJS the lexer cannot read): V8 reports it as it is.
    return source;
  }
  const referrer = JSON.stringify(path);
  let out = '';
  let at = 0;
  for (const entry of imports) {
    if (entry.d >= 0) {
      // `import(` -> `__agentos_import("/referrer", `
      out += `${source.slice(at, entry.ss)}${IMPORT_FN}(${referrer}, `;
      at = entry.d + 1;
    } else if (entry.d === -2 && isModule) {
      out += `${source.slice(at, entry.s)}${META_FN}(${referrer})`;
      at = entry.e;
    }
  }
  return at === 0 ? source : out + source.slice(at);
}

/** Names a CommonJS module exports and the specifiers it re-exports whole, as Node's ESM loader reads them. */
export function cjsExportNames(source: string): { exports: string[]; reexports: string[] } {
  try {
    return parseCjs(source);
  } catch {
    return { exports: [], reexports: [] };
  }
}
