/**
 * Every bound the sidecar enforces, in one place: its unit, default, the environment
 * variable that tunes it, where it applies and why it exists. Code reads values through
 * `limits.ts`; `test/limits-audit.test.ts` fails when a limit constant lives anywhere
 * else or an entry here is used nowhere.
 */
export type LimitScope = 'guest isolate' | 'process' | 'VM' | 'sidecar' | 'protocol';

export interface LimitSpec {
  readonly unit: 'MiB' | 'bytes' | 'ms' | 'count' | 'chars';
  readonly default: number;
  readonly env: string;
  readonly scope: LimitScope;
  /** The `vm/create` `limits` field that overrides it for one VM, when there is one. */
  readonly vmOverride?: string;
  /** The range an environment value (or a per-VM override) must fall in; outside it the default is used. */
  readonly min?: number;
  readonly max?: number;
  /** 0 by default means the bound is off until configured. */
  readonly optional?: boolean;
  /** The name its "bounded limit exhausted" warning uses, when not the entry's own. */
  readonly warnAs?: string;
  readonly why: string;
}

const MiB = 1024 * 1024;

export const INVENTORY = {
  GUEST_HEAP_LIMIT_MB: {
    unit: 'MiB', default: 128, env: 'AGENTOS_GUEST_HEAP_LIMIT_MB', scope: 'guest isolate', vmOverride: 'heapLimitMb', min: 8,
    max: 16_384,
    why: 'V8 heap of one guest JS isolate (isolated-vm memoryLimit; its floor is 8); the per-guest budget, as on Cloudflare Workers',
  },
  GUEST_CPU_TIME_LIMIT_MS: {
    unit: 'ms', default: 30_000, env: 'AGENTOS_GUEST_CPU_TIME_LIMIT_MS', scope: 'process', vmOverride: 'cpuTimeLimitMs',
    min: 1, max: 2_147_483_647,
    why: 'stops a busy loop; measured with isolate.cpuTime, which runs high when isolates contend for cores',
  },
  GUEST_WALL_TIME_LIMIT_MS: {
    unit: 'ms', default: 300_000, env: 'AGENTOS_GUEST_WALL_TIME_LIMIT_MS', scope: 'process', vmOverride: 'wallTimeLimitMs',
    min: 1, max: 2_147_483_647,
    why: 'stops a guest that waits forever (an interval, a blocked read); process/exec timeoutMs lowers it per call',
  },
  MAX_TIMER_DELAY_MS: {
    unit: 'ms', default: 2_147_483_647, env: 'AGENTOS_MAX_TIMER_DELAY_MS', scope: 'process',
    min: 1, max: 2_147_483_647,
    why: 'longer guest timer delays are clamped to it (the 32-bit maximum Node itself accepts)',
  },
  MAX_TIMERS_PER_PROCESS: {
    unit: 'count', default: 4096, env: 'AGENTOS_MAX_TIMERS_PER_PROCESS', scope: 'process',
    min: 1, max: 1_000_000,
    why: 'live timers of one guest process (kept in its heap; the host holds one timer per process, armed for the earliest)',
  },
  PROCESS_OUTPUT_LIMIT_BYTES: {
    unit: 'bytes', default: 16 * MiB, env: 'AGENTOS_PROCESS_OUTPUT_LIMIT_BYTES', scope: 'process', vmOverride: 'outputLimitBytes',
    min: 1, max: 256 * MiB,
    why: 'captured stdout+stderr of one process; the rest is dropped and the result says truncated',
  },
  STDIN_LIMIT_BYTES: {
    unit: 'bytes', default: 16 * MiB, env: 'AGENTOS_STDIN_LIMIT_BYTES', scope: 'process',
    min: 1, max: 256 * MiB,
    why: 'stdin a host may hand one process',
  },
  PTY_LINE_MAX_BYTES: {
    unit: 'bytes', default: 4096, env: 'AGENTOS_PTY_LINE_MAX_BYTES', scope: 'process',
    min: 256, max: 65536,
    why: 'the line a pseudo-terminal holds while it is edited in canonical mode (N_TTY_BUF_SIZE on Linux): past it typed characters are dropped until a newline, as n_tty does',
  },
  PTY_INPUT_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_PTY_INPUT_MAX_BYTES', scope: 'process',
    min: 4096, max: 256 * MiB,
    why: 'typed input a pseudo-terminal queues for programs that have not read it yet; past it process/write is refused (ERR_AGENTOS_STDIN_CLOSED with the figure) until they read',
  },
  ARGV_LIMIT_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_ARGV_LIMIT_BYTES', scope: 'process',
    min: 1, max: 64 * MiB,
    why: 'total size of a command line, as ARG_MAX bounds it on Linux',
  },
  ENV_LIMIT_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_ENV_LIMIT_BYTES', scope: 'process',
    min: 1, max: 64 * MiB,
    why: 'total size of an environment (keys and values)',
  },
  FS_QUOTA_BYTES: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_FS_QUOTA_BYTES', scope: 'VM', vmOverride: 'fsQuotaBytes',
    min: 1, max: 64 * 1024 * MiB,
    why: 'file data one VM filesystem may hold (it lives in the daemon\'s memory)',
  },
  FS_INODE_LIMIT: {
    unit: 'count', default: 16_384, env: 'AGENTOS_FS_INODE_LIMIT', scope: 'VM', vmOverride: 'fsInodeLimit',
    min: 16, max: 16 * MiB,
    why: 'files, directories and links in one VM filesystem; empty files cost memory too',
  },
  FS_PATH_MAX: {
    unit: 'chars', default: 4096, env: 'AGENTOS_FS_PATH_MAX', scope: 'VM',
    min: 256, max: 65_536,
    why: 'longest path accepted (PATH_MAX on Linux); longer ones get ENAMETOOLONG',
  },
  FS_NAME_MAX: {
    unit: 'chars', default: 255, env: 'AGENTOS_FS_NAME_MAX', scope: 'VM',
    min: 14, max: 4096,
    why: 'longest single path component (NAME_MAX on Linux)',
  },
  FS_XATTR_VALUE_MAX_BYTES: {
    unit: 'bytes', default: 65536, env: 'AGENTOS_FS_XATTR_VALUE_MAX_BYTES', scope: 'VM',
    min: 1, max: 16 * MiB,
    why: 'value of one extended attribute (XATTR_SIZE_MAX on Linux); names and values count against the fs quota',
  },
  FS_SYMLINK_FOLLOW_MAX: {
    unit: 'count', default: 40, env: 'AGENTOS_FS_SYMLINK_FOLLOW_MAX', scope: 'VM',
    min: 1, max: 1024,
    why: 'symbolic links followed while resolving one path before ELOOP (Linux uses 40)',
  },
  FS_PATH_WALK_MAX: {
    unit: 'count', default: 4096, env: 'AGENTOS_FS_PATH_WALK_MAX', scope: 'VM',
    min: 256, max: 1_000_000,
    why: 'path components one resolution walks, symlink targets included (ELOOP past it): links through links through `x/..` runs cannot make one lookup, on the daemon thread, do more',
  },
  FS_READDIR_PAGE_MAX: {
    unit: 'count', default: 10_000, env: 'AGENTOS_FS_READDIR_PAGE_MAX', scope: 'protocol',
    min: 1, max: 1_000_000,
    why: 'entries one fs/readdir answer, or one guest JS readdir call into the daemon, carries; a larger directory is read in pages (`after`, `next`), so no answer holds the daemon thread or a frame past it',
  },
  FS_EXPORT_CHUNK_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_FS_EXPORT_CHUNK_BYTES', scope: 'protocol',
    min: 4096, max: 64 * MiB,
    why: 'archive bytes one fs/exportData notification carries (before base64); an export is sent as many, paced by AGENTOS_EVENT_BUFFER_BYTES, so no frame holds a whole tree',
  },
  FS_IMPORTS_PER_VM: {
    unit: 'count', default: 4, env: 'AGENTOS_FS_IMPORTS_PER_VM', scope: 'VM',
    min: 1, max: 1024,
    why: 'fs/import sessions a VM holds open at once (each keeps its archive staged until its last chunk; together they are held to the VM\'s quota)',
  },
  TAR_META_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_TAR_META_MAX_BYTES', scope: 'protocol',
    min: 4096, max: 64 * MiB,
    why: 'one pax extended header or GNU long name in an imported archive: metadata that is not charged to the quota must not be unbounded',
  },
  FS_WATCHES_PER_VM: {
    unit: 'count', default: 64, env: 'AGENTOS_FS_WATCHES_PER_VM', scope: 'VM',
    min: 1, max: 65_536,
    why: 'fs/watch watches and guest fs.watch watchers of a VM together; each change is matched against them all',
  },
  FS_WATCH_QUEUE_MAX: {
    unit: 'count', default: 1024, env: 'AGENTOS_FS_WATCH_QUEUE_MAX', scope: 'VM',
    min: 16, max: 1_000_000,
    why: 'changes one watch holds between flushes (one event-loop turn, or while the host is not taking notifications); past it the rest are dropped and the flush says `overflow`, as inotify\'s IN_Q_OVERFLOW',
  },
  FS_IO_MAX_BYTES: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_FS_IO_MAX_BYTES', scope: 'process',
    min: 4096, max: 1024 * MiB,
    why: 'one read or write call between a guest and the VM filesystem',
  },
  MAX_OPEN_FILES_PER_PROCESS: {
    unit: 'count', default: 256, env: 'AGENTOS_MAX_OPEN_FILES', scope: 'process', vmOverride: 'maxOpenFiles',
    min: 8, max: 65_536,
    why: 'open file descriptors in one process (EMFILE past it)',
  },
  PIPE_BUFFER_BYTES: {
    unit: 'bytes', default: 64 * 1024, env: 'AGENTOS_PIPE_BUFFER_BYTES', scope: 'VM', min: 4096,
    max: 16 * MiB,
    why: 'bytes a pipe between two guest processes holds before its writer blocks (64 KiB, as on Linux); rounded down to a power of two',
  },
  PIPE_SPILL_BYTES_PER_VM: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_PIPE_SPILL_BYTES_PER_VM', scope: 'VM', min: 1,
    max: 16 * 1024 * MiB,
    why: 'bytes the daemon holds for a VM\'s full pipes whose reader waits for the writer to end (the shell runs `$(…)` and `{ …; } | cmd` so: it cannot fork); past it such a writer blocks as on Linux (below one pipe buffer, nothing is spilled); in the daemon\'s heap',
  },
  MAX_PIPES_PER_VM: {
    unit: 'count', default: 256, env: 'AGENTOS_MAX_PIPES_PER_VM', scope: 'VM',
    min: 1, max: 65_536,
    why: 'pipes one VM holds at once (ENFILE past it); each holds a buffer of AGENTOS_PIPE_BUFFER_BYTES, and open fds alone would allow 256 processes × 128',
  },
  SOCKET_BUFFER_BYTES: {
    unit: 'bytes', default: 128 * 1024, env: 'AGENTOS_SOCKET_BUFFER_BYTES', scope: 'VM', min: 4096,
    max: 16 * MiB,
    why: 'bytes a command binary\'s socket holds each way between the guest and its stream (a receive and a send buffer, as a kernel\'s); past it the stream is paused or the guest\'s send blocks; rounded down to a power of two',
  },
  MAX_SOCKETS_PER_VM: {
    unit: 'count', default: 256, env: 'AGENTOS_MAX_SOCKETS_PER_VM', scope: 'VM',
    min: 1, max: 65_536,
    why: 'sockets the command binaries of one VM hold at once (ENFILE past it); each holds two buffers of AGENTOS_SOCKET_BUFFER_BYTES',
  },
  SPAWN_ACTIONS_MAX: {
    unit: 'count', default: 4096, env: 'AGENTOS_SPAWN_ACTIONS_MAX', scope: 'process',
    min: 1, max: 1_000_000,
    why: 'posix_spawn file actions one spawn may carry (E2BIG past it), as the command ABI bounds them',
  },
  SPAWN_ACTIONS_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_SPAWN_ACTIONS_MAX_BYTES', scope: 'process',
    min: 4096, max: 64 * MiB,
    why: 'bytes of posix_spawn file actions one spawn may carry (E2BIG past it), as the command ABI bounds them',
  },
  MAX_PROCESSES_PER_VM: {
    unit: 'count', default: 256, env: 'AGENTOS_MAX_PROCESSES_PER_VM', scope: 'VM', vmOverride: 'maxProcesses',
    min: 1, max: 65_536,
    why: 'processes running at once in one VM; each holds an isolate',
  },
  SIDECAR_MAX_PROCESSES: {
    unit: 'count', default: 1024, env: 'AGENTOS_SIDECAR_MAX_PROCESSES', scope: 'sidecar',
    min: 1, max: 1_000_000,
    why: 'processes running at once across every VM: each holds an isolate and, while it blocks, a thread (a blocked `sleep` costs 2.4 MB and one thread, bench/README.md), so 1,024 is ~2.4 GB; without it enough VMs within their own bound reach gigabytes and the kernel\'s pid_max (a spawning guest gets EAGAIN)',
  },
  SPAWN_BURST_PER_VM: {
    unit: 'count', default: 64, env: 'AGENTOS_SPAWN_BURST_PER_VM', scope: 'VM',
    min: 1, max: 1_000_000,
    why: 'processes a VM\'s guests may start at once before the spawn rate applies; past it a spawned child waits for its turn holding no isolate, so one VM\'s spawn storm cannot hold the daemon\'s thread from the others',
  },
  CPU_SLOTS_PER_VM: {
    unit: 'count', default: 1, env: 'AGENTOS_CPU_SLOTS_PER_VM', scope: 'VM',
    min: 1, max: 1024,
    why: 'a VM\'s processes that run guest code at once (the rest wait parked, costing no CPU, until one blocks or its slice ends): Linux shares the cores per thread, so without it a VM running 32 busy processes took 32 shares and another VM\'s `echo hi` waited 400-750 ms; raise it on machines with more cores',
  },
  CPU_SLICE_MS: {
    unit: 'ms', default: 10, env: 'AGENTOS_CPU_SLICE_MS', scope: 'VM',
    min: 1, max: 60_000,
    why: 'how long a process keeps its VM\'s run slot, at its next host call, while another process of the VM waits for one',
  },
  SPAWN_INTERVAL_MS: {
    unit: 'ms', default: 5, env: 'AGENTOS_SPAWN_INTERVAL_MS', scope: 'VM',
    min: 1, max: 3_600_000,
    why: 'once its burst is spent, a VM\'s guests start one process per interval (5 ms: 200 a second); each start costs the daemon an isolate',
  },
  SNAPSHOT_MAX_COUNT: {
    unit: 'count', default: 64, env: 'AGENTOS_SNAPSHOT_MAX_COUNT', scope: 'sidecar',
    min: 1, max: 100_000,
    why: 'snapshots the daemon holds at once (vm/snapshot, snapshot/import); each pins the file versions its VM has since changed',
  },
  SNAPSHOT_MAX_BYTES: {
    unit: 'bytes', default: 1024 * MiB, env: 'AGENTOS_SNAPSHOT_MAX_BYTES', scope: 'sidecar',
    min: 1, max: 1024 * 1024 * MiB,
    why: 'file bytes of all held snapshots together, each counted whole (an upper bound on what they pin, since copy-on-write shares bytes with live VMs)',
  },
  SNAPSHOT_ARCHIVE_MAX_BYTES: {
    unit: 'bytes', default: 256 * MiB, env: 'AGENTOS_SNAPSHOT_ARCHIVE_MAX_BYTES', scope: 'protocol',
    min: 1024, max: 64 * 1024 * MiB,
    why: 'one snapshot/import archive, buffered in the daemon until its last chunk; a larger one is refused as it arrives',
  },
  SNAPSHOT_IMPORTS_MAX: {
    unit: 'count', default: 4, env: 'AGENTOS_SNAPSHOT_IMPORTS_MAX', scope: 'sidecar',
    min: 1, max: 1024,
    why: 'snapshot/import uploads in progress at once, each buffering up to SNAPSHOT_ARCHIVE_MAX_BYTES',
  },
  SNAPSHOT_EXPORT_CHUNK_BYTES: {
    unit: 'bytes', default: 256 * 1024, env: 'AGENTOS_SNAPSHOT_EXPORT_CHUNK_BYTES', scope: 'protocol',
    min: 512, max: 16 * MiB,
    why: 'archive bytes in one snapshot/exportChunk notification (before base64), so a frame stays well under AGENTOS_MAX_FRAME_BYTES',
  },
  MAX_VMS: {
    unit: 'count', default: 10_000, env: 'AGENTOS_MAX_VMS', scope: 'sidecar',
    min: 1, max: 1_000_000,
    why: 'live VMs in one daemon; an idle VM costs well under 1 MB, so this is about fairness, not memory',
  },
  MODULE_CODE_CACHE_BYTES: {
    unit: 'bytes', default: 128 * MiB, env: 'AGENTOS_MODULE_CODE_CACHE_BYTES', scope: 'sidecar',
    min: 1, max: 16_384 * MiB,
    why: 'V8 code cache of guest modules by source hash, shared by every process and VM (least recently used evicted first; a cache larger than the whole is not kept)',
  },
  MODULE_CODE_CACHE_MIN_SOURCE_BYTES: {
    unit: 'bytes', default: 16 * 1024, env: 'AGENTOS_MODULE_CODE_CACHE_MIN_SOURCE_BYTES', scope: 'sidecar',
    min: 1, max: 1024 * MiB,
    why: 'smaller module sources compile faster than producing and copying a cache for them is worth',
  },
  MODULE_CODE_CACHE_PENDING_MAX: {
    unit: 'count', default: 32, env: 'AGENTOS_MODULE_CODE_CACHE_PENDING_MAX', scope: 'sidecar',
    min: 1, max: 100_000,
    why: 'sources waiting to have their cache produced (one at a time, off the daemon thread); more are skipped, not queued',
  },
  ISOLATE_POOL_SIZE: {
    unit: 'count', default: 4, env: 'AGENTOS_ISOLATE_POOL_SIZE', scope: 'sidecar',
    min: 1, max: 256,
    why: 'prepared default-heap isolates kept ready so a VM\'s first exec skips isolate creation; each holds ~1 MB',
  },
  PACKAGE_JSON_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_PACKAGE_JSON_MAX_BYTES', scope: 'VM',
    min: 1024, max: 64 * MiB,
    why: 'one package.json module resolution reads (on the daemon thread, at every require that looks at it); past it the require fails with ERR_INVALID_PACKAGE_CONFIG. The largest on npm are a few hundred KB',
  },
  PACKAGE_JSON_MAX_DEPTH: {
    unit: 'count', default: 64, env: 'AGENTOS_PACKAGE_JSON_MAX_DEPTH', scope: 'VM',
    min: 8, max: 100_000,
    why: 'nesting of one package.json module resolution reads, checked before JSON.parse builds it (nested "exports" conditions go a few levels deep)',
  },
  WASM_IDLE_RUNNERS_PER_VM: {
    unit: 'count', default: 8, env: 'AGENTOS_WASM_IDLE_RUNNERS_PER_VM', scope: 'VM',
    min: 1, max: 256,
    why: 'runners a VM keeps for a second after its WASM commands end, so the stages of its next pipeline start warm (a fresh runner costs ~10 ms more); never shared across VMs',
  },
  WASM_IDLE_RUNNER_MEMORY_BYTES: {
    unit: 'bytes', default: 16 * MiB, env: 'AGENTOS_WASM_IDLE_RUNNER_MEMORY_BYTES', scope: 'VM',
    min: 65_536, max: 4096 * MiB,
    why: 'a runner is kept idle only if its last program ended with at most this much linear memory: until that isolate collects it, the memory stays, outside the memory meter',
  },
  WASM_RUNNER_HEAP_LIMIT_MB: {
    unit: 'MiB', default: 2048, env: 'AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB', scope: 'process', vmOverride: 'wasmRunnerHeapLimitMb', min: 8, warnAs: 'v8_heap_bytes',
    max: 16_384,
    why: 'V8 heap ceiling of a WASM runner isolate (trusted code that holds the module and moves file data); a ceiling, not a reservation',
  },
  WASM_MAX_MEMORY_BYTES: {
    unit: 'bytes', default: 128 * MiB, env: 'AGENTOS_WASM_MAX_MEMORY_BYTES', scope: 'process', vmOverride: 'wasmMaxMemoryBytes',
    min: 65_536, max: 16 * 1024 * MiB,
    why: 'linear memory of one WASM process, enforced by rewriting the module\'s memory maximum (isolated-vm does not count it)',
  },
  VM_WASM_MEMORY_BYTES: {
    unit: 'bytes', default: 1024 * MiB, env: 'AGENTOS_VM_WASM_MEMORY_BYTES', scope: 'VM', vmOverride: 'vmWasmMemoryBytes',
    min: 65_536, max: 1024 * 1024 * MiB,
    why: 'linear memory of all WASM processes of one VM together, metered on every host call (a process that stops calling the host counts at its cap); past it the largest is stopped',
  },
  WASM_METER_SILENT_MS: {
    unit: 'ms', default: 1000, env: 'AGENTOS_WASM_METER_SILENT_MS', scope: 'sidecar',
    min: 50, max: 60_000,
    why: 'how long a running WASM process may go without a host call before the memory meter counts it at its cap (it may have grown unseen); shorter, and a pipeline\'s stages merely waiting for a core on a loaded machine were counted at their caps together and killed',
  },
  SIDECAR_WASM_MEMORY_BYTES: {
    unit: 'bytes', default: 8192 * MiB, env: 'AGENTOS_SIDECAR_WASM_MEMORY_BYTES', scope: 'sidecar',
    min: 65_536, max: 1024 * 1024 * MiB,
    why: 'linear memory of every WASM process in the daemon together, metered the same way, so no mix of VMs can exhaust the machine',
  },
  WASM_MAX_FUEL: {
    unit: 'count', default: 0, env: 'AGENTOS_WASM_MAX_FUEL', scope: 'process', vmOverride: 'wasmMaxFuel', optional: true,
    min: 1, max: Number.MAX_SAFE_INTEGER,
    why: 'a deterministic work budget: one unit per function call and loop iteration (off by default; CPU time bounds every run anyway)',
  },
  WASM_MAX_CALL_DEPTH: {
    unit: 'count', default: 0, env: 'AGENTOS_WASM_MAX_CALL_DEPTH', scope: 'process', vmOverride: 'wasmMaxCallDepth', optional: true,
    min: 1, max: 1_000_000,
    why: 'nested calls of one WASM process, counted by rewriting the module (off by default: V8\'s own stack bound then ends a runaway recursion with a trap)',
  },
  WASM_MODULE_MAX_BYTES: {
    unit: 'bytes', default: 256 * MiB, env: 'AGENTOS_WASM_MODULE_MAX_BYTES', scope: 'sidecar',
    min: 8, max: 1024 * MiB,
    why: 'size of one module file to register or run',
  },
  WASM_CALL_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_WASM_CALL_MAX_BYTES', scope: 'process',
    min: 4096, max: 64 * MiB,
    why: 'bytes one WASI call carries between a runner and the daemon (fd_write, fd_pwrite, fd_read, fd_pread, xattr values); a longer read or write is short, as POSIX allows, so iovecs aliasing one buffer cannot multiply it',
  },
  WASM_IOV_MAX: {
    unit: 'count', default: 1024, env: 'AGENTOS_WASM_IOV_MAX', scope: 'process',
    min: 16, max: 65536,
    why: 'iovecs one WASI read or write may name (IOV_MAX on Linux); more is EINVAL',
  },
  WASM_MAX_TABLE_ENTRIES: {
    unit: 'count', default: 1_048_576, env: 'AGENTOS_WASM_MAX_TABLE_ENTRIES', scope: 'process',
    min: 1024, max: 100_000_000,
    why: 'entries of all tables of one WASM process together, enforced by rewriting table limits (table.grow past it fails); each entry is counted as 8 bytes with linear memory in the VM and sidecar WASM memory budgets',
  },
  WASM_MAX_SECTIONS: {
    unit: 'count', default: 1024, env: 'AGENTOS_WASM_MAX_SECTIONS', scope: 'sidecar',
    min: 16, max: 65536,
    why: 'sections of one module (a real one has under 40): checked while reading section headers, before any work proportional to their number',
  },
  WASM_MAX_SECTION_ENTRIES: {
    unit: 'count', default: 100_000, env: 'AGENTOS_WASM_MAX_SECTION_ENTRIES', scope: 'sidecar',
    min: 1024, max: 10_000_000,
    why: 'entries one module section may declare (imports, functions, globals, tables, element and data segments, exports; V8\'s own limits are 100,000 to 1,000,000): checked before the section is read',
  },
  WASM_MAX_FUNCTION_BYTES: {
    unit: 'bytes', default: 7_654_321, env: 'AGENTOS_WASM_MAX_FUNCTION_BYTES', scope: 'sidecar',
    min: 1024, max: 7_654_321,
    why: 'body of one WASM function, checked before V8 compiles it; the default and maximum are V8\'s own kV8MaxWasmFunctionSize (the compiler holds state in proportion to one body)',
  },
  WASM_MAX_FUNCTION_LOCALS: {
    unit: 'count', default: 50_000, env: 'AGENTOS_WASM_MAX_FUNCTION_LOCALS', scope: 'sidecar',
    min: 16, max: 50_000,
    why: 'locals one WASM function declares, checked before V8 compiles it; the default and maximum are V8\'s own kV8MaxWasmFunctionLocals',
  },
  WASM_MAX_CONTROL_DEPTH: {
    unit: 'count', default: 65_536, env: 'AGENTOS_WASM_MAX_CONTROL_DEPTH', scope: 'sidecar',
    min: 64, max: 1_000_000,
    why: 'nesting of blocks, loops, ifs and trys in one WASM function, checked before V8 compiles it: V8 has no bound of its own and its compiler holds an entry per open block (2M nested blocks grew the daemon 1.6 GB per compile); the default fits a br_table of V8\'s largest size lowered to nested blocks, as compilers lower a switch',
  },
  WASM_MAX_BR_TABLE_TARGETS: {
    unit: 'count', default: 65_520, env: 'AGENTOS_WASM_MAX_BR_TABLE_TARGETS', scope: 'sidecar',
    min: 16, max: 65_520,
    why: 'entries of one br_table (its default not counted), checked before V8 compiles it; the default and maximum are V8\'s own kV8MaxWasmFunctionBrTableSize',
  },
  WASM_MODULE_CACHE_ENTRIES: {
    unit: 'count', default: 64, env: 'AGENTOS_WASM_MODULE_CACHE_ENTRIES', scope: 'sidecar',
    min: 1, max: 4096,
    why: 'compiled modules kept for reuse across runs and VMs (least recently used goes first)',
  },
  MAX_FRAME_BYTES: {
    unit: 'bytes', default: 96 * MiB, env: 'AGENTOS_MAX_FRAME_BYTES', scope: 'protocol',
    min: 64 * 1024, max: 256 * MiB,
    why: 'one incoming JSON-RPC frame; a larger one is skipped unread by its Content-Length and answered with ERR_AGENTOS_FRAME_TOO_LARGE (fits a full fs quota as base64)',
  },
  MAX_FRAME_HEADER_BYTES: {
    unit: 'bytes', default: 8192, env: 'AGENTOS_MAX_FRAME_HEADER_BYTES', scope: 'protocol',
    min: 64, max: 1 * MiB,
    why: 'the header block of one frame; a stream that never sends a blank line is a protocol violation',
  },
  COMPLETED_RESPONSES_REMEMBERED: {
    unit: 'count', default: 10_000, env: 'AGENTOS_COMPLETED_RESPONSES_REMEMBERED', scope: 'protocol',
    min: 1, max: 10_000_000,
    why: 'ids of answered sidecar-to-host requests kept to recognise a duplicate answer',
  },
  EVENT_BUFFER_BYTES: {
    unit: 'bytes', default: 8 * MiB, env: 'AGENTOS_EVENT_BUFFER_BYTES', scope: 'protocol',
    min: 64 * 1024, max: 1024 * MiB,
    why: 'process/output bytes written but not yet taken by the host; past it, guests that print are paused',
  },
  OUTPUT_WINDOW_BYTES: {
    unit: 'bytes', default: 64 * 1024, env: 'AGENTOS_OUTPUT_WINDOW_BYTES', scope: 'process',
    min: 1024, max: 16 * MiB,
    why: 'output (and other bytes crossing to the daemon in fire-and-forget calls) a guest may send before it waits for the daemon to have taken it and, for process/spawn, for room in the event buffer (one blocking call per window)',
  },
  GUEST_CALL_WINDOW: {
    unit: 'count', default: 256, env: 'AGENTOS_GUEST_CALL_WINDOW', scope: 'process', min: 1, max: 1_000_000,
    why: 'fire-and-forget calls (writes, timers, exit codes, host calls) a guest makes before it waits for the daemon to have run them all and had a turn; with OUTPUT_WINDOW_BYTES, bounds what one process has queued on the daemon\'s thread',
  },
  GUEST_CALL_TURN_MS: {
    unit: 'ms', default: 4, env: 'AGENTOS_GUEST_CALL_TURN_MS', scope: 'sidecar', min: 1, max: 1000,
    why: 'time guests\' calls may hold the daemon\'s thread in one turn of its event loop; past it their calls wait for the next turn, so pings, timers, budgets and other VMs\' requests are never starved (each call\'s time is also charged to its process\'s CPU budget)',
  },
  RANDOM_CALL_MAX_BYTES: {
    unit: 'bytes', default: 65536, env: 'AGENTOS_RANDOM_CALL_MAX_BYTES', scope: 'process', min: 65536, max: 16 * MiB,
    why: 'random bytes one guest call into the daemon returns; larger requests (crypto.randomBytes, random_get, /dev/urandom) are filled by several calls, each within the daemon\'s turn budget',
  },
  NODE_CALL_MAX_BYTES: {
    unit: 'bytes', default: 65536, env: 'AGENTOS_NODE_CALL_MAX_BYTES', scope: 'process', min: 4096, max: 16 * MiB,
    why: 'input one crypto or zlib call of a guest hands the daemon (a hash update, a cipher or zlib chunk), and output one zlib call gives back; larger inputs go in several calls, so a hash, cipher or zlib step holds the daemon\'s thread briefly and a zip bomb\'s output never piles up in the daemon (key derivation runs on the libuv pool)',
  },
  NODE_HANDLES_PER_PROCESS: {
    unit: 'count', default: 1024, env: 'AGENTOS_NODE_HANDLES_PER_PROCESS', scope: 'process', min: 1, max: 1_000_000,
    why: 'hash, hmac, cipher and zlib states one guest process keeps in the daemon at once (each holds OpenSSL or zlib memory outside the guest\'s heap); past it createHash and the like throw',
  },
  CRYPTO_PBKDF2_MAX_ITERATIONS: {
    unit: 'count', default: 5_000_000, env: 'AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS', scope: 'process', min: 1, max: 2_147_483_647,
    why: 'iterations of one pbkdf2 call; it runs on the daemon\'s libuv pool, off its thread, charged to the guest\'s CPU time, but a guest must not hold a pool thread for minutes (10^9 iterations)',
  },
  CRYPTO_SCRYPT_MAX_MEMORY_BYTES: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_CRYPTO_SCRYPT_MAX_MEMORY_BYTES', scope: 'process', min: MiB, max: 1024 * MiB,
    why: 'the most a guest\'s scrypt maxmem may be (128·N·r bytes of daemon memory, and time in proportion): N=2^20 with r=8 would take 1 GiB; past it Node\'s own "memory limit exceeded" error',
  },
  CRYPTO_KEYGEN_MAX_BITS: {
    unit: 'count', default: 8192, env: 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', scope: 'process', min: 1024, max: 65_536,
    why: 'bits of an RSA or DSA key a guest may generate (on the libuv pool) or import (each private operation runs on the daemon\'s thread): a 16384-bit RSA key takes minutes to generate and a second to sign with; past it keygen and import throw ERR_OUT_OF_RANGE',
  },
  CRYPTO_PRIME_MAX_BITS: {
    unit: 'count', default: 4096, env: 'AGENTOS_CRYPTO_PRIME_MAX_BITS', scope: 'process', min: 512, max: 65_536,
    why: 'bits of a prime a guest may have generated (generatePrime, createDiffieHellman(n), DH keygen\'s primeLength; four times it for checkPrime\'s candidate): finding a 10,000-bit safe prime holds a pool thread for hours; past it ERR_OUT_OF_RANGE',
  },
  CRYPTO_PRIME_MAX_CHECKS: {
    unit: 'count', default: 1024, env: 'AGENTOS_CRYPTO_PRIME_MAX_CHECKS', scope: 'process', min: 1, max: 2_147_483_647,
    why: 'Miller-Rabin rounds one checkPrime may ask for (each as long as a modular exponentiation; 2^31 of them hold a pool thread for days); past it ERR_OUT_OF_RANGE',
  },
  CRYPTO_KEY_BYTES_PER_VM: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_CRYPTO_KEY_BYTES_PER_VM', scope: 'VM', min: MiB, max: 4096 * MiB,
    why: 'key material (KeyObjects, CryptoKeys, Diffie-Hellman groups, certificates) the processes of one VM hold in the daemon, counted by key size; a dropped key cannot be seen from the daemon, so they are freed when their process ends (or its garbage collector frees them); past it creating a key throws ERR_AGENTOS_CRYPTO_KEYS',
  },
  ZLIB_HANDLE_MEMORY_BYTES: {
    unit: 'bytes', default: 512 * MiB, env: 'AGENTOS_ZLIB_HANDLE_MEMORY_BYTES', scope: 'process', min: MiB, max: 16384 * MiB,
    why: 'native memory the zlib and brotli handles of one guest process may hold in the daemon at once: deflate\'s window and hash from the start, a brotli encoder\'s ring buffer and hasher and a decoder\'s window as data flows, up to the most their parameters allow (16 MiB windows, 1 GiB with brotli\'s large-window option); past it a new handle throws and a stream fails with ERR_AGENTOS_ZLIB_MEMORY until some are closed',
  },
  ZLIB_HANDLE_RESERVE_BYTES: {
    unit: 'bytes', default: 256 * MiB, env: 'AGENTOS_ZLIB_HANDLE_RESERVE_BYTES', scope: 'process', min: 64 * MiB, max: 16384 * MiB,
    why: 'address space one brotli encoder may reserve in the daemon (its ring buffer, and at qualities 10-11 a hasher of 8 bytes per window position: 9 GiB for a 1 GiB large window), touched or not; brotli\'s encoder crashes the whole daemon when such an allocation is refused, so parameters that would reserve more fail at creation with ERR_AGENTOS_ZLIB_MEMORY (the default admits every standard window at every quality)',
  },
  ZLIB_BROTLI_BLOCK_BYTES: {
    unit: 'bytes', default: 256 * 1024, env: 'AGENTOS_ZLIB_BROTLI_BLOCK_BYTES', scope: 'process', min: 64 * 1024, max: 16 * MiB,
    why: 'the largest block (BROTLI_PARAM_LGBLOCK) a guest\'s brotli encoder may compress in one step on the daemon\'s thread: the step that fills a block compresses all of it, and 16 MiB at quality 11 holds every VM for seconds; Node never picks more than 256 KiB on its own, so only an explicit larger block fails at creation with ERR_AGENTOS_ZLIB_BLOCK',
  },
  TEXT_DECODE_CALL_MAX_BYTES: {
    unit: 'bytes', default: 65536, env: 'AGENTOS_TEXT_DECODE_CALL_MAX_BYTES', scope: 'process', min: 4096, max: 16 * MiB,
    why: 'bytes one guest TextDecoder call into the daemon decodes (the daemon\'s own decoder, so every encoding is Node\'s); larger input is decoded by several streamed calls, each within the daemon\'s turn budget',
  },
  TEXT_DECODERS_PER_PROCESS: {
    unit: 'count', default: 1024, env: 'AGENTOS_TEXT_DECODERS_PER_PROCESS', scope: 'process', min: 1, max: 1_000_000,
    why: 'TextDecoders of one guest process in the middle of a streamed decode (`stream: true`); each holds a decoder in the daemon until a call without `stream` flushes it',
  },
  HOST_CALL_TIMEOUT_MS: {
    unit: 'ms', default: 30_000, env: 'AGENTOS_HOST_CALL_TIMEOUT_MS', scope: 'VM',
    min: 1, max: 2_147_483_647,
    why: 'a host/call the host does not answer in time fails in the guest with ERR_AGENTOS_HOST_CALL_TIMEOUT',
  },
  PERMISSION_ASK_TIMEOUT_MS: {
    unit: 'ms', default: 30_000, env: 'AGENTOS_PERMISSION_ASK_TIMEOUT_MS', scope: 'VM',
    min: 1, max: 2_147_483_647,
    why: 'how long a guest waits for the host\'s answer to a permission/request (a rule with mode ask); no answer in time is a denial',
  },
  PERMISSION_REMEMBER_MAX: {
    unit: 'count', default: 4096, env: 'AGENTOS_PERMISSION_REMEMBER_MAX', scope: 'VM',
    min: 1, max: 1_000_000,
    why: 'answers to permission/request a VM keeps with `remember`; past it an answer applies once and is asked again next time',
  },
  MAX_HOST_CALLS_IN_FLIGHT: {
    unit: 'count', default: 64, env: 'AGENTOS_MAX_HOST_CALLS_IN_FLIGHT', scope: 'VM',
    min: 1, max: 100_000,
    why: 'host/call requests one VM may have waiting at once; each holds a pending record and a guest promise',
  },
  HOST_CALL_PAYLOAD_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_HOST_CALL_PAYLOAD_BYTES', scope: 'VM',
    min: 1024, max: 256 * MiB,
    why: 'the JSON size of one host call\'s arguments, or of its answer',
  },
  LOG_BUFFER_BYTES: {
    unit: 'bytes', default: 4 * MiB, env: 'AGENTOS_LOG_BUFFER_BYTES', scope: 'sidecar',
    min: 4096, max: 1024 * MiB,
    why: 'log lines waiting for a host that does not read stderr are dropped past this, so logging never blocks the daemon',
  },
  SHUTDOWN_DEADLINE_MS: {
    unit: 'ms', default: 900, env: 'AGENTOS_SHUTDOWN_DEADLINE_MS', scope: 'sidecar',
    min: 10, max: 600_000,
    why: 'on EOF or SIGTERM the daemon exits within this time even if a VM is slow to dispose',
  },
  EXIT_GRACE_MS: {
    unit: 'ms', default: 10_000, env: 'AGENTOS_EXIT_GRACE_MS', scope: 'sidecar',
    min: 10, max: 600_000,
    why: 'after its last answer and log line, the daemon waits until isolated-vm\'s threads are quiet (an exit while one still frees an isolate dies of SIGSEGV and loses the exit code); past this time it exits anyway',
  },
  MAX_PARAMS_DEPTH: {
    unit: 'count', default: 64, env: 'AGENTOS_MAX_PARAMS_DEPTH', scope: 'protocol',
    min: 8, max: 1024,
    why: 'nesting of a request\'s params or a host/call answer (objects and arrays); deeper is invalid params, refused before validation, which recurses',
  },
  PARENT_CHECK_INTERVAL_MS: {
    unit: 'ms', default: 500, env: 'AGENTOS_PARENT_CHECK_INTERVAL_MS', scope: 'sidecar',
    min: 10, max: 60_000,
    why: 'how often the daemon checks that its parent still lives; a host that dies while another process holds stdin open is noticed this late',
  },
  NET_CONNECTIONS_PER_VM: {
    unit: 'count', default: 256, env: 'AGENTOS_NET_CONNECTIONS_PER_VM', scope: 'VM', vmOverride: 'netConnections',
    min: 1, max: 65_536,
    why: 'connections one VM holds open at once, to the world and on its own loopback (EMFILE past it); each holds a host socket or a stream pair and their buffers',
  },
  NET_LISTENERS_PER_VM: {
    unit: 'count', default: 64, env: 'AGENTOS_NET_LISTENERS_PER_VM', scope: 'VM',
    min: 1, max: 28_232,
    why: 'ports and Unix socket paths one VM listens on at once on its own loopback (EMFILE past it); at most the ephemeral range 32768-60999',
  },
  NET_BYTES_IN_PER_VM: {
    unit: 'bytes', default: 4096 * MiB, env: 'AGENTOS_NET_BYTES_IN_PER_VM', scope: 'VM', vmOverride: 'netBytesIn',
    min: 1, max: 2 ** 40,
    why: 'bytes one VM receives from the world over its life; past it the connection ends with ENOBUFS (an agent downloading without end costs its host bandwidth)',
  },
  NET_BYTES_OUT_PER_VM: {
    unit: 'bytes', default: 1024 * MiB, env: 'AGENTOS_NET_BYTES_OUT_PER_VM', scope: 'VM', vmOverride: 'netBytesOut',
    min: 1, max: 2 ** 40,
    why: 'bytes one VM sends to the world over its life; past it the connection ends with ENOBUFS (a guest cannot use the host as an upload pump without bound)',
  },
  NET_DNS_LOOKUPS_PER_SECOND: {
    unit: 'count', default: 50, env: 'AGENTOS_NET_DNS_LOOKUPS_PER_SECOND', scope: 'VM', vmOverride: 'netDnsLookupsPerSecond',
    min: 1, max: 100_000,
    why: 'lookups one VM sends to the daemon\'s resolver in a second (EAI_AGAIN past it); overrides cost nothing and are not counted. The resolver is libuv\'s thread pool, shared by every VM',
  },
  INJECT_HEAD_LIMIT_BYTES: {
    unit: 'bytes', default: 65_536, env: 'AGENTOS_INJECT_HEAD_LIMIT_BYTES', scope: 'VM',
    min: 1024, max: 1_048_576,
    why: 'a request head (or chunk-size line) on a connection with network.inject rules is buffered up to this to find where headers go; past it the connection passes through with nothing added',
  },
  NET_CONNECT_TIMEOUT_MS: {
    unit: 'ms', default: 30_000, env: 'AGENTOS_NET_CONNECT_TIMEOUT_MS', scope: 'VM',
    min: 1, max: 600_000,
    why: 'a connect to the world that has not completed by then fails with ETIMEDOUT, so a dropped SYN does not hold a connection slot for the kernel\'s two minutes',
  },
  NET_LINGER_MS: {
    unit: 'ms', default: 30_000, env: 'AGENTOS_NET_LINGER_MS', scope: 'VM',
    min: 1, max: 600_000,
    why: 'a connection the guest closed with bytes still unsent (its peer does not read) is given up after this, as a kernel gives up an orphaned socket, so a peer that never reads cannot hold one of the VM\'s connections until it is disposed',
  },
  NET_RECENT_NAMES_PER_VM: {
    unit: 'count', default: 1024, env: 'AGENTOS_NET_RECENT_NAMES_PER_VM', scope: 'VM',
    min: 1, max: 1_000_000,
    why: 'addresses a VM resolved, remembered with their name so a connect by address (after dns.lookup) is judged by the name\'s rule; the oldest goes first',
  },
  NET_LOOPBACK_BUFFER_BYTES: {
    unit: 'bytes', default: 64 * 1024, env: 'AGENTOS_NET_LOOPBACK_BUFFER_BYTES', scope: 'VM',
    min: 1, max: 64 * MiB,
    why: 'bytes one end of an in-VM loopback connection holds unread before its writer waits, as a socket buffer',
  },
  IPC_CHANNEL_QUEUE_BYTES: {
    unit: 'bytes', default: 16 * MiB, env: 'AGENTOS_IPC_CHANNEL_QUEUE_BYTES', scope: 'process', min: 1024, max: 1024 * MiB,
    why: 'bytes of child_process IPC messages (fork, process.send) queued in the daemon for one side of one channel and not yet run by its guest; past it send fails with ENOBUFS (Node buffers without end; a guest that never reads must not make the daemon do so)',
  },
  IPC_CHANNEL_QUEUE_MESSAGES: {
    unit: 'count', default: 65_536, env: 'AGENTOS_IPC_CHANNEL_QUEUE_MESSAGES', scope: 'process', min: 1, max: 10_000_000,
    why: 'IPC messages queued in the daemon for one side of one channel (each costs the daemon an object beyond its bytes: a flood of empty messages); past it send fails with ENOBUFS',
  },
  IPC_VM_QUEUE_BYTES: {
    unit: 'bytes', default: 64 * MiB, env: 'AGENTOS_IPC_VM_QUEUE_BYTES', scope: 'VM', min: 1024, max: 16384 * MiB,
    why: 'bytes of IPC messages all the channels of one VM hold in the daemon at once (many forked children each under the per-channel bound); past it send fails with ENOBUFS',
  },
  NET_DELIVER_WINDOW_BYTES: {
    unit: 'bytes', default: 256 * 1024, env: 'AGENTOS_NET_DELIVER_WINDOW_BYTES', scope: 'process',
    min: 1, max: 64 * MiB,
    why: 'bytes of one connection handed to guest JS and not yet run by it; past it the daemon stops reading that connection until the guest catches up (a busy guest cannot make the daemon buffer without end)',
  },
  NET_UDP_SOCKETS_PER_VM: {
    unit: 'count', default: 256, env: 'AGENTOS_NET_UDP_SOCKETS_PER_VM', scope: 'VM',
    min: 1, max: 28_232,
    why: 'UDP sockets one VM holds bound at once (bind EMFILE past it); each may hold a host UDP socket and its queue',
  },
  NET_UDP_QUEUE_BYTES_PER_VM: {
    unit: 'bytes', default: 4 * MiB, env: 'AGENTOS_NET_UDP_QUEUE_BYTES_PER_VM', scope: 'VM',
    min: 65_536, max: 1024 * MiB,
    why: 'datagram bytes the daemon queues for one VM\'s UDP sockets, received and not yet read or sent and not yet gone; past it a datagram in is dropped (as a full socket buffer drops it) and one out fails with ENOBUFS, so a send flood costs only that VM',
  },
  NET_UDP_PEERS_PER_SOCKET: {
    unit: 'count', default: 64, env: 'AGENTOS_NET_UDP_PEERS_PER_SOCKET', scope: 'VM',
    min: 1, max: 65_536,
    why: 'peers in the world one guest UDP socket has sent to, whose replies its host socket takes in (a stateful firewall); the oldest is forgotten first',
  },
  NET_FORWARDS_PER_VM: {
    unit: 'count', default: 16, env: 'AGENTOS_NET_FORWARDS_PER_VM', scope: 'VM',
    min: 1, max: 1024,
    why: 'vm/forward ports one VM holds open on the host at once; each is a host listening socket',
  },
  TLS_CONTEXT_MAX_BYTES: {
    unit: 'bytes', default: 1 * MiB, env: 'AGENTOS_TLS_CONTEXT_MAX_BYTES', scope: 'process',
    min: 4096, max: 64 * MiB,
    why: 'text and bytes of one secure context a guest asks the daemon to build (keys, certificates, CAs, pfx, ALPN names): parsed by the daemon\'s OpenSSL and held while the context lives; past it tls.createSecureContext throws E2BIG (a guest\'s megabytes of "certificates" never reach OpenSSL)',
  },
  TLS_CONTEXTS_PER_PROCESS: {
    unit: 'count', default: 32, env: 'AGENTOS_TLS_CONTEXTS_PER_PROCESS', scope: 'process',
    min: 1, max: 4096,
    why: 'secure contexts of guest TLS servers and SecureContext objects one process keeps built in the daemon, so a server\'s connections share one (and its session tickets); past it the oldest is dropped and built again when next used (daemon memory stays at most this many times TLS_CONTEXT_MAX_BYTES)',
  },
  TLS_HANDSHAKE_TIMEOUT_MS: {
    unit: 'ms', default: 120_000, env: 'AGENTOS_TLS_HANDSHAKE_TIMEOUT_MS', scope: 'VM',
    min: 1, max: 3_600_000,
    why: 'the longest a guest TLS server\'s handshake may take (Node\'s handshakeTimeout default; a larger or 0 value is cut to this): a peer that never finishes its handshake fails with ERR_TLS_HANDSHAKE_TIMEOUT and frees its connection slot',
  },
  VM_FETCH_TIMEOUT_MS: {
    unit: 'ms', default: 60_000, env: 'AGENTOS_VM_FETCH_TIMEOUT_MS', scope: 'VM',
    min: 1, max: 3_600_000,
    why: 'a vm/fetch whose guest server has not answered whole by then fails (ERR_AGENTOS_TIMEOUT), so a guest that never answers does not hold the request forever',
  },
  VM_FETCH_CHUNK_BYTES: {
    unit: 'bytes', default: 64 * 1024, env: 'AGENTOS_VM_FETCH_CHUNK_BYTES', scope: 'protocol',
    min: 1024, max: 16 * MiB,
    why: 'a vm/fetch body up to this size comes in the answer; a larger one as vm/fetchBody notifications of this size, so no frame holds a whole large body',
  },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof INVENTORY;
