import { Type } from '@sinclair/typebox';
import { Empty, request, strictObject } from './method.js';

export const SidecarPing = request('sidecar/ping', Empty, strictObject({}), 'A no-op round trip (for liveness checks and benchmarks).');

export const SidecarStats = request(
  'sidecar/stats',
  strictObject({ gc: Type.Optional(Type.Boolean({ description: 'collect garbage first (when the daemon runs with --expose-gc)' })) }),
  strictObject({
    uptimeMs: Type.Number(),
    vms: strictObject({ live: Type.Integer(), created: Type.Integer(), disposed: Type.Integer() }),
    processes: strictObject({ running: Type.Integer(), started: Type.Integer() }),
    isolates: strictObject({ live: Type.Integer(), pooled: Type.Integer(), runnersLive: Type.Integer(), runnersPooled: Type.Integer() }),
    wasm: strictObject({ commands: Type.Integer(), modulesCached: Type.Integer(), compiles: Type.Integer(), cacheHits: Type.Integer() }),
    memory: strictObject({ rssBytes: Type.Integer(), heapUsedBytes: Type.Integer(), externalBytes: Type.Integer() }),
    snapshots: strictObject({ held: Type.Integer(), bytes: Type.Integer({ description: 'file bytes of the held snapshots, each counted whole' }), created: Type.Integer(), disposed: Type.Integer(), importsInProgress: Type.Integer() }),
    droppedResponses: strictObject({ unmatched: Type.Integer(), duplicate: Type.Integer() }),
    limitHits: Type.Record(Type.String(), Type.Integer()),
  }),
  'Counters for the whole sidecar.',
);
