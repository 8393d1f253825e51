import { Type } from '@sinclair/typebox';
import { Empty, notification, request, strictObject } from './method.js';

export const LimitRow = strictObject({
  name: Type.String(),
  value: Type.Number(),
  unit: Type.String(),
  scope: Type.String(),
  env: Type.String(),
  source: Type.String({ description: '"default" or the environment variable the value came from' }),
  min: Type.Number({ description: 'the smallest value the variable (or a per-VM override) may set' }),
  max: Type.Number({ description: 'the largest value the variable (or a per-VM override) may set' }),
});

export const Initialize = request(
  'initialize',
  strictObject({
    protocolVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'the protocol version the host speaks; default the sidecar\'s own' })),
    clientInfo: Type.Optional(strictObject({ name: Type.String({ maxLength: 256 }), version: Type.Optional(Type.String({ maxLength: 64 })) })),
  }),
  strictObject({
    protocolVersion: Type.String(),
    serverInfo: strictObject({ name: Type.String(), version: Type.String() }),
    capabilities: strictObject({
      commands: Type.Array(Type.String(), { description: 'command names process/exec accepts' }),
      guestModules: Type.Array(Type.String(), { description: 'builtin modules guest JS can require' }),
    }),
    limits: Type.Array(LimitRow),
  }),
  'Handshake. Must be the first request; every other request before it fails with ERR_AGENTOS_NOT_INITIALIZED. Params may be omitted, as in LSP.',
);

export const Shutdown = request(
  'shutdown',
  Empty,
  Type.Null(),
  'Dispose every VM; the sidecar then takes no new work. Follow with `exit`. Params may be omitted (or null), as in LSP; before `initialize` it fails with ERR_AGENTOS_NOT_INITIALIZED.',
);

export const Exit = notification('exit', Empty, 'Exit the process: code 0 after `shutdown`, 1 without. Params may be omitted, as in LSP.');
