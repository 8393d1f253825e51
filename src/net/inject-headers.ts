import { Duplex, Transform, type TransformCallback } from 'node:stream';

/**
 * Credentials a guest never sees: `network.inject` rules add headers to the HTTP/1.x
 * requests a guest sends over a connection the daemon made for it. The daemon rewrites the
 * outbound plaintext (before its own TLS), so the values never enter the VM, its logs or its
 * process.env. A rule matches on where the connection really goes — the scheme (TLS or not),
 * the host the guest dialled and the port — and on the request's path; never on the Host
 * header, which the guest writes (a guest sending `Host: api.example.com` to another server
 * must not get the key). Over TLS, headers are added only when the daemon verified the peer
 * (a guest's rejectUnauthorized: false must not hand a key to whoever answers).
 */
export interface InjectRule {
  /** `scheme://host[:port]/path-glob`: `*` in the host matches one or more labels' worth of name; in the path, anything. */
  readonly match: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Where a brokered connection goes, as the daemon dialled it. */
export interface InjectTarget {
  readonly host: string;
  readonly port: number;
  /** TLS by the daemon, and whether it verified the peer. */
  readonly tls?: { readonly authorized: boolean };
}

export interface CompiledRule {
  readonly scheme: 'http' | 'https';
  readonly host: RegExp;
  readonly port: number;
  readonly path: RegExp;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A field value as RFC 9110 allows it: no CR, LF or NUL, so no header can be smuggled in.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export class InjectRuleError extends Error {}

function globToRegExp(glob: string, any: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join(any);
  return new RegExp(`^${body}$`, 'i');
}

/** Checks and compiles `network.inject`; a bad rule is an InjectRuleError naming it. */
export function compileInjectRules(rules: readonly InjectRule[]): CompiledRule[] {
  return rules.map((rule, i) => {
    const where = `network.inject[${i}]`;
    const m = /^(https?):\/\/([^/:]+|\[[0-9a-fA-F:.]+\])(?::(\d{1,5}))?(\/.*)?$/.exec(rule.match);
    if (!m) throw new InjectRuleError(`${where}.match must be scheme://host[:port]/path, got ${JSON.stringify(rule.match)}`);
    const scheme = m[1] as 'http' | 'https';
    const port = m[3] ? Number(m[3]) : scheme === 'https' ? 443 : 80;
    if (port < 1 || port > 65535) throw new InjectRuleError(`${where}.match has port ${port}, outside 1-65535`);
    const headers = Object.entries(rule.headers ?? {});
    if (headers.length === 0) throw new InjectRuleError(`${where}.headers is empty`);
    for (const [name, value] of headers) {
      if (!TOKEN.test(name)) throw new InjectRuleError(`${where}.headers has an invalid header name ${JSON.stringify(name)}`);
      if (typeof value !== 'string' || !FIELD_VALUE.test(value)) throw new InjectRuleError(`${where}.headers.${name} must be a string without CR, LF or NUL`);
    }
    const host = m[2]!.replace(/^\[|\]$/g, '').toLowerCase();
    return {
      scheme,
      host: globToRegExp(host, '[^/:]+'),
      port,
      path: globToRegExp(m[4] ?? '/*', '.*'),
      headers,
    };
  });
}

/** The headers to add to a request for `path` on `target`, or none. Every matching rule adds its own. */
export function headersFor(rules: readonly CompiledRule[], target: InjectTarget, path: string): Array<readonly [string, string]> {
  const scheme = target.tls ? 'https' : 'http';
  if (target.tls && !target.tls.authorized) return [];
  const host = target.host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const out: Array<readonly [string, string]> = [];
  for (const rule of rules) {
    if (rule.scheme === scheme && rule.port === target.port && rule.host.test(host) && rule.path.test(path)) out.push(...rule.headers);
  }
  return out;
}

type State =
  | { kind: 'head' }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'trailers' }
  | { kind: 'opaque' };

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * The outbound half of a connection, rewritten: every HTTP/1.x request head (keep-alive and
 * pipelining: each one) gets the matching rules' headers, replacing any of the same name the
 * guest wrote; bodies (Content-Length or chunked) pass through unparsed. What is not
 * HTTP/1.x (an upgrade, CONNECT, a head larger than `maxHeadBytes`, bytes that are no request)
 * makes the rest of the connection pass through untouched, with nothing added.
 */
export class HeaderInjector extends Transform {
  private state: State = { kind: 'head' };
  private pending: Buffer = Buffer.alloc(0);
  /** How many requests got headers (for tests and stats; never which values). */
  injected = 0;

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly target: InjectTarget,
    /** INJECT_HEAD_LIMIT_BYTES: a longer head (or chunk-size line) is not parsed. */
    private readonly maxHeadBytes: number,
    /** Called once when a head exceeds it: the rest of the connection passes through, nothing added. */
    private readonly onHeadTooLarge: (observed: number) => void = () => {},
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.drain();
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) this.push(this.pending);
    this.pending = Buffer.alloc(0);
    done();
  }

  private tooLarge(observed: number): void {
    this.state = { kind: 'opaque' };
    this.onHeadTooLarge(observed);
  }

  private passThrough(n: number): void {
    this.push(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
  }

  private drain(): void {
    for (;;) {
      const s = this.state;
      if (s.kind === 'opaque') {
        if (this.pending.length) this.passThrough(this.pending.length);
        return;
      }
      if (s.kind === 'head') {
        const end = this.pending.indexOf(CRLF2);
        if (end < 0) {
          if (this.pending.length > this.maxHeadBytes) this.tooLarge(this.pending.length);
          else return;
          continue;
        }
        if (end + 4 > this.maxHeadBytes) { this.tooLarge(end + 4); continue; }
        const head = this.pending.subarray(0, end + 4);
        this.pending = this.pending.subarray(end + 4);
        this.push(this.rewrite(head));
        continue;
      }
      if (s.kind === 'body' || s.kind === 'chunk-data') {
        if (!this.pending.length) return;
        const n = Math.min(s.remaining, this.pending.length);
        this.passThrough(n);
        s.remaining -= n;
        if (s.remaining === 0) this.state = s.kind === 'body' ? { kind: 'head' } : { kind: 'chunk-size' };
        continue;
      }
      // chunk-size and trailers are lines.
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0) {
        if (this.pending.length > this.maxHeadBytes) this.tooLarge(this.pending.length);
        else return;
        continue;
      }
      const line = this.pending.subarray(0, eol).toString('latin1');
      this.passThrough(eol + 2);
      if (s.kind === 'chunk-size') {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) { this.state = { kind: 'opaque' }; continue; }
        // Each data chunk is followed by its own CRLF.
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size + 2 };
      } else if (line === '') {
        this.state = { kind: 'head' };
      }
    }
  }

  /** One request head with the rules' headers in; what it says about the body sets the next state. */
  private rewrite(head: Buffer): Buffer {
    const lines = head.toString('latin1').split('\r\n').slice(0, -2);
    const request = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
    if (!request) {
      this.state = { kind: 'opaque' };
      return head;
    }
    const [, method, target] = request;
    const fields = lines.slice(1);
    const value = (name: string) => fields.filter((f) => f.slice(0, f.indexOf(':')).trim().toLowerCase() === name).map((f) => f.slice(f.indexOf(':') + 1).trim());
    const te = value('transfer-encoding').join(',').toLowerCase();
    const length = value('content-length')[0];
    if (method === 'CONNECT' || value('upgrade').length > 0) this.state = { kind: 'opaque' };
    else if (/(^|,)\s*chunked\s*$/.test(te)) this.state = { kind: 'chunk-size' };
    else if (length !== undefined && /^\d+$/.test(length) && Number(length) > 0) this.state = { kind: 'body', remaining: Number(length) };
    else this.state = { kind: 'head' };
    // The path of an origin-form target, or of an absolute-form one (a request to a proxy).
    let path = target!;
    if (!path.startsWith('/')) {
      try {
        path = new URL(path).pathname;
      } catch {
        return head;
      }
    }
    const add = headersFor(this.rules, this.target, path.split('?')[0]!);
    if (add.length === 0) return head;
    const names = new Set(add.map(([name]) => name.toLowerCase()));
    const kept = fields.filter((f) => !names.has(f.slice(0, f.indexOf(':')).trim().toLowerCase()));
    this.injected++;
    return Buffer.from([lines[0], ...kept, ...add.map(([n, v]) => `${n}: ${v}`), '', ''].join('\r\n'), 'latin1');
  }
}

/**
 * A connection whose outbound bytes go through `injector` on their way to `socket`; what
 * arrives from the socket passes as is. Closing either end closes both.
 */
export function injectOutbound(socket: Duplex, injector: HeaderInjector): Duplex {
  injector.pipe(socket);
  const joined = new Duplex({
    allowHalfOpen: true,
    write(chunk: Buffer, _enc, cb) {
      injector.write(chunk, cb);
    },
    final(cb) {
      injector.end();
      injector.once('end', () => cb());
    },
    read() {
      socket.resume();
    },
    destroy(err, cb) {
      injector.destroy();
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!joined.push(chunk)) socket.pause();
  });
  socket.on('end', () => joined.push(null));
  socket.on('error', (err) => joined.destroy(err));
  socket.on('close', () => {
    if (!joined.destroyed) joined.destroy();
  });
  injector.on('error', (err) => joined.destroy(err));
  return joined;
}
