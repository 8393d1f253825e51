/**
 * The protocol version, exchanged in `initialize`. Hosts and sidecar agree when the major
 * numbers match; a minor bump only adds methods or optional fields.
 */
export const PROTOCOL_VERSION = '1.0';

export function protocolMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '', 10);
}
