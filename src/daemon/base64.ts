import { AgentosError } from '../errors.js';

const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * Where `s` is not base64 (standard alphabet, padding optional), a description; else
 * undefined. Buffer.from(s, 'base64') skips whatever it does not understand, so garbage
 * decoded silently into garbage bytes. A scan with no backtracking: `s` may be 96 MB.
 */
function base64Problem(s: string): string | undefined {
  const bad = s.search(NOT_BASE64);
  if (bad !== -1) return `holds ${JSON.stringify(s[bad])} at offset ${bad}, which base64 does not use`;
  const pad = s.indexOf('=');
  if (pad !== -1 && (pad < s.length - 2 || s.length % 4 !== 0 || /[^=]/.test(s.slice(pad)))) return 'has "=" padding where base64 does not allow it';
  if (s.length % 4 === 1) return 'has a length base64 cannot have';
  return undefined;
}

type Field = { path: string; data: unknown; encoding: unknown; defaultEncoding: 'base64' | 'utf8' };

/** The base64 fields of each request, with the encoding that governs each. */
function fieldsOf(method: string, p: Record<string, unknown>): Field[] {
  switch (method) {
    case 'fs/writeFile':
      return [{ path: '/data', data: p.data, encoding: p.encoding, defaultEncoding: 'base64' }];
    case 'vm/create':
      return Array.isArray(p.files) ? p.files.map((f: Record<string, unknown>, i) => ({ path: `/files/${i}/data`, data: f.data, encoding: f.encoding, defaultEncoding: 'base64' as const })) : [];
    case 'process/exec':
      return [{ path: '/stdin', data: p.stdin, encoding: p.stdinEncoding, defaultEncoding: 'utf8' }];
    case 'process/write':
      return [{ path: '/data', data: p.data, encoding: p.encoding, defaultEncoding: 'utf8' }];
    case 'wasm/register':
      return [{ path: '/data', data: p.data, encoding: 'base64', defaultEncoding: 'base64' }];
    default:
      return [];
  }
}

/** Refuses a request whose base64 data is not base64 (ERR_AGENTOS_INVALID_PARAMS, `field`). */
export function checkBase64Fields(method: string, params: unknown): void {
  for (const f of fieldsOf(method, params as Record<string, unknown>)) {
    if (typeof f.data !== 'string' || (f.encoding ?? f.defaultEncoding) !== 'base64') continue;
    const problem = base64Problem(f.data);
    if (problem) throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `invalid params for ${method}: ${f.path} is not base64: it ${problem}`, { field: f.path });
  }
}
