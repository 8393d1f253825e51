/**
 * What the runtime hands the network bundle (dist/guest-net.js: http, https, tls, fetch) as
 * it evaluates it (src/js/guest/net-lib-loader.ts): the runtime's loader of Node's internal
 * modules, its primordials and bindings, so both bundles share Node's one internal/errors,
 * validators and util; and the library bundle's internal/url.
 */
import type { TlsEvents, TlsSession } from './net-transport.js';

export interface NetHost {
  nodeRequire: (id: string) => any;
  primordials: () => object;
  internalBinding: (name: string) => unknown;
  libUrl: () => unknown;
  /** The daemon's `node` hook (./bridge.ts nodeCall). */
  nodeCall: <T>(op: string, args: unknown[]) => T;
  /** A request to the VM's network answered once (./net-broker-transport.ts brokerRequest); returns its cancel. */
  netRequest: <T>(op: string, args: unknown[], done: (code: string | null, data?: T) => void) => () => void;
  /** Hears (or, with undefined, stops hearing) the daemon's events for one handle (./net-broker-transport.ts listenNetEvents). */
  netListen: (id: number, listener: ((kind: string, data: unknown) => void) | undefined) => void;
  /** TLS the daemon runs over a stream the guest holds (./net-broker-transport.ts). */
  tlsWrap: (request: unknown, events: TlsEvents) => TlsSession;
}

export const NET_HOST_KEY = 'agentos.net.host';
const g = globalThis as unknown as Record<symbol, unknown>;
const host = g[Symbol.for(NET_HOST_KEY)] as NetHost;
delete g[Symbol.for(NET_HOST_KEY)];

export const netHost = () => host;
