import { Type } from '@sinclair/typebox';
import { VmId, request, strictObject } from './method.js';

const CommandName = Type.String({ pattern: '^[A-Za-z0-9_.+-]+$', maxLength: 128, description: 'the name `process/exec` runs it by' });

export const WasmRegister = request(
  'wasm/register',
  strictObject({
    name: CommandName,
    vmId: Type.Optional(VmId),
    data: Type.Optional(Type.String({ description: 'the module, base64' })),
    path: Type.Optional(Type.String({ minLength: 1, description: 'a module file in the VM filesystem (needs vmId)' })),
  }),
  strictObject({ name: Type.String(), hash: Type.String(), size: Type.Integer(), scope: Type.Union([Type.Literal('vm'), Type.Literal('sidecar')]) }),
  'Register a WASI command: for one VM with `vmId`, for every VM without. Give `data` or `path` (exactly one).',
);

export const WasmWarmup = request(
  'wasm/warmup',
  strictObject({
    name: CommandName,
    vmId: Type.Optional(VmId),
    workDoneToken: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'report $/progress (begin, end) under this token while compiling' })),
  }),
  strictObject({ hash: Type.String(), compileMs: Type.Number(), cached: Type.Boolean() }),
  'Compile a command ahead of its first run (a second run never compiles again). With `workDoneToken`, a compile reports `$/progress` begin and end.',
);
