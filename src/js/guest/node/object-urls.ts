/**
 * URL.createObjectURL and URL.revokeObjectURL as Node 20 defines them (lib/internal/url.js):
 * `blob:nodedata:<uuid>` names a Blob for this process until revoked; buffer.resolveObjectURL
 * (Node's internal/blob.js) gives it back. The URL class is whatwg-url's (url-internals.ts).
 */
import { internalBinding } from './bindings.js';
import { nodeRequire } from './internal.js';

export function withObjectUrls<T extends { URL: Record<string, unknown> }>(url: T): T {
  const binding = internalBinding('blob');
  const blob = () => nodeRequire('internal/blob') as { isBlob(o: unknown): boolean; kHandle: symbol };
  const { codes } = nodeRequire('internal/errors') as { codes: Record<string, new (...a: unknown[]) => Error> };
  function createObjectURL(obj: unknown): string {
    const { isBlob, kHandle } = blob();
    if (!isBlob(obj)) throw new codes.ERR_INVALID_ARG_TYPE!('obj', 'Blob', obj);
    const id = (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID();
    const b = obj as Record<string | symbol, unknown>;
    binding.storeDataObject(id, b[kHandle], b.size, b.type);
    return `blob:nodedata:${id}`;
  }
  function revokeObjectURL(this: unknown, ...args: unknown[]): void {
    if (args.length === 0) throw new codes.ERR_MISSING_ARGS!('url');
    binding.revokeObjectURL(`${args[0]}`);
  }
  for (const [name, value] of [['createObjectURL', createObjectURL], ['revokeObjectURL', revokeObjectURL]] as const) {
    Object.defineProperty(url.URL, name, { value, writable: true, enumerable: true, configurable: true });
  }
  return url;
}
