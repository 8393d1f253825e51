import { UV_ERRORS } from './node/uv-errors.js';
import { lazyPath } from './lazy.js';

/**
 * A VM filesystem error made into the one Node's fs throws (its uvException): an Error with
 * errno (libuv's negative number), code, syscall, path and, for the two-path calls, dest, in
 * that order, and the message `CODE: description, syscall 'path' -> 'dest'`. The host names
 * VM-absolute paths; Node names each path as the caller gave it, so the guest puts back the
 * caller's path for the absolute one it made from it.
 */
const UV_NUMBER = new Map(UV_ERRORS.map(([n, name]) => [name, n]));

/** Calls whose error names both paths as Node's do (the source as path, the target as dest). */
const TWO_PATH_SYSCALLS = new Set(['rename', 'link', 'symlink', 'copyfile']);

/** Each path a call was given: [VM-absolute, as the caller wrote it]. */
export type GivenPaths = ReadonlyArray<readonly [string, string]>;

interface HostError extends Error {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  path?: unknown;
}

export function nodeFsError(raw: unknown, given: GivenPaths): unknown {
  const e = raw as HostError;
  if (!(e instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') return raw;
  const shown = (p: unknown) => (typeof p === 'string' ? (given.find(([abs]) => abs === p)?.[1] ?? p) : undefined);
  if (!UV_NUMBER.has(e.code)) {
    // One of Node's own SystemErrors (ERR_FS_EISDIR, ERR_FS_CP_*): its path as given, in the message too.
    if (typeof e.path === 'string') {
      // An entry inside a tree the call was given (cp names the one that failed): joined onto the caller's spelling, as Node's cp joins.
      const under = given.find(([abs]) => (e.path as string).startsWith(abs === '/' ? '/' : `${abs}/`));
      const path = given.some(([abs]) => abs === e.path) || !under ? shown(e.path)! : lazyPath().join(under[1], (e.path as string).slice(under[0].length));
      if (path !== e.path) {
        e.message = e.message.split(e.path).join(path);
        e.path = path;
      }
    }
    return e;
  }
  const { code, syscall } = e;
  const two = TWO_PATH_SYSCALLS.has(syscall) && given[1] !== undefined;
  const path = two ? given[0]![1] : shown(e.path);
  const dest = two ? given[1]![1] : undefined;
  // The host's description (Node's, or one that says which bound was hit), between the code and the syscall.
  const head = `${code}: `;
  const tail = e.message.lastIndexOf(`, ${syscall}`);
  const description = e.message.startsWith(head) && tail > head.length ? e.message.slice(head.length, tail) : UV_ERRORS.find(([, name]) => name === code)![2];
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as Error & Record<string, unknown>;
  err.errno = UV_NUMBER.get(code);
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}
