/**
 * The network bundle's entry (dist/guest-net.js): what src/js/guest/net-lib-loader.ts gets
 * back from evaluating it once in a process, the first time guest code requires http,
 * https or tls, or touches fetch and its classes.
 */
import './net-host.js';
import { httpRequire } from './http-lib.js';

export const loadHttp = () => httpRequire('http');
export const loadHttps = () => httpRequire('https');
export const loadHttpInternal = (name: string) => httpRequire(name);
export const loadTls = () => httpRequire('tls');
/** Node's own dns, its default resolver set up as Node's bootstrap does (internal/dns/utils initializeDns). */
export const loadDns = (promises: boolean) => {
  httpRequire('internal/dns/utils').initializeDns();
  return httpRequire(promises ? 'dns/promises' : 'dns');
};
/** Node's own dgram over the VM's UDP (./udp-wrap.ts). */
export const loadDgram = () => {
  httpRequire('internal/dns/utils').initializeDns();
  return httpRequire('dgram');
};
export { loadFetch } from './fetch-entry.js';
export { createHttp2 as loadHttp2 } from './http2.js';
