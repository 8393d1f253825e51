import { netHost } from './net-host.js';
import { UV_ERRORS } from './uv-errors.js';

/**
 * internalBinding('cares_wrap') for Node's own lib/dns.js and lib/internal/dns/* (vendored
 * under vendor/node/lib): the same calls and callbacks as Node's C++ binding, each answered
 * by the VM's network broker in the daemon (src/net/broker.ts lookup, query, lookupService),
 * which applies the VM's dns overrides and network policy and counts the lookup. Nothing
 * here reaches a resolver itself. A Resolver's servers are remembered for getServers but do
 * not change where questions go: every one goes to the daemon.
 */

// Linux's getaddrinfo flags (what Node reports as dns.ADDRCONFIG, ALL, V4MAPPED).
const AI_V4MAPPED = 8;
const AI_ALL = 16;
const AI_ADDRCONFIG = 32;
const DNS_ORDER_VERBATIM = 0;
const DNS_ORDER_IPV4_FIRST = 1;
const DNS_ORDER_IPV6_FIRST = 2;

const UV_NUMBER = new Map(UV_ERRORS.map(([n, name]) => [name, n]));
const UV_EAI_NONAME = UV_NUMBER.get('EAI_NONAME')!;
const UV_EINVAL = UV_NUMBER.get('EINVAL')!;
/** Node's own code for setServers on a channel with questions in flight (cares_wrap.h). */
const DNS_ESETSRVPENDING = -1000;

/** A broker failure as the number getaddrinfo/getnameinfo report (DNSException turns EAI_NONAME into ENOTFOUND). */
function uvError(code: string): number {
  if (code === 'ENOTFOUND') return UV_EAI_NONAME;
  return UV_NUMBER.get(code) ?? UV_NUMBER.get(`EAI_${code.replace(/^E/, '')}`) ?? UV_EAI_NONAME;
}

/** A broker failure as c-ares words it for a query: its own codes pass; the rate limit is the server refusing. */
function aresError(code: string): string {
  if (code === 'EAI_AGAIN') return 'EREFUSED';
  if (code === 'ECANCELLED' || /^E[A-Z]+$/.test(code)) return code;
  return 'ENOTFOUND';
}

type Address = { address: string; family: 4 | 6 };
type Complete = (...args: unknown[]) => void;
interface Req {
  oncomplete: Complete;
  ttl?: boolean;
}

const request = <T>(op: string, args: unknown[], done: (code: string | null, data?: T) => void) => netHost().netRequest<T>(op, args, done);
const isIP = (text: string): number => netHost().nodeRequire('net').isIP(text);

function ordered(list: Address[], order: number): Address[] {
  if (order === DNS_ORDER_VERBATIM) return list;
  const first = order === DNS_ORDER_IPV4_FIRST ? 4 : 6;
  return [...list.filter((a) => a.family === first), ...list.filter((a) => a.family !== first)];
}

export class GetAddrInfoReqWrap {
  oncomplete?: Complete;
}
export class GetNameInfoReqWrap {
  oncomplete?: Complete;
}
export class QueryReqWrap {
  oncomplete?: Complete;
}

export function getaddrinfo(req: Req, hostname: string, family: number, hints: number, order: number): number {
  // V4MAPPED with family 6: IPv4 answers become ::ffff:a.b.c.d when there is no IPv6 one (or always, with ALL).
  const mapped = family === 6 && (hints & AI_V4MAPPED) !== 0;
  request<Address[]>('net.lookup', [hostname, mapped ? 0 : family], (code, found) => {
    if (code) return req.oncomplete(uvError(code));
    let list = found!;
    if (mapped) {
      const six = list.filter((a) => a.family === 6);
      const four = list.filter((a) => a.family === 4).map((a): Address => ({ address: `::ffff:${a.address}`, family: 6 }));
      list = six.length > 0 && (hints & AI_ALL) === 0 ? six : [...six, ...four];
      if (list.length === 0) return req.oncomplete(UV_EAI_NONAME);
    }
    req.oncomplete(0, ordered(list, order).map((a) => a.address));
  });
  return 0;
}

export function getnameinfo(req: Req, address: string, port: number): number {
  request<{ hostname: string; service: string }>('net.lookupService', [address, port], (code, found) => {
    if (code) return req.oncomplete(uvError(code));
    req.oncomplete(0, found!.hostname, found!.service);
  });
  return 0;
}

/** The record type each of the Resolver's binding calls asks for. */
const RRTYPE: Record<string, string> = {
  queryAny: 'ANY', queryA: 'A', queryAaaa: 'AAAA', queryCaa: 'CAA', queryCname: 'CNAME', queryMx: 'MX', queryNs: 'NS',
  queryTxt: 'TXT', querySrv: 'SRV', queryPtr: 'PTR', queryNaptr: 'NAPTR', querySoa: 'SOA', getHostByAddr: 'PTR-ADDR',
};

/** One Resolver's channel: its questions in flight (for cancel) and the servers it was given. */
export class ChannelWrap {
  private servers: [string, number][] = [['127.0.0.1', 53]];
  private readonly pending = new Map<Req, () => void>();

  constructor(_timeout: number, _tries: number) {}

  getServers(): [string, number][] {
    return this.servers.map(([address, port]) => [address, port]);
  }

  setServers(list: [number, string, number][]): number {
    // As Node's binding: not while this channel has questions in flight.
    if (this.pending.size > 0) return DNS_ESETSRVPENDING;
    this.servers = list.map(([, address, port]) => [address, port]);
    return 0;
  }

  /** Checked as Node's C++ binding checks it (its messages); where questions come from is the daemon's. */
  setLocalAddress(ipv4: string, ipv6?: string): void {
    const fail = (message: string) => {
      throw Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
    };
    const first = isIP(ipv4);
    if (!first) fail('Invalid IP address.');
    if (ipv6 === undefined) return;
    const second = isIP(ipv6);
    if (!second) fail('Invalid IP address.');
    if (first === second) fail(`Cannot specify two IPv${first} addresses.`);
  }

  /** Every question in flight ends with ECANCELLED, as c-ares's ares_cancel does. */
  cancel(): void {
    const pending = [...this.pending];
    this.pending.clear();
    // As Node: c-ares ends them at once, their callbacks run on the next turn (setImmediate).
    const immediate = (globalThis as unknown as { setImmediate: (fn: () => void) => unknown }).setImmediate;
    for (const [req, drop] of pending) {
      drop();
      immediate(() => req.oncomplete('ECANCELLED'));
    }
  }

  query(req: Req, rrtype: string, name: string): number {
    const cancel = request<{ records: unknown[]; ttls?: number[] }>('net.resolve', [name, rrtype], (code, answer) => {
      if (!this.pending.delete(req)) return;
      if (code) return req.oncomplete(aresError(code));
      req.oncomplete(0, answer!.records, answer!.ttls);
    });
    this.pending.set(req, cancel);
    return 0;
  }
}
for (const [method, rrtype] of Object.entries(RRTYPE)) {
  Object.defineProperty(ChannelWrap.prototype, method, {
    value(this: { query: (req: Req, rrtype: string, name: string) => number }, req: Req, name: string) {
      // c-ares refuses a reverse lookup of what is not an address before asking anything.
      if (rrtype === 'PTR-ADDR' && !isIP(name)) return UV_EINVAL;
      return this.query(req, rrtype, name);
    },
    writable: true,
    configurable: true,
  });
}

export function strerror(code: number | string): string {
  if (code === DNS_ESETSRVPENDING) return 'There are pending queries.';
  return typeof code === 'number' ? (UV_ERRORS.find(([n]) => n === code)?.[2] ?? `Unknown error ${code}`) : String(code);
}

export function canonicalizeIP(ip: string): string | undefined {
  const family = isIP(ip);
  if (!family) return undefined;
  // The URL parser writes an address in its canonical form (IPv6 compressed, lower case).
  const host = new (globalThis as unknown as { URL: new (u: string) => { hostname: string } }).URL(`http://${family === 6 ? `[${ip}]` : ip}/`).hostname;
  return family === 6 ? host.slice(1, -1) : host;
}

export { AI_ADDRCONFIG, AI_ALL, AI_V4MAPPED, DNS_ORDER_VERBATIM, DNS_ORDER_IPV4_FIRST, DNS_ORDER_IPV6_FIRST };
