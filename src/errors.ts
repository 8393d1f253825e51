import { ErrorCodes, type ErrorCode, type ErrorData } from '../protocol/errors.js';
import { FsError, type Errno } from './fs/errors.js';
import { INVENTORY, type LimitName } from './limits/inventory.js';

/** A failure with a stable code, on its way to the host as a JSON-RPC error. */
export class AgentosError extends Error {
  readonly data: ErrorData;
  constructor(code: ErrorCode, message: string, data: Omit<ErrorData, 'code'> = {}) {
    super(message);
    this.name = 'AgentosError';
    this.data = { code, ...data };
  }
  get code(): ErrorCode {
    return this.data.code;
  }
  get rpcCode(): number {
    return ErrorCodes[this.data.code].rpc;
  }
}

/**
 * A request that carries more than a size limit allows: `what is N bytes; the limit is C
 * (VARIABLE)`, with the limit's name and variable from the inventory in `data`.
 */
export function tooLarge(what: string, observed: number, capacity: number, name: LimitName, field?: string): AgentosError {
  const env = INVENTORY[name].env;
  return new AgentosError('ERR_AGENTOS_ARGS_LIMIT', `${what} is ${observed} bytes; the limit is ${capacity} (${env})`, {
    ...(field ? { field } : {}),
    limit: name.toLowerCase(),
    capacity,
    observed,
    env,
  });
}

const ERRNO_CODES: Partial<Record<Errno, ErrorCode>> = {
  ENOENT: 'ERR_AGENTOS_FS_NOT_FOUND',
  EEXIST: 'ERR_AGENTOS_FS_EXISTS',
  ENOTDIR: 'ERR_AGENTOS_FS_NOT_DIRECTORY',
  EISDIR: 'ERR_AGENTOS_FS_IS_DIRECTORY',
  ENOTEMPTY: 'ERR_AGENTOS_FS_NOT_EMPTY',
  ENOSPC: 'ERR_AGENTOS_FS_QUOTA',
  ELOOP: 'ERR_AGENTOS_FS_LOOP',
  ENAMETOOLONG: 'ERR_AGENTOS_INVALID_PATH',
  EINVAL: 'ERR_AGENTOS_INVALID_PATH',
  EACCES: 'ERR_AGENTOS_PERMISSION_DENIED',
  EROFS: 'ERR_AGENTOS_PERMISSION_DENIED',
  EPERM: 'ERR_AGENTOS_PERMISSION_DENIED',
};

/** Filesystem errors become host errors with the errno kept beside the stable code. */
export function fromFsError(err: FsError): AgentosError {
  return new AgentosError(ERRNO_CODES[err.errno] ?? 'ERR_AGENTOS_FS_ERROR', err.message, {
    errno: err.errno,
    ...(err.path !== undefined ? { path: err.path } : {}),
  });
}

/** Runs `fn`, turning an FsError into an AgentosError. */
export function hostFs<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FsError) throw fromFsError(err);
    throw err;
  }
}
