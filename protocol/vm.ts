import { Type } from '@sinclair/typebox';
import { Empty, VmId, encodingOf, request, strictObject } from './method.js';

const PositiveInt = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 40, description }));

/** Per-VM overrides of the inventory's VM-scoped limits (see `--print-limits`). */
export const VmLimits = strictObject(
  {
    heapLimitMb: PositiveInt('guest JS V8 heap per isolate, MiB (min 8)'),
    cpuTimeLimitMs: PositiveInt('CPU time per guest process, ms'),
    wallTimeLimitMs: PositiveInt('wall-clock time per guest process, ms'),
    outputLimitBytes: PositiveInt('captured stdout+stderr per process, bytes'),
    fsQuotaBytes: PositiveInt('bytes of file data in the VM filesystem'),
    fsInodeLimit: PositiveInt('files, directories and links in the VM filesystem'),
    maxProcesses: PositiveInt('processes running at once in the VM'),
    maxOpenFiles: PositiveInt('open file descriptors per process'),
    wasmMaxMemoryBytes: PositiveInt('linear memory of one WASM process, bytes'),
    vmWasmMemoryBytes: PositiveInt('linear memory of all WASM processes of the VM together, bytes'),
    wasmRunnerHeapLimitMb: PositiveInt('V8 heap ceiling of a WASM runner isolate, MiB (min 8)'),
    wasmMaxFuel: PositiveInt('fuel of one WASM process: one unit per function call and loop iteration'),
    wasmMaxCallDepth: PositiveInt('nested calls of one WASM process'),
    netConnections: PositiveInt('connections the VM holds open at once (to the world and on its loopback)'),
    netBytesIn: PositiveInt('bytes the VM receives from the world over its life'),
    netBytesOut: PositiveInt('bytes the VM sends to the world over its life'),
    netDnsLookupsPerSecond: PositiveInt("DNS lookups per second through the daemon's resolver"),
  },
  'Per-VM overrides; omitted fields take the sidecar-wide value',
);

const Mode = Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('ask')]);
/** The network scope: a mode, or rules on `host:port` patterns (src/permissions/network-match.ts). */
export const NetworkPolicy = Type.Union([
  Mode,
  strictObject({
    default: Mode,
    rules: Type.Array(
      strictObject({
        mode: Mode,
        operations: Type.Optional(Type.Array(Type.Union([Type.Literal('connect'), Type.Literal('listen'), Type.Literal('dns')]), { maxItems: 3 })),
        patterns: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 1024 })),
      }),
      { maxItems: 1024 },
    ),
  }),
], { description: 'network: connect, listen, dns on host:port patterns (default: the world denied, the VM\'s own loopback allowed)' });

export const VmPermissions = strictObject({
  network: Type.Optional(NetworkPolicy),
  fs: Type.Optional(
    Type.Union([Type.Literal('read-write'), Type.Literal('read-only'), Type.Literal('none')], {
      description: "guest access to the VM filesystem (default read-write); host fs/* calls are not restricted",
    }),
  ),
});

/** What the VM's network needs besides its policy (`permissions.network`). */
export const VmNetworkOptions = strictObject(
  {
    caCerts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 65_536 }), {
        maxItems: 64,
        description: 'PEM certificates the daemon trusts, besides the system roots, for TLS it does for this VM (guest https, tls, fetch)',
      }),
    ),
    inject: Type.Optional(
      Type.Array(
        strictObject(
          {
            match: Type.String({ minLength: 1, maxLength: 2048, description: "scheme://host[:port]/path-glob, e.g. 'https://api.example.com/*' ('*' in the host: any name part; in the path: anything)" }),
            headers: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 16_384 }), { description: 'headers added to (or replacing the guest\'s of the same name in) each matching HTTP/1.x request' }),
          },
          'One credential rule',
        ),
        {
          maxItems: 64,
          description: "credentials the guest never sees: the daemon adds these headers to matching requests on connections it makes for the VM (by the connection's real scheme, host and port; over TLS only when the peer verified); the values appear in no log, env or guest view",
        },
      ),
    ),
  },
  'The VM network: extra TLS roots and injected credentials',
);

export const VmDns = strictObject(
  {
    overrides: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.Array(Type.String({ minLength: 2, maxLength: 45 }), { minItems: 1, maxItems: 16 }), {
        description: 'names answered with these addresses instead of the daemon\'s resolver; the addresses are judged by the network policy as any other',
      }),
    ),
  },
  'Name resolution for the VM',
);

export const InitialFile = strictObject({
  path: Type.String({ minLength: 1 }),
  data: Type.String(),
  encoding: encodingOf('`data`', 'base64'),
  mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o7777 })),
});

export const VmCreate = request(
  'vm/create',
  strictObject({
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    cwd: Type.Optional(Type.String({ minLength: 1 })),
    files: Type.Optional(Type.Array(InitialFile)),
    limits: Type.Optional(VmLimits),
    permissions: Type.Optional(VmPermissions),
    network: Type.Optional(VmNetworkOptions),
    dns: Type.Optional(VmDns),
    bindings: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', maxLength: 128 }), {
        maxItems: 256,
        uniqueItems: true,
        description: 'names guest JS may call as `host.<name>(...args)`; each call is a host/call request to the host',
      }),
    ),
  }),
  strictObject({ vmId: VmId }),
  'Create a VM: an in-memory filesystem (seeded from `files`), an environment, limits and permissions.',
);

export const VmDispose = request(
  'vm/dispose',
  strictObject({ vmId: VmId }),
  strictObject({ vmId: VmId, killedProcesses: Type.Integer() }),
  'Kill the VM\'s processes and free everything it holds. Its id stays known as disposed.',
);

export const VmList = request(
  'vm/list',
  Empty,
  strictObject({ vms: Type.Array(strictObject({ vmId: VmId, createdAt: Type.String(), processes: Type.Integer() })) }),
  'The live VMs.',
);

export const VmStats = request(
  'vm/stats',
  strictObject({ vmId: VmId }),
  strictObject({
    vmId: VmId,
    fs: strictObject({ bytes: Type.Integer(), inodes: Type.Integer(), quotaBytes: Type.Integer(), inodeLimit: Type.Integer() }),
    processes: strictObject({ running: Type.Integer(), started: Type.Integer() }),
    cpu: strictObject({
      slots: Type.Integer({ description: 'processes of the VM that may run guest code at once (AGENTOS_CPU_SLOTS_PER_VM)' }),
      holding: Type.Integer({ description: 'run slots held now (never more than slots)' }),
      parked: Type.Integer({ description: 'processes waiting, parked, for a run slot' }),
    }),
    usage: strictObject({ cpuMs: Type.Number(), execs: Type.Integer(), limitHits: Type.Integer() }),
    network: strictObject({
      connections: Type.Integer({ description: 'connections open now (world and loopback)' }),
      connectionsOpened: Type.Integer({ description: 'connections opened over the VM\'s life' }),
      listeners: Type.Integer({ description: 'ports the VM listens on now' }),
      forwards: Type.Integer({ description: 'vm/forward ports open now' }),
      bytesIn: Type.Integer({ description: 'bytes received from the world' }),
      bytesOut: Type.Integer({ description: 'bytes sent to the world' }),
      dnsLookups: Type.Integer({ description: 'lookups sent to the daemon\'s resolver' }),
      denied: Type.Integer({ description: 'network operations the policy refused' }),
    }),
  }),
  'What one VM holds and has used.',
);
