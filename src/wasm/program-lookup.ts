import { FsError } from '../fs/errors.js';
import { absolute, normalize } from '../fs/paths.js';
import { statOf, type VirtualFs, type WalkBudget } from '../fs/vfs.js';
import { isWasm, type CommandModule } from './engine.js';
import { ModuleCache } from './module-cache.js';

/** What each registered command's file in /usr/bin holds: the name of the module it stands for. */
const STUB_PREFIX = '#!agentos-command ';

export function commandStub(name: string): Uint8Array {
  return Buffer.from(`${STUB_PREFIX}${name}\n`);
}

export interface Program {
  module: CommandModule;
  /** The VM path that was run. */
  path: string;
  /** argv as the program sees it (a script's interpreter goes first). */
  argv: string[];
}

/**
 * What exec'ing a path (or a bare name, searched along PATH) runs, as a kernel would
 * decide: a command stub in /usr/bin names a registered module, a file starting with
 * `\0asm` is a module itself, `#!interpreter` runs that interpreter with the script's
 * path. Missing → ENOENT; not executable → EACCES; anything else → ENOEXEC.
 */
export function lookupProgram(
  vfs: VirtualFs,
  command: (name: string) => CommandModule | undefined,
  name: string,
  argv: string[],
  where: { cwd: string; path: string | null; /** The host asked for this file by path: no x bit needed. */ byHost?: boolean },
): Program {
  if (name === '') throw new FsError('ENOENT', 'execve');
  if (!name.includes('/')) {
    const dirs = (where.path ?? '/usr/bin:/bin').split(':');
    // The whole search shares one path-walk bound: a PATH of 50,000 entries under a deep
    // cwd cannot make one spawn walk more than one path may (the search stops: ENOENT).
    const budget: WalkBudget = { left: vfs.bounds.pathWalkMax };
    for (const dir of dirs) {
      const candidate = normalize(absolute(where.cwd, `${dir || '.'}/${name}`));
      if (isExecutableFile(vfs, candidate, budget)) return load(vfs, command, candidate, argv, 0);
      if (budget.left < 0) break;
    }
    throw new FsError('ENOENT', 'execve', name);
  }
  return load(vfs, command, normalize(absolute(where.cwd, name)), argv, where.byHost ? -1 : 0);
}

function isExecutableFile(vfs: VirtualFs, path: string, budget: WalkBudget): boolean {
  try {
    const s = statOf(vfs.lookupFrom(vfs.root, path, 'stat', budget));
    return s.type === 'file' && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** `depth`: 1 inside a script's interpreter (no second level); -1 for the host's own request (any mode). */
function load(vfs: VirtualFs, command: (name: string) => CommandModule | undefined, path: string, argv: string[], depth: number): Program {
  const s = vfs.stat(path);
  if (s.type === 'directory' || (depth >= 0 && (s.mode & 0o111) === 0)) throw new FsError('EACCES', 'execve', path);
  const bytes = vfs.readFile(path);
  if (isWasm(bytes)) return { module: { name: path, bytes: bytes.slice(), hash: ModuleCache.hash(bytes), source: path }, path, argv };
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.byteLength, 256))).toString('utf8');
  if (head.startsWith(STUB_PREFIX)) {
    const module = command(head.slice(STUB_PREFIX.length).split('\n')[0]!.trim());
    if (!module) throw new FsError('ENOEXEC', 'execve', path, `${path} names a command this sidecar does not have`);
    return { module, path, argv };
  }
  if (head.startsWith('#!') && depth <= 0) {
    const line = head.slice(2).split('\n')[0]!.trim();
    const space = line.search(/\s/);
    const interpreter = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? '' : line.slice(space).trim();
    if (!interpreter.startsWith('/')) throw new FsError('ENOEXEC', 'execve', path);
    return load(vfs, command, interpreter, [interpreter, ...(arg ? [arg] : []), path, ...argv.slice(1)], 1);
  }
  throw new FsError('ENOEXEC', 'execve', path);
}
