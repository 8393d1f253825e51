import { Type } from '@sinclair/typebox';
import { VmId, request, strictObject } from './method.js';

/**
 * Sidecar → host: a guest called a binding the host declared at vm/create. The guest
 * waits for the answer; an error answer becomes an Error in the guest with the host's
 * message and `data.code` (or the JSON-RPC code) as its `code`.
 */
export const HostCall = request(
  'host/call',
  strictObject({ vmId: VmId, pid: Type.Integer(), binding: Type.String(), args: Type.Array(Type.Unknown()) }),
  Type.Unknown(),
  'Sidecar → host: call a host binding on behalf of a guest.',
);

/**
 * Sidecar → host: a guest did something a VM's policy says to ask about (mode `ask`). The
 * guest waits for the answer, at most AGENTOS_PERMISSION_ASK_TIMEOUT_MS; no answer, an
 * error answer or one not of this shape is a denial. `remember: true` keeps the answer for
 * this scope, operation and target for the VM's life (no more requests for it).
 */
export const PermissionRequest = request(
  'permission/request',
  strictObject({
    vmId: VmId,
    pid: Type.Integer({ description: 'the guest process that asks' }),
    scope: Type.Union([Type.Literal('fs'), Type.Literal('network'), Type.Literal('childProcess'), Type.Literal('env'), Type.Literal('hostFunction')]),
    operation: Type.String({ description: 'one of the scope\'s operations (protocol/vm.ts PERMISSION_OPERATIONS)' }),
    target: Type.String({ description: 'a path (fs), host:port (network), a command as the guest named it (childProcess), a variable name (env), a binding name (hostFunction)' }),
  }),
  strictObject({ allow: Type.Boolean(), remember: Type.Optional(Type.Boolean()) }),
  'Sidecar → host: may the guest do this? Asked when a permission rule\'s mode is `ask`.',
);
