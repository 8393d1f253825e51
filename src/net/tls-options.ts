/**
 * A guest's secure-context options (tls.createSecureContext, tls.createServer, tls.connect),
 * checked before the daemon's OpenSSL sees them: only the keys Node's createSecureContext
 * reads, each a string, bytes, a number, a boolean or an array / {pem, passphrase} /
 * {buf, passphrase} of those, with at most `maxBytes` of text and bytes in all (a guest's
 * megabytes of "certificates" cost it an error, not the daemon's memory). A wrong type is
 * left for Node's own validators to name (ERR_INVALID_ARG_TYPE, as the guest would get it).
 */
import { NetError } from './vm-network.js';

/** What Node's createSecureContext and TLSSocket read of the options (functions stay in the guest). */
const CONTEXT_KEYS = new Set([
  'key', 'cert', 'ca', 'pfx', 'passphrase', 'crl', 'ciphers', 'ecdhCurve', 'dhparam', 'sigalgs', 'privateKeyIdentifier',
  'privateKeyEngine', 'clientCertEngine', 'honorCipherOrder', 'minVersion', 'maxVersion', 'secureProtocol', 'secureOptions',
  'sessionIdContext', 'sessionTimeout', 'ticketKeys',
]);

export class TlsOptionsError extends Error {
  readonly code = 'ERR_AGENTOS_TLS_OPTIONS';
}

type Value = string | number | boolean | null | undefined | Uint8Array | Value[] | { [k: string]: Value };

/** Bytes a value costs, or throws when it is not plain data (or nests too deep). */
function sizeOf(value: unknown, depth: number): number {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return 8;
  if (typeof value === 'string') return value.length * 2;
  if (value instanceof Uint8Array) return value.byteLength;
  if (depth > 3) throw new TlsOptionsError('secure context options nest too deep');
  if (Array.isArray(value)) {
    let n = 0;
    for (const v of value) n += sizeOf(v, depth + 1);
    return n;
  }
  if (typeof value === 'object') {
    let n = 0;
    for (const [k, v] of Object.entries(value)) n += k.length + sizeOf(v, depth + 1);
    return n;
  }
  throw new TlsOptionsError(`a secure context option holds a ${typeof value}`);
}

/** Uint8Array (what crosses from the guest) to Buffer, where Node's validators want ArrayBufferViews either way. */
function toNode(value: Value): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(toNode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toNode(v)]));
  return value;
}

/**
 * The context options to hand Node, from what the guest sent; throws NetError('E2BIG') past
 * `maxBytes` (the caller reports the limit) and TlsOptionsError for what is not data.
 */
export function contextOptions(raw: unknown, maxBytes: number): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TlsOptionsError('secure context options must be an object');
  const out: Record<string, unknown> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!CONTEXT_KEYS.has(key) || value === undefined) continue;
    bytes += sizeOf(value, 0);
    if (bytes > maxBytes) throw new NetError('E2BIG', `secure context options exceed ${maxBytes} bytes (AGENTOS_TLS_CONTEXT_MAX_BYTES)`);
    out[key] = toNode(value as Value);
  }
  return out;
}

/** Protocol names for ALPN, as strings (the guest turns Node's wire format into names), within `maxBytes`. */
export function alpnList(raw: unknown, maxBytes: number): string[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const names = raw.filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (sizeOf(names, 0) > maxBytes) throw new NetError('E2BIG', `ALPN protocols exceed ${maxBytes} bytes (AGENTOS_TLS_CONTEXT_MAX_BYTES)`);
  return names.length > 0 ? names : undefined;
}
