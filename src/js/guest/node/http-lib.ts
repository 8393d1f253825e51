import { netHost } from './net-host.js';
import * as parserBinding from './http-parser-binding.js';
import * as tlsWrap from './tls-wrap.js';
import * as caresWrap from './cares-wrap.js';
import * as udpWrap from './udp-wrap.js';

/**
 * Node's own http (lib/http.js, _http_agent, _http_client, _http_common, _http_incoming,
 * _http_outgoing, _http_server, internal/http, internal/freelist; https.js), vendored whole
 * under vendor/node/lib (Node 20.19.2, MIT) and run as Node runs its builtins. Their
 * internal requires go to the runtime's loader (./internal.ts: Node's own internal/errors,
 * validators, util, debuglog, assert) except the few that are stand-ins here; `net`,
 * `stream`, `events`, `tls` ... are the guest's builtins. The parser binding is
 * http-parser-js (./http-parser-binding.ts).
 */
type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: (name: string) => unknown, primordials: object) => void;
declare function require(id: string): ModuleFn;

const g = globalThis as unknown as Record<string, any>;

const vendored: Record<string, () => ModuleFn> = {
  http: () => require('../../../../vendor/node/lib/http.js'),
  https: () => require('../../../../vendor/node/lib/https.js'),
  _http_agent: () => require('../../../../vendor/node/lib/_http_agent.js'),
  _http_client: () => require('../../../../vendor/node/lib/_http_client.js'),
  _http_common: () => require('../../../../vendor/node/lib/_http_common.js'),
  _http_incoming: () => require('../../../../vendor/node/lib/_http_incoming.js'),
  _http_outgoing: () => require('../../../../vendor/node/lib/_http_outgoing.js'),
  _http_server: () => require('../../../../vendor/node/lib/_http_server.js'),
  'internal/http': () => require('../../../../vendor/node/lib/internal/http.js'),
  'internal/freelist': () => require('../../../../vendor/node/lib/internal/freelist.js'),
  'internal/constants': () => require('../../../../vendor/node/lib/internal/constants.js'),
  tls: () => require('../../../../vendor/node/lib/tls.js'),
  dns: () => require('../../../../vendor/node/lib/dns.js'),
  'dns/promises': () => require('../../../../vendor/node/lib/dns/promises.js'),
  'internal/dns/utils': () => require('../../../../vendor/node/lib/internal/dns/utils.js'),
  'internal/dns/promises': () => require('../../../../vendor/node/lib/internal/dns/promises.js'),
  'internal/dns/callback_resolver': () => require('../../../../vendor/node/lib/internal/dns/callback_resolver.js'),
  dgram: () => require('../../../../vendor/node/lib/dgram.js'),
  'internal/dgram': () => require('../../../../vendor/node/lib/internal/dgram.js'),
};

const int32Ceiling = 2 ** 31 - 1;
const noop = () => {};

const shims: Record<string, () => unknown> = {
  // The daemon does TLS: crypto is there even where the guest's process.versions says otherwise.
  'internal/util': () => ({ ...netHost().nodeRequire('internal/util'), assertCrypto: noop }),
  _tls_wrap: () => ({
    get TLSSocket() { return tlsWrap.TLSSocketCtor(); },
    connect: tlsWrap.connect,
    createServer: tlsWrap.createServer,
    get Server() { return tlsWrap.ServerCtor(); },
  }),
  _tls_common: () => ({ SecureContext: tlsWrap.SecureContext, createSecureContext: tlsWrap.createSecureContext }),
  'internal/tls/secure-pair': () => ({ createSecurePair: tlsWrap.createSecurePair }),
  // No async_hooks resources for sockets here: the scope runs its function as is.
  'internal/async_hooks': () => ({
    defaultTriggerAsyncIdScope: (_id: unknown, fn: (...a: unknown[]) => unknown, ...args: unknown[]) => fn(...args),
    getOrSetAsyncId: () => 0,
    symbols: { async_id_symbol: Symbol('async_id_symbol'), trigger_async_id_symbol: Symbol('trigger_async_id_symbol'), owner_symbol: Symbol('owner_symbol') },
  }),
  'internal/timers': () => ({
    setUnrefTimeout: (fn: () => void, ms: number) => {
      const t = g.setTimeout(fn, ms);
      t?.unref?.();
      return t;
    },
    getTimerDuration: (msecs: unknown, name: string) => {
      const { validateNumber } = netHost().nodeRequire('internal/validators');
      validateNumber(msecs, name);
      const n = msecs as number;
      if (n < 0 || !Number.isFinite(n)) throw new (netHost().nodeRequire('internal/errors').codes.ERR_OUT_OF_RANGE)(name, 'a non-negative finite number', n);
      if (n > int32Ceiling) {
        g.process.emitWarning(`${n} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${int32Ceiling}.`, 'TimeoutOverflowWarning');
        return int32Ceiling;
      }
      return n;
    },
  }),
  // dgram's signal option: the library bundle's events carries Node's addAbortListener.
  'internal/events/abort_listener': () => ({ addAbortListener: netHost().nodeRequire('events').addAbortListener }),
  // No performance observers of http entries.
  'internal/perf/observe': () => ({ hasObserver: () => false, startPerf: noop, stopPerf: noop }),
  'internal/streams/state': () => ({ getDefaultHighWaterMark: (objectMode?: boolean) => (objectMode ? 16 : 16 * 1024) }),
  'internal/url': () => netHost().libUrl(),
  'internal/options': () => ({ getOptionValue: (name: string) => (name === '--max-http-header-size' ? 16 * 1024 : name === '--insecure-http-parser' ? false : undefined) }),
  // lib/dns.js's isIP (Node's internal/net is the library bundle's; the guest's net gives the same).
  'internal/net': () => {
    const { isIP, isIPv4, isIPv6 } = netHost().nodeRequire('net');
    return { isIP, isIPv4, isIPv6 };
  },
};

function binding(name: string): unknown {
  if (name === 'http_parser') return parserBinding;
  if (name === 'crypto') return { getRootCertificates: () => [...tlsInfo().rootCertificates], getSSLCiphers: () => [...tlsInfo().ciphers] };
  if (name === 'cares_wrap') return caresWrap;
  if (name === 'udp_wrap') return udpWrap;
  if (name === 'trace_events') return { getCategoryEnabledBuffer: () => new Uint8Array(1), trace: noop };
  return netHost().internalBinding(name);
}

type TlsInfo = { rootCertificates: string[]; ciphers: string[] };
let info: TlsInfo | undefined;
const tlsInfo = (): TlsInfo => (info ??= netHost().nodeCall<TlsInfo>('tls.info', []));

const cache = new Map<string, { exports: unknown }>();

/** `require` as the vendored http files see it. */
export function httpRequire(id: string): any {
  const hit = cache.get(id);
  if (hit) return hit.exports;
  const shim = shims[id];
  const load = vendored[id];
  if (!shim && !load) return netHost().nodeRequire(id);
  const module = { exports: {} as unknown };
  cache.set(id, module);
  try {
    if (shim) module.exports = shim();
    else load!()(module.exports as object, httpRequire, module, g.process, binding, netHost().primordials());
  } catch (err) {
    cache.delete(id);
    throw err;
  }
  return module.exports;
}
