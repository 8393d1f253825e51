import type { UserInfo } from './contract.js';
import { E, WasiError } from './errno.js';
import { encodeUtf8 } from './utf8.js';
import type { Wasi } from './wasi.js';

type Fn = (...args: any[]) => number | void;

/**
 * host_user: one user per VM, the same for every process (uid/gid, name and home from
 * the VM), plus root; ids cannot be changed from inside. Records are passwd and group
 * lines, written as the ABI says (min(len, cap) bytes, the length written back).
 */
export function hostUserImports(wasi: Wasi, user: UserInfo): Record<string, Fn> {
  const passwd = [`root:x:0:0:root:/root:/bin/sh`];
  const groups = [`root:x:0:`];
  if (user.uid !== 0) {
    passwd.push(`${user.name}:x:${user.uid}:${user.gid}:${user.name}:${user.home}:/bin/sh`);
    groups.push(`${user.name}:x:${user.gid}:${user.name}`);
  }
  const field = (line: string, i: number) => line.split(':')[i];
  const write = (line: string | undefined, buf: number, cap: number, retLen: number) => {
    if (line === undefined) throw new WasiError(E.NOENT);
    const bytes = encodeUtf8(line);
    const n = Math.min(bytes.byteLength, cap);
    wasi.bytes(buf, n).set(bytes.subarray(0, n));
    wasi.view().setUint32(retLen, n, true);
  };
  const id = (value: number) => (ret: number) => wasi.view().setUint32(ret, value, true);
  const onlySelf = (...ids: number[]) => {
    for (const v of ids) if (v >>> 0 !== 0xffffffff && v >>> 0 !== user.uid && v >>> 0 !== user.gid) throw new WasiError(E.PERM);
  };
  return {
    isatty(fd: number, ret: number) {
      wasi.fd(fd);
      wasi.view().setUint32(ret, wasi.isTty(fd) ? 1 : 0, true);
    },
    getuid: id(user.uid),
    geteuid: id(user.uid),
    getgid: id(user.gid),
    getegid: id(user.gid),
    getpwuid: (uid: number, buf: number, cap: number, ret: number) => write(passwd.find((l) => Number(field(l, 2)) === uid >>> 0), buf, cap, ret),
    getpwnam: (p: number, l: number, buf: number, cap: number, ret: number) => write(passwd.find((line) => field(line, 0) === wasi.string(p, l)), buf, cap, ret),
    getpwent: (i: number, buf: number, cap: number, ret: number) => write(passwd[i], buf, cap, ret),
    getgrgid: (gid: number, buf: number, cap: number, ret: number) => write(groups.find((l) => Number(field(l, 2)) === gid >>> 0), buf, cap, ret),
    getgrnam: (p: number, l: number, buf: number, cap: number, ret: number) => write(groups.find((line) => field(line, 0) === wasi.string(p, l)), buf, cap, ret),
    getgrent: (i: number, buf: number, cap: number, ret: number) => write(groups[i], buf, cap, ret),
    getgroups(cap: number, ptr: number, retCount: number) {
      if (cap > 0 && cap < 1) throw new WasiError(E.INVAL);
      if (cap > 0) wasi.view().setUint32(ptr, user.gid, true);
      wasi.view().setUint32(retCount, 1, true);
    },
    setgroups: () => {
      throw new WasiError(E.PERM);
    },
    setuid: (v: number) => onlySelf(v),
    setgid: (v: number) => onlySelf(v),
    seteuid: (v: number) => onlySelf(v),
    setegid: (v: number) => onlySelf(v),
    setresuid: (r: number, e: number, s: number) => onlySelf(r, e, s),
    setresgid: (r: number, e: number, s: number) => onlySelf(r, e, s),
  };
}
