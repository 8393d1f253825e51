import { getCiphers, rootCertificates } from 'node:tls';

/**
 * `tls.rootCertificates` and `tls.getCiphers()` for guest JS: the daemon does the guest's
 * TLS, so the guest reports the daemon's Node's roots and ciphers. Read once per daemon.
 */
let info: { rootCertificates: readonly string[]; ciphers: string[] } | undefined;
export function tlsInfo() {
  return (info ??= { rootCertificates, ciphers: getCiphers() });
}
