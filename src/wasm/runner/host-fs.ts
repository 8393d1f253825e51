import { E, WasiError } from './errno.js';
import { DEVICE_MODE, isDeviceKind } from './contract.js';
import { encodeUtf8 } from './utf8.js';
import type { Fd, HostStat, Wasi } from './wasi.js';

type Fn = (...args: any[]) => number | bigint | void;

/** st_mode of what is not a VM file: pipes (and our captured stdio) are FIFOs; devices are in contract.ts. */
const FIFO_MODE = 0o010600;
/** A terminal: a character device anyone may read and write (the command ABI's value for a stdio tty). */
const TTY_MODE = 0o020666;
/** S_IFSOCK, as Linux reports a socket. */
const SOCKET_MODE = 0o140777;
/** dirfd "relative to the process cwd" (PWD). */
const AT_CWD = -1;
/** The agentOS programs' own name for the cwd as a dirfd (uutils chmod passes it with relative paths). */
const CWD_SLOT = 3;
const UNKNOWN = -1n;
const X_OK = 1;
const W_OK = 2;

/**
 * host_fs: the stat fields preview1 lacks (mode, owner, size, blocks) and chmod/chown/
 * ftruncate/access/statfs and extended attributes, all on the VM filesystem. What the VM
 * fs does not model (device nodes, extents, tmpfiles) answers NOTSUP, as the libc expects
 * of a filesystem without them.
 */
export function hostFsImports(wasi: Wasi, cwd: () => string): Record<string, Fn> {
  /**
   * A path operand (dirfd, ptr, len) as a VM path and the root it resolves beneath.
   * Resolved as openat does: an absolute path ignores dirfd (the libc passes some that
   * way). Absolute and cwd-relative paths are the guest's own namespace: they go through
   * its preopens (jail.ts), so they reach nothing the preopens do not give.
   */
  const at = (dirfd: number, ptr: number, len: number): { vmPath: string; root: string } => {
    const path = wasi.string(ptr, len);
    if (path.includes('\0')) throw new WasiError(E.INVAL);
    if (path.startsWith('/')) return wasi.jail(path);
    const cwdRelative = (dirfd | 0) === AT_CWD || (dirfd === CWD_SLOT && !wasi.fds.has(CWD_SLOT));
    if (!cwdRelative) return wasi.resolve(dirfd, ptr, len);
    return wasi.jail(`${cwd()}/${path}`);
  };
  /** An xattr value: at most one call's worth crosses (E2BIG past it, as past XATTR_SIZE_MAX on Linux). */
  const xattrValue = (ptr: number, size: number): Uint8Array => {
    if (size >>> 0 > wasi.limits.callMaxBytes) throw new WasiError(E.TOOBIG);
    return wasi.bytes(ptr, size).slice();
  };
  const pathStat = (dirfd: number, ptr: number, len: number, follow: number): HostStat => {
    const { vmPath, root } = at(dirfd, ptr, len);
    return wasi.stat(vmPath, follow !== 0, root);
  };
  const fdStat = (fd: Fd): HostStat | null => {
    if (fd.kind === 'file') return wasi.host<HostStat>('fstat', fd.hostFd);
    if (fd.kind === 'dir') return wasi.stat(fd.vmPath, true, fd.root);
    return null;
  };
  const quiet = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WasiError) return fallback;
      throw err;
    }
  };
  const blocks = (s: HostStat) => BigInt(Math.ceil(s.size / 512));
  const notSupported = () => {
    throw new WasiError(E.NOTSUP);
  };
  /** getxattr/listxattr: the real size always; the bytes only into a buffer that holds them (size 0 only asks). */
  const fill = (data: Uint8Array, ptr: number, size: number, retSize: number) => {
    wasi.view().setUint32(retSize, data.byteLength, true);
    if (size === 0) return;
    if (data.byteLength > size) throw new WasiError(E.RANGE);
    wasi.bytes(ptr, data.byteLength).set(data);
  };
  const owner = (s: HostStat, retUid: number, retGid: number) => {
    wasi.view().setUint32(retUid, s.uid, true);
    wasi.view().setUint32(retGid, s.gid, true);
  };

  return {
    set_open_mode(mode) {
      wasi.pendingMode = mode & 0o7777;
    },
    set_open_direct() {},
    open_tmpfile: notSupported,
    fd_mode(n) {
      return quiet(() => {
        const fd = wasi.fd(n);
        if (isDeviceKind(fd.kind)) return DEVICE_MODE;
        if (wasi.isTty(n)) return TTY_MODE;
        if (fd.socket) return SOCKET_MODE;
        return fdStat(fd)?.mode ?? FIFO_MODE;
      }, 0);
    },
    path_mode(dirfd, ptr, len, follow) {
      return quiet(() => pathStat(dirfd, ptr, len, follow).mode, 0);
    },
    fd_size(n) {
      return quiet(() => {
        const s = fdStat(wasi.fd(n));
        return s ? BigInt(s.size) : UNKNOWN;
      }, UNKNOWN);
    },
    path_size(dirfd, ptr, len, follow) {
      return quiet(() => BigInt(pathStat(dirfd, ptr, len, follow).size), UNKNOWN);
    },
    fd_blocks(n) {
      return quiet(() => {
        const s = fdStat(wasi.fd(n));
        return s ? blocks(s) : 0n;
      }, UNKNOWN);
    },
    path_blocks(dirfd, ptr, len, follow) {
      return quiet(() => blocks(pathStat(dirfd, ptr, len, follow)), UNKNOWN);
    },
    fd_owner(n, retUid, retGid) {
      owner(fdStat(wasi.fd(n)) ?? { uid: 0, gid: 0 } as HostStat, retUid, retGid);
    },
    path_owner(dirfd, ptr, len, follow, retUid, retGid) {
      owner(pathStat(dirfd, ptr, len, follow), retUid, retGid);
    },
    path_rdev() {
      return 0n;
    },
    chmod(dirfd, ptr, len, mode) {
      const { vmPath, root } = at(dirfd, ptr, len);
      wasi.hostWithin(root, 'chmod', vmPath, mode & 0o7777);
    },
    fchmod(n, mode) {
      const fd = wasi.fd(n, ['file', 'dir']);
      if (fd.kind === 'file') wasi.host('fchmod', fd.hostFd, mode & 0o7777);
      else wasi.hostWithin(fd.root, 'chmod', fd.vmPath, mode & 0o7777);
    },
    path_chown(dirfd, ptr, len, uid, gid, follow) {
      const { vmPath, root } = at(dirfd, ptr, len);
      const s = wasi.stat(vmPath, follow !== 0, root);
      wasi.hostWithin(root, 'chown', vmPath, uid >>> 0 === 0xffffffff ? s.uid : uid >>> 0, gid >>> 0 === 0xffffffff ? s.gid : gid >>> 0);
    },
    fd_chown(n, uid, gid) {
      const fd = wasi.fd(n, ['file', 'dir']);
      const s = fdStat(fd)!;
      wasi.hostWithin(fd.root, 'chown', fd.vmPath, uid >>> 0 === 0xffffffff ? s.uid : uid >>> 0, gid >>> 0 === 0xffffffff ? s.gid : gid >>> 0);
    },
    ftruncate(n, length: bigint) {
      const fd = wasi.fd(n, ['file']);
      if (length < 0n) throw new WasiError(E.INVAL);
      wasi.host('ftruncate', fd.hostFd, Number(length));
    },
    // The VM's user is root: read and write are always allowed (the VM's read-only
    // permission aside), execute needs an x bit, as for root on Linux.
    path_access(dirfd, ptr, len, amode) {
      const s = pathStat(dirfd, ptr, len, 1);
      if ((amode & X_OK) && s.type !== 'directory' && (s.mode & 0o111) === 0) throw new WasiError(E.ACCES);
      if ((amode & W_OK) && wasi.host<boolean>('readOnly')) throw new WasiError(E.ROFS);
    },
    path_statfs(dirfd, ptr, len, retTotal, retUsed, retAvail, retInodes, retFreeInodes) {
      const { vmPath, root } = at(dirfd, ptr, len);
      const fs = wasi.hostWithin<{ totalBytes: number; usedBytes: number; totalInodes: number; freeInodes: number }>(root, 'statfs', vmPath);
      const v = wasi.view();
      v.setBigUint64(retTotal, BigInt(fs.totalBytes), true);
      v.setBigUint64(retUsed, BigInt(fs.usedBytes), true);
      v.setBigUint64(retAvail, BigInt(Math.max(0, fs.totalBytes - fs.usedBytes)), true);
      v.setBigUint64(retInodes, BigInt(fs.totalInodes), true);
      v.setBigUint64(retFreeInodes, BigInt(fs.freeInodes), true);
    },
    path_mknod: notSupported,
    path_getxattr(dirfd, ptr, len, namePtr, nameLen, valuePtr, size, follow, retSize) {
      const { vmPath, root } = at(dirfd, ptr, len);
      const value = wasi.hostWithin<Uint8Array>(root, 'getxattr', vmPath, wasi.string(namePtr, nameLen), follow !== 0);
      fill(value, valuePtr, size, retSize);
    },
    path_setxattr(dirfd, ptr, len, namePtr, nameLen, valuePtr, size, flags, follow) {
      const { vmPath, root } = at(dirfd, ptr, len);
      wasi.hostWithin(root, 'setxattr', vmPath, wasi.string(namePtr, nameLen), xattrValue(valuePtr, size), xattrMode(flags), follow !== 0);
    },
    path_listxattr(dirfd, ptr, len, listPtr, size, follow, retSize) {
      const { vmPath, root } = at(dirfd, ptr, len);
      const names = wasi.hostWithin<string[]>(root, 'listxattr', vmPath, follow !== 0);
      fill(encodeUtf8(names.map((n) => `${n}\0`).join('')), listPtr, size, retSize);
    },
    path_removexattr(dirfd, ptr, len, namePtr, nameLen, follow) {
      const { vmPath, root } = at(dirfd, ptr, len);
      wasi.hostWithin(root, 'removexattr', vmPath, wasi.string(namePtr, nameLen), follow !== 0);
    },
    fd_setxattr(n, namePtr, nameLen, valuePtr, size, flags) {
      const fd = wasi.fd(n, ['file', 'dir']);
      const name = wasi.string(namePtr, nameLen);
      const value = xattrValue(valuePtr, size);
      if (fd.kind === 'file') wasi.host('fsetxattr', fd.hostFd, name, value, xattrMode(flags));
      else wasi.hostWithin(fd.root, 'setxattr', fd.vmPath, name, value, xattrMode(flags), true);
    },
    fd_link: notSupported,
    fd_fiemap: notSupported,
    fd_punch_hole: notSupported,
    fd_insert_range: notSupported,
    fd_collapse_range: notSupported,
    fd_zero_range: notSupported,
    remount: () => {
      throw new WasiError(E.PERM);
    },
  };
}

/** XATTR_CREATE (1) and XATTR_REPLACE (2). */
function xattrMode(flags: number): 'create' | 'replace' | null {
  return flags & 1 ? 'create' : flags & 2 ? 'replace' : null;
}
