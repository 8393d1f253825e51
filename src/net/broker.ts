import { lookup as dnsLookup, lookupService as dnsLookupService, Resolver } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { formatTarget } from '../permissions/network-match.js';
import { INVENTORY } from '../limits/inventory.js';
import { canonicalAddress, restrictedKind, toBytes } from './addresses.js';
import { DenialLog } from './denials.js';
import { NetworkJudge, type NetworkOperation, type NetworkScope, type Verdict } from './judge.js';
import { MeteredStream } from './metered.js';
import { HeaderInjector, injectOutbound, type CompiledRule } from './inject-headers.js';
import { tlsOutcome } from './tls-outcome.js';
import { streamPair } from './stream-pair.js';
import { VmUdp } from './udp.js';
import { UnixListeners, type UnixKey, type UnixListener } from './unix-listeners.js';
import { NetError, type ConnectedStream, type ConnectTarget, type Listener, type ListenRequest, type NetActor, type ResolvedAddress, type VmNetwork } from './vm-network.js';

/** The bounds of one VM's network (src/limits/inventory.ts, NET_*). */
export interface NetBounds {
  connections: number;
  listeners: number;
  bytesIn: number;
  bytesOut: number;
  dnsPerSecond: number;
  connectTimeoutMs: number;
  /** How long a connection the guest closed may still be sending what it wrote (NET_LINGER_MS). */
  lingerMs: number;
  /** Addresses remembered with the names they came from, for a later connect by address. */
  recentNames: number;
  /** Bytes one end of an in-VM loopback connection buffers before its writer waits. */
  loopbackBufferBytes: number;
  /** UDP (./udp.ts): sockets bound at once, datagram bytes queued, peers remembered per socket. */
  udpSockets: number;
  udpQueueBytes: number;
  udpPeersPerSocket: number;
  /** Guest TLS (src/net/tls-session.ts): one context's bytes, contexts one process keeps, a server handshake's time. */
  tls?: { contextBytes: number; contextsPerProcess: number; handshakeTimeoutMs: number };
}

export interface BrokerOptions {
  scope: NetworkScope | undefined;
  dnsOverrides?: Readonly<Record<string, readonly string[]>>;
  caCerts?: readonly string[];
  /** network.inject, compiled; headers added to matching requests on connections to the world. */
  inject?: { rules: readonly CompiledRule[]; maxHeadBytes: number };
  bounds: NetBounds;
  log: Logger;
  /** The policy's `ask` round trip (permission/request): true when the host allows. */
  ask?: (who: NetActor, operation: NetworkOperation, target: string) => Promise<boolean>;
  /** A bound was hit: the VM counts it and logs "bounded limit exhausted". */
  onLimit: (limit: string, observed: number, capacity: number, env: string) => void;
  /** The daemon's resolver (tests may put their own). */
  resolve?: (name: string, family: 0 | 4 | 6) => Promise<ResolvedAddress[]>;
  /** The daemon's DNS records resolver (dns.resolve*, reverse), c-ares codes on failure (tests may put their own). */
  query?: (name: string, rrtype: RecordType) => Promise<RecordAnswer>;
  /** Every decision of the policy (after an ask, its answer), for the VM's permission counts. */
  onDecision?: (operation: NetworkOperation, allowed: boolean) => void;
}

/** The record types guest dns asks for; PTR-ADDR is a reverse lookup of an address. */
export type RecordType = 'A' | 'AAAA' | 'ANY' | 'CAA' | 'CNAME' | 'MX' | 'NS' | 'TXT' | 'SRV' | 'PTR' | 'NAPTR' | 'SOA' | 'PTR-ADDR';
export const RECORD_TYPES: ReadonlySet<string> = new Set<RecordType>(['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR', 'NAPTR', 'SOA', 'PTR-ADDR']);

/** Records as Node's dns.resolve* gives them, with the TTLs of A/AAAA answers. */
export interface RecordAnswer {
  records: unknown[];
  ttls?: number[];
}

/** The listen addresses and connect targets that mean the VM itself. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost']);
const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;
const HIGHEST_PORT = 65535;

async function systemResolve(name: string, family: 0 | 4 | 6): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(name, { all: true, family, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

let daemonResolver: Resolver | undefined;
async function systemQuery(name: string, rrtype: RecordType): Promise<RecordAnswer> {
  const r = (daemonResolver ??= new Resolver());
  if (rrtype === 'A' || rrtype === 'AAAA') {
    const found = await (rrtype === 'A' ? r.resolve4(name, { ttl: true }) : r.resolve6(name, { ttl: true }));
    return { records: found.map((a) => a.address), ttls: found.map((a) => a.ttl) };
  }
  if (rrtype === 'PTR-ADDR') return { records: await r.reverse(name) };
  return { records: (await r.resolve(name, rrtype)) as unknown[] };
}

interface VmListener {
  port: number;
  address: string;
  onConnection: (peer: ConnectedStream) => void;
}

/** Usage of one VM's network, for vm/stats. */
export interface NetUsage {
  connections: number;
  connectionsOpened: number;
  listeners: number;
  /** vm/forward ports open now (src/net/forward.ts). */
  forwards: number;
  bytesIn: number;
  bytesOut: number;
  dnsLookups: number;
  denied: number;
  /** UDP sockets bound now. */
  udpSockets: number;
}

/**
 * One VM's network (the VmNetwork contract): the world through node:net and node:tls as
 * the VM's policy allows, and the VM's own loopback, a table of its listeners that its
 * processes (and the host, through vm/fetch and vm/forward) reach by in-daemon stream
 * pairs. Nothing of one VM's loopback is reachable from another VM: each has its own table.
 */
export class NetBroker implements VmNetwork {
  private readonly judge: NetworkJudge;
  private readonly denials: DenialLog;
  private readonly listeners = new Map<number, VmListener>();
  /** Its Unix domain socket listeners (path and abstract): the same limit as its TCP ones. */
  private readonly unix = new UnixListeners();
  private readonly open = new Set<Duplex>();
  /** Address → a name that resolved to it in this VM (a later connect by address is judged by that name too). */
  private readonly recent = new Map<string, { name: string }>();
  private readonly resolve: (name: string, family: 0 | 4 | 6) => Promise<ResolvedAddress[]>;
  private readonly query: (name: string, rrtype: RecordType) => Promise<RecordAnswer>;
  private nextEphemeral = EPHEMERAL_FIRST;
  private dnsWindow = { startedAt: 0, count: 0 };
  private disposed = false;
  readonly usage: NetUsage = { connections: 0, connectionsOpened: 0, listeners: 0, forwards: 0, bytesIn: 0, bytesOut: 0, dnsLookups: 0, denied: 0, udpSockets: 0 };
  /** The VM's UDP sockets: its loopback in memory, the world as the policy allows (./udp.ts). */
  readonly udp: VmUdp;

  /** How long a closed connection may linger with unsent bytes (NET_LINGER_MS). */
  get lingerMs(): number {
    return this.o.bounds.lingerMs;
  }

  constructor(private readonly o: BrokerOptions) {
    this.judge = new NetworkJudge(o.scope);
    this.denials = new DenialLog(o.log);
    this.resolve = o.resolve ?? systemResolve;
    this.query = o.query ?? systemQuery;
    this.udp = new VmUdp({
      bounds: { sockets: o.bounds.udpSockets, queueBytes: o.bounds.udpQueueBytes, peersPerSocket: o.bounds.udpPeersPerSocket },
      mayReach: (address, port, who) => this.mayReach(address, port, who),
      verdict: (address, port) => this.datagramVerdict(address, port).mode,
      take: (direction, n) => this.take(direction, n),
      onLimit: o.onLimit,
      counted: (n) => (this.usage.udpSockets = n),
    });
  }

  /**
   * A datagram to address:port (an address, never a name: the guest's lookup was judged as
   * dns) judged as a TCP connect to it is: a rule naming the address, the restricted ranges,
   * else the rule of the name it was resolved from in this VM.
   */
  private async mayReach(address: string, port: number, who: NetActor): Promise<boolean> {
    this.checkOpen();
    return this.allowed(this.datagramVerdict(address, port), who, 'connect', `udp ${formatTarget({ host: canonicalAddress(address), port })}`);
  }

  private datagramVerdict(address: string, port: number): Verdict {
    const canonical = canonicalAddress(address);
    const recent = this.recent.get(canonical);
    const byName = recent ? this.judge.target('connect', { host: recent.name, port }) : undefined;
    return this.judge.address('connect', canonical, port, byName?.mode === 'allow' ? byName : undefined);
  }

  // ---- judging ----

  /** Allow, deny (logged, counted) or ask the host; resolves true when allowed. */
  private async allowed(verdict: Verdict, who: NetActor, operation: NetworkOperation, target: string): Promise<boolean> {
    let mode = verdict.mode;
    let reason = verdict.because;
    if (mode === 'ask') {
      const answer = this.o.ask ? await this.o.ask(who, operation, target).catch(() => false) : false;
      mode = answer ? 'allow' : 'deny';
      reason = answer ? reason : `${reason}: the host did not allow it`;
    }
    this.o.onDecision?.(operation, mode === 'allow');
    if (mode === 'allow') return true;
    this.denials.denied({ operation, target, pid: who.pid, ...(who.command ? { command: who.command } : {}), reason });
    this.usage.denied = this.denials.count;
    return false;
  }

  private checkOpen(): void {
    if (this.disposed) throw new NetError('ENETDOWN', 'the VM is disposed');
  }

  // ---- dns ----

  private countLookup(): void {
    const now = performance.now();
    if (now - this.dnsWindow.startedAt >= 1000) this.dnsWindow = { startedAt: now, count: 0 };
    const { dnsPerSecond } = this.o.bounds;
    if (this.dnsWindow.count >= dnsPerSecond) {
      this.o.onLimit('net_dns_lookups_per_second', this.dnsWindow.count + 1, dnsPerSecond, 'AGENTOS_NET_DNS_LOOKUPS_PER_SECOND');
      throw new NetError('EAI_AGAIN', `this VM made ${dnsPerSecond} DNS lookups this second (AGENTOS_NET_DNS_LOOKUPS_PER_SECOND)`);
    }
    this.dnsWindow.count++;
    this.usage.dnsLookups++;
  }

  /** Overrides first, then the daemon's resolver; no judging (the caller judged). */
  private async addressesOf(name: string, family: 0 | 4 | 6): Promise<ResolvedAddress[]> {
    const key = name.toLowerCase().replace(/\.$/, '');
    const override = this.o.dnsOverrides?.[key] ?? this.o.dnsOverrides?.[name];
    let found: ResolvedAddress[];
    if (override) {
      found = override.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }) as ResolvedAddress);
    } else {
      this.countLookup();
      try {
        found = await this.resolve(key, family);
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw new NetError(code === 'EAI_AGAIN' ? 'EAI_AGAIN' : 'ENOTFOUND', `getaddrinfo ${code === 'EAI_AGAIN' ? 'EAI_AGAIN' : 'ENOTFOUND'} ${name}`);
      }
    }
    found = found.filter((a) => family === 0 || a.family === family);
    if (found.length === 0) throw new NetError('ENOTFOUND', `getaddrinfo ENOTFOUND ${name}`);
    for (const a of found) this.remember(canonicalAddress(a.address), key);
    return found;
  }

  private remember(address: string, name: string): void {
    this.recent.delete(address);
    if (this.recent.size >= this.o.bounds.recentNames) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(address, { name });
  }

  async lookup(name: string, family: 0 | 4 | 6, who: NetActor): Promise<ResolvedAddress[]> {
    this.checkOpen();
    const literal = isIP(name);
    if (literal) return [{ address: name, family: literal as 4 | 6 }];
    if (LOCAL_NAMES.has(name.toLowerCase())) {
      const both: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
      return both.filter((a) => family === 0 || a.family === family);
    }
    const target = formatTarget({ host: name });
    if (!(await this.allowed(this.judge.target('dns', { host: name }), who, 'dns', target))) {
      throw new NetError('ENOTFOUND', `getaddrinfo ENOTFOUND ${name}`);
    }
    return this.addressesOf(name, family);
  }

  /**
   * DNS records of a name (dns.resolve*), or the names of an address (rrtype PTR-ADDR,
   * dns.reverse): judged as `dns` on the name or address, answered from the VM's overrides
   * (A and AAAA; a name they hold has no other records), else by the daemon's resolver.
   * Failures carry c-ares's codes (ENOTFOUND, ENODATA ...), as Node's resolve gives them.
   */
  async records(name: string, rrtype: RecordType, who: NetActor): Promise<RecordAnswer> {
    this.checkOpen();
    if (rrtype === 'PTR-ADDR' && !isIP(name)) throw new NetError('EINVAL', `getHostByAddr EINVAL ${name}`);
    const key = name.toLowerCase().replace(/\.$/, '');
    const family = rrtype === 'A' ? 4 : rrtype === 'AAAA' ? 6 : 0;
    const local = rrtype === 'PTR-ADDR' ? restrictedKind(name) === 'loopback' : LOCAL_NAMES.has(key);
    if (local) {
      if (rrtype === 'PTR-ADDR') return { records: ['localhost'] };
      if (!family) throw new NetError('ENODATA', `query ENODATA ${name}`);
      return { records: [family === 4 ? '127.0.0.1' : '::1'], ttls: [0] };
    }
    const target = formatTarget({ host: rrtype === 'PTR-ADDR' ? canonicalAddress(name) : name });
    if (!(await this.allowed(this.judge.target('dns', { host: rrtype === 'PTR-ADDR' ? canonicalAddress(name) : name }), who, 'dns', target))) {
      throw new NetError('ENOTFOUND', `query ENOTFOUND ${name}`);
    }
    const override = rrtype === 'PTR-ADDR' ? undefined : (this.o.dnsOverrides?.[key] ?? this.o.dnsOverrides?.[name]);
    if (override) {
      const addresses = override.filter((a) => family === 0 || isIP(a) === family);
      if (addresses.length === 0 || (family === 0 && rrtype !== 'ANY')) throw new NetError('ENODATA', `query ENODATA ${name}`);
      for (const a of addresses) this.remember(canonicalAddress(a), key);
      if (rrtype === 'ANY') return { records: addresses.map((address) => ({ address, ttl: 0, type: isIP(address) === 6 ? 'AAAA' : 'A' })) };
      return { records: addresses, ttls: addresses.map(() => 0) };
    }
    try {
      this.countLookup();
    } catch {
      throw new NetError('EREFUSED', `query EREFUSED ${name}`);
    }
    let answer: RecordAnswer;
    try {
      answer = await this.query(rrtype === 'PTR-ADDR' ? name : key, rrtype);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new NetError(typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : 'ESERVFAIL', `query ${code ?? 'ESERVFAIL'} ${name}`);
    }
    if (family) for (const a of answer.records) if (typeof a === 'string') this.remember(canonicalAddress(a), key);
    return answer;
  }

  /** The name and service of an address and port (dns.lookupService): judged as `dns` on the address. */
  async lookupService(address: string, port: number, who: NetActor): Promise<{ hostname: string; service: string }> {
    this.checkOpen();
    if (!isIP(address)) throw new NetError('EINVAL', `getnameinfo EINVAL ${address}`);
    const canonical = canonicalAddress(address);
    if (restrictedKind(canonical) !== 'loopback') {
      if (!(await this.allowed(this.judge.target('dns', { host: canonical }), who, 'dns', formatTarget({ host: canonical })))) {
        throw new NetError('ENOTFOUND', `getnameinfo ENOTFOUND ${address}`);
      }
      this.countLookup();
    }
    try {
      // Loopback is the VM's own: named localhost here, only the port's service asked of the
      // daemon's services table (127.0.0.1 is in every hosts file; ::1 may not be, and would go to DNS).
      if (restrictedKind(canonical) === 'loopback') return { hostname: 'localhost', service: (await dnsLookupService('127.0.0.1', port)).service };
      return await dnsLookupService(address, port);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new NetError(code === 'EAI_AGAIN' ? 'EAI_AGAIN' : 'ENOTFOUND', `getnameinfo ${code} ${address}`);
    }
  }

  // ---- connect ----

  private reserveConnection(): void {
    const { connections } = this.o.bounds;
    if (this.usage.connections >= connections) {
      this.o.onLimit('net_connections_per_vm', this.usage.connections + 1, connections, 'AGENTOS_NET_CONNECTIONS_PER_VM');
      throw new NetError('EMFILE', `this VM holds ${connections} connections (AGENTOS_NET_CONNECTIONS_PER_VM)`);
    }
    this.usage.connections++;
    this.usage.connectionsOpened++;
  }

  private track(stream: Duplex): void {
    this.open.add(stream);
    stream.once('close', () => {
      if (this.open.delete(stream)) this.usage.connections--;
    });
  }

  /** The VM's own listener that `host:port` means, if one listens there. */
  private loopbackListener(host: string, port: number): VmListener | undefined {
    const listener = this.listeners.get(port);
    if (!listener) return undefined;
    const lower = host.toLowerCase();
    if (LOCAL_NAMES.has(lower)) return listener;
    const kind = restrictedKind(host);
    if (kind !== 'loopback' && kind !== 'unspecified') return undefined;
    // A v4-mapped peer (::ffff:127.0.0.1) is IPv4, as toBytes folds it.
    return listensOnFamily(listener.address, toBytes(host)!.family) ? listener : undefined;
  }

  async connect(target: ConnectTarget, who: NetActor): Promise<ConnectedStream> {
    this.checkOpen();
    const { host, port } = target;
    if (!Number.isInteger(port) || port < 0 || port > HIGHEST_PORT) throw new NetError('EINVAL', `connect EINVAL: bad port ${port}`);
    const local = this.loopbackListener(host, port);
    if (local && !target.tls) return this.connectLoopback(local, host);
    if (local && target.tls) return this.connectLoopbackTls(local, host, target.tls);
    const refused = () => new NetError('ECONNREFUSED', `connect ECONNREFUSED ${formatTarget({ host, port })}`);

    let address: ResolvedAddress;
    const literal = isIP(host);
    if (literal) {
      const canonical = canonicalAddress(host);
      const recent = this.recent.get(canonical);
      const byName = recent ? this.judge.target('connect', { host: recent.name, port }) : undefined;
      // A name's rule counts for its address only when it allows: a denied name never denies
      // what the guest may reach by address.
      const verdict = this.judge.address('connect', canonical, port, byName?.mode === 'allow' ? byName : undefined);
      if (!(await this.allowed(verdict, who, 'connect', formatTarget({ host: canonical, port })))) throw refused();
      address = { address: host, family: literal as 4 | 6 };
    } else {
      // A connect by name is what it is on a real system: a lookup of the name, then a
      // connect. The lookup is judged as `dns` (unless the guest's own lookup was, which is
      // how a command binary got the address it connects to): denied, the guest sees what a
      // filtering resolver gives (getaddrinfo ENOTFOUND). The connect is judged on the name,
      // then on the address it resolves to: denied, a firewall's ECONNREFUSED.
      const nameTarget = formatTarget({ host, port });
      const local = LOCAL_NAMES.has(host.toLowerCase());
      if (!local && !target.lookedUp && !(await this.allowed(this.judge.target('dns', { host }), who, 'dns', formatTarget({ host })))) {
        throw new NetError('ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`);
      }
      const byName = this.judge.target('connect', { host, port });
      if (byName.mode === 'deny') {
        await this.allowed(byName, who, 'connect', nameTarget);
        throw refused();
      }
      // The name may be allowed; the address it resolves to is judged before anything connects.
      const found = local ? [{ address: '127.0.0.1', family: 4 } as ResolvedAddress] : await this.addressesOf(host, 0);
      const chosen = found[0]!;
      const canonical = canonicalAddress(chosen.address);
      const verdict = this.judge.address('connect', canonical, port, byName);
      const shown = verdict === byName ? nameTarget : `${nameTarget} (${formatTarget({ host: canonical, port })})`;
      if (!(await this.allowed(verdict, who, 'connect', shown))) throw refused();
      address = chosen;
    }
    this.checkOpen();
    this.reserveConnection();
    try {
      return await this.dial(address, target);
    } catch (err) {
      this.usage.connections--;
      throw err;
    }
  }

  /** Connects to exactly the judged address (no second lookup: nothing to rebind). */
  private dial(address: ResolvedAddress, target: ConnectTarget): Promise<ConnectedStream> {
    return new Promise((resolve, reject) => {
      const tls = target.tls;
      const servername = tls?.servername ?? (isIP(target.host) ? undefined : target.host);
      const socket: Socket | TLSSocket = tls
        ? tlsConnect({
            host: address.address,
            port: target.port,
            ...(servername ? { servername } : {}),
            ALPNProtocols: tls.alpnProtocols ? [...tls.alpnProtocols] : undefined,
            rejectUnauthorized: tls.rejectUnauthorized !== false,
            ca: this.o.caCerts?.length ? [...rootCertificates, ...this.o.caCerts] : undefined,
          })
        : netConnect({ host: address.address, port: target.port });
      const timer = setTimeout(() => fail(new NetError('ETIMEDOUT', `connect ETIMEDOUT ${formatTarget({ host: address.address, port: target.port })}`)), this.o.bounds.connectTimeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        const code = (err as { code?: string }).code;
        // A certificate the daemon could not verify keeps OpenSSL's code (as Node's tls gives it).
        reject(err instanceof NetError ? err : new NetError(typeof code === 'string' && (/^E[A-Z]+$/.test(code) || (tls && /^[A-Z][A-Z0-9_]+$/.test(code))) ? code : tls ? 'ECONNRESET' : 'ECONNREFUSED', err.message));
      };
      socket.once('error', fail);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        if (this.disposed) {
          socket.destroy();
          reject(new NetError('ENETDOWN', 'the VM is disposed'));
          return;
        }
        const outcome = tls ? tlsOutcome(socket as TLSSocket) : undefined;
        const wire = this.injecting(socket, target, outcome?.authorized);
        const stream = new MeteredStream(wire, { take: (direction, n) => this.take(direction, n) }, () => {});
        this.track(stream);
        resolve({
          stream,
          local: { address: socket.localAddress ?? '', family: socket.localFamily === 'IPv6' ? 6 : 4, port: socket.localPort ?? 0 },
          remote: { address: address.address, family: address.family, port: target.port },
          ...(tls ? { alpnProtocol: (socket as TLSSocket).alpnProtocol ?? false, tls: outcome } : {}),
        });
      });
    });
  }

  /** The socket with network.inject's headers added to its outbound requests, when a rule could match it. */
  private injecting(socket: Socket, target: ConnectTarget, authorized: boolean | undefined) {
    const inject = this.o.inject;
    if (!inject || inject.rules.length === 0) return socket;
    const injector = new HeaderInjector(inject.rules, { host: target.host, port: target.port, ...(target.tls ? { tls: { authorized: authorized === true } } : {}) }, inject.maxHeadBytes, (observed) =>
      this.o.onLimit('inject_head_bytes', observed, inject.maxHeadBytes, 'AGENTOS_INJECT_HEAD_LIMIT_BYTES'));
    return injectOutbound(socket, injector);
  }

  private take(direction: 'in' | 'out', n: number): Error | undefined {
    const used = direction === 'in' ? this.usage.bytesIn : this.usage.bytesOut;
    const capacity = direction === 'in' ? this.o.bounds.bytesIn : this.o.bounds.bytesOut;
    if (used + n > capacity) {
      const limit = direction === 'in' ? 'net_bytes_in_per_vm' : 'net_bytes_out_per_vm';
      const env = direction === 'in' ? 'AGENTOS_NET_BYTES_IN_PER_VM' : 'AGENTOS_NET_BYTES_OUT_PER_VM';
      this.o.onLimit(limit, used + n, capacity, env);
      return new NetError('ENOBUFS', `this VM's network ${direction === 'in' ? 'received' : 'sent'} ${capacity} bytes (${env})`);
    }
    if (direction === 'in') this.usage.bytesIn += n;
    else this.usage.bytesOut += n;
    return undefined;
  }

  private ephemeralPort(): number {
    for (let tries = 0; tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port >= EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (!this.listeners.has(port)) return port;
    }
    throw new NetError('EADDRNOTAVAIL', 'no free port on the VM loopback');
  }

  /** A stream pair between the connecting side and the listener, inside the daemon. */
  private connectLoopback(listener: VmListener, host: string): ConnectedStream {
    const [mine, theirs] = this.loopbackPair();
    const v6 = isIP(host) === 6;
    const loop = v6 ? '::1' : '127.0.0.1';
    const fromPort = this.ephemeralPort();
    const local = { address: loop, family: (v6 ? 6 : 4) as 4 | 6, port: fromPort };
    const remote = { address: loop, family: (v6 ? 6 : 4) as 4 | 6, port: listener.port };
    listener.onConnection({ stream: theirs, local: remote, remote: local });
    return { stream: mine, local, remote };
  }

  /** The two ends of one in-VM connection, counted as one of the VM's connections. */
  private loopbackPair(): [Duplex, Duplex] {
    this.reserveConnection();
    const [mine, theirs] = streamPair(this.o.bounds.loopbackBufferBytes);
    this.track(mine);
    // The peer's end closes with this one's count: one connection, two ends. What the peer
    // wrote before it closed is still this end's to read (a kernel delivers it before the
    // FIN): this end closes once it has read to that end, not before.
    theirs.once('close', () => {
      if (mine.readableEnded || mine.destroyed) mine.destroy();
      else mine.once('end', () => mine.destroy());
    });
    return [mine, theirs];
  }

  // ---- Unix domain sockets (the caller made or found the socket inode and judged it as fs) ----

  /** Listens at a socket inode or an abstract name; EMFILE past the VM's listener limit. */
  listenUnix(key: UnixKey, shown: string, onConnection: (peer: Duplex) => void): UnixListener {
    this.checkOpen();
    this.roomForListener();
    return this.unix.add(key, onConnection, shown, () => (this.usage.listeners = this.listeners.size + this.unix.size));
  }

  /** A stream to the listener at `key`; ECONNREFUSED when nothing listens there. */
  connectUnix(key: UnixKey, shown: string): Duplex {
    this.checkOpen();
    const accept = this.unix.acceptor(key);
    if (!accept) throw new NetError('ECONNREFUSED', `connect ECONNREFUSED ${shown}`);
    const [mine, theirs] = this.loopbackPair();
    accept(theirs);
    return mine;
  }

  /**
   * TLS to a guest's own TLS server (a guest https.get of a guest https.createServer): the
   * daemon's TLS client over the in-VM loopback, verified as any connection (the system's
   * roots plus network.caCerts), so the guest's stream stays plaintext as for the world.
   */
  private connectLoopbackTls(listener: VmListener, host: string, tls: NonNullable<ConnectTarget['tls']>): Promise<ConnectedStream> {
    const plain = this.connectLoopback(listener, host);
    return new Promise((resolve, reject) => {
      const servername = tls.servername ?? (isIP(host) ? undefined : host);
      const socket = tlsConnect({
        socket: plain.stream,
        ...(servername ? { servername } : {}),
        ALPNProtocols: tls.alpnProtocols ? [...tls.alpnProtocols] : undefined,
        rejectUnauthorized: tls.rejectUnauthorized !== false,
        ca: this.o.caCerts?.length ? [...rootCertificates, ...this.o.caCerts] : undefined,
      });
      socket.once('close', () => plain.stream.destroy());
      const fail = (err: Error & { code?: unknown }) => {
        socket.destroy();
        reject(new NetError(typeof err.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(err.code) ? err.code : 'ECONNRESET', err.message));
      };
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        socket.removeListener('error', fail);
        resolve({ ...plain, stream: socket, alpnProtocol: socket.alpnProtocol ?? false, tls: tlsOutcome(socket) });
      });
    });
  }

  /**
   * A stream that counts as one of the VM's connections until it closes (a guest TLS session
   * the daemon runs over a guest's own stream); EMFILE when the VM holds its most.
   */
  holdConnection(stream: Duplex): void {
    this.checkOpen();
    this.reserveConnection();
    this.track(stream);
  }

  /** The VM's network.caCerts, trusted with the system's roots by TLS the daemon does for the guest. */
  get caCerts(): readonly string[] | undefined {
    return this.o.caCerts?.length ? this.o.caCerts : undefined;
  }

  /** Guest TLS bounds (inventory TLS_*). */
  get tlsBounds(): { contextBytes: number; contextsPerProcess: number; handshakeTimeoutMs: number } {
    return this.o.bounds.tls ?? { contextBytes: INVENTORY.TLS_CONTEXT_MAX_BYTES.default, contextsPerProcess: INVENTORY.TLS_CONTEXTS_PER_PROCESS.default, handshakeTimeoutMs: INVENTORY.TLS_HANDSHAKE_TIMEOUT_MS.default };
  }

  /** A guest TLS bound was hit: counted and logged as every VM limit. */
  limitHit(limit: string, observed: number, capacity: number, env: string): void {
    this.o.onLimit(limit, observed, capacity, env);
  }

  /** The host reaching a guest listener (vm/fetch, vm/forward): no policy, the VM's loopback only. */
  connectToListener(port: number): ConnectedStream {
    this.checkOpen();
    const listener = this.listeners.get(port);
    if (!listener) throw new NetError('ECONNREFUSED', `nothing in the VM listens on port ${port}`);
    return this.connectLoopback(listener, '127.0.0.1');
  }

  // ---- listen ----

  /**
   * Listens now when the policy answers at once; a promise when it asks the host. Guest JS
   * uses this so `server.address()` is right after `listen()`, as in Node.
   */
  listenNow(request: ListenRequest, who: NetActor, onConnection: (peer: ConnectedStream) => void): Listener | Promise<Listener> {
    this.checkOpen();
    const target = formatTarget({ host: request.address, port: request.port });
    const verdict = this.judge.target('listen', { host: request.address, port: request.port });
    const denied = () => new NetError('EACCES', `listen EACCES: permission denied ${target}`);
    if (verdict.mode === 'ask') {
      return this.allowed(verdict, who, 'listen', target).then((ok) => {
        if (!ok) throw denied();
        return this.bind(request, onConnection);
      });
    }
    if (verdict.mode === 'deny') {
      void this.allowed(verdict, who, 'listen', target);
      throw denied();
    }
    return this.bind(request, onConnection);
  }

  async listen(request: ListenRequest, who: NetActor, onConnection: (peer: ConnectedStream) => void): Promise<Listener> {
    return this.listenNow(request, who, onConnection);
  }

  /** EMFILE (logged as the limit) when the VM holds its most listeners, TCP and Unix together. */
  private roomForListener(): void {
    const { listeners } = this.o.bounds;
    const held = this.listeners.size + this.unix.size;
    if (held >= listeners) {
      this.o.onLimit('net_listeners_per_vm', held + 1, listeners, 'AGENTOS_NET_LISTENERS_PER_VM');
      throw new NetError('EMFILE', `this VM has ${listeners} listeners (AGENTOS_NET_LISTENERS_PER_VM)`);
    }
  }

  private bind(request: ListenRequest, onConnection: (peer: ConnectedStream) => void): Listener {
    this.checkOpen();
    this.roomForListener();
    const port = request.port === 0 ? this.ephemeralPort() : request.port;
    if (this.listeners.has(port)) throw new NetError('EADDRINUSE', `listen EADDRINUSE: address already in use ${formatTarget({ host: request.address, port })}`);
    const entry: VmListener = { port, address: request.address, onConnection };
    this.listeners.set(port, entry);
    this.usage.listeners = this.listeners.size + this.unix.size;
    return {
      address: request.address,
      port,
      close: () => {
        if (this.listeners.get(port) === entry) this.listeners.delete(port);
        this.usage.listeners = this.listeners.size + this.unix.size;
      },
    };
  }

  /** Closes every connection and listener; later calls fail with ENETDOWN. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.udp.dispose();
    this.listeners.clear();
    this.unix.clear();
    this.usage.listeners = 0;
    for (const stream of [...this.open]) stream.destroy();
  }
}

/**
 * Whether a listener bound to `address` takes a connect of `family`, as Linux's sockets:
 * `::` takes both (dual stack), an IPv4 address or `0.0.0.0` only IPv4 (a v4-mapped peer
 * is IPv4), `::1` only IPv6.
 */
function listensOnFamily(address: string, family: 4 | 6): boolean {
  if (address === '::') return true;
  const own = isIP(address);
  return own === 0 || own === family;
}
