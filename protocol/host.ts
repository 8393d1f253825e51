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
