/**
 * The jail of a WASM process: the directories its preopens give it. Every path the
 * process or its children name (host_fs, spawn file actions, chdir, exec) is a path of
 * the guest's namespace and resolves through the preopen whose name is its longest
 * prefix, as wasi-libc picks one; a path no preopen covers is ENOTCAPABLE. Shared by the
 * runner and the daemon, which resolve the same way.
 */
import type { Preopen } from './contract.js';
import { normalize } from '../../fs/normalize.js';

export interface Jailed {
  /** The VM path the guest path stands for. */
  vmPath: string;
  /** The preopen's VM directory: resolution (symlinks, ..) stays beneath it. */
  root: string;
}


function within(path: string, dir: string): string | undefined {
  if (dir === '/') return path;
  if (path === dir) return '/';
  return path.startsWith(`${dir}/`) ? path.slice(dir.length) : undefined;
}

/** The VM path an absolute guest path names; undefined: no preopen covers it (ENOTCAPABLE). */
export function jailPath(preopens: readonly Preopen[], guestPath: string): Jailed | undefined {
  const path = normalize(guestPath);
  let best: { rest: string; name: string; p: Preopen } | undefined;
  for (const p of preopens) {
    if (!p.name.startsWith('/')) continue;
    const name = normalize(p.name);
    const rest = within(path, name);
    if (rest !== undefined && (!best || name.length > best.name.length)) best = { rest, name, p };
  }
  if (!best) return undefined;
  return { vmPath: normalize(`${best.p.vmPath}/${best.rest}`), root: best.p.vmPath };
}

/** The guest path a VM path inside the jail has (FCHDIR to a directory fd); undefined: outside it. */
export function guestPathOf(preopens: readonly Preopen[], vmPath: string): string | undefined {
  let best: { rest: string; p: Preopen } | undefined;
  for (const p of preopens) {
    if (!p.name.startsWith('/')) continue;
    const rest = within(normalize(vmPath), p.vmPath);
    if (rest !== undefined && (!best || p.vmPath.length > best.p.vmPath.length)) best = { rest, p };
  }
  return best ? normalize(`${best.p.name}/${best.rest}`) : undefined;
}

/** True when `vmPath` lies at or beneath some preopen's directory (a directory fd a child may inherit). */
export function insideJail(preopens: readonly Preopen[], vmPath: string, root: string): boolean {
  return preopens.some((p) => within(root, p.vmPath) !== undefined) && within(normalize(vmPath), root) !== undefined;
}

/**
 * True when the preopens confine nothing: `/` is the VM's `/` and every other absolute
 * preopen names its own directory, so every path means what it means outside the jail.
 */
export function seesWholeVm(preopens: readonly Preopen[]): boolean {
  const absolute = preopens.filter((p) => p.name.startsWith('/'));
  return absolute.some((p) => normalize(p.name) === '/') && absolute.every((p) => normalize(p.name) === normalize(p.vmPath));
}
