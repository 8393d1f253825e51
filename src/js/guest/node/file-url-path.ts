import { nodeRequire } from './internal.js';

/**
 * Node's toPathIfFileURL/fileURLToPath (lib/internal/url.js) for POSIX: a URL object (a WHATWG
 * URL, or anything shaped like one) becomes its decoded path; a URL that is not file:, has a
 * host, or encodes a '/' is refused with Node's codes. Anything else is returned as given.
 */
type UrlLike = { href: string; protocol: string; hostname: string; pathname: string };

export function isURL(v: unknown): v is UrlLike {
  const u = v as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null;
  return typeof u === 'object' && u !== null && !!u.href && !!u.protocol && u.auth === undefined && u.path === undefined;
}

export function fileURLToPath(url: unknown): string {
  const { codes } = nodeRequire('internal/errors');
  const u = typeof url === 'string' ? (new (globalThis as unknown as { URL: new (s: string) => UrlLike }).URL(url)) : url;
  if (!isURL(u)) throw new codes.ERR_INVALID_ARG_TYPE('path', ['string', 'URL'], url);
  if (u.protocol !== 'file:') throw new codes.ERR_INVALID_URL_SCHEME('file');
  if (u.hostname !== '') throw new codes.ERR_INVALID_FILE_URL_HOST('linux');
  if (/%2f/i.test(u.pathname)) throw new codes.ERR_INVALID_FILE_URL_PATH('must not include encoded / characters');
  return decodeURIComponent(u.pathname);
}

export function toPathIfFileURL(v: unknown): unknown {
  return isURL(v) ? fileURLToPath(v) : v;
}
