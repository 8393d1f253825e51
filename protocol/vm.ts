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
  },
  'Per-VM overrides; omitted fields take the sidecar-wide value',
);

export const VmPermissions = strictObject({
  fs: Type.Optional(
    Type.Union([Type.Literal('read-write'), Type.Literal('read-only'), Type.Literal('none')], {
      description: "guest access to the VM filesystem (default read-write); host fs/* calls are not restricted",
    }),
  ),
});

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
  }),
  'What one VM holds and has used.',
);
