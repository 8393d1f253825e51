import { FsError } from '../fs/errors.js';
import { absolute, normalize } from '../fs/paths.js';
import { statOf, type VirtualFs, type WalkBudget } from '../fs/vfs.js';
import { isWasm, type CommandModule } from './engine.js';
import type { Preopen } from './runner/contract.js';
import { jailPath } from './runner/jail.js';

/** What each registered command's file in /usr/bin holds: the name of the module it stands for. */
const STUB_PREFIX = '#!agentos-command ';

export function commandStub(name: string): Uint8Array {
  return Buffer.from(`${STUB_PREFIX}${name}\n`);
}

/** The JavaScript runtime's name: /usr/bin/node is a stub naming it, as each command's names its module. */
export const NODE_COMMAND = 'node';

/**
 * What runs: a WebAssembly module, or the VM's `node` (a JS process: /usr/bin/node, or a
 * `#!/usr/bin/node` script, or `#!/usr/bin/env node` through env).
 */
export type Program = {
  /** The path that was run (in a jailed process's own namespace). */
  path: string;
  /** argv as the program sees it (a script's interpreter goes first). */
  argv: string[];
} & ({ kind: 'wasm'; module: CommandModule } | { kind: 'node' });

/** Where a lookup happens: the cwd, the PATH to search, and the jail of the process asking. */
export interface LookupWhere {
  cwd: string;
  path: string | null;
  /** The host asked for this file by path: no x bit needed. */
  byHost?: boolean;
  /**
   * The asking process's preopens (runner/jail.ts): every path it names resolves through
   * them. The sidecar's commands are the system's, not files of the jail: `NAME`,
   * `/usr/bin/NAME` and `/bin/NAME` run a registered command even when the jail holds no
   * such file, as a chroot with /usr/bin mounted in would.
   */
  jail?: readonly Preopen[];
  /** Module files larger than this are refused (E2BIG) before they are read. */
  maxModuleBytes?: number;
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
  where: LookupWhere,
): Program {
  if (name === '') throw new FsError('ENOENT', 'execve');
  const files = new JailedFiles(vfs, where.jail, where.maxModuleBytes ?? Infinity);
  try {
    if (!name.includes('/')) {
      const dirs = (where.path ?? '/usr/bin:/bin').split(':');
      // The whole search shares one path-walk bound: a PATH of 50,000 entries under a deep
      // cwd cannot make one spawn walk more than one path may (the search stops: ENOENT).
      const budget: WalkBudget = { left: vfs.bounds.pathWalkMax };
      for (const dir of dirs) {
        const candidate = normalize(absolute(where.cwd, `${dir || '.'}/${name}`));
        if (files.isExecutableFile(candidate, budget)) return load(files, command, candidate, argv, 0);
        if (budget.left < 0) break;
      }
      throw new FsError('ENOENT', 'execve', name);
    }
    return load(files, command, normalize(absolute(where.cwd, name)), argv, where.byHost ? -1 : 0);
  } catch (err) {
    const system = where.jail && err instanceof FsError && (err.errno === 'ENOENT' || err.errno === 'ENOTCAPABLE') ? systemCommand(command, name) : undefined;
    if (system === NODE_COMMAND) return { kind: 'node', path: `/usr/bin/${NODE_COMMAND}`, argv };
    if (system) return { kind: 'wasm', module: system, path: `/usr/bin/${system.name}`, argv };
    throw err;
  }
}

/** A registered command a bare name or /usr/bin/NAME, /bin/NAME stands for. */
function systemCommand(command: (name: string) => CommandModule | undefined, name: string): CommandModule | typeof NODE_COMMAND | undefined {
  const m = /^(?:\/(?:usr\/)?bin\/)?([\w.+-]+)$/.exec(name);
  if (!m) return undefined;
  return m[1] === NODE_COMMAND ? NODE_COMMAND : command(m[1]!);
}

/** The VM filesystem as a (possibly jailed) process sees it: its paths go through its preopens. */
class JailedFiles {
  constructor(
    private readonly vfs: VirtualFs,
    private readonly jail: readonly Preopen[] | undefined,
    readonly maxModuleBytes: number,
  ) {}

  private within<T>(path: string, fn: (vmPath: string) => T): T {
    if (!this.jail) return fn(path);
    const jailed = jailPath(this.jail, path);
    if (!jailed) throw new FsError('ENOTCAPABLE', 'execve', path);
    return jailed.root === '/' ? fn(jailed.vmPath) : this.vfs.confined(jailed.root, () => fn(jailed.vmPath));
  }

  stat(path: string) {
    return this.within(path, (p) => this.vfs.stat(p));
  }

  readFile(path: string): Uint8Array {
    return this.within(path, (p) => this.vfs.readFile(p));
  }

  /** Every probe of one PATH search draws on the same walk `budget`. */
  isExecutableFile(path: string, budget: WalkBudget): boolean {
    try {
      const s = this.within(path, (p) => statOf(this.vfs.lookupFrom(this.vfs.root, p, 'stat', budget)));
      return s.type === 'file' && (s.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  }
}

/** `depth`: 1 inside a script's interpreter (no second level); -1 for the host's own request (any mode). */
function load(files: JailedFiles, command: (name: string) => CommandModule | undefined, path: string, argv: string[], depth: number): Program {
  const s = files.stat(path);
  if (s.type === 'directory' || (depth >= 0 && (s.mode & 0o111) === 0)) throw new FsError('EACCES', 'execve', path);
  // Size first: nothing proportional to a module's size happens before it is known to fit.
  if (s.size > files.maxModuleBytes) throw new FsError('E2BIG', 'execve', path, `${path} is ${s.size} bytes, more than the module limit of ${files.maxModuleBytes} (AGENTOS_WASM_MODULE_MAX_BYTES)`);
  const bytes = files.readFile(path);
  // A view of the file, copied in slices when handed to the prep worker (module-prep.ts):
  // a copy here, on the daemon's thread, stalled it 200 ms for 60 MB. A program that
  // rewrites the file meanwhile gets what it wrote; the module is checked whole anyway.
  if (isWasm(bytes)) return { kind: 'wasm', module: { name: path, bytes, hash: '', source: path }, path, argv };
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.byteLength, 256))).toString('utf8');
  if (head.startsWith(STUB_PREFIX)) {
    const name = head.slice(STUB_PREFIX.length).split('\n')[0]!.trim();
    if (name === NODE_COMMAND) return { kind: 'node', path, argv };
    const module = command(name);
    if (!module) throw new FsError('ENOEXEC', 'execve', path, `${path} names a command this sidecar does not have`);
    return { kind: 'wasm', module, path, argv };
  }
  if (head.startsWith('#!') && depth <= 0) {
    const line = head.slice(2).split('\n')[0]!.trim();
    const space = line.search(/\s/);
    const interpreter = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? '' : line.slice(space).trim();
    if (!interpreter.startsWith('/')) throw new FsError('ENOEXEC', 'execve', path);
    return load(files, command, interpreter, [interpreter, ...(arg ? [arg] : []), path, ...argv.slice(1)], 1);
  }
  throw new FsError('ENOEXEC', 'execve', path);
}
