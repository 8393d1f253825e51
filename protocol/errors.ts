/**
 * Every failure that reaches a host carries one of these stable string codes in
 * `error.data.code`. Where JSON-RPC (or LSP) reserves a code for the same meaning
 * (-32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
 * params, -32603 internal error, LSP's -32002 server not initialized and -32800 request
 * cancelled) the numeric code is that one, so generic JSON-RPC hosts understand it; every
 * other code sits outside the reserved range (-32768..-32000).
 * `test/errors.test.ts` pins this table against the README's.
 */
export const ErrorCodes = {
  ERR_AGENTOS_PARSE_ERROR: { rpc: -32700, summary: 'a frame\'s body is not valid JSON (answered with id null; the sidecar reads on)' },
  ERR_AGENTOS_INVALID_REQUEST: { rpc: -32600, summary: 'a frame holds JSON that is not a JSON-RPC 2.0 message (answered with id null; the sidecar reads on)' },
  ERR_AGENTOS_FRAME_TOO_LARGE: { rpc: -32600, summary: 'a frame\'s Content-Length is past AGENTOS_MAX_FRAME_BYTES: its body is skipped unread and it is answered with its id when its first bytes hold one (else id null); the sidecar reads on' },
  ERR_AGENTOS_DUPLICATE_REQUEST_ID: { rpc: -32600, summary: 'a request reuses the id of a request not answered yet: refused with that id, not run; the earlier one goes on' },
  ERR_AGENTOS_NOT_INITIALIZED: { rpc: -32002, summary: 'a request (`shutdown` too) arrived before `initialize`' },
  ERR_AGENTOS_ALREADY_INITIALIZED: { rpc: 1002, summary: '`initialize` was sent twice' },
  ERR_AGENTOS_PROTOCOL_VERSION: { rpc: 1003, summary: 'the host speaks a protocol major version the sidecar does not' },
  ERR_AGENTOS_SHUTTING_DOWN: { rpc: 1004, summary: 'the sidecar is shutting down and takes no new work' },
  ERR_AGENTOS_METHOD_NOT_FOUND: { rpc: -32601, summary: 'no such method' },
  ERR_AGENTOS_INVALID_PARAMS: { rpc: -32602, summary: 'params failed validation (or nest deeper than AGENTOS_MAX_PARAMS_DEPTH); `data.field` names the offending field' },
  ERR_AGENTOS_INTERNAL: { rpc: -32603, summary: 'a bug in the sidecar; the message and the log say where' },
  ERR_AGENTOS_CANCELLED: { rpc: -32800, summary: 'the host cancelled the request' },

  ERR_AGENTOS_VM_NOT_FOUND: { rpc: 1101, summary: 'no VM with that id was ever created' },
  ERR_AGENTOS_VM_DISPOSED: { rpc: 1102, summary: 'the VM existed but has been disposed' },
  ERR_AGENTOS_VM_LIMIT: { rpc: 1103, summary: 'the sidecar holds its maximum number of VMs' },

  ERR_AGENTOS_INVALID_PATH: { rpc: 1201, summary: 'a path is empty, holds NUL, is too long, or leaves the VM root' },
  ERR_AGENTOS_FS_NOT_FOUND: { rpc: 1202, summary: 'no such file or directory (ENOENT)' },
  ERR_AGENTOS_FS_EXISTS: { rpc: 1203, summary: 'the path already exists (EEXIST)' },
  ERR_AGENTOS_FS_NOT_DIRECTORY: { rpc: 1204, summary: 'a path component is not a directory (ENOTDIR)' },
  ERR_AGENTOS_FS_IS_DIRECTORY: { rpc: 1205, summary: 'the path is a directory (EISDIR)' },
  ERR_AGENTOS_FS_NOT_EMPTY: { rpc: 1206, summary: 'the directory is not empty (ENOTEMPTY)' },
  ERR_AGENTOS_FS_QUOTA: { rpc: 1207, summary: 'the VM filesystem byte or inode quota is exhausted (ENOSPC)' },
  ERR_AGENTOS_FS_LOOP: { rpc: 1208, summary: 'too many symbolic links (ELOOP)' },
  ERR_AGENTOS_FS_ERROR: { rpc: 1209, summary: 'another filesystem error; `data.errno` names it' },
  ERR_AGENTOS_PERMISSION_DENIED: { rpc: 1210, summary: "the VM's permissions forbid the operation" },
  ERR_AGENTOS_PERMISSION_ASK_TIMEOUT: { rpc: 1211, summary: 'the host did not answer a permission/request in time (AGENTOS_PERMISSION_ASK_TIMEOUT_MS): the guest was denied' },

  ERR_AGENTOS_COMMAND_NOT_FOUND: { rpc: 1301, summary: 'no command by that name in the VM' },
  ERR_AGENTOS_PROCESS_NOT_FOUND: { rpc: 1302, summary: 'no running process with that pid in the VM' },
  ERR_AGENTOS_PROCESS_LIMIT: { rpc: 1303, summary: 'the VM runs its maximum number of processes' },
  ERR_AGENTOS_SIDECAR_PROCESS_LIMIT: { rpc: 1313, summary: 'the sidecar runs its maximum number of processes across all VMs (a spawning guest sees EAGAIN)' },
  ERR_AGENTOS_HEAP_LIMIT: { rpc: 1304, summary: "a guest isolate exhausted its V8 heap budget" },
  ERR_AGENTOS_CPU_TIME_LIMIT: { rpc: 1305, summary: 'a guest exhausted its CPU-time budget' },
  ERR_AGENTOS_TIMEOUT: { rpc: 1306, summary: 'a guest exceeded its wall-clock budget' },
  ERR_AGENTOS_OUTPUT_LIMIT: { rpc: 1307, summary: 'a process wrote more output than its captured-output budget' },
  ERR_AGENTOS_TIMER_LIMIT: { rpc: 1309, summary: 'a guest held more live timers than its budget' },
  ERR_AGENTOS_HOST_CALL_LIMIT: { rpc: 1310, summary: 'a VM has its maximum of host calls in flight' },
  ERR_AGENTOS_HOST_CALL_TIMEOUT: { rpc: 1311, summary: 'the host did not answer a host/call in time' },
  ERR_AGENTOS_TEXT_DECODER_LIMIT: { rpc: 1331, summary: 'a guest process had more TextDecoders streaming at once than its budget (TEXT_DECODERS_PER_PROCESS)' },
  ERR_AGENTOS_STDIN_CLOSED: { rpc: 1312, summary: "the process's stdin is closed, or its buffer is full" },
  ERR_AGENTOS_WASM_COMPILE: { rpc: 1401, summary: 'a WebAssembly module failed to decode or compile; the message is the engine\'s' },
  ERR_AGENTOS_WASM_MEMORY_LIMIT: { rpc: 1402, summary: 'a module declares more linear memory or table entries than its caps, or the WASM processes of a VM (or of the sidecar) together passed their memory budget (linear memory and tables)' },
  ERR_AGENTOS_WASM_MODULE_LIMIT: { rpc: 1407, summary: 'a module is larger than AGENTOS_WASM_MODULE_MAX_BYTES, declares more sections or section entries than the inventory allows, or has a function past the inventory bounds on body size, locals, control nesting or br_table entries; refused before V8 compiles it' },
  ERR_AGENTOS_WASM_RUNNER_HEAP_LIMIT: { rpc: 1403, summary: 'a WASM runner isolate exhausted its V8 heap ceiling' },
  ERR_AGENTOS_WASM_FUEL: { rpc: 1405, summary: 'a WebAssembly program spent its fuel budget' },
  ERR_AGENTOS_WASM_STACK_LIMIT: { rpc: 1406, summary: 'a WebAssembly program nested calls deeper than its bound' },
  ERR_AGENTOS_WASM_TRAP: { rpc: 1404, summary: 'a WebAssembly program trapped (unreachable, out-of-bounds access, stack overflow, …)' },
  ERR_AGENTOS_ARGS_LIMIT: { rpc: 1308, summary: 'argv, env or stdin is larger than its budget' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** What travels in a JSON-RPC error's `data`. */
export interface ErrorData {
  code: ErrorCode;
  /** The offending params field, as a JSON pointer (`/limits/heapLimitMb`). */
  field?: string;
  /** For filesystem errors: the POSIX errno name and the VM path. */
  errno?: string;
  path?: string;
  /** For limit errors: which limit, its capacity, what was observed, and what raises it. */
  limit?: string;
  capacity?: number;
  observed?: number;
  env?: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}
