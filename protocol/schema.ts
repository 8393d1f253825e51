import { ErrorCodes } from './errors.js';
import { HostNotifications, HostRequests, SidecarNotifications, SidecarRequests } from './index.js';
import { PROTOCOL_VERSION } from './version.js';

/** The whole protocol as one JSON document (what `schema.json` holds). */
export function buildSchema() {
  const methods: Record<string, unknown> = {};
  for (const spec of HostRequests) {
    methods[spec.method] = { kind: 'request', direction: 'host→sidecar', doc: spec.doc, params: spec.params, result: spec.result };
  }
  for (const spec of HostNotifications) {
    methods[spec.method] = { kind: 'notification', direction: 'host→sidecar', doc: spec.doc, params: spec.params };
  }
  for (const spec of SidecarRequests) {
    methods[spec.method] = { kind: 'request', direction: 'sidecar→host', doc: spec.doc, params: spec.params, result: spec.result };
  }
  for (const spec of SidecarNotifications) {
    methods[spec.method] = { kind: 'notification', direction: 'sidecar→host', doc: spec.doc, params: spec.params };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'agentos-sidecar protocol',
    protocolVersion: PROTOCOL_VERSION,
    framing: 'JSON-RPC 2.0 over stdio with Content-Length headers (LSP base protocol)',
    methods: JSON.parse(JSON.stringify(methods)),
    errors: Object.fromEntries(Object.entries(ErrorCodes).map(([code, e]) => [code, { rpc: e.rpc, summary: e.summary }])),
  };
}
