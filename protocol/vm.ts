import { Type } from '@sinclair/typebox';
import { Empty, VmId, encodingOf, notification, request, strictObject } from './method.js';

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

/** What a scope, or a rule of it, does: let the guest, refuse it, or ask the host (permission/request). */
export const PermissionMode = Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('ask')]);

/** The operations each scope knows; a rule without `operations` covers them all. */
export const PERMISSION_OPERATIONS = {
  fs: ['read', 'write', 'create', 'delete', 'rename', 'link', 'truncate', 'chmod', 'chown', 'utimes', 'xattr'],
  network: ['connect', 'listen', 'dns'],
  childProcess: ['spawn'],
  env: ['read'],
  hostFunction: ['call'],
} as const;
export type PermissionScope = keyof typeof PERMISSION_OPERATIONS;

const MAX_RULES = 256;
const MAX_TARGETS = 256;
const PATTERN = Type.String({ minLength: 1, maxLength: 4096 });

const operationsOf = (scope: PermissionScope) =>
  Type.Optional(Type.Array(Type.Union(PERMISSION_OPERATIONS[scope].map((op) => Type.Literal(op))), { minItems: 1, uniqueItems: true, description: 'omitted: every operation of the scope' }));
const targetsOf = (what: string) => Type.Optional(Type.Array(PATTERN, { minItems: 1, maxItems: MAX_TARGETS, description: `${what}; omitted: every target` }));

/** One scope's rule set: its default, and rules; how they combine is in protocol/README.md. */
function ruleSet(scope: PermissionScope, what: string) {
  const rule = scope === 'fs'
    ? strictObject({ mode: PermissionMode, operations: operationsOf(scope), paths: targetsOf(what) })
    : strictObject({ mode: PermissionMode, operations: operationsOf(scope), patterns: targetsOf(what) });
  return strictObject({ default: PermissionMode, rules: Type.Array(rule, { maxItems: MAX_RULES }) });
}

const scope = (scopeName: PermissionScope, what: string, description: string) =>
  Type.Optional(Type.Union([PermissionMode, ruleSet(scopeName, what)], { description }));

export const VmPermissions = strictObject({
  fs: Type.Optional(
    Type.Union([Type.Literal('read-write'), Type.Literal('read-only'), Type.Literal('none'), PermissionMode, ruleSet('fs', 'absolute path globs (`*` within a segment, `**` any segments, `?` one character)')], {
      description: "guest access to the VM filesystem (default read-write); host fs/* calls are not restricted",
    }),
  ),
  network: scope('network', '`host:port` patterns', 'guest connections, listeners and lookups (default: deny outside the VM)'),
  childProcess: scope('childProcess', 'command names (`ls`, `py*`) or absolute path globs (`/usr/bin/*`)', 'which programs guest processes may start (default allow)'),
  env: scope('env', 'variable names or globs (`AWS_*`)', 'which environment variables guest processes see (default allow)'),
  hostFunction: scope('hostFunction', 'binding names or globs', 'which declared bindings guest JS may call (default allow)'),
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
    snapshot: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'start from this held snapshot (vm/snapshot, snapshot/import): its files and configuration; no other field may be given with it' })),
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
  'Create a VM: an in-memory filesystem (seeded from `files`), an environment, limits and permissions; or, with `snapshot`, a copy-on-write copy of a snapshot.',
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

const PermissionCounts = strictObject({
  allowed: Type.Integer(),
  denied: Type.Integer(),
  asked: Type.Integer({ description: 'permission/request sent to the host (each answer counts as allowed or denied too)' }),
});

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
    permissions: strictObject(
      Object.fromEntries(Object.keys(PERMISSION_OPERATIONS).map((s) => [s, PermissionCounts])) as Record<PermissionScope, typeof PermissionCounts>,
      "decisions of the VM's permission policy, per scope",
    ),
    network: strictObject({
      connections: Type.Integer({ description: 'connections open now (world and loopback)' }),
      connectionsOpened: Type.Integer({ description: 'connections opened over the VM\'s life' }),
      listeners: Type.Integer({ description: 'ports the VM listens on now' }),
      forwards: Type.Integer({ description: 'vm/forward ports open now' }),
      bytesIn: Type.Integer({ description: 'bytes received from the world' }),
      bytesOut: Type.Integer({ description: 'bytes sent to the world' }),
      dnsLookups: Type.Integer({ description: 'lookups sent to the daemon\'s resolver' }),
      denied: Type.Integer({ description: 'network operations the policy refused' }),
      udpSockets: Type.Integer({ description: 'UDP sockets bound now (AGENTOS_NET_UDP_SOCKETS_PER_VM)' }),
    }),
  }),
  'What one VM holds and has used.',
);

const GuestPort = Type.Integer({ minimum: 1, maximum: 65_535, description: 'a port a guest process of the VM listens on' });

export const VmFetch = request(
  'vm/fetch',
  strictObject({
    vmId: VmId,
    port: GuestPort,
    method: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z]+$', description: 'default GET' })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 8192, pattern: '^/', description: 'default /' })),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 65_536 }))),
    body: Type.Optional(Type.String()),
    bodyEncoding: encodingOf('`body`', 'utf8'),
    fetchId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'names the vm/fetchBody notifications of a body larger than one chunk' })),
  }),
  strictObject({
    status: Type.Integer(),
    statusText: Type.String(),
    headers: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])),
    body: Type.String({ description: 'the whole body (base64) when it fits one chunk; empty when it came as vm/fetchBody notifications' }),
    encoding: Type.Literal('base64'),
    bodyBytes: Type.Integer(),
    chunks: Type.Integer({ description: 'vm/fetchBody notifications sent before this answer (0: the body is here)' }),
  }),
  "An HTTP request to a guest server listening on the VM's loopback, made by the daemon (no host socket); a body larger than 64 KiB arrives first as vm/fetchBody notifications, in order.",
);

export const VmFetchBody = notification(
  'vm/fetchBody',
  strictObject({ vmId: VmId, fetchId: Type.String(), data: Type.String(), encoding: Type.Literal('base64') }),
  'Sidecar → host: one chunk of a vm/fetch response body, in order, before the vm/fetch answer.',
);

export const VmForward = request(
  'vm/forward',
  strictObject({ vmId: VmId, port: GuestPort }),
  strictObject({ hostPort: Type.Integer() }),
  "A TCP port on the host's 127.0.0.1 that proxies each connection to the guest listener on `port` (a preview for a browser); closed by vm/forwardClose or with the VM.",
);

export const VmForwardClose = request(
  'vm/forwardClose',
  strictObject({ vmId: VmId, hostPort: Type.Integer({ minimum: 1, maximum: 65_535 }) }),
  strictObject({ closed: Type.Boolean() }),
  'Closes a vm/forward port and the connections through it.',
);
