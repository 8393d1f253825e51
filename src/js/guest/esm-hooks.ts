import { guestError, hooks, unwrap } from './hooks.js';
import type { GuestErrorShape } from './contract.js';

/**
 * What the host rewrites `import(...)` and `import.meta` into (src/js/module-source.ts):
 * isolated-vm gives V8 no host callback for either. `import()` asks the host, which loads
 * the module into the process's module map and answers through `settleImport`.
 */
interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}
const pending = new Map<number, Pending>();
let nextCall = 1;

export function dynamicImport(referrer: string, specifier: unknown, options?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // ToString first, as import() does: a Symbol rejects with the TypeError.
    const spec = `${specifier as string}`;
    let type: string | undefined;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) throw Object.assign(new TypeError('The second argument of import() must be an object'), { code: 'ERR_INVALID_ARG_TYPE' });
      const attrs = (options as { with?: unknown; assert?: unknown }).with ?? (options as { assert?: unknown }).assert;
      const t = attrs && typeof attrs === 'object' ? (attrs as { type?: unknown }).type : undefined;
      if (t !== undefined) type = String(t);
    }
    const id = nextCall++;
    pending.set(id, { resolve, reject });
    hooks.importModule(id, spec, referrer, type);
  });
}

export function settleImport(id: number, ok: boolean, value: unknown): void {
  const call = pending.get(id);
  if (!call) return;
  pending.delete(id);
  if (ok) call.resolve((value as { deref(): unknown }).deref());
  else call.reject(guestError(value as GuestErrorShape));
}

function fileUrl(path: string): string {
  return `file://${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}`;
}

const metas = new Map<string, Record<string, unknown>>();

/** A module's `import.meta`: one object per module, as Node 20.19 fills it. */
export function importMeta(path: string): Record<string, unknown> {
  let meta = metas.get(path);
  if (!meta) {
    const i = path.lastIndexOf('/');
    const dirname = i <= 0 ? '/' : path.slice(0, i);
    meta = Object.create(null) as Record<string, unknown>;
    meta.dirname = dirname;
    meta.filename = path;
    meta.resolve = (specifier: unknown) => {
      const spec = `${specifier as string}`;
      const found = unwrap<string>(hooks.resolve(spec, { fromDir: dirname, fromFile: path, mode: 'import' }));
      return found.startsWith('/') ? fileUrl(found) : `node:${found}`;
    };
    meta.url = fileUrl(path);
    metas.set(path, meta);
  }
  return meta;
}
