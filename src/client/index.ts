// The package's root entry (`import { SidecarClient } from 'agentos-sidecar'`): the typed
// client. The protocol's declarations are `agentos-sidecar/protocol`.
export { SidecarClient, SIDECAR_BIN } from './client.js';
export type {
  CallOptions,
  ClientOptions,
  ExecOptions,
  ExecParams,
  ExecResult,
  ExitEvent,
  InitializeParams,
  InitializeResult,
  OutputEvent,
  PermissionAnswer,
  PermissionRequestParams,
  Signal,
  SpawnOptions,
  SpawnParams,
  VmCreateParams,
} from './client.js';
export { ClientErrorCodes, ConnectionClosedError, RequestCancelledError, SidecarError, type ClientErrorCode } from './errors.js';
export { HOST_REQUEST_WRAPPERS, type HostRequestMethod } from './wrappers.js';
export type { ErrorCode, ErrorData } from '../../protocol/errors.js';
