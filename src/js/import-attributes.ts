/**
 * The `type` import attribute of each static import in an ES module's source, as Node 20
 * needs it: a JSON module only with `with { type: 'json' }` (or the older `assert`), and
 * `type: 'json'` only on one. isolated-vm does not pass attributes to the linker, so they
 * are read from the source here. The older `assert` form is rewritten to `with`: V8 warns
 * about it on the daemon's stdout, which carries the protocol.
 */
const STATIC_IMPORT = /(\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?(['"])([^'"\n]+)\2\s*)(with|assert)(\s*\{\s*type\s*:\s*(['"])([^'"\n]*)\6\s*,?\s*\})/g;

export interface ModuleAttributes {
  /** The source to compile (with `assert` rewritten to `with`). */
  source: string;
  /** The `type` attribute each specifier was imported with. */
  types: Map<string, string>;
}

export function readImportAttributes(source: string): ModuleAttributes {
  const types = new Map<string, string>();
  const rewritten = source.replace(STATIC_IMPORT, (_all, head: string, _q, specifier: string, _kw, attrs: string, _q2, type: string) => {
    types.set(specifier, type);
    return `${head}with${attrs}`;
  });
  return { source: rewritten, types };
}

/** Node 20's error when a module's format and the attribute it was imported with disagree; undefined when they agree. */
export function attributeError(path: string, format: string, type: string | undefined): Error | undefined {
  const url = `file://${path}`;
  if (type !== undefined && type !== 'json') return codedTypeError('ERR_IMPORT_ASSERTION_TYPE_UNSUPPORTED', `Import attribute type "${type}" is unsupported`);
  if (format === 'json' && type !== 'json') return codedTypeError('ERR_IMPORT_ASSERTION_TYPE_MISSING', `Module "${url}" needs an import attribute of type "json"`);
  if (format !== 'json' && type === 'json') return codedTypeError('ERR_IMPORT_ASSERTION_TYPE_FAILED', `Module "${url}" is not of type "json"`);
  return undefined;
}

function codedTypeError(code: string, message: string): Error {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  // Node's own errors name their code in the first line of the stack, and show no daemon frames.
  err.stack = `TypeError [${code}]: ${message}`;
  return err;
}
