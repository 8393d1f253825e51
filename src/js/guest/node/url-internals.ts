/**
 * What Node's lib/url.js takes from internal/url (whose URL class sits on Node's C++ parser):
 * the WHATWG URL and URLSearchParams of whatwg-url (the standard's reference implementation,
 * which Node's parser also follows), and the file-URL and domain helpers as Node 20 defines
 * them for POSIX.
 */
declare function require(id: 'whatwg-url'): {
  URL: new (input: string, base?: string) => UrlLike;
  URLSearchParams: unknown;
  parseURL(input: string): UrlRecord | null;
  serializeURL(url: UrlRecord, excludeFragment?: boolean): string;
};
declare function require(id: 'tr46'): {
  toUnicode(domain: string, options: object): { domain: string; error: boolean };
  toASCII(domain: string, options: object): string | null;
};
interface UrlRecord { username: string; password: string; host: string | null; query: string | null; fragment: string | null }

interface UrlLike {
  href: string; protocol: string; hostname: string; pathname: string; port: string; username: string; password: string; search: string; hash: string;
}

let loaded: Record<string, unknown> | undefined;

export function loadUrlInternals(nodeLib: (id: string) => any): Record<string, unknown> {
  if (loaded) return loaded;
  const { URL: SpecURL, URLSearchParams } = require('whatwg-url');
  const { codes } = nodeLib('internal/errors');
  /** whatwg-url's URL, failing as Node's does: TypeError ERR_INVALID_URL with the input on it. */
  const URL = class URL extends SpecURL {
    constructor(input: string, base?: string) {
      try {
        if (base === undefined) super(input);
        else super(input, base);
      } catch (err) {
        if (!(err instanceof TypeError) || arguments.length === 0) throw err;
        const invalid = new codes.ERR_INVALID_URL() as Error & { input?: string; base?: string };
        invalid.input = `${input}`;
        if (base !== undefined) invalid.base = `${base}`;
        throw invalid;
      }
    }
  };
  const path = nodeLib('path') as { resolve(p: string): string };
  const isURL = (u: unknown): u is UrlLike => Boolean(u && typeof (u as UrlLike).href === 'string' && typeof (u as UrlLike).protocol === 'string' && (u as { auth?: unknown }).auth === undefined && (u as { path?: unknown }).path === undefined);

  function domainToASCII(...args: unknown[]): string {
    if (args.length < 1) throw new codes.ERR_MISSING_ARGS('domain');
    try {
      return new URL(`ws://${String(args[0])}`).hostname;
    } catch {
      return '';
    }
  }
  function domainToUnicode(...args: unknown[]): string {
    if (args.length < 1) throw new codes.ERR_MISSING_ARGS('domain');
    const ascii = domainToASCII(args[0]);
    if (ascii === '') return '';
    const { domain, error } = tr46().toUnicode(ascii, { checkHyphens: false, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: false, processingOption: 'nontransitional' });
    return error ? '' : domain;
  }
  function fileURLToPath(input: unknown): string {
    const url = typeof input === 'string' ? new URL(input) : input;
    if (!isURL(url)) throw new codes.ERR_INVALID_ARG_TYPE('path', ['string', 'URL'], input);
    if (url.protocol !== 'file:') throw new codes.ERR_INVALID_URL_SCHEME('file');
    if (url.hostname !== '') throw new codes.ERR_INVALID_FILE_URL_HOST('linux');
    if (/%2f/i.test(url.pathname)) throw new codes.ERR_INVALID_FILE_URL_PATH('must not include encoded / characters');
    return decodeURIComponent(url.pathname);
  }
  // The characters Node's encodePathChars escapes in a path made into a file URL (POSIX).
  const ESCAPES: Record<string, string> = { '%': '%25', '\t': '%09', '\n': '%0A', '\r': '%0D', ' ': '%20', '"': '%22', '#': '%23', '?': '%3F', '[': '%5B', '\\': '%5C', ']': '%5D', '^': '%5E', '|': '%7C', '~': '%7E' };
  function pathToFileURL(filepath: string): UrlLike {
    let resolved = path.resolve(filepath);
    if (filepath.endsWith('/') && !resolved.endsWith('/')) resolved += '/';
    return new URL(`file://${resolved.replace(/[%\t\n\r "#?[\\\]^|~]/g, (c) => ESCAPES[c]!)}`);
  }
  function urlToHttpOptions(url: UrlLike): Record<string, unknown> {
    const { hostname, pathname, port, username, password, search } = url;
    const options: Record<string, unknown> = {
      __proto__: null,
      ...url,
      protocol: url.protocol,
      hostname: hostname && hostname[0] === '[' ? hostname.slice(1, -1) : hostname,
      hash: url.hash,
      search,
      pathname,
      path: `${pathname || ''}${search || ''}`,
      href: url.href,
    };
    if (port !== '') options.port = Number(port);
    if (username || password) options.auth = `${decodeURIComponent(username)}:${decodeURIComponent(password)}`;
    return options;
  }
  const tr46 = () => require('tr46');
  /** internalBinding('url').format: url.format(URL, options), on the parsed record. */
  function formatHref(href: string, fragment: boolean, unicode: boolean, search: boolean, auth: boolean): string {
    const { parseURL, serializeURL } = require('whatwg-url');
    const record = parseURL(href);
    if (!record) return href;
    if (!fragment) record.fragment = null;
    if (!search) record.query = null;
    if (!auth) {
      record.username = '';
      record.password = '';
    }
    if (unicode && typeof record.host === 'string') record.host = domainToUnicode(record.host) || record.host;
    return serializeURL(record);
  }
  /** internalBinding('encoding_binding').toASCII: ICU's lenient IDNA, which url.parse applies to hostnames. */
  function toASCII(host: string): string {
    return tr46().toASCII(host, { checkBidi: false, checkHyphens: false, checkJoiners: false, useSTD3ASCIIRules: false, processingOption: 'nontransitional', verifyDNSLength: false }) ?? host;
  }
  loaded = {
    bindings: { url: { format: formatHref }, encoding_binding: { toASCII } },
    URL,
    URLSearchParams,
    domainToASCII,
    domainToUnicode,
    fileURLToPath,
    pathToFileURL,
    urlToHttpOptions,
    isURL,
    unsafeProtocol: new Set(['javascript', 'javascript:']),
    hostlessProtocol: new Set(['javascript', 'javascript:']),
    slashedProtocol: new Set(['http', 'http:', 'https', 'https:', 'ftp', 'ftp:', 'gopher', 'gopher:', 'file', 'file:', 'ws', 'ws:', 'wss', 'wss:']),
  };
  return loaded;
}
