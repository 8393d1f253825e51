import type { HookResult } from '../../process/hook-result.js';
import { PipeRing } from '../../process/pipe-ring.js';
import { StatMemo } from './stat-memo.js';
import { DEVICE_MODE, DEVICE_READ_CHUNK, deviceAt, fdNamedBy, isDeviceKind, type FdSpec, type RunnerHooks, type RunnerInfo, type RunnerLimits } from './contract.js';
import { E, ProcExit, WasiError, errnoOf } from './errno.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';
import { jailPath, type Jailed } from './jail.js';
import { datagramRecv, datagramSend } from './datagrams.js';
import { ringToWatch, socketOf, socketReadiness, socketRecv, socketSend, specOf, type SocketDesc } from './sockets.js';
import { normalize } from '../../fs/normalize.js';

/**
 * WASI preview1 for one process, running inside its runner isolate. The fd table lives
 * here; file data lives in the VM filesystem on the host, reached through the same fs
 * operations guest JS uses (one crossing per call). stdout/stderr writes are
 * fire-and-forget; pipes are read and written in shared memory without crossing; blocking
 * waits (stdin, pipes, sleeps) hold only this isolate's thread.
 */
type Kind = FdSpec['kind'];

export interface Fd {
  kind: Kind;
  /** VM path of the file or directory (stdio: none). */
  vmPath: string;
  /** VM path of the preopen this fd was opened beneath: paths may not climb above it. */
  root: string;
  hostFd?: number;
  rights: bigint;
  inheriting: bigint;
  fdflags: number;
  preopen?: string;
  /** kind 'pipe': which end of which pipe; the bytes move through the shared ring. */
  pipe?: { id: number; end: 'r' | 'w'; ring: PipeRing };
  /** kind 'socket': shared by every fd dup'ed from one socket(); the bytes move through its channel. */
  socket?: SocketDesc;
  /** FD_CLOEXEC: not inherited by spawned children. */
  cloexec?: boolean;
}

export interface HostStat {
  /** 'device': one of DEVICES, whatever the VM filesystem holds at its path. */
  type: 'file' | 'directory' | 'symlink' | 'socket' | 'device';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  nlink: number;
  atimeNs: string;
  mtimeNs: string;
  ctimeNs: string;
}

const FILETYPE = { unknown: 0, character_device: 2, directory: 3, regular_file: 4, socket_dgram: 5, socket_stream: 6, symbolic_link: 7 } as const;

/** A VM filesystem entry's WASI filetype; a Unix socket's name is a stream socket (`ls -l` shows `s`). */
function fileTypeOf(type: string): number {
  return type === 'directory' ? FILETYPE.directory : type === 'symlink' ? FILETYPE.symbolic_link : type === 'socket' ? FILETYPE.socket_stream : FILETYPE.regular_file;
}
const ALL_RIGHTS = 0x1fffffffn;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
const RIGHT_PATH_FILESTAT_SET_SIZE = 1n << 19n;
const RIGHT_FD_FILESTAT_SET_SIZE = 1n << 22n;
/** Rights that only mean something on a regular file (read, seek, write, allocate, …). */
const FILE_ONLY_RIGHTS = [0n, 1n, 2n, 5n, 6n, 7n, 8n, 22n, 27n].reduce((r, bit) => r | (1n << bit), 0n);
/** Rights that only mean something on a directory (path_*, readdir). */
const DIR_ONLY_RIGHTS = [9n, 10n, 11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n, 24n, 25n, 26n].reduce((r, bit) => r | (1n << bit), 0n);
const O_CREAT = 1;
const O_DIRECTORY = 2;
const O_EXCL = 4;
const O_TRUNC = 8;
const FDFLAG_APPEND = 1;
const FDFLAG_NONBLOCK = 4;
/** sock_shutdown's sdflags. */
const SD_RD = 1;
const SD_WR = 2;
const LOOKUP_SYMLINK_FOLLOW = 1;
const CLOCK_REALTIME = 0;
const NS_PER_MS = 1_000_000n;

export class Wasi {
  memory: WebAssembly.Memory | undefined;
  /** Called when a write finds no reader left: raises SIGPIPE (which may end the process). */
  onBrokenPipe: () => void = () => {};
  /** set_open_mode: the permission bits for the file the next path_open creates. */
  pendingMode: number | undefined;
  umask: number;
  readonly fds = new Map<number, Fd>();
  /** Per directory fd read with fd_readdir: the names its cookies stand for. */
  private readonly dirCursors = new WeakMap<Fd, { next: bigint; names: Map<bigint, string> }>();
  /** Stats answered without a call to the daemon while only stats and listings happen (stat-memo.ts). */
  readonly statMemo = new StatMemo();
  /** The lowest fd a new open, pipe or dup may take. */
  private readonly firstFreeFd: number;
  private readonly encoder = { encode: encodeUtf8 };
  private readonly argBytes: Uint8Array[];
  private readonly envBytes: Uint8Array[];
  private lastMonotonic = 0n;
  private sinceWait = 0;

  /**
   * `preopenBase`: the fd of the first preopen. A stock wasi-libc looks for preopens from
   * fd 3; the agentOS libc looks in a hidden range from 0x40000003, which leaves fd 3 to
   * the program, as on Linux.
   */
  constructor(
    readonly hooks: RunnerHooks,
    private readonly info: RunnerInfo,
    preopenBase = 3,
  ) {
    // With the preopens in the agentOS libc's hidden range, fd 3 stays free as in that ABI's
    // own host: its programs pass dirfd 3 with a relative path to mean "from the cwd".
    this.firstFreeFd = preopenBase === 3 ? 3 : 4;
    this.argBytes = info.args.map((a) => this.encoder.encode(`${a}\0`));
    this.envBytes = Object.entries(info.env).map(([k, v]) => this.encoder.encode(`${k}=${v}\0`));
    this.umask = info.process.umask;
    if (info.fds) {
      for (const spec of info.fds) this.fds.set(spec.fd, fromSpec(spec));
      return;
    }
    const stdio = (kind: Kind) => ({ kind, vmPath: '', root: '', rights: ALL_RIGHTS, inheriting: 0n, fdflags: 0 });
    this.fds.set(0, stdio('stdin'));
    this.fds.set(1, stdio('stdout'));
    this.fds.set(2, stdio('stderr'));
    info.preopens.forEach((p, i) => {
      this.fds.set(preopenBase + i, { kind: 'dir', vmPath: p.vmPath, root: p.vmPath, rights: ALL_RIGHTS & ~FILE_ONLY_RIGHTS, inheriting: ALL_RIGHTS, fdflags: 0, preopen: p.name });
    });
  }

  /** Whether fd `n` is the process's terminal: one of its stdio descriptions, when it has one. */
  isTty(n: number): boolean {
    const fd = this.fds.get(n);
    return this.info.tty === true && fd !== undefined && (fd.kind === 'stdin' || fd.kind === 'stdout' || fd.kind === 'stderr');
  }

  get callMaxBytes(): number {
    return this.limits.callMaxBytes;
  }

  // ---- the fd table, as host_process sees it (dup, pipes, spawn, exec) ----

  /** The table as a child inherits it, or an exec'd image keeps it. */
  snapshot(): FdSpec[] {
    return [...this.fds].map(([n, fd]) => toSpec(n, fd));
  }

  /** Another fd for the same open description, the lowest free one ≥ `min`; FD_CLOEXEC clear. */
  dup(n: number, min: number): number {
    this.fd(n);
    this.checkRoom();
    const copy = this.shareOf(this.fd(n));
    let to = Math.max(0, min);
    while (this.fds.has(to) || (to >= 3 && to < this.firstFreeFd)) to++;
    this.fds.set(to, copy);
    return to;
  }

  dup2(from: number, to: number): void {
    const fd = this.fd(from);
    if (from === to) return;
    if (!this.fds.has(to)) this.checkRoom();
    const copy = this.shareOf(fd);
    if (this.fds.has(to)) this.closeFd(to);
    this.fds.set(to, copy);
  }

  /** fd_pipe: the read end then the write end, both in this table. */
  pipe(): [number, number] {
    this.checkRoom(2);
    const created = this.hostProc<{ id: number; buffer: SharedArrayBuffer }>('pipe');
    const ring = new PipeRing(created.buffer);
    const end = (e: 'r' | 'w'): Fd => ({ kind: 'pipe', vmPath: '', root: '', pipe: { id: created.id, end: e, ring }, rights: ALL_RIGHTS & ~DIR_ONLY_RIGHTS, inheriting: 0n, fdflags: 0 });
    return [this.allocFd(end('r')), this.allocFd(end('w'))];
  }

  closeFrom(low: number): void {
    for (const n of [...this.fds.keys()]) if (n >= low && this.fds.get(n)!.preopen === undefined) this.closeFd(n);
  }

  /** A new fd entry sharing `fd`'s open description: the daemon counts the extra holder. */
  private shareOf(fd: Fd): Fd {
    const copy: Fd = { ...fd, cloexec: false };
    delete copy.preopen;
    if (fd.pipe) this.hostProc('pipeRef', fd.pipe.id, fd.pipe.end, 1);
    if (fd.socket) this.hostProc('netRef', fd.socket.id, 1);
    if (fd.hostFd !== undefined) copy.hostFd = this.host<number>('dup', fd.hostFd);
    return copy;
  }

  hostProc<T>(op: string, ...args: unknown[]): T {
    const result: HookResult = this.hooks.proc(op, args);
    if ('err' in result) throw new WasiError(result.err.errno ?? errnoOf(result.err.code));
    return result.ok as T;
  }

  // ---- memory helpers ----

  view(): DataView {
    return new DataView(this.memory!.buffer);
  }
  bytes(ptr: number, len: number): Uint8Array {
    // Pointers and lengths are u32 in the ABI; V8 hands i32 arguments over signed.
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > this.memory!.buffer.byteLength) throw new WasiError(E.FAULT);
    return new Uint8Array(this.memory!.buffer, ptr, len);
  }
  /** A string the guest names (a path, a name): longer than PATH_MAX is ENAMETOOLONG, before any copy. */
  string(ptr: number, len: number, max = this.limits.pathMax, tooLong: number = E.NAMETOOLONG): string {
    if (len >>> 0 > max) throw new WasiError(tooLong);
    return decodeUtf8(this.bytes(ptr, len).slice());
  }
  get limits(): RunnerLimits {
    return this.info.limits;
  }
  /** An iovec array; more than IOV_MAX entries is EINVAL, as on Linux. */
  private iovs(ptr: number, count: number): Array<[number, number]> {
    if (count >>> 0 > this.limits.iovMax) throw new WasiError(E.INVAL);
    const v = this.view();
    const out: Array<[number, number]> = [];
    for (let i = 0; i < count >>> 0; i++) out.push([v.getUint32(ptr + i * 8, true), v.getUint32(ptr + i * 8 + 4, true)]);
    return out;
  }

  /** Exactly `n` random bytes from the daemon (n ≤ RANDOM_CALL_MAX_BYTES, whose floor is 65,536), or an errno. */
  random(n: number): Uint8Array {
    const result = this.hooks.random(n);
    if ('err' in result) throw new WasiError(errnoOf(result.err.code));
    return result.ok as Uint8Array;
  }

  host<T>(op: string, ...args: unknown[]): T {
    return this.hostWithin<T>(undefined, op, ...args);
  }

  /** A host call whose paths resolve beneath `root` (a preopen): symlinks cannot leave it. */
  hostWithin<T>(root: string | undefined, op: string, ...args: unknown[]): T {
    const result: HookResult = this.hooks.fs(op, args, root);
    if ('err' in result) throw new WasiError(errnoOf(result.err.code));
    return result.ok as T;
  }

  fd(n: number, kinds?: Kind[]): Fd {
    const fd = this.fds.get(n);
    if (!fd) throw new WasiError(E.BADF);
    if (kinds && !kinds.includes(fd.kind)) throw new WasiError(fd.kind === 'dir' ? E.ISDIR : kinds.includes('dir') ? E.NOTDIR : E.BADF);
    return fd;
  }

  /** A path relative to a directory fd, as a VM path; it may not climb above that directory. */
  resolve(dirfd: number, ptr: number, len: number): { vmPath: string; trailingSlash: boolean; root: string } {
    const dir = this.fd(dirfd);
    if (dir.kind !== 'dir') throw new WasiError(E.NOTDIR);
    const path = this.string(ptr, len);
    if (path.includes('\0')) throw new WasiError(E.INVAL);
    if (path.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
    const base = dir.vmPath.split('/').filter(Boolean);
    const rootDepth = base.length;
    // The guest's `/` (the VM root, or a jail preopened as `/`): `..` there stays there, as in
    // a chroot. Above any other preopen or directory fd is out of bounds.
    const chrootDepth = this.isGuestRoot(dir.root) ? dir.root.split('/').filter(Boolean).length : -1;
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (base.length === chrootDepth) continue;
        if (base.length <= rootDepth) throw new WasiError(E.NOTCAPABLE);
        base.pop();
      } else base.push(part);
    }
    return { vmPath: `/${base.join('/')}`, trailingSlash: path.endsWith('/'), root: dir.root };
  }

  /** True when `root` is the VM's root or the directory of a preopen the guest sees as `/`. */
  private isGuestRoot(root: string): boolean {
    return root === '/' || this.info.preopens.some((p) => p.vmPath === root && normalize(p.name) === '/');
  }

  /** An absolute path of the guest's namespace, through its preopens; none covers it: ENOTCAPABLE. */
  jail(guestPath: string): Jailed {
    const jailed = jailPath(this.info.preopens, guestPath);
    if (!jailed) throw new WasiError(E.NOTCAPABLE);
    return jailed;
  }

  stat(vmPath: string, follow: boolean, root?: string): HostStat {
    if (deviceAt(vmPath)) return { ...this.hostWithin<HostStat>(root, 'stat', vmPath, follow), type: 'device', mode: DEVICE_MODE, size: 0 };
    const open = this.fdOfPath(vmPath);
    if (open !== undefined) {
      const fd = this.fds.get(open)!;
      if (fd.kind === 'file') return this.host<HostStat>('fstat', fd.hostFd);
      if (fd.kind === 'dir') return this.hostWithin<HostStat>(fd.root, 'stat', fd.vmPath, true);
      return { type: 'device', size: 0, mode: DEVICE_MODE, uid: 0, gid: 0, ino: 0, nlink: 1, atimeNs: '0', mtimeNs: '0', ctimeNs: '0' };
    }
    const known = this.statMemo.get(vmPath, follow, root);
    if (known) return known;
    const s = this.hostWithin<HostStat>(root, 'stat', vmPath, follow);
    this.statMemo.put(vmPath, follow, root, s);
    return s;
  }

  private writeFilestat(ptr: number, s: HostStat): void {
    const v = this.view();
    v.setBigUint64(ptr, 1n, true);
    v.setBigUint64(ptr + 8, BigInt(s.ino), true);
    // A device is an empty regular file to stat (see DEVICE_MODE for why).
    v.setUint8(ptr + 16, fileTypeOf(s.type));
    v.setBigUint64(ptr + 24, BigInt(s.nlink), true);
    v.setBigUint64(ptr + 32, BigInt(s.size), true);
    v.setBigUint64(ptr + 40, BigInt(s.atimeNs), true);
    v.setBigUint64(ptr + 48, BigInt(s.mtimeNs), true);
    v.setBigUint64(ptr + 56, BigInt(s.ctimeNs), true);
  }

  private now(id: number): bigint {
    const wall = BigInt(Date.now()) * NS_PER_MS;
    if (id === CLOCK_REALTIME) return wall;
    if (wall > this.lastMonotonic) this.lastMonotonic = wall;
    return this.lastMonotonic;
  }

  private out(fd: 1 | 2, data: Uint8Array): void {
    this.hooks.write(fd, data.slice());
    this.sinceWait += data.byteLength;
    if (this.info.outputWindowBytes > 0 && this.sinceWait >= this.info.outputWindowBytes) {
      this.sinceWait = 0;
      this.hooks.block.applySyncPromise(undefined, ['outputWindow']);
    }
  }

  private readInto(fd: Fd, iovs: Array<[number, number]>, position: number | null): number {
    // At most one call's worth crosses from the daemon (a short read, as POSIX allows).
    const total = Math.min(iovs.reduce((n, [, len]) => n + len, 0), this.limits.callMaxBytes);
    if (fd.kind === 'null') return 0;
    if (fd.kind === 'pipe') return this.readPipe(fd, iovs);
    if (fd.socket?.type === 'dgram') {
      // One datagram, scattered over the iovecs; what does not fit is dropped (readv on UDP).
      return this.fill(iovs, datagramRecv(this, fd.socket, total, (fd.fdflags & FDFLAG_NONBLOCK) !== 0, false).data);
    }
    if (fd.socket) {
      const first = iovs.find(([, len]) => len > 0);
      return first ? socketRecv(fd.socket, this.bytes(first[0], Math.min(first[1], total)), (fd.fdflags & FDFLAG_NONBLOCK) !== 0, false) : 0;
    }
    if (fd.kind === 'zero' || fd.kind === 'random') {
      // As many bytes as asked, up to one chunk per call (a short read is allowed).
      const n = Math.min(total, DEVICE_READ_CHUNK);
      return this.fill(iovs, fd.kind === 'zero' ? new Uint8Array(n) : this.random(n));
    }
    let data: Uint8Array;
    if (fd.kind === 'stdin') data = (this.hooks.block.applySyncPromise(undefined, ['stdinSome', total]) as Uint8Array) ?? new Uint8Array(0);
    else if (fd.kind === 'file') {
      if ((fd.rights & RIGHT_FD_READ) === 0n) throw new WasiError(E.BADF);
      data = this.host<Uint8Array>('read', fd.hostFd, total, position);
    } else throw new WasiError(fd.kind === 'dir' ? E.ISDIR : E.BADF);
    return this.fill(iovs, data);
  }

  /** Copies `data` into the iovecs in order; returns the bytes placed. */
  private fill(iovs: Array<[number, number]>, data: Uint8Array): number {
    let at = 0;
    for (const [ptr, len] of iovs) {
      if (at >= data.byteLength) break;
      const n = Math.min(len, data.byteLength - at);
      this.bytes(ptr, n).set(data.subarray(at, at + n));
      at += n;
    }
    return at;
  }

  /** Straight from the ring into guest memory, the first non-empty iovec (as a short read may). */
  private readPipe(fd: Fd, iovs: Array<[number, number]>): number {
    const { pipe } = fd;
    if (!pipe || pipe.end !== 'r') throw new WasiError(E.BADF);
    const first = iovs.find(([, len]) => len > 0);
    if (!first) return 0;
    const n = pipe.ring.read(this.bytes(first[0], first[1]), (fd.fdflags & FDFLAG_NONBLOCK) === 0, (max) => this.hostProc<Uint8Array>('pipeUnspill', pipe.id, max));
    if (n === 'again') throw new WasiError(E.AGAIN);
    return n as number;
  }

  /**
   * The bytes a write carries, at most one call's worth (WASM_CALL_MAX_BYTES): the rest is
   * left for the program's next write, as a short write. iovecs may all alias one buffer,
   * so their lengths add up to far more than the guest's memory; none is read past the bound.
   */
  private gather(iovs: Array<[number, number]>): Uint8Array {
    let total = 0;
    for (const [ptr, len] of iovs) {
      this.bytes(ptr, len);
      total = Math.min(total + len, this.limits.callMaxBytes);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const [ptr, len] of iovs) {
      if (at >= total) break;
      const n = Math.min(len, total - at);
      out.set(this.bytes(ptr, n), at);
      at += n;
    }
    return out;
  }

  private writeFrom(fd: Fd, data: Uint8Array, position: number | null): number {
    if (fd.kind === 'stdout' || fd.kind === 'stderr') {
      this.out(fd.kind === 'stdout' ? 1 : 2, data);
      return data.byteLength;
    }
    if (isDevice(fd)) return data.byteLength;
    if (fd.socket?.type === 'dgram') return datagramSend(this, fd.socket, data, undefined);
    if (fd.socket) return socketSend(fd.socket, data, (fd.fdflags & FDFLAG_NONBLOCK) !== 0, () => this.onBrokenPipe());
    if (fd.kind === 'pipe') {
      if (fd.pipe?.end !== 'w') throw new WasiError(E.BADF);
      const { id } = fd.pipe;
      // The shell writes a builtin's output (`echo "$x" | tail`) before it starts the reader,
      // holding the read end itself: when that pipe is full, the daemon spills it.
      const holdsReadEnd = () => [...this.fds.values()].some((f) => f.pipe?.id === id && f.pipe.end === 'r');
      const n = fd.pipe.ring.write(data, (fd.fdflags & FDFLAG_NONBLOCK) === 0, () => {
        if (holdsReadEnd()) this.hostProc('pipeSpill', id);
      });
      if (n === 'again') throw new WasiError(E.AGAIN);
      if (n === 'broken') {
        this.onBrokenPipe();
        throw new WasiError(E.PIPE);
      }
      return n;
    }
    if (fd.kind !== 'file') throw new WasiError(fd.kind === 'dir' ? E.ISDIR : E.BADF);
    if ((fd.rights & RIGHT_FD_WRITE) === 0n) throw new WasiError(E.BADF);
    return this.host<number>('writeFd', fd.hostFd, data, position);
  }

  closeFd(n: number): void {
    const fd = this.fd(n);
    this.fds.delete(n);
    if (fd.hostFd !== undefined) this.host('close', fd.hostFd);
    if (fd.pipe) this.hostProc('pipeRef', fd.pipe.id, fd.pipe.end, -1);
    if (fd.socket) this.hostProc('netRef', fd.socket.id, -1);
  }

  /** RLIMIT_NOFILE: the table holds at most maxOpenFiles fds (EMFILE), whatever kind they are. */
  checkRoom(more = 1): void {
    if (this.fds.size + more > this.limits.maxOpenFiles) throw new WasiError(E.MFILE);
  }

  allocFd(entry: Fd): number {
    this.checkRoom();
    let n = this.firstFreeFd;
    while (this.fds.has(n)) n++;
    this.fds.set(n, entry);
    return n;
  }

  /** The import object: every preview1 function, each returning an errno. */
  imports(): Record<string, (...args: never[]) => number> {
    const self = this;
    const notSocket = (fd: number) => {
      self.fd(fd);
      throw new WasiError(E.NOTSOCK);
    };
    const fns: Record<string, (...args: any[]) => number | void> = {
      args_get(argv: number, buf: number) {
        self.writeStrings(self.argBytes, argv, buf);
      },
      args_sizes_get(countPtr: number, sizePtr: number) {
        self.writeSizes(self.argBytes, countPtr, sizePtr);
      },
      environ_get(envp: number, buf: number) {
        self.writeStrings(self.envBytes, envp, buf);
      },
      environ_sizes_get(countPtr: number, sizePtr: number) {
        self.writeSizes(self.envBytes, countPtr, sizePtr);
      },
      clock_res_get(id: number, ptr: number) {
        if (id > 3) throw new WasiError(E.INVAL);
        self.view().setBigUint64(ptr, NS_PER_MS, true);
      },
      clock_time_get(id: number, _precision: bigint, ptr: number) {
        if (id > 3) throw new WasiError(E.INVAL);
        self.view().setBigUint64(ptr, self.now(id), true);
      },
      fd_advise(fd: number) {
        self.fd(fd, ['file']);
      },
      fd_allocate(fd: number, offset: bigint, len: bigint) {
        const f = self.fd(fd, ['file']);
        self.host('allocate', f.hostFd, Number(offset), Number(len));
      },
      fd_close(fd: number) {
        self.closeFd(fd);
      },
      fd_datasync(fd: number) {
        self.fd(fd, ['file']);
      },
      fd_sync(fd: number) {
        self.fd(fd, ['file']);
      },
      fd_fdstat_get(fd: number, ptr: number) {
        const f = self.fd(fd);
        const v = self.view();
        // Pipes are UNKNOWN, never a socket type (the libc would send them to host_net).
        // Sockets are, so that the libc's read()/write() go to net_recv/net_send.
        const type = f.socket ? socketType(f.socket) : f.kind === 'dir' ? FILETYPE.directory : f.kind === 'file' || isDevice(f) ? FILETYPE.regular_file : f.kind === 'pipe' ? FILETYPE.unknown : FILETYPE.character_device;
        v.setUint8(ptr, type);
        v.setUint16(ptr + 2, f.fdflags, true);
        v.setBigUint64(ptr + 8, f.rights, true);
        v.setBigUint64(ptr + 16, f.inheriting, true);
      },
      fd_fdstat_set_flags(fd: number, flags: number) {
        const f = self.fd(fd);
        if (f.hostFd !== undefined && (flags & FDFLAG_APPEND) !== (f.fdflags & FDFLAG_APPEND)) self.host('setAppend', f.hostFd, (flags & FDFLAG_APPEND) !== 0);
        f.fdflags = flags;
      },
      fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint) {
        const f = self.fd(fd);
        if ((base & ~f.rights) !== 0n || (inheriting & ~f.inheriting) !== 0n) throw new WasiError(E.NOTCAPABLE);
        f.rights = base;
        f.inheriting = inheriting;
      },
      fd_filestat_get(fd: number, ptr: number) {
        const f = self.fd(fd);
        if (f.kind === 'file') self.writeFilestat(ptr, self.host<HostStat>('fstat', f.hostFd));
        else if (f.kind === 'dir') self.writeFilestat(ptr, self.stat(f.vmPath, true, f.root));
        else self.writeFilestat(ptr, { type: 'file', size: 0, mode: 0, uid: 0, gid: 0, ino: 0, nlink: 1, atimeNs: '0', mtimeNs: '0', ctimeNs: '0' });
        if (f.kind !== 'file' && f.kind !== 'dir' && !isDevice(f)) self.view().setUint8(ptr + 16, f.socket ? socketType(f.socket) : f.kind === 'pipe' ? FILETYPE.unknown : FILETYPE.character_device);
      },
      fd_filestat_set_size(fd: number, size: bigint) {
        const f = self.fd(fd, ['file']);
        if ((f.rights & RIGHT_FD_FILESTAT_SET_SIZE) === 0n) throw new WasiError(E.NOTCAPABLE);
        self.host('ftruncate', f.hostFd, Number(size));
      },
      fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number) {
        const f = self.fd(fd, ['file', 'dir']);
        self.setTimes(f.vmPath, atim, mtim, flags, true, f.root);
      },
      fd_pread(fd: number, iovs: number, count: number, offset: bigint, nread: number) {
        const f = self.fd(fd);
        if (f.kind !== 'file') throw new WasiError(f.kind === 'dir' ? E.ISDIR : E.SPIPE);
        self.view().setUint32(nread, self.readInto(f, self.iovs(iovs, count), Number(offset)), true);
      },
      fd_pwrite(fd: number, iovs: number, count: number, offset: bigint, nwritten: number) {
        const f = self.fd(fd);
        if (f.kind !== 'file') throw new WasiError(f.kind === 'dir' ? E.ISDIR : E.SPIPE);
        self.view().setUint32(nwritten, self.writeFrom(f, self.gather(self.iovs(iovs, count)), Number(offset)), true);
      },
      fd_prestat_get(fd: number, ptr: number) {
        const f = self.fd(fd);
        if (f.preopen === undefined) throw new WasiError(E.BADF);
        self.view().setUint8(ptr, 0);
        self.view().setUint32(ptr + 4, self.encoder.encode(f.preopen).byteLength, true);
      },
      fd_prestat_dir_name(fd: number, ptr: number, len: number) {
        const f = self.fd(fd);
        if (f.preopen === undefined) throw new WasiError(E.BADF);
        const name = self.encoder.encode(f.preopen);
        if (len < name.byteLength) throw new WasiError(E.NAMETOOLONG);
        self.bytes(ptr, name.byteLength).set(name);
      },
      fd_read(fd: number, iovs: number, count: number, nread: number) {
        self.view().setUint32(nread, self.readInto(self.fd(fd), self.iovs(iovs, count), null), true);
      },
      fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, used: number) {
        const f = self.fd(fd, ['dir']);
        // Cookies: 0 is the start, 1 follows `.`, 2 follows `..`; past those, each entry's
        // cookie names it, so the daemon lists from that name on in O(returned), whatever
        // the directory's size or what was removed since (rm -r lists as it deletes).
        let cursor = self.dirCursors.get(f);
        if (!cursor) self.dirCursors.set(f, (cursor = { next: 3n, names: new Map() }));
        const records: Array<{ next: bigint; ino: number; type: string; name: Uint8Array }> = [];
        let after: string | null = null;
        if (cookie === 0n) records.push({ next: 1n, ino: self.stat(f.vmPath, true, f.root).ino, type: 'directory', name: self.encoder.encode('.') });
        if (cookie <= 1n) {
          const parent = f.vmPath === '/' ? '/' : f.vmPath.slice(0, f.vmPath.lastIndexOf('/')) || '/';
          records.push({ next: 2n, ino: self.stat(parent, true).ino, type: 'directory', name: self.encoder.encode('..') });
        } else if (cookie > 2n) {
          const name = cursor.names.get(cookie);
          if (name === undefined) throw new WasiError(E.INVAL);
          after = name;
        }
        // Cookies behind this one are never asked for again by a forward reader: forget them.
        for (const old of cursor.names.keys()) if (old < cookie) cursor.names.delete(old);
        let room = bufLen - records.reduce((sum, r) => sum + 24 + r.name.byteLength, 0);
        if (room > 0) {
          const withStats = self.statMemo.active;
          for (const e of self.hostWithin<Array<{ name: string; type: string; ino: number; stat?: HostStat }>>(f.root, 'readdir', f.vmPath, after, room, withStats)) {
            if (e.stat) self.statMemo.listed(f.vmPath, e.name, f.root, e.stat);
            const next = cursor.next++;
            cursor.names.set(next, e.name);
            records.push({ next, ino: e.ino, type: e.type, name: self.encoder.encode(e.name) });
          }
        }
        let at = 0;
        for (const e of records) {
          if (at >= bufLen) break;
          const record = new Uint8Array(24 + e.name.byteLength);
          const rv = new DataView(record.buffer);
          rv.setBigUint64(0, e.next, true);
          rv.setBigUint64(8, BigInt(e.ino), true);
          rv.setUint32(16, e.name.byteLength, true);
          rv.setUint8(20, fileTypeOf(e.type));
          record.set(e.name, 24);
          const n = Math.min(record.byteLength, bufLen - at);
          self.bytes(buf + at, n).set(record.subarray(0, n));
          at += n;
        }
        self.view().setUint32(used, at, true);
      },
      fd_renumber(from: number, to: number) {
        const f = self.fd(from);
        self.fd(to);
        self.closeFd(to);
        self.fds.set(to, f);
        self.fds.delete(from);
      },
      fd_seek(fd: number, offset: bigint, whence: number, ptr: number) {
        const f = self.fd(fd);
        // Devices seek anywhere and stay at 0, as on Linux.
        if (isDevice(f)) return self.view().setBigUint64(ptr, 0n, true);
        if (f.kind !== 'file') throw new WasiError(f.kind === 'dir' ? E.BADF : E.SPIPE);
        if (whence > 2) throw new WasiError(E.INVAL);
        self.view().setBigUint64(ptr, BigInt(self.host<number>('seek', f.hostFd, Number(offset), whence)), true);
      },
      fd_tell(fd: number, ptr: number) {
        const f = self.fd(fd);
        if (f.kind !== 'file') throw new WasiError(f.kind === 'dir' ? E.BADF : E.SPIPE);
        self.view().setBigUint64(ptr, BigInt(self.host<number>('seek', f.hostFd, 0, 1)), true);
      },
      fd_write(fd: number, iovs: number, count: number, nwritten: number) {
        self.view().setUint32(nwritten, self.writeFrom(self.fd(fd), self.gather(self.iovs(iovs, count)), null), true);
      },
      path_create_directory(fd: number, ptr: number, len: number) {
        const { vmPath, root } = self.resolve(fd, ptr, len);
        self.hostWithin(root, 'mkdir', vmPath, false);
      },
      path_filestat_get(fd: number, flags: number, ptr: number, len: number, out: number) {
        const { vmPath, trailingSlash, root } = self.resolve(fd, ptr, len);
        const s = self.stat(vmPath, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0 || trailingSlash, root);
        if (trailingSlash && s.type !== 'directory') throw new WasiError(E.NOTDIR);
        self.writeFilestat(out, s);
      },
      path_filestat_set_times(fd: number, flags: number, ptr: number, len: number, atim: bigint, mtim: bigint, fst: number) {
        const { vmPath, root } = self.resolve(fd, ptr, len);
        self.setTimes(vmPath, atim, mtim, fst, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0, root);
      },
      path_link(oldFd: number, flags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
        // Hard links to what a symlink points at are not offered (as in wasmtime).
        if (flags & LOOKUP_SYMLINK_FOLLOW) throw new WasiError(E.INVAL);
        const from = self.resolve(oldFd, oldPtr, oldLen);
        const to = self.resolve(newFd, newPtr, newLen);
        if (to.trailingSlash || from.trailingSlash) throw new WasiError(self.exists(to.vmPath, to.root) ? E.EXIST : E.NOENT);
        if (from.root !== to.root) throw new WasiError(E.XDEV);
        self.hostWithin(from.root, 'link', from.vmPath, to.vmPath);
      },
      path_open(dirfd: number, dirflags: number, ptr: number, len: number, oflags: number, base: bigint, inheriting: bigint, fdflags: number, out: number) {
        const { vmPath, trailingSlash, root } = self.resolve(dirfd, ptr, len);
        // Room first: a description opened on the host and then refused a slot would linger.
        self.checkRoom();
        const mode = (self.pendingMode ?? 0o666) & ~self.umask;
        self.pendingMode = undefined;
        const device = self.openDevice(vmPath);
        if (device) {
          self.view().setUint32(out, self.allocFd(device), true);
          return;
        }
        const follow = (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
        let st: HostStat | undefined;
        try {
          st = self.stat(vmPath, follow, root);
        } catch (err) {
          if (!(err instanceof WasiError && err.errno === E.NOENT)) throw err;
        }
        if (st && (oflags & O_CREAT) && (oflags & O_EXCL)) throw new WasiError(E.EXIST);
        if (st?.type === 'symlink') throw new WasiError(E.LOOP);
        const wantsWrite = (base & RIGHT_FD_WRITE) !== 0n || (oflags & O_TRUNC) !== 0;
        if ((oflags & O_TRUNC) && (self.fd(dirfd).rights & RIGHT_PATH_FILESTAT_SET_SIZE) === 0n) throw new WasiError(E.NOTCAPABLE);
        if (st?.type === 'directory' || (!st && (oflags & O_DIRECTORY))) {
          if (!st) throw new WasiError(E.NOENT);
          if (oflags & O_TRUNC || (base & RIGHT_FD_WRITE) !== 0n) throw new WasiError(E.ISDIR);
          const entry: Fd = { kind: 'dir', vmPath, root, rights: base & ~FILE_ONLY_RIGHTS, inheriting, fdflags };
          self.view().setUint32(out, self.allocFd(entry), true);
          return;
        }
        if (oflags & O_DIRECTORY) throw new WasiError(E.NOTDIR);
        if (trailingSlash) throw new WasiError(st ? E.NOTDIR : E.NOENT);
        if (!st && !(oflags & O_CREAT)) throw new WasiError(E.NOENT);
        const readable = (base & RIGHT_FD_READ) !== 0n;
        const writable = wantsWrite;
        let flags = readable && writable ? 2 : writable ? 1 : 0;
        if (oflags & O_CREAT) flags |= 0o100;
        if (oflags & O_EXCL) flags |= 0o200;
        if (oflags & O_TRUNC) flags |= 0o1000;
        if (fdflags & FDFLAG_APPEND) flags |= 0o2000;
        const hostFd = self.hostWithin<number>(root, 'open', vmPath, flags, mode);
        const entry: Fd = { kind: 'file', vmPath, root, hostFd, rights: base & ~DIR_ONLY_RIGHTS, inheriting, fdflags };
        self.view().setUint32(out, self.allocFd(entry), true);
      },
      path_readlink(fd: number, ptr: number, len: number, buf: number, bufLen: number, used: number) {
        const link = self.resolve(fd, ptr, len);
        const target = self.encoder.encode(self.hostWithin<string>(link.root, 'readlink', link.vmPath));
        const n = Math.min(target.byteLength, bufLen);
        self.bytes(buf, n).set(target.subarray(0, n));
        self.view().setUint32(used, n, true);
      },
      path_remove_directory(fd: number, ptr: number, len: number) {
        const { vmPath, root } = self.resolve(fd, ptr, len);
        if (vmPath === self.fd(fd).vmPath) throw new WasiError(E.BUSY);
        self.hostWithin(root, 'rmdir', vmPath, false);
      },
      path_rename(oldFd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
        const from = self.resolve(oldFd, oldPtr, oldLen);
        const to = self.resolve(newFd, newPtr, newLen);
        if (from.trailingSlash || to.trailingSlash) {
          const s = self.stat(from.vmPath, false, from.root);
          if (s.type !== 'directory') throw new WasiError(E.NOTDIR);
        }
        if (from.root !== to.root) throw new WasiError(E.XDEV);
        self.hostWithin(from.root, 'rename', from.vmPath, to.vmPath);
      },
      path_symlink(oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) {
        const target = self.string(oldPtr, oldLen);
        const { vmPath, trailingSlash, root } = self.resolve(fd, newPtr, newLen);
        if (target.startsWith('/')) throw new WasiError(E.NOTCAPABLE);
        if (trailingSlash) throw new WasiError(self.exists(vmPath, root) ? E.EXIST : E.NOENT);
        self.hostWithin(root, 'symlink', target, vmPath);
      },
      path_unlink_file(fd: number, ptr: number, len: number) {
        const { vmPath, trailingSlash, root } = self.resolve(fd, ptr, len);
        const s = self.stat(vmPath, false, root);
        if (s.type === 'directory') throw new WasiError(E.ISDIR);
        if (trailingSlash) throw new WasiError(E.NOTDIR);
        self.hostWithin(root, 'unlink', vmPath);
      },
      poll_oneoff(inPtr: number, outPtr: number, count: number, neventsPtr: number) {
        if (count === 0) throw new WasiError(E.INVAL);
        self.view().setUint32(neventsPtr, self.poll(inPtr, outPtr, count), true);
      },
      proc_exit(code: number) {
        throw new ProcExit(code);
      },
      proc_raise() {
        throw new WasiError(E.NOSYS);
      },
      random_get(ptr: number, len: number) {
        for (let at = 0; at < len; at += 65536) {
          const n = Math.min(65536, len - at);
          self.bytes(ptr + at, n).set(self.random(n));
        }
      },
      sched_yield() {},
      // Preview1's own socket calls: the agentOS libc uses host_net, but shutdown comes here.
      sock_accept: notSocket,
      sock_recv: notSocket,
      sock_send: notSocket,
      sock_shutdown(fd: number, how: number) {
        const f = self.fd(fd);
        if (!f.socket) throw new WasiError(E.NOTSOCK);
        if (how !== SD_RD && how !== SD_WR && how !== (SD_RD | SD_WR)) throw new WasiError(E.INVAL);
        self.hostProc('netShutdown', f.socket.id, how === SD_RD ? 0 : how === SD_WR ? 1 : 2);
      },
    };
    return errnoReturning(fns);
  }

  /** The devices (DEVICES), and /dev/stdin|stdout|stderr as another fd for 0, 1 or 2. */
  openDevice(vmPath: string): Fd | undefined {
    const device = deviceAt(vmPath);
    if (device) return { kind: device, vmPath, root: '/', rights: ALL_RIGHTS & ~DIR_ONLY_RIGHTS, inheriting: 0n, fdflags: 0 };
    const open = this.fdOfPath(vmPath);
    return open === undefined ? undefined : this.shareOf(this.fds.get(open)!);
  }

  /** The open fd of this process a path names (fdNamedBy), if that fd is open. */
  private fdOfPath(vmPath: string): number | undefined {
    const n = fdNamedBy(vmPath);
    return n !== undefined && this.fds.has(n) ? n : undefined;
  }

  private exists(vmPath: string, root?: string): boolean {
    return this.hostWithin<boolean>(root, 'exists', vmPath);
  }

  private writeStrings(list: Uint8Array[], ptrs: number, buf: number): void {
    const v = this.view();
    let at = buf;
    list.forEach((bytes, i) => {
      v.setUint32(ptrs + i * 4, at, true);
      this.bytes(at, bytes.byteLength).set(bytes);
      at += bytes.byteLength;
    });
  }

  private writeSizes(list: Uint8Array[], countPtr: number, sizePtr: number): void {
    this.view().setUint32(countPtr, list.length, true);
    this.view().setUint32(sizePtr, list.reduce((n, b) => n + b.byteLength, 0), true);
  }

  private setTimes(vmPath: string, atim: bigint, mtim: bigint, flags: number, follow = true, root?: string): void {
    if ((flags & 1 && flags & 2) || (flags & 4 && flags & 8)) throw new WasiError(E.INVAL);
    const current = this.stat(vmPath, follow, root);
    const now = BigInt(Date.now()) * NS_PER_MS;
    const at = flags & 2 ? now : flags & 1 ? atim : BigInt(current.atimeNs);
    const mt = flags & 8 ? now : flags & 4 ? mtim : BigInt(current.mtimeNs);
    this.hostWithin(root, 'utimesNs', vmPath, String(at), String(mt), follow);
  }

  /**
   * poll_oneoff: files and output are always ready; stdin is ready when it holds data or
   * has ended; otherwise the call sleeps until the earliest clock fires.
   */
  private poll(inPtr: number, outPtr: number, count: number): number {
    const v = this.view();
    const events: Array<{ userdata: bigint; error: number; type: number; nbytes: bigint }> = [];
    let sleepNs: bigint | undefined;
    let clockUserdata: Array<{ userdata: bigint; at: bigint }> = [];
    let wantsStdin: bigint[] = [];
    const wantsPipe: Array<{ userdata: bigint; type: number; ring: PipeRing; socket?: SocketDesc }> = [];
    for (let i = 0; i < count; i++) {
      const sub = inPtr + i * 48;
      const userdata = v.getBigUint64(sub, true);
      const tag = v.getUint8(sub + 8);
      if (tag === 0) {
        const id = v.getUint32(sub + 16, true);
        const timeout = v.getBigUint64(sub + 24, true);
        const abs = (v.getUint16(sub + 40, true) & 1) !== 0;
        if (id > 3) {
          events.push({ userdata, error: E.INVAL, type: 0, nbytes: 0n });
          continue;
        }
        const wait = abs ? timeout - this.now(id) : timeout;
        const ns = wait > 0n ? wait : 0n;
        sleepNs = sleepNs === undefined || ns < sleepNs ? ns : sleepNs;
        clockUserdata.push({ userdata, at: ns });
      } else if (tag === 1 || tag === 2) {
        const fdNum = v.getUint32(sub + 16, true);
        const f = this.fds.get(fdNum);
        if (!f) events.push({ userdata, error: E.BADF, type: tag, nbytes: 0n });
        else if (f.kind === 'stdin' && tag === 1) wantsStdin.push(userdata);
        else if (f.pipe) wantsPipe.push({ userdata, type: tag, ring: f.pipe.ring });
        else if (f.socket) wantsPipe.push({ userdata, type: tag, ring: ringToWatch(f.socket, tag === 1 ? 1 : 4), socket: f.socket });
        else events.push({ userdata, error: 0, type: tag, nbytes: f.kind === 'file' && tag === 1 ? 1n : 0n });
      } else {
        events.push({ userdata, error: E.INVAL, type: tag, nbytes: 0n });
      }
    }
    if (wantsPipe.length > 0) {
      // Pipes are watched in short slices: poll is rare (brush, sqlite3), and a pipe's
      // readiness can change on any of several threads.
      const deadline = sleepNs === undefined ? Infinity : Date.now() + Number(sleepNs / NS_PER_MS);
      for (;;) {
        const seen = wantsPipe[0]!.ring.seen;
        for (const p of wantsPipe) {
          const ready = p.socket ? socketReadiness(p.socket, p.type === 1 ? 1 : 4) !== 0 : p.type === 1 ? p.ring.readable : p.ring.writable;
          if (ready) events.push({ userdata: p.userdata, error: 0, type: p.type, nbytes: BigInt(p.type === 1 ? p.ring.pending : 1) });
        }
        if (events.length > 0 || wantsStdin.length > 0 || Date.now() >= deadline) break;
        // One ring to watch: sleep on it (its change wakes us at once); several: in slices.
        const slice = wantsPipe.length === 1 ? 1000 : 5;
        wantsPipe[0]!.ring.waitChange(seen, Math.min(slice, deadline - Date.now()));
      }
      if (events.length > 0) clockUserdata = [];
      if (Date.now() >= deadline) sleepNs = 0n;
    }
    if (wantsStdin.length > 0) {
      // With nothing else ready, wait for stdin (or the earliest clock).
      const waitMs = events.length > 0 ? 0 : sleepNs === undefined ? -1 : Number(sleepNs / NS_PER_MS);
      const available = this.hooks.block.applySyncPromise(undefined, ['stdinPoll', waitMs]) as number;
      if (available >= 0) {
        for (const userdata of wantsStdin) events.push({ userdata, error: 0, type: 1, nbytes: BigInt(available) });
        clockUserdata = [];
      }
      wantsStdin = [];
    }
    if (events.length === 0 && sleepNs !== undefined) {
      if (sleepNs > 0n) this.hooks.block.applySyncPromise(undefined, ['sleep', Number(sleepNs / 1000n) / 1000]);
      for (const c of clockUserdata) if (c.at === sleepNs) events.push({ userdata: c.userdata, error: 0, type: 0, nbytes: 0n });
    }
    events.forEach((e, i) => {
      const ev = outPtr + i * 32;
      v.setBigUint64(ev, e.userdata, true);
      v.setUint16(ev + 8, e.error, true);
      v.setUint8(ev + 10, e.type);
      v.setBigUint64(ev + 16, e.nbytes, true);
      v.setUint16(ev + 24, 0, true);
    });
    return events.length;
  }
}

/** Import functions that return an errno: a thrown WasiError becomes its errno, nothing is 0. */
export function errnoReturning(fns: Record<string, (...args: any[]) => number | bigint | void>): Record<string, (...args: never[]) => number> {
  const wrap = (fn: (...args: never[]) => number | bigint | void) => (...args: never[]) => {
    try {
      return fn(...args) ?? E.SUCCESS;
    } catch (err) {
      if (err instanceof WasiError) return err.errno;
      throw err;
    }
  };
  return Object.fromEntries(Object.entries(fns).map(([name, fn]) => [name, wrap(fn as never)])) as Record<string, (...args: never[]) => number>;
}

function socketType(s: SocketDesc): number {
  return s.type === 'stream' ? FILETYPE.socket_stream : FILETYPE.socket_dgram;
}

/** /dev/null, /dev/zero and /dev/urandom (see writeFilestat for how WASI sees them). */
function isDevice(fd: Fd): boolean {
  return isDeviceKind(fd.kind);
}

function fromSpec(spec: FdSpec): Fd {
  const fd: Fd = { kind: spec.kind, vmPath: spec.vmPath, root: spec.root, rights: BigInt(spec.rights), inheriting: BigInt(spec.inheriting), fdflags: spec.fdflags };
  if (spec.hostFd !== undefined) fd.hostFd = spec.hostFd;
  if (spec.preopen !== undefined) fd.preopen = spec.preopen;
  if (spec.pipe) fd.pipe = { id: spec.pipe.id, end: spec.pipe.end, ring: new PipeRing(spec.pipe.buffer) };
  if (spec.socket) fd.socket = socketOf(spec.socket);
  if (spec.cloexec) fd.cloexec = true;
  return fd;
}

function toSpec(n: number, fd: Fd): FdSpec {
  const spec: FdSpec = { fd: n, kind: fd.kind, vmPath: fd.vmPath, root: fd.root, rights: String(fd.rights), inheriting: String(fd.inheriting), fdflags: fd.fdflags };
  if (fd.hostFd !== undefined) spec.hostFd = fd.hostFd;
  if (fd.preopen !== undefined) spec.preopen = fd.preopen;
  if (fd.pipe) spec.pipe = { id: fd.pipe.id, end: fd.pipe.end, buffer: fd.pipe.ring.buffer };
  if (fd.socket) spec.socket = specOf(fd.socket);
  if (fd.cloexec) spec.cloexec = true;
  return spec;
}
