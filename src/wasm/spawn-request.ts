/**
 * What a runner hands the daemon to start a process (proc_spawn) or a new image
 * (proc_exec), checked field by field as untrusted input: the runner is our code, but
 * every value in it came from guest memory. A malformed field is EINVAL; argv, env and
 * file actions past their bounds are E2BIG (as execve and posix_spawn say); an fd that is
 * not the process's own is EBADF. The checked copy holds only what was checked.
 */
import { FsError } from '../fs/errors.js';
import type { PipeTable } from '../process/pipes.js';
import type { CommandSockets } from '../net/command-sockets.js';
import type { FdSpec, Preopen, RunnerLimits } from './runner/contract.js';
import { insideJail } from './runner/jail.js';
import type { SpawnRequest } from './process-calls.js';

const FD_KINDS: ReadonlySet<string> = new Set(['stdin', 'stdout', 'stderr', 'dir', 'file', 'pipe', 'socket', 'null', 'zero', 'random']);
/** posix_spawn flags the command ABI defines (POSIX_SPAWN_* up to SETSID). */
const SPAWN_FLAGS = 0xff;
const RIGHTS = /^\d{1,20}$/;
const U32 = 0xffffffff;
/** The largest non-negative i32: fd numbers and process groups are ints in the ABI. */
const I32_POSITIVE = 0x7fffffff;

export interface RequestBounds extends Pick<RunnerLimits, 'pathMax' | 'argvMaxBytes' | 'envMaxBytes' | 'actionsMaxBytes' | 'maxOpenFiles'> {
  /** The jail: every directory fd handed on must lie inside it. */
  preopens: readonly Preopen[];
  pipes: PipeTable;
  sockets: CommandSockets;
  /** A bound was hit (for the "bounded limit exhausted" line). */
  onLimit(limit: 'argv_limit_bytes' | 'env_limit_bytes', observed: number, capacity: number): void;
}

function invalid(what: string): never {
  throw new FsError('EINVAL', 'posix_spawn', undefined, `invalid spawn request: ${what}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalid(`${what} is not an integer in [${min}, ${max}]`);
  return value;
}

export function path(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') invalid(`${what} is not a string`);
  if (Buffer.byteLength(value) > max) throw new FsError('ENAMETOOLONG', 'posix_spawn', undefined, `${what} is longer than ${max} bytes`);
  if (value.includes('\0')) invalid(`${what} holds a NUL byte`);
  return value;
}

function pair(value: unknown, what: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) invalid(`${what} is not a pair of words`);
  return [int(value[0], what, 0, U32), int(value[1], what, 0, U32)];
}

/** argv or envp: strings, their bytes (with each NUL) within `max`; past it E2BIG. */
export function stringList(value: unknown, what: 'argv' | 'env', max: number, onLimit: RequestBounds['onLimit']): string[] {
  if (!Array.isArray(value)) invalid(`${what} is not a list`);
  let bytes = 0;
  for (const item of value) {
    if (typeof item !== 'string') invalid(`${what} holds a non-string`);
    bytes += Buffer.byteLength(item) + 1;
    if (bytes > max) {
      onLimit(what === 'argv' ? 'argv_limit_bytes' : 'env_limit_bytes', bytes, max);
      throw new FsError('E2BIG', 'posix_spawn', undefined, `the ${what} takes more than ${max} bytes (AGENTOS_${what === 'argv' ? 'ARGV' : 'ENV'}_LIMIT_BYTES)`);
    }
  }
  return [...(value as string[])];
}

/** The fd table a runner hands over: numbers, kinds, paths inside the jail, pipes of this VM. */
export function fdTable(value: unknown, b: RequestBounds): FdSpec[] {
  // The table may hold up to maxOpenFiles fds plus the preopens in the hidden range.
  if (!Array.isArray(value) || value.length > b.maxOpenFiles + b.preopens.length) invalid('fds is not a list of at most the open-files limit');
  const seen = new Set<number>();
  return value.map((raw, i) => {
    const f = record(raw, `fds[${i}]`);
    const fd = int(f.fd, 'fd', 0, I32_POSITIVE);
    if (seen.has(fd)) invalid(`fd ${fd} appears twice`);
    seen.add(fd);
    if (typeof f.kind !== 'string' || !FD_KINDS.has(f.kind)) invalid(`fd ${fd} has an unknown kind`);
    const kind = f.kind as FdSpec['kind'];
    if (typeof f.rights !== 'string' || !RIGHTS.test(f.rights) || typeof f.inheriting !== 'string' || !RIGHTS.test(f.inheriting)) invalid(`fd ${fd} has malformed rights`);
    const spec: FdSpec = {
      fd, kind, vmPath: path(f.vmPath, 'vmPath', b.pathMax), root: path(f.root, 'root', b.pathMax),
      rights: f.rights, inheriting: f.inheriting, fdflags: int(f.fdflags, 'fdflags', 0, 0xffff),
    };
    if (f.preopen !== undefined) spec.preopen = path(f.preopen, 'preopen', b.pathMax);
    if (f.cloexec !== undefined) {
      if (typeof f.cloexec !== 'boolean') invalid('cloexec is not a boolean');
      spec.cloexec = f.cloexec;
    }
    if (kind === 'file') spec.hostFd = int(f.hostFd, 'hostFd', 0, I32_POSITIVE);
    if (kind === 'dir' && !insideJail(b.preopens, spec.vmPath, spec.root)) throw new FsError('ENOTCAPABLE', 'posix_spawn', spec.vmPath, `directory fd ${fd} lies outside the process's preopens`);
    if (kind === 'pipe') {
      const p = record(f.pipe, 'pipe');
      const id = int(p.id, 'pipe id', 1, Number.MAX_SAFE_INTEGER);
      if (p.end !== 'r' && p.end !== 'w') invalid('pipe end is neither r nor w');
      // The ring comes from the VM's own table, never from the request.
      const buffer = b.pipes.buffer(id);
      if (!buffer) throw new FsError('EBADF', 'posix_spawn', undefined, `pipe ${id} does not exist`);
      spec.pipe = { id, end: p.end, buffer };
    }
    if (kind === 'socket') {
      const id = int(record(f.socket, 'socket').id, 'socket id', 1, Number.MAX_SAFE_INTEGER);
      // Its shared memory and kind come from the VM's own table, never from the request.
      const known = b.sockets.spec(id);
      if (!known) throw new FsError('EBADF', 'posix_spawn', undefined, `socket ${id} does not exist`);
      spec.socket = known;
    }
    return spec;
  });
}

/** A spawn request (proc_spawn_v3/v4, runner/host-process.ts), checked. */
export function checkSpawnRequest(raw: unknown, b: RequestBounds): SpawnRequest {
  const r = record(raw, 'the request');
  if (!(r.actions instanceof Uint8Array)) invalid('actions is not bytes');
  if (r.actions.byteLength > b.actionsMaxBytes) throw new FsError('E2BIG', 'posix_spawn', undefined, `file actions take ${r.actions.byteLength} bytes; the limit is ${b.actionsMaxBytes} (AGENTOS_SPAWN_ACTIONS_MAX_BYTES)`);
  const flags = int(r.flags, 'flags', 0, U32);
  if ((flags & ~SPAWN_FLAGS) !== 0) invalid('unknown flags');
  return {
    path: path(r.path, 'path', b.pathMax),
    searchPath: r.searchPath === null ? null : path(r.searchPath, 'the search PATH', b.envMaxBytes),
    argv: stringList(r.argv, 'argv', b.argvMaxBytes, b.onLimit),
    env: stringList(r.env, 'env', b.envMaxBytes, b.onLimit),
    cwd: path(r.cwd, 'cwd', b.pathMax),
    actions: new Uint8Array(r.actions),
    fds: fdTable(r.fds, b),
    flags,
    sigdef: pair(r.sigdef, 'sigdef'),
    sigmask: pair(r.sigmask, 'sigmask'),
    ignored: pair(r.ignored, 'ignored'),
    pgroup: int(r.pgroup, 'pgroup', 0, I32_POSITIVE),
    umask: int(r.umask, 'umask', 0, 0o777),
  };
}

export interface CheckedExec {
  path: string;
  argv: string[];
  env: string[] | null;
  fds: FdSpec[];
  blocked: [number, number];
  ignored: [number, number];
  umask: number;
}

/** A proc_exec image as the runner hands it back (RunnerResult.exec), checked. */
export function checkExec(raw: unknown, b: RequestBounds): CheckedExec {
  const r = record(raw, 'the exec');
  return {
    path: path(r.path, 'path', b.pathMax),
    argv: stringList(r.argv, 'argv', b.argvMaxBytes, b.onLimit),
    env: r.env === null ? null : stringList(r.env, 'env', b.envMaxBytes, b.onLimit),
    fds: fdTable(r.fds, b),
    blocked: pair(r.blocked, 'blocked'),
    ignored: pair(r.ignored, 'ignored'),
    umask: int(r.umask, 'umask', 0, 0o777),
  };
}
