import type { TLSSocket } from 'node:tls';
import type { TlsOutcome } from './vm-network.js';

/**
 * What a guest learns of a TLS handshake the daemon did for it: whether the peer verified
 * (and why not), the protocol and cipher, and a summary of the peer's certificate — the
 * fields a program reads from getPeerCertificate(), as strings, nothing that is key material.
 */
export function tlsOutcome(socket: TLSSocket): TlsOutcome {
  const cert = socket.getPeerCertificate();
  const cipher = socket.getCipher();
  const error = socket.authorizationError as unknown;
  return {
    authorized: socket.authorized,
    ...(error ? { authorizationError: typeof error === 'string' ? error : String((error as { code?: string }).code ?? error) } : {}),
    ...(socket.getProtocol() ? { protocol: socket.getProtocol()! } : {}),
    ...(cipher ? { cipher: { name: cipher.name, standardName: cipher.standardName, version: cipher.version } } : {}),
    ...(cert && Object.keys(cert).length > 0
      ? {
          peerCertificate: {
            subject: { ...cert.subject },
            issuer: { ...cert.issuer },
            ...(cert.subjectaltname ? { subjectaltname: cert.subjectaltname } : {}),
            valid_from: cert.valid_from,
            valid_to: cert.valid_to,
            serialNumber: cert.serialNumber,
            fingerprint: cert.fingerprint,
            fingerprint256: cert.fingerprint256,
            ...(cert.fingerprint512 ? { fingerprint512: cert.fingerprint512 } : {}),
            ...(cert.ca !== undefined ? { ca: cert.ca } : {}),
          },
        }
      : {}),
  };
}
