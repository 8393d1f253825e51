import type * as Net from './node/net-entry.js';
import { evalBundle } from './bundle-loader.js';
import { nodeRequire, getPrimordials } from './node/internal.js';
import { internalBinding } from './node/bindings.js';
import { nodeLibBundle } from './node-lib-loader.js';
import { nodeCall } from './node/bridge.js';
import { brokerRequest, brokerTransport, listenNetEvents } from './node/net-broker-transport.js';

/**
 * http, https, tls and fetch live in a bundle of their own, dist/guest-net.js, which the
 * daemon hands over the first time a process needs one of them (one blocking call), as the
 * library bundle is (node-lib-loader.ts): a process that never touches the network does not
 * compile Node's http.
 */
type NetModule = typeof Net;
let net: NetModule | undefined;

export function netLibBundle(): NetModule {
  if (net) return net;
  net = evalBundle<NetModule>('netLib', 'agentos-net', 'agentos.net.host', {
    nodeRequire,
    primordials: getPrimordials,
    internalBinding,
    libUrl: () => nodeLibBundle().nodeLib('internal/url'),
    nodeCall,
    netRequest: brokerRequest,
    netListen: listenNetEvents,
    tlsWrap: brokerTransport.tlsWrap!,
  }, ['__agentosNet']);
  return net;
}
