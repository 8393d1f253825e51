import type { UserInfo } from '../../../wasm/runner/contract.js';
import { processUsage, systemInfo } from '../process.js';

/**
 * Node's `os` as a VM has it: the host's processors (model, speed; their times are not the
 * guest's to see, so zeros) and kernel release, memory as this process's heap limit (all it
 * can use), free memory as what of it is left, the VM's user.
 */
export function createOs(proc: { env: Record<string, string> }, user: () => UserInfo) {
  const started = Date.now();
  const { signals, errno, priority, dlopen } = OS_CONSTANTS;
  const os = {
    platform: () => 'linux',
    type: () => 'Linux',
    arch: () => 'x64',
    machine: () => systemInfo().machine,
    release: () => systemInfo().release,
    version: () => systemInfo().version,
    hostname: () => 'agentos',
    homedir: () => proc.env.HOME ?? user().home,
    tmpdir: () => (proc.env.TMPDIR || proc.env.TMP || proc.env.TEMP || '/tmp').replace(/(?<=.)\/$/, ''),
    endianness: () => 'LE',
    cpus: () => systemInfo().cpus.map(({ model, speed }) => ({ model, speed, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } })),
    availableParallelism: () => Math.max(1, systemInfo().cpus.length),
    totalmem: () => systemInfo().totalmem,
    freemem: () => {
      const u = processUsage();
      return Math.max(0, systemInfo().totalmem - u.heapUsed - u.external);
    },
    uptime: () => Math.floor((Date.now() - started) / 1000),
    loadavg: () => [0, 0, 0],
    networkInterfaces: () => ({}),
    getPriority: () => 0,
    setPriority: () => {
      throw Object.assign(new Error('A system error occurred: uv_os_setpriority returned EACCES (permission denied)'), { code: 'ERR_SYSTEM_ERROR', errno: -13, syscall: 'uv_os_setpriority' });
    },
    // As /etc/passwd has the user for WASM commands (src/wasm/runner/host-user.ts).
    userInfo: () => {
      const u = user();
      return { uid: u.uid, gid: u.gid, username: u.name, homedir: u.home, shell: '/bin/sh' };
    },
  };
  // Read-only as in Node (assigning one throws in strict code).
  return Object.defineProperties(os, {
    constants: { configurable: false, enumerable: true, value: Object.freeze({ signals, errno, priority, dlopen, UV_UDP_REUSEADDR: 4 }) },
    EOL: { configurable: true, enumerable: true, writable: false, value: '\n' },
    devNull: { configurable: true, enumerable: true, writable: false, value: '/dev/null' },
  }) as typeof os & { readonly EOL: string; readonly devNull: string; readonly constants: object };
}

/** Linux's numbers, as Node's os.constants has them on x64. */
export const OS_CONSTANTS = {
  signals: Object.freeze({
    SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12,
    SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGSTKFLT: 16, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23,
    SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
  }),
  errno: Object.freeze({
    E2BIG: 7, EACCES: 13, EADDRINUSE: 98, EADDRNOTAVAIL: 99, EAFNOSUPPORT: 97, EAGAIN: 11, EALREADY: 114, EBADF: 9, EBADMSG: 74, EBUSY: 16, ECANCELED: 125,
    ECHILD: 10, ECONNABORTED: 103, ECONNREFUSED: 111, ECONNRESET: 104, EDEADLK: 35, EDESTADDRREQ: 89, EDOM: 33, EDQUOT: 122, EEXIST: 17, EFAULT: 14,
    EFBIG: 27, EHOSTUNREACH: 113, EIDRM: 43, EILSEQ: 84, EINPROGRESS: 115, EINTR: 4, EINVAL: 22, EIO: 5, EISCONN: 106, EISDIR: 21, ELOOP: 40, EMFILE: 24,
    EMLINK: 31, EMSGSIZE: 90, EMULTIHOP: 72, ENAMETOOLONG: 36, ENETDOWN: 100, ENETRESET: 102, ENETUNREACH: 101, ENFILE: 23, ENOBUFS: 105, ENODATA: 61,
    ENODEV: 19, ENOENT: 2, ENOEXEC: 8, ENOLCK: 37, ENOLINK: 67, ENOMEM: 12, ENOMSG: 42, ENOPROTOOPT: 92, ENOSPC: 28, ENOSR: 63, ENOSTR: 60, ENOSYS: 38,
    ENOTCONN: 107, ENOTDIR: 20, ENOTEMPTY: 39, ENOTSOCK: 88, ENOTSUP: 95, ENOTTY: 25, ENXIO: 6, EOPNOTSUPP: 95, EOVERFLOW: 75, EPERM: 1, EPIPE: 32,
    EPROTO: 71, EPROTONOSUPPORT: 93, EPROTOTYPE: 91, ERANGE: 34, EROFS: 30, ESPIPE: 29, ESRCH: 3, ESTALE: 116, ETIME: 62, ETIMEDOUT: 110, ETXTBSY: 26,
    EWOULDBLOCK: 11, EXDEV: 18,
  }),
  priority: Object.freeze({ PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 }),
  dlopen: Object.freeze({ RTLD_LAZY: 1, RTLD_NOW: 2, RTLD_GLOBAL: 256, RTLD_LOCAL: 0, RTLD_DEEPBIND: 8 }),
};
