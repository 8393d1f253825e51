import { Type } from '@sinclair/typebox';
import { Base64OrUtf8, VmId, request, strictObject } from './method.js';
import { ErrorCodes } from './errors.js';

const ErrorCode = Type.Union(Object.keys(ErrorCodes).map((code) => Type.Literal(code)));

export const Usage = strictObject({
  cpuMs: Type.Number(),
  wallMs: Type.Number(),
  heapBytes: Type.Integer({ description: 'V8 heap in use (plus external buffers) when the process ended' }),
});

/** Why a process was stopped by the sidecar rather than ending on its own. */
export const LimitError = strictObject({
  code: ErrorCode,
  message: Type.String(),
  limit: Type.Optional(Type.String()),
  capacity: Type.Optional(Type.Number()),
  observed: Type.Optional(Type.Number()),
  env: Type.Optional(Type.String()),
});

export const ExecParams = strictObject({
  vmId: VmId,
  command: Type.String({ minLength: 1, maxLength: 4096 }),
  args: Type.Optional(Type.Array(Type.String())),
  stdin: Type.Optional(Type.String()),
  stdinEncoding: Type.Optional(Base64OrUtf8),
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  cwd: Type.Optional(Type.String({ minLength: 1 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'wall-clock budget; default the VM\'s wallTimeLimitMs' })),
  outputEncoding: Type.Optional(Base64OrUtf8),
});

export const ExecResult = strictObject({
  pid: Type.Integer(),
  exitCode: Type.Integer(),
  signal: Type.Optional(Type.String()),
  stdout: Type.String(),
  stderr: Type.String(),
  encoding: Base64OrUtf8,
  truncated: Type.Boolean({ description: 'output went past outputLimitBytes and the rest was dropped' }),
  error: Type.Optional(LimitError),
  usage: Usage,
});

export const ProcessExec = request(
  'process/exec',
  ExecParams,
  ExecResult,
  'Run a command to completion and return its output. `node` runs guest JavaScript (`-e CODE`, `-p CODE` or a script path in the VM fs).',
);
