import { inRange, parseRange, rawBytes, toBytes, type AddressBytes } from '../net/addresses.js';

/**
 * The network scope's target matcher: does a pattern `host:port` match a target, and how
 * specifically. Hosts: `*`, a name (`api.github.com`, case-insensitive, trailing dot
 * ignored), a wildcard (`*.github.com`: any name below github.com, not github.com itself),
 * a literal address (`127.0.0.1`, `[::1]`), a CIDR (`10.0.0.0/8`, `[fc00::/7]`). Ports: `*`,
 * `443`, `8000-8999`; a pattern without a port matches every port. A name pattern never
 * matches an address target and an address pattern never a name: the address a name
 * resolves to is judged as a target of its own (src/net/judge.ts).
 *
 * Specificity, higher wins: an exact address or name beats a CIDR (longer prefixes beat
 * shorter), which beats a wildcard name (more labels beat fewer), which beats `*`; on the
 * same host, an exact port beats a range, which beats `*`.
 */
export interface NetworkTarget {
  /** A name or an address (IPv6 without brackets). */
  readonly host: string;
  /** Absent for a `dns` lookup: every port pattern matches. */
  readonly port?: number;
}

type HostPattern =
  | { kind: 'any' }
  | { kind: 'name'; name: string }
  | { kind: 'suffix'; suffix: string; labels: number }
  | { kind: 'range'; base: AddressBytes; prefix: number };

interface CompiledPattern {
  host: HostPattern;
  ports: { from: number; to: number; score: number };
}

const HIGHEST_PORT = 65535;
const NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function compileHost(text: string): HostPattern | undefined {
  if (text === '*') return { kind: 'any' };
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const range = parseRange(inner);
  if (range) return { kind: 'range', ...range };
  const name = normalName(text);
  if (name.startsWith('*.')) {
    const suffix = name.slice(2);
    return NAME.test(suffix) ? { kind: 'suffix', suffix, labels: suffix.split('.').length } : undefined;
  }
  return NAME.test(name) ? { kind: 'name', name } : undefined;
}

function compilePorts(text: string | undefined): CompiledPattern['ports'] | undefined {
  if (text === undefined || text === '*') return { from: 0, to: HIGHEST_PORT, score: 0 };
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > HIGHEST_PORT || to > HIGHEST_PORT || from > to) return undefined;
  return { from, to, score: m[2] === undefined ? 2 : 1 };
}

/** Splits `host:port`, `[v6]:port`, `[v6/64]:port`, `host` or a bare IPv6 address or range. */
function splitPattern(pattern: string): [string, string | undefined] {
  if (pattern.startsWith('[')) {
    const close = pattern.indexOf(']');
    if (close < 0) return [pattern, undefined];
    const rest = pattern.slice(close + 1);
    return [pattern.slice(0, close + 1), rest.startsWith(':') ? rest.slice(1) : rest === '' ? undefined : rest];
  }
  const colons = pattern.split(':').length - 1;
  if (colons === 0) return [pattern, undefined];
  if (colons > 1) return [pattern, undefined];
  const i = pattern.lastIndexOf(':');
  return [pattern.slice(0, i), pattern.slice(i + 1)];
}

/** A pattern compiled, or a reason it is not one (for the policy's validation at vm/create). */
export function compileNetworkPattern(pattern: string): CompiledPattern | string {
  if (typeof pattern !== 'string' || pattern === '') return 'a network pattern is a non-empty string host:port';
  const [hostText, portText] = splitPattern(pattern.trim());
  const host = compileHost(hostText);
  if (!host) return `'${pattern}': the host is not a name, *.name, address, CIDR or *`;
  const ports = compilePorts(portText);
  if (!ports) return `'${pattern}': the port is not *, a port or a range from-to (0..65535)`;
  return { host, ports };
}

function compiled(pattern: string): CompiledPattern | null {
  const r = compileNetworkPattern(pattern);
  return typeof r === 'string' ? null : r;
}

function hostScore(host: HostPattern, target: string): number {
  const folded = toBytes(target);
  if (host.kind === 'any') return 0;
  if (host.kind === 'range') {
    if (!folded) return -1;
    const raw = rawBytes(target)!;
    if (!inRange(folded, host.base, host.prefix) && !inRange(raw, host.base, host.prefix)) return -1;
    // Longer prefixes rank higher; an IPv4 prefix counts as its IPv6-mapped length would.
    const bits = host.base.family === 4 ? host.prefix * 4 : host.prefix;
    return 1000 + bits;
  }
  if (folded) return -1;
  const name = normalName(target);
  if (host.kind === 'name') return name === host.name ? 2000 : -1;
  return name.endsWith(`.${host.suffix}`) ? 100 + host.labels : -1;
}

/**
 * The TargetMatcher of the network scope: the pattern's specificity for `target`, or -1 when
 * it does not match. Also used to tell whether a rule names an address itself (`namesAddress`).
 */
export function matchNetwork(pattern: string, target: NetworkTarget): number {
  const c = compiled(pattern);
  if (!c) return -1;
  const h = hostScore(c.host, target.host);
  if (h < 0) return -1;
  if (target.port !== undefined && (target.port < c.ports.from || target.port > c.ports.to)) return -1;
  return h * 4 + c.ports.score;
}

/** Whether the pattern names an address or a range (not a name, not `*`) that holds `address`. */
export function namesAddress(pattern: string, address: string, port: number | undefined): boolean {
  const c = compiled(pattern);
  return c !== null && c.host.kind === 'range' && matchNetwork(pattern, { host: address, port }) >= 0;
}

/** `host:port` as logs and `permission/request` show a target ([v6]:port). */
export function formatTarget(target: NetworkTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return target.port === undefined ? host : `${host}:${target.port}`;
}
