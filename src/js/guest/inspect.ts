import { lazyInspect } from './lazy.js';

/** `util.inspect` close enough to Node's for console output. */
export function inspect(value: unknown, options: { depth?: number } = {}): string {
  if (value instanceof Error) return value.stack ?? String(value);
  return lazyInspect()(value, { depth: options.depth ?? 2, quoteStyle: 'single' });
}

/** `util.format`: printf-style `%s %d %i %f %j %o %O %%`, then the rest inspected. */
export function format(...args: unknown[]): string {
  const first = args[0];
  let rest = 0;
  let out = '';
  if (typeof first === 'string') {
    rest = 1;
    out = first.replace(/%[sdifjoOc%]/g, (token) => {
      if (token === '%%') return '%';
      if (rest >= args.length) return token;
      const arg = args[rest++];
      switch (token) {
        case '%s': return typeof arg === 'string' ? arg : typeof arg === 'bigint' ? `${arg}n` : inspect(arg, { depth: 1 });
        case '%d': return typeof arg === 'bigint' ? `${arg}n` : String(Number(arg));
        case '%i': return String(Number.parseInt(String(arg), 10));
        case '%f': return String(Number.parseFloat(String(arg)));
        case '%j': try { return JSON.stringify(arg); } catch { return '[Circular]'; }
        case '%c': return '';
        default: return inspect(arg, { depth: 4 });
      }
    });
  }
  for (let i = rest; i < args.length; i++) {
    const arg = args[i];
    out += (i === 0 ? '' : ' ') + (typeof arg === 'string' ? arg : inspect(arg));
  }
  return out;
}
