import { ResponseError } from 'vscode-jsonrpc/node';
import type { ErrorCode, ErrorData } from '../../protocol/errors.js';

/**
 * Codes the client itself gives, never sent by the sidecar (so they are not in
 * protocol/errors.ts, whose codes are the wire's).
 */
export const ClientErrorCodes = {
  /** The sidecar is gone (exited, killed, closed by close(), or its pipes failed): the call got no answer. */
  ERR_AGENTOS_CONNECTION_CLOSED: 'the sidecar connection is closed; the call got no answer',
  /** An answer that carries no code of ours (a JSON-RPC error from the transport itself). */
  ERR_AGENTOS_RPC: 'a JSON-RPC error without an agentOS code',
} as const;

export type ClientErrorCode = keyof typeof ClientErrorCodes;

/** A failed call: the sidecar's stable code (from `error.data.code`) or one of the client's. */
export class SidecarError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode | ClientErrorCode,
    readonly data: Partial<ErrorData> = {},
    /** The JSON-RPC error code when the sidecar answered; undefined for the client's own errors. */
    readonly rpcCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SidecarError';
  }
}

/**
 * Every call that was pending when the sidecar went away, and every call made after, fails
 * with this: `reason` says how it went (exit code or signal, a pipe error, close()).
 */
export class ConnectionClosedError extends SidecarError {
  declare readonly code: 'ERR_AGENTOS_CONNECTION_CLOSED';

  constructor(
    readonly method: string,
    readonly reason: string,
  ) {
    super(`${method} failed: ${reason}`, 'ERR_AGENTOS_CONNECTION_CLOSED');
    this.name = 'ConnectionClosedError';
  }
}

/**
 * A call cancelled by its AbortSignal (the client sent `$/cancelRequest` and stopped
 * waiting), or one the sidecar reports cancelled. `cause` is the signal's reason.
 */
export class RequestCancelledError extends SidecarError {
  declare readonly code: 'ERR_AGENTOS_CANCELLED';

  constructor(
    readonly method: string,
    options: { cause?: unknown; data?: Partial<ErrorData>; rpcCode?: number; message?: string } = {},
  ) {
    super(options.message ?? `${method} was cancelled`, 'ERR_AGENTOS_CANCELLED', options.data, options.rpcCode, { cause: options.cause });
    this.name = 'RequestCancelledError';
  }
}

/**
 * vscode-jsonrpc's own failures (it could not write, or it was disposed with the call
 * pending): not answers from the sidecar, so they mean the connection is gone.
 */
const TRANSPORT_CODES = new Set([-32099, -32098, -32097, -32096]);

/** An answer's error as ours, or undefined when the failure is the transport's. */
export function fromResponseError(method: string, err: unknown): SidecarError | undefined {
  if (!(err instanceof ResponseError) || TRANSPORT_CODES.has(err.code)) return undefined;
  const data = (err.data ?? {}) as Partial<ErrorData>;
  if (data.code === 'ERR_AGENTOS_CANCELLED') return new RequestCancelledError(method, { data, rpcCode: err.code, message: err.message });
  return new SidecarError(err.message, data.code ?? 'ERR_AGENTOS_RPC', data, err.code);
}
