import type { Static } from '@sinclair/typebox';
import type { ExecParams, ExecResult, VmCreate } from '../../protocol/index.js';
import { AgentosError, hostFs } from '../errors.js';
import { absolute, climbsAboveRoot, normalize } from '../fs/paths.js';
import { VirtualFs } from '../fs/vfs.js';
import type { JsEngine } from '../js/engine.js';
import type { FsPermission } from '../js/guest-fs.js';
import { JsProcess } from '../js/js-process.js';
import { vmLimit, type Limits } from '../limits/limits.js';
import { FillGauge, warnLimitExhausted, type Logger } from '../log.js';
import { CollectedOutput } from '../process/output.js';
import { ProcessTable } from '../process/process-table.js';

type CreateParams = Static<typeof VmCreate.params>;

/** Directories every VM starts with, as a Linux user would expect them. */
const SKELETON = ['/tmp', '/home', '/home/user', '/bin', '/usr', '/usr/bin', '/etc', '/dev'];

/**
 * One VM: a filesystem, an environment, limits, permissions and a process table. It holds
 * no isolate while idle; each process gets its own and gives it back when it ends.
 */
export class Vm {
  readonly fs: VirtualFs;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly permission: FsPermission;
  readonly processes: ProcessTable;
  readonly createdAt = new Date();
  private readonly overrides: Record<string, number | undefined>;
  private disposed = false;
  cpuMs = 0;
  execs = 0;
  limitHits = 0;

  constructor(
    readonly id: string,
    params: CreateParams,
    private readonly limits: Limits,
    private readonly engine: JsEngine,
    readonly log: Logger,
  ) {
    this.overrides = { ...params.limits };
    if ((params.limits?.heapLimitMb ?? 8) < 8) {
      throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', 'limits.heapLimitMb must be at least 8 (isolated-vm cannot run an isolate in less)', { field: '/limits/heapLimitMb' });
    }
    const quotaBytes = this.limit('FS_QUOTA_BYTES');
    const inodeLimit = this.limit('FS_INODE_LIMIT');
    const gauges = { fs_quota_bytes: new FillGauge(log, 'fs_quota_bytes', quotaBytes), fs_inode_limit: new FillGauge(log, 'fs_inode_limit', inodeLimit) };
    this.fs = new VirtualFs(
      {
        quotaBytes,
        inodeLimit,
        pathMax: limits.FS_PATH_MAX.value,
        nameMax: limits.FS_NAME_MAX.value,
        symlinkFollowMax: limits.FS_SYMLINK_FOLLOW_MAX.value,
      },
      (limit, observed, capacity) => {
        this.limitHits++;
        gauges[limit].update(observed);
        warnLimitExhausted(log, { limit, observed, capacity, env: limit === 'fs_quota_bytes' ? 'AGENTOS_FS_QUOTA_BYTES' : 'AGENTOS_FS_INODE_LIMIT' });
      },
    );
    for (const dir of SKELETON) this.fs.mkdir(dir, { recursive: true });
    this.env = { PATH: '/usr/bin:/bin', HOME: '/home/user', USER: 'user', PWD: '/home/user', ...params.env };
    checkEnvSize(this.env, limits.ENV_LIMIT_BYTES.value);
    this.permission = params.permissions?.fs ?? 'read-write';
    this.processes = new ProcessTable(this.limit('MAX_PROCESSES_PER_VM'));
    this.cwd = this.hostPath(params.cwd ?? '/home/user', '/cwd', '/');
    hostFs(() => this.fs.mkdir(this.cwd, { recursive: true }));
    for (const [i, file] of (params.files ?? []).entries()) {
      const path = this.hostPath(file.path, `/files/${i}/path`);
      const data = Buffer.from(file.data, file.encoding ?? 'base64');
      hostFs(() => this.fs.writeFile(path, data, { mode: file.mode, createParents: true }));
    }
    this.env.PWD = params.env?.PWD ?? this.cwd;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  limit(name: Parameters<typeof vmLimit>[1]): number {
    return vmLimit(this.limits, name, this.overrides);
  }

  /**
   * A host-supplied path, made absolute against the VM cwd. Host paths may not climb
   * above `/`: such a path always means a confused or hostile host.
   */
  hostPath(path: string, field: string, cwd = this.cwd): string {
    if (climbsAboveRoot(cwd, path)) {
      throw new AgentosError('ERR_AGENTOS_INVALID_PATH', `path '${path}' climbs above the VM root`, { field, path });
    }
    if (path.includes('\0')) throw new AgentosError('ERR_AGENTOS_INVALID_PATH', 'path contains a NUL byte', { field });
    return normalize(absolute(cwd, path));
  }

  async exec(params: Static<typeof ExecParams>): Promise<Static<typeof ExecResult>> {
    const command = params.command;
    if (command !== 'node' && command !== '/usr/bin/node' && command !== '/bin/node') {
      throw new AgentosError('ERR_AGENTOS_COMMAND_NOT_FOUND', `command '${command}' not found in VM ${this.id}; available: node`);
    }
    const args = params.args ?? [];
    const argvBytes = args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    if (argvBytes > this.limits.ARGV_LIMIT_BYTES.value) {
      throw new AgentosError('ERR_AGENTOS_ARGS_LIMIT', `argv is ${argvBytes} bytes; the limit is ${this.limits.ARGV_LIMIT_BYTES.value} (AGENTOS_ARGV_LIMIT_BYTES)`, {
        field: '/args', limit: 'argv_limit_bytes', capacity: this.limits.ARGV_LIMIT_BYTES.value, observed: argvBytes, env: 'AGENTOS_ARGV_LIMIT_BYTES',
      });
    }
    const env = { ...this.env, ...params.env };
    checkEnvSize(env, this.limits.ENV_LIMIT_BYTES.value);
    const stdin = Buffer.from(params.stdin ?? '', params.stdinEncoding ?? 'utf8');
    if (stdin.byteLength > this.limits.STDIN_LIMIT_BYTES.value) {
      throw new AgentosError('ERR_AGENTOS_ARGS_LIMIT', `stdin is ${stdin.byteLength} bytes; the limit is ${this.limits.STDIN_LIMIT_BYTES.value} (AGENTOS_STDIN_LIMIT_BYTES)`, {
        field: '/stdin', limit: 'stdin_limit_bytes', capacity: this.limits.STDIN_LIMIT_BYTES.value, observed: stdin.byteLength, env: 'AGENTOS_STDIN_LIMIT_BYTES',
      });
    }
    const cwd = params.cwd ? this.hostPath(params.cwd, '/cwd') : this.cwd;
    const wallTimeLimitMs = Math.min(params.timeoutMs ?? Infinity, this.limit('GUEST_WALL_TIME_LIMIT_MS'));

    const output = new CollectedOutput();
    const pid = this.processes.reserve();
    const log = this.log.child({ pid });
    const proc = new JsProcess({
      pid,
      ppid: 0,
      args,
      env: { ...env, PWD: params.env?.PWD ?? cwd },
      cwd,
      vfs: this.fs,
      permission: this.permission,
      stdin,
      output,
      engine: this.engine,
      log,
      budgets: {
        heapLimitMb: this.limit('GUEST_HEAP_LIMIT_MB'),
        cpuTimeLimitMs: this.limit('GUEST_CPU_TIME_LIMIT_MS'),
        wallTimeLimitMs,
        outputLimitBytes: this.limit('PROCESS_OUTPUT_LIMIT_BYTES'),
        maxTimers: this.limits.MAX_TIMERS_PER_PROCESS.value,
        maxTimerDelayMs: this.limits.MAX_TIMER_DELAY_MS.value,
        maxOpenFiles: this.limit('MAX_OPEN_FILES_PER_PROCESS'),
        ioMaxBytes: this.limits.FS_IO_MAX_BYTES.value,
      },
    });
    this.processes.add(pid, proc);
    this.execs++;
    const exit = await proc.start();
    this.processes.remove(pid);
    this.cpuMs += exit.usage.cpuMs;
    if (exit.error) this.limitHits++;
    const encoding = params.outputEncoding ?? 'utf8';
    return {
      pid,
      exitCode: exit.exitCode,
      ...(exit.signal ? { signal: exit.signal } : {}),
      stdout: output.text('stdout', encoding),
      stderr: output.text('stderr', encoding),
      encoding,
      truncated: exit.truncated,
      ...(exit.error ? { error: exit.error } : {}),
      usage: exit.usage,
    };
  }

  /** Kills every process (their results say SIGKILL); resolves once they have ended. */
  async dispose(): Promise<number> {
    if (this.disposed) return 0;
    this.disposed = true;
    return this.processes.killAll();
  }
}

function checkEnvSize(env: Record<string, string>, capacity: number): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(env)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
  if (bytes > capacity) {
    throw new AgentosError('ERR_AGENTOS_ARGS_LIMIT', `environment is ${bytes} bytes; the limit is ${capacity} (AGENTOS_ENV_LIMIT_BYTES)`, {
      field: '/env', limit: 'env_limit_bytes', capacity, observed: bytes, env: 'AGENTOS_ENV_LIMIT_BYTES',
    });
  }
}
