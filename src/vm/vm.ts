import { endWatches } from '../fs/fs-watch.js';
import type { Static } from '@sinclair/typebox';
import type { ExecParams, ExecResult, ProcessSpawn, VmCreate } from '../../protocol/index.js';
import { AgentosError, hostFs, tooLarge } from '../errors.js';
import { absolute, climbsAboveRoot, normalize } from '../fs/paths.js';
import { VirtualFs, type FsImage } from '../fs/vfs.js';
import type { VmConfig } from './snapshots.js';
import type { JsEngine } from '../js/engine.js';
import { checkFs, HOST_ACTOR, openOperation } from '../permissions/fs.js';
import { compilePolicy } from '../permissions/vm-policy.js';
import { VmPermissions } from '../permissions/vm-permissions.js';
import { ProcessPermits } from '../permissions/process-permits.js';
import { canonicalPath } from '../permissions/fs-target.js';
import type { AskParams } from '../permissions/ask.js';
import { JsProcess } from '../js/js-process.js';
import type { CommandModule, WasmEngine } from '../wasm/engine.js';
import { WasmProcess, type WasmBudgets } from '../wasm/wasm-process.js';
import { RunnerReuse } from '../wasm/runner-reuse.js';
import type { GuestProcess } from '../process/guest-process.js';
import type { ProcessExit } from '../process/guest-process.js';
import { vmLimit, type Limits } from '../limits/limits.js';
import { IpcBudget } from '../process/ipc-channel.js';
import { FillGauge, ThrottledLimitWarning, warnLimitExhausted, type Logger } from '../log.js';
import { CollectedOutput, type OutputSink, type StreamName } from '../process/output.js';
import { StdinSource } from '../process/stdin.js';
import { StreamedOutput } from '../process/streamed-output.js';
import { ProcessTable } from '../process/process-table.js';
import { PipeTable } from '../process/pipes.js';
import { CommandSockets } from '../net/command-sockets.js';
import { signalNumber } from '../process/signal-numbers.js';
import { FsError } from '../fs/errors.js';
import { commandStub, lookupProgram, NODE_COMMAND, type LookupWhere, type Program } from '../wasm/program-lookup.js';
import { jsChildStdio } from './js-child-stdio.js';
import type { ProcessKernel } from '../wasm/process-calls.js';
import { checkSpawnRequest, type RequestBounds } from '../wasm/spawn-request.js';
import { DEVICES, type FdSpec, type UserInfo } from '../wasm/runner/contract.js';
import { seesWholeVm } from '../wasm/runner/jail.js';
import { childFds, decodeActions, type ChildFd } from '../wasm/spawn-fds.js';
import { SpawnBucket, type SidecarProcesses } from './admission.js';
import type { ChildIo, ChildRequest } from '../js/node-host/js-children.js';
import type { NodeBounds } from '../js/node-host/node-calls.js';
import { CPU_SHARE_WORDS, type CpuShareInfo } from '../process/cpu-gate.js';
import { Pty } from '../process/pty.js';
import { Terminals } from './terminals.js';
import { NetBroker } from '../net/broker.js';
import { fsBounds } from './fs-bounds.js';
import { checkNetworkParams, injectRules } from '../net/params.js';
import { Forwards } from '../net/inbound.js';

type CreateParams = Static<typeof VmCreate.params>;
type SpawnParams = Static<typeof ProcessSpawn.params>;
type ProcessParams = Pick<Static<typeof ExecParams>, 'command' | 'args' | 'env' | 'cwd' | 'timeoutMs' | 'inheritEnv' | 'preopens'>;

/** How a VM reaches its host: events for spawned processes, and host binding calls. */
export interface VmEvents {
  output(vmId: string, pid: number, stream: StreamName, data: string, encoding: 'utf8' | 'base64'): void;
  /** `child`: set for a process another guest process started (a shell's command). */
  exit(vmId: string, pid: number, exit: ProcessExit, child?: { ppid: number; command: string }): void;
  whenWritable(): Promise<void>;
  callHost(vmId: string, pid: number, binding: string, args: unknown[]): Promise<unknown>;
  /** Sends permission/request; rejects when the host does not answer in time or the VM goes. */
  askPermission(params: AskParams): Promise<unknown>;
}

/** Lets the host's `$/cancelRequest` reach a running exec. */
export interface CancelSignal {
  readonly isCancelled: boolean;
  onCancel(listener: () => void): { dispose(): void };
}

/** process/output events carry at most this much (coalescing small writes up to it). */
const STREAM_CHUNK_BYTES = 64 * 1024;

/** Directories every VM starts with, as a Linux user would expect them (/bin is a link to usr/bin). */
const SKELETON = ['/tmp', '/home', '/home/user', '/usr', '/usr/bin', '/etc', '/dev', '/proc'];
/** df, findmnt and mount read the mount table: a VM has one filesystem, at /, in memory. */
const PROC_MOUNTS = 'agentos / agentosfs rw 0 0\n';
/** The VM's one user (host_user, file owners): not root, as a sandboxed agent should not be. */
const VM_UID = 1000;
/** Names that can be files in /usr/bin. */
const COMMAND_NAME = /^[\w.+-]+$/;
/** The variable that tunes each bound the VM filesystem reports. */
const FS_LIMIT_ENV = {
  fs_quota_bytes: 'AGENTOS_FS_QUOTA_BYTES',
  fs_inode_limit: 'AGENTOS_FS_INODE_LIMIT',
  fs_path_walk_max: 'AGENTOS_FS_PATH_WALK_MAX',
  package_json_max_bytes: 'AGENTOS_PACKAGE_JSON_MAX_BYTES',
  package_json_max_depth: 'AGENTOS_PACKAGE_JSON_MAX_DEPTH',
} as const;
const SPAWN_SETPGROUP = 2;
const SPAWN_SETSIGDEF = 4;
const SPAWN_SETSID = 128;

/**
 * One VM: a filesystem, an environment, limits, permissions and a process table. It holds
 * no isolate while idle; each process gets its own and gives it back when it ends.
 */
export class Vm implements ProcessKernel {
  readonly fs: VirtualFs;
  readonly pipes: PipeTable;
  /** Its command binaries' sockets (host_net). */
  readonly sockets: CommandSockets;
  readonly user: UserInfo;
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** What its guests may do (src/permissions/): every enforcement point asks here. */
  readonly permissions: VmPermissions;
  readonly processes: ProcessTable;
  /** When the processes its guests spawn may start (admission.ts). */
  readonly spawns: SpawnBucket;
  /** How many of its processes run guest code at once (cpu-gate.ts). */
  readonly cpuShare: CpuShareInfo;
  readonly bindings: readonly string[];
  /** Commands registered for this VM only (wasm/register with vmId). */
  readonly commands = new Map<string, CommandModule>();
  readonly createdAt = new Date();
  /** The VM's network: the world as its policy allows, and its own loopback (src/net/broker.ts). */
  readonly network: NetBroker;
  /** Its vm/forward ports on the host (src/net/inbound.ts). */
  readonly forwards: Forwards;
  private readonly overrides: Record<string, number | undefined>;
  /** What vm/create was given besides files, as it took effect: what a snapshot carries. */
  readonly config: VmConfig;
  private disposed = false;
  private runnerReuse: RunnerReuse | undefined;
  /** The pseudo-terminals of processes spawned with `pty`, and who gets their signals. */
  readonly terminals = new Terminals(this);
  cpuMs = 0;
  execs = 0;
  limitHits = 0;
  /** What the IPC channels of its processes (child_process.fork) hold in the daemon at once. */
  readonly ipcBudget: IpcBudget;
  private readonly threadIds = new WeakMap<object, number>();

  constructor(
    readonly id: string,
    params: CreateParams,
    private readonly limits: Limits,
    private readonly engine: JsEngine,
    private readonly wasm: WasmEngine,
    private readonly events: VmEvents,
    readonly log: Logger,
    sidecarProcesses?: SidecarProcesses,
    /** Start from this filesystem image (a snapshot) instead of an empty skeleton. */
    image?: FsImage,
  ) {
    this.bindings = params.bindings ?? [];
    this.overrides = { ...params.limits };
    for (const field of ['heapLimitMb', 'wasmRunnerHeapLimitMb'] as const) {
      if ((params.limits?.[field] ?? 8) < 8) {
        throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `limits.${field} must be at least 8 (isolated-vm cannot run an isolate in less)`, { field: `/limits/${field}` });
      }
    }
    const quotaBytes = this.limit('FS_QUOTA_BYTES');
    const inodeLimit = this.limit('FS_INODE_LIMIT');
    const gauges = { fs_quota_bytes: new FillGauge(log, 'fs_quota_bytes', quotaBytes), fs_inode_limit: new FillGauge(log, 'fs_inode_limit', inodeLimit) };
    if (image && (image.bytes > quotaBytes || image.inodes > inodeLimit)) {
      const bytes = image.bytes > quotaBytes;
      throw new AgentosError('ERR_AGENTOS_SNAPSHOT_LIMIT', bytes
        ? `the snapshot holds ${image.bytes} bytes, past this VM's filesystem quota of ${quotaBytes}`
        : `the snapshot holds ${image.inodes} entries, past this VM's inode limit of ${inodeLimit}`, {
        limit: bytes ? 'fs_quota_bytes' : 'fs_inode_limit', capacity: bytes ? quotaBytes : inodeLimit, observed: bytes ? image.bytes : image.inodes, env: bytes ? 'AGENTOS_FS_QUOTA_BYTES' : 'AGENTOS_FS_INODE_LIMIT',
      });
    }
    this.fs = new VirtualFs(
      fsBounds(limits, quotaBytes, inodeLimit),
      (limit, observed, capacity) => {
        this.limitHits++;
        if (limit === 'fs_quota_bytes' || limit === 'fs_inode_limit') gauges[limit].update(observed);
        warnLimitExhausted(log, { limit, observed, capacity, env: FS_LIMIT_ENV[limit] });
      },
      image,
    );
    this.pipes = new PipeTable(limits.PIPE_BUFFER_BYTES.value, limits.MAX_PIPES_PER_VM.value, this.refusals('max_pipes_per_vm', 'AGENTOS_MAX_PIPES_PER_VM'), {
      maxBytes: limits.PIPE_SPILL_BYTES_PER_VM.value,
      onExhausted: this.refusals('pipe_spill_bytes_per_vm', 'AGENTOS_PIPE_SPILL_BYTES_PER_VM'),
    });
    this.sockets = new CommandSockets(() => this.network, limits.SOCKET_BUFFER_BYTES.value, limits.MAX_SOCKETS_PER_VM.value, this.refusals('max_sockets_per_vm', 'AGENTOS_MAX_SOCKETS_PER_VM'));
    this.fs.owner = { uid: VM_UID, gid: VM_UID };
    if (!image) {
      for (const dir of SKELETON) this.fs.mkdir(dir, { recursive: true });
      this.fs.symlink('usr/bin', '/bin');
      // Where the agentOS command set's own programs and scripts look for each other.
      this.fs.mkdir('/opt/agentos', { recursive: true });
      this.fs.symlink('/usr/bin', '/opt/agentos/bin');
      this.fs.writeFile('/proc/mounts', Buffer.from(PROC_MOUNTS), { mode: 0o444 });
    }
    this.env = { PATH: '/usr/bin:/bin', HOME: '/home/user', USER: 'user', PWD: '/home/user', ...params.env };
    this.user = { uid: VM_UID, gid: VM_UID, name: this.env.USER || 'user', home: this.env.HOME || '/home/user' };
    this.provideCommands();
    this.provideDevices();
    checkEnvSize(this.env, limits.ENV_LIMIT_BYTES.value);
    this.permissions = new VmPermissions(compilePolicy(params.permissions), id, (ask) => this.events.askPermission(ask), log, { rememberMax: limits.PERMISSION_REMEMBER_MAX.value });
    this.processes = new ProcessTable(this.limit('MAX_PROCESSES_PER_VM'), this.refusals('max_processes_per_vm', 'AGENTOS_MAX_PROCESSES_PER_VM'), sidecarProcesses);
    this.spawns = new SpawnBucket(limits.SPAWN_BURST_PER_VM.value, limits.SPAWN_INTERVAL_MS.value, this.refusals('spawn_burst_per_vm', 'AGENTOS_SPAWN_BURST_PER_VM'));
    this.cpuShare = { buffer: new SharedArrayBuffer(CPU_SHARE_WORDS * 4), slots: limits.CPU_SLOTS_PER_VM.value, sliceMs: limits.CPU_SLICE_MS.value };
    this.cwd = this.hostPath(params.cwd ?? '/home/user', '/cwd', '/');
    // A snapshot's tree is taken as it was, even without its cwd (a process there gets ENOENT, as on Linux).
    if (!image) hostFs(() => this.fs.mkdir(this.cwd, { recursive: true }));
    for (const [i, file] of (params.files ?? []).entries()) {
      const path = this.hostPath(file.path, `/files/${i}/path`);
      const data = Buffer.from(file.data, file.encoding ?? 'base64');
      hostFs(() => {
        checkFs(HOST_ACTOR, 'write', path, 'open');
        this.fs.writeFile(path, data, { mode: file.mode, createParents: true });
      });
    }
    this.env.PWD = params.env?.PWD ?? this.cwd;
    this.config = { env: { ...this.env }, cwd: this.cwd, limits: { ...params.limits }, permissions: { ...params.permissions }, bindings: [...this.bindings], ...(params.network ? { network: params.network } : {}), ...(params.dns ? { dns: params.dns } : {}) };
    checkNetworkParams(params);
    const netLog = log.child({ scope: 'network' });
    this.network = new NetBroker({
      scope: params.permissions?.network,
      dnsOverrides: params.dns?.overrides,
      caCerts: params.network?.caCerts,
      inject: { rules: injectRules(params), maxHeadBytes: limits.INJECT_HEAD_LIMIT_BYTES.value },
      log,
      // The policy's ask round trip (permission/request), with what the host said to remember.
      ask: async (who, operation, target) => this.permissions.askHost(who.pid, 'network', operation, target),
      // Counted in vm/stats permissions.network as fs, childProcess and env are (the broker logs the denial).
      onDecision: (_operation, allowed) => this.permissions.tally('network', allowed),
      bounds: {
        connections: this.limit('NET_CONNECTIONS_PER_VM'),
        listeners: limits.NET_LISTENERS_PER_VM.value,
        bytesIn: this.limit('NET_BYTES_IN_PER_VM'),
        bytesOut: this.limit('NET_BYTES_OUT_PER_VM'),
        dnsPerSecond: this.limit('NET_DNS_LOOKUPS_PER_SECOND'),
        connectTimeoutMs: limits.NET_CONNECT_TIMEOUT_MS.value,
        lingerMs: limits.NET_LINGER_MS.value,
        recentNames: limits.NET_RECENT_NAMES_PER_VM.value,
        loopbackBufferBytes: limits.NET_LOOPBACK_BUFFER_BYTES.value,
        udpSockets: limits.NET_UDP_SOCKETS_PER_VM.value,
        udpQueueBytes: limits.NET_UDP_QUEUE_BYTES_PER_VM.value,
        udpPeersPerSocket: limits.NET_UDP_PEERS_PER_SOCKET.value,
        tls: { contextBytes: limits.TLS_CONTEXT_MAX_BYTES.value, contextsPerProcess: limits.TLS_CONTEXTS_PER_PROCESS.value, handshakeTimeoutMs: limits.TLS_HANDSHAKE_TIMEOUT_MS.value },
      },
      onLimit: (limit, observed, capacity, env) => {
        this.limitHits++;
        warnLimitExhausted(netLog, { limit, observed, capacity, env });
      },
    });
    this.forwards = new Forwards(this.network, limits.NET_FORWARDS_PER_VM.value, (observed, capacity) => {
      this.limitHits++;
      warnLimitExhausted(netLog, { limit: 'net_forwards_per_vm', observed, capacity, env: 'AGENTOS_NET_FORWARDS_PER_VM' });
    });
    this.ipcBudget = new IpcBudget(
      { channelBytes: limits.IPC_CHANNEL_QUEUE_BYTES.value, channelMessages: limits.IPC_CHANNEL_QUEUE_MESSAGES.value, vmBytes: limits.IPC_VM_QUEUE_BYTES.value },
      log.child({ scope: 'ipc' }),
      () => this.limitHits++,
    );
  }

  /**
   * Each command appears as an executable at /usr/bin/NAME (and so /bin/NAME), as the
   * shell's PATH search expects. The file only names the command (see program-lookup); it
   * is made when first looked up, and commands registered later appear the same way.
   */
  /**
   * Counts each refusal of a bound a guest can hit in a tight loop (a spawn or pipe loop hits
   * it thousands of times a second) and reports it through a throttled warning, made on the
   * first refusal so an idle VM holds none.
   */
  private refusals(limit: string, env: string): (observed: number, capacity: number) => void {
    let warning: ThrottledLimitWarning | undefined;
    return (observed, capacity) => {
      this.limitHits++;
      (warning ??= new ThrottledLimitWarning(this.log, limit, env)).hit(observed, capacity);
    };
  }

  /** The VM's runners: its own idle ones first (runner-reuse.ts), then the sidecar's pool. */
  private get runners(): RunnerReuse {
    return (this.runnerReuse ??= new RunnerReuse(this.wasm.runners, this.limits.WASM_IDLE_RUNNERS_PER_VM.value));
  }

  /**
   * /dev holds the devices every VM has (runner/contract.ts DEVICES) as device nodes: the
   * runner opens them as devices by path, and the VFS reads and writes them the same way for
   * everything else (guest JS, a symlink to one, the protocol).
   */
  private provideDevices(): void {
    const names = Object.keys(DEVICES).map((path) => path.slice('/dev/'.length));
    this.fs.provide('/dev', {
      names: () => names,
      has: (name) => names.includes(name),
      make: (name) => ({ data: new Uint8Array(0), mode: 0o666, device: DEVICES[`/dev/${name}`] }),
    });
  }

  private provideCommands(): void {
    const named = (name: string) => COMMAND_NAME.test(name) && (name === NODE_COMMAND || this.commands.has(name) || this.wasm.commands.has(name));
    this.fs.provide('/usr/bin', {
      names: () => [...new Set([NODE_COMMAND, ...this.commands.keys(), ...this.wasm.commands.keys()])].filter(named),
      has: named,
      make: (name) => ({ data: commandStub(name), mode: 0o755 }),
    });
  }

  get memoryMeter() {
    return this.wasm.memoryMeter;
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

  async exec(params: Static<typeof ExecParams>, cancel?: CancelSignal): Promise<Static<typeof ExecResult>> {
    const stdin = Buffer.from(params.stdin ?? '', params.stdinEncoding ?? 'utf8');
    this.checkStdin(stdin.byteLength);
    const output = new CollectedOutput();
    const proc = this.startProcess(params, StdinSource.of(stdin, stdin.byteLength), output);
    const stopOnCancel = cancel?.onCancel(() => proc.kill('SIGKILL'));
    const exit = await proc.exited;
    stopOnCancel?.dispose();
    if (cancel?.isCancelled) throw new AgentosError('ERR_AGENTOS_CANCELLED', `process/exec of '${params.command}' (pid ${proc.pid}) was cancelled by the host; the process was killed`);
    const encoding = params.outputEncoding ?? 'utf8';
    return {
      pid: proc.pid,
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

  /** Starts a process whose output and end reach the host as events; returns its pid. */
  spawn(params: SpawnParams): number {
    const encoding = params.outputEncoding ?? 'utf8';
    const output = new StreamedOutput((stream, data) => this.events.output(this.id, proc.pid, stream, data, encoding), encoding, STREAM_CHUNK_BYTES);
    // With a pty, what the tree writes and what the terminal echoes reach the host as one stream.
    const pty = params.pty
      ? new Pty({
          cols: params.pty.cols,
          rows: params.pty.rows,
          term: params.pty.term ?? 'xterm-256color',
          lineMax: this.limits.PTY_LINE_MAX_BYTES.value,
          inputMax: this.limits.PTY_INPUT_MAX_BYTES.value,
          master: (data) => output.write('stdout', data),
          signal: (sig) => this.terminals.signal(pty!, sig),
        }, this.terminals.nextIndex())
      : undefined;
    const spawnParams = pty ? { ...params, env: { TERM: pty.term, ...params.env } } : params;
    const proc = this.startProcess(spawnParams, pty?.input ?? new StdinSource(this.limits.STDIN_LIMIT_BYTES.value), pty?.slaveOutput ?? output, () => this.events.whenWritable(), pty);
    if (pty) this.terminals.open(proc.pid, pty);
    void proc.exited.then((exit) => {
      if (pty) this.terminals.close(proc.pid);
      output.flush(true);
      this.events.exit(this.id, proc.pid, exit);
    });
    return proc.pid;
  }

  /** process/resize: the terminal of a process spawned with `pty`. */
  resize(pid: number, cols: number, rows: number): void {
    this.processes.get(pid);
    this.terminals.of(pid).resize(cols, rows);
  }

  /** process/write: false when stdin is closed or its buffer full. */
  writeStdin(pid: number, data: Uint8Array): number {
    const proc = this.processes.get(pid);
    const pty = this.terminals.find(pid);
    if (pty) {
      if (!pty.type(data)) {
        throw new AgentosError('ERR_AGENTOS_STDIN_CLOSED', pty.input.isClosed && pty.input.buffered === 0 && pty.input.size === 0
          ? `the terminal of pid ${pid} is closed`
          : `the terminal of pid ${pid} holds ${pty.input.size} unread bytes of typed input; the limit is ${this.limits.PTY_INPUT_MAX_BYTES.value} (AGENTOS_PTY_INPUT_MAX_BYTES): wait for its programs to read`);
      }
      return pty.input.size;
    }
    if (!proc.stdin.write(data)) {
      throw new AgentosError('ERR_AGENTOS_STDIN_CLOSED', proc.stdin.isClosed
        ? `stdin of pid ${pid} is closed`
        : `stdin of pid ${pid} holds ${proc.stdin.buffered} unread bytes; the limit is ${this.limits.STDIN_LIMIT_BYTES.value} (AGENTOS_STDIN_LIMIT_BYTES): wait for the guest to read`);
    }
    return proc.stdin.buffered;
  }

  private checkStdin(bytes: number): void {
    const capacity = this.limits.STDIN_LIMIT_BYTES.value;
    if (bytes > capacity) throw tooLarge('stdin', bytes, capacity, 'STDIN_LIMIT_BYTES', '/stdin');
  }

  /**
   * What a command name runs: `node`, a command registered for this VM or for the whole
   * sidecar (also as /bin/NAME and /usr/bin/NAME), or a path to a WebAssembly file.
   */
  resolveCommand(command: string): { kind: 'node' } | { kind: 'wasm'; module: CommandModule; argv?: string[] } {
    const name = command.replace(/^\/(usr\/)?bin\//, '');
    if (name === 'node') return { kind: 'node' };
    const registered = this.commands.get(name) ?? this.wasm.commands.get(name);
    if (registered) return { kind: 'wasm', module: registered };
    if (command.includes('/')) {
      this.hostPath(command, '/command');
      try {
        const program = this.lookup(command, [command], { cwd: this.cwd, path: null, byHost: true });
        return program.kind === 'node' ? { kind: 'node' } : { kind: 'wasm', module: program.module, argv: program.argv };
      } catch {
        // Reported below as not found, with what is available.
      }
    }
    const available = ['node', ...this.commands.keys(), ...this.wasm.commands.keys()];
    throw new AgentosError('ERR_AGENTOS_COMMAND_NOT_FOUND', `command '${command}' not found in VM ${this.id}; available: ${available.slice(0, 20).join(', ')}${available.length > 20 ? ', …' : ''}`);
  }

  private startProcess(params: ProcessParams, stdin: StdinSource, output: OutputSink, outputWindow?: () => Promise<void>, tty?: Pty): GuestProcess {
    const command = params.command;
    const target = this.resolveCommand(command);
    const args = params.args ?? [];
    const argvBytes = args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    if (argvBytes > this.limits.ARGV_LIMIT_BYTES.value) throw tooLarge('argv', argvBytes, this.limits.ARGV_LIMIT_BYTES.value, 'ARGV_LIMIT_BYTES', '/args');
    const inherit = params.inheritEnv !== false;
    const env = inherit ? { ...this.env, ...params.env } : { ...params.env };
    checkEnvSize(env, this.limits.ENV_LIMIT_BYTES.value);
    const cwd = params.cwd ? this.hostPath(params.cwd, '/cwd') : this.cwd;
    const preopens = params.preopens
      ? params.preopens.map((p, i) => ({ name: p.name, vmPath: this.hostPath(p.path, `/preopens/${i}/path`, cwd) }))
      : // One preopen, fd 3 = "/", as the command ABI says: the agentOS libc takes its cwd from
        // PWD; a stock wasi-libc has no cwd and resolves relative paths against "/".
        [{ name: '/', vmPath: '/' }];
    // preopens are a WASM program's jail; node has none (it sees the whole VM): a jail asked
    // for node is refused rather than dropped.
    if (target.kind === 'node' && !seesWholeVm(preopens)) {
      throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', 'preopens confine WASM programs only: node sees the whole VM filesystem, so it cannot run inside a jail', { field: '/preopens' });
    }
    // Everything that can refuse the request is checked above: a reserved pid is only
    // given back when its process ends.
    const pid = this.processes.reserve();
    const common = {
      pid,
      ppid: 0,
      env: inherit ? { ...env, PWD: params.env?.PWD ?? cwd } : env,
      cwd,
      vfs: this.fs,
      permits: new ProcessPermits(this.permissions, pid),
      stdin,
      output,
      outputWindow,
      watchdog: this.engine.watchdog,
      log: this.log.child({ pid }),
    };
    const budgets = this.guestBudgets(params.timeoutMs);
    const proc: GuestProcess & { start(): Promise<ProcessExit> } =
      target.kind === 'node'
        ? new JsProcess({
            ...common,
            args,
            bindings: this.bindings,
            callHost: (binding, callArgs) => this.events.callHost(this.id, pid, binding, callArgs),
            engine: this.engine,
            budgets: this.jsBudgets(budgets),
            user: this.user,
            childKernel: this,
            nodeBounds: this.nodeBounds(common.log),
            tty,
            terminalMode: (p, raw) => this.terminalMode(p, raw),
            cpuShare: this.cpuShare,
            network: this.network,
            netWindowBytes: this.limits.NET_DELIVER_WINDOW_BYTES.value,
          })
        : new WasmProcess({
            ...common,
            tty,
            argv: [...(target.argv ?? [command]), ...args],
            preopens,
            module: this.compile(target.module),
            compile: (program) => this.compileProgram(program),
            runners: this.runners,
            budgets: this.wasmBudgets(budgets),
            kernel: this,
            posix: { pgid: pid, umask: 0o022, blocked: [0, 0], ignored: [0, 0], rootPid: pid },
          });
    void this.run(pid, proc).then(() => this.endTree(pid));
    return proc;
  }

  /** What proc_exec runs: a module (an exec of `node` is started by the exec itself: wasm-process.ts). */
  private compileProgram(program: Program) {
    if (program.kind === 'node') return Promise.reject(new FsError('ENOEXEC', 'execve', program.path));
    return this.compile(program.module);
  }

  private compile(module: CommandModule) {
    return this.wasm.modules.get(module.bytes, this.limit('WASM_MAX_MEMORY_BYTES'), module.hash || undefined, {
      fuel: BigInt(this.limit('WASM_MAX_FUEL')),
      maxDepth: this.limit('WASM_MAX_CALL_DEPTH'),
    });
  }

  private wasmBudgets(budgets: Omit<WasmBudgets, 'runnerHeapLimitMb' | 'fuel' | 'maxCallDepth' | 'memoryCapBytes' | 'vmMemoryBytes' | 'idleRunnerMemoryBytes' | 'crossing'>): WasmBudgets {
    return {
      crossing: {
        callMaxBytes: this.limits.WASM_CALL_MAX_BYTES.value,
        iovMax: this.limits.WASM_IOV_MAX.value,
        pathMax: this.limits.FS_PATH_MAX.value,
        argvMaxBytes: this.limits.ARGV_LIMIT_BYTES.value,
        envMaxBytes: this.limits.ENV_LIMIT_BYTES.value,
        actionsMaxBytes: this.limits.SPAWN_ACTIONS_MAX_BYTES.value,
      },
      ...budgets,
      runnerHeapLimitMb: this.limit('WASM_RUNNER_HEAP_LIMIT_MB'),
      memoryCapBytes: this.limit('WASM_MAX_MEMORY_BYTES'),
      vmMemoryBytes: this.limit('VM_WASM_MEMORY_BYTES'),
      idleRunnerMemoryBytes: this.limits.WASM_IDLE_RUNNER_MEMORY_BYTES.value,
      fuel: this.limit('WASM_MAX_FUEL'),
      maxCallDepth: this.limit('WASM_MAX_CALL_DEPTH'),
    };
  }

  /** What a guest JS process may use: the VM's budgets plus the JS runtime's own bounds. */
  private jsBudgets(budgets: ReturnType<Vm['guestBudgets']>) {
    return {
      ...budgets,
      heapLimitMb: this.limit('GUEST_HEAP_LIMIT_MB'),
      maxTimers: this.limits.MAX_TIMERS_PER_PROCESS.value,
      maxTimerDelayMs: this.limits.MAX_TIMER_DELAY_MS.value,
      maxHostCalls: this.limits.MAX_HOST_CALLS_IN_FLIGHT.value,
      hostCallPayloadBytes: this.limits.HOST_CALL_PAYLOAD_BYTES.value,
      textChunkBytes: this.limits.TEXT_DECODE_CALL_MAX_BYTES.value,
      maxTextDecoders: this.limits.TEXT_DECODERS_PER_PROCESS.value,
    };
  }

  private guestBudgets(timeoutMs?: number) {
    return {
      cpuTimeLimitMs: this.limit('GUEST_CPU_TIME_LIMIT_MS'),
      wallTimeLimitMs: Math.min(timeoutMs ?? Infinity, this.limit('GUEST_WALL_TIME_LIMIT_MS')),
      outputLimitBytes: this.limit('PROCESS_OUTPUT_LIMIT_BYTES'),
      maxOpenFiles: this.limit('MAX_OPEN_FILES_PER_PROCESS'),
      ioMaxBytes: this.limits.FS_IO_MAX_BYTES.value,
      outputWindowBytes: this.limits.OUTPUT_WINDOW_BYTES.value,
      callWindow: this.limits.GUEST_CALL_WINDOW.value,
      callTurnMs: this.limits.GUEST_CALL_TURN_MS.value,
      randomChunkBytes: this.limits.RANDOM_CALL_MAX_BYTES.value,
      readdirPageMax: this.limits.FS_READDIR_PAGE_MAX.value,
    };
  }

  /**
   * A host-started process ended: whatever it started and left running ends too. The host's
   * unit of work is the process it asked for; nothing of it lingers unseen in the VM.
   */
  private endTree(rootPid: number): void {
    for (const p of this.processes.all()) {
      if ((p instanceof WasmProcess || p instanceof JsProcess) && p.rootPid === rootPid && p.pid !== rootPid) p.kill('SIGKILL');
    }
  }

  /** What the daemon does for one JS process's node:crypto and node:zlib, and its bounds. */
  /** Key bytes this VM's processes hold in the daemon (CRYPTO_KEY_BYTES_PER_VM), shared by them. */
  private cryptoKeyBudget: { used: number; max: number } | undefined;

  private nodeBounds(log: Logger): NodeBounds {
    return {
      callMaxBytes: this.limits.NODE_CALL_MAX_BYTES.value,
      handles: this.limits.NODE_HANDLES_PER_PROCESS.value,
      pbkdf2MaxIterations: this.limits.CRYPTO_PBKDF2_MAX_ITERATIONS.value,
      scryptMaxMemoryBytes: this.limits.CRYPTO_SCRYPT_MAX_MEMORY_BYTES.value,
      keygenMaxBits: this.limits.CRYPTO_KEYGEN_MAX_BITS.value,
      primeMaxBits: this.limits.CRYPTO_PRIME_MAX_BITS.value,
      primeMaxChecks: this.limits.CRYPTO_PRIME_MAX_CHECKS.value,
      keyBudget: (this.cryptoKeyBudget ??= { used: 0, max: this.limits.CRYPTO_KEY_BYTES_PER_VM.value }),
      handleMemoryBytes: this.limits.ZLIB_HANDLE_MEMORY_BYTES.value,
      handleReserveBytes: this.limits.ZLIB_HANDLE_RESERVE_BYTES.value,
      brotliBlockBytes: this.limits.ZLIB_BROTLI_BLOCK_BYTES.value,
      onLimit: (limit, observed, capacity, env) => {
        this.limitHits++;
        warnLimitExhausted(log, { limit, observed, capacity, env });
      },
    };
  }

  // ---- child_process from guest JS (src/js/node-host/js-children.ts) ----

  /** worker_threads threadIds, counted from 1 per process tree, as Node counts them per process. */
  nextThreadId(rootPid: number): number {
    const root: object = this.processes.find(rootPid) ?? this;
    const next = (this.threadIds.get(root) ?? 0) + 1;
    this.threadIds.set(root, next);
    return next;
  }

  get stdinCapacity(): number {
    return this.limits.STDIN_LIMIT_BYTES.value;
  }

  /**
   * Starts a process of this VM for guest JS: `node` runs in a new isolate, anything else
   * is looked up as the shell's commands are (PATH, /usr/bin, #! scripts). It counts
   * against the VM's process limit and spawn rate, ends with its tree's host-started root,
   * and reaches the host as process/exit with its ppid. Throws FsError (ENOENT, E2BIG, …)
   * or the process limit's error before anything starts.
   */
  startForJs(parent: { pid: number; rootPid: number; permits: ProcessPermits }, req: ChildRequest, io: ChildIo): GuestProcess {
    const cwd = normalize(absolute(this.cwd, req.cwd));
    try {
      if (this.fs.stat(cwd).type !== 'directory') throw new FsError('ENOTDIR', 'spawn', cwd);
    } catch (err) {
      throw err instanceof FsError ? new FsError('ENOENT', 'spawn', req.file) : err;
    }
    const argv = [req.file, ...req.args];
    const argvBytes = argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    if (argvBytes > this.limits.ARGV_LIMIT_BYTES.value) throw new FsError('E2BIG', 'spawn', req.file);
    let envBytes = 0;
    for (const [k, v] of Object.entries(req.env)) envBytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
    if (envBytes > this.limits.ENV_LIMIT_BYTES.value) throw new FsError('E2BIG', 'spawn', req.file);
    const env: Record<string, string> = { ...req.env, PWD: cwd };
    const isNode = /^(?:\/(?:usr\/)?bin\/)?node$/.test(req.file);
    const jail = [{ name: '/', vmPath: '/' }];
    const found = isNode ? undefined : this.lookup(req.file, argv, { cwd, path: env.PATH ?? null, jail });
    this.checkStart(parent.permits, found ? found.path : '/usr/bin/node', 'spawn');
    // A script run by node (`#!/usr/bin/env node` ends here through env; `#!/usr/bin/node` at once) is a JS child with the script's arguments.
    const program = found?.kind === 'wasm' ? found : undefined;
    const jsArgs = found?.kind === 'node' ? found.argv.slice(1) : req.args;
    const pid = this.processes.reserve();
    const live = () => this.processes.find(pid) !== undefined;
    const log = this.log.child({ pid, ppid: parent.pid });
    // A child whose stdin is its parent's terminal ('inherit') has that terminal as its stdio.
    const parentTty = (this.processes.find(parent.pid) as GuestProcess | undefined)?.tty;
    const tty = parentTty && io.stdin === parentTty.input ? parentTty : undefined;
    const common = {
      pid, ppid: parent.pid, env, cwd, vfs: this.fs, permits: new ProcessPermits(this.permissions, pid),
      stdin: io.stdin, output: io.output, watchdog: this.engine.watchdog, log, tty,
    };
    let child: JsProcess | WasmProcess;
    try {
      child = program
        ? new WasmProcess({
            ...common,
            argv: program.argv,
            preopens: jail,
            module: this.compile(program.module),
            compile: (next) => this.compileProgram(next),
            runners: this.spawns.gate(this.runners, live),
            budgets: this.wasmBudgets(this.guestBudgets()),
            kernel: this,
            posix: { pgid: pid, umask: 0o022, blocked: [0, 0], ignored: [0, 0], rootPid: parent.rootPid },
          })
        : new JsProcess({
            ...common,
            args: jsArgs,
            ...this.jsChildOptions(pid, parent.rootPid, log, live),
            ...(io.ipc ? { ipc: io.ipc } : {}),
          });
    } catch (err) {
      this.processes.unreserve();
      throw err;
    }
    // What its own children inherit as stdout and stderr is its output, not the host's.
    if (child instanceof WasmProcess) child.treeOutput = child.inheritedOutput;
    void this.run(pid, child).then((exit) => this.events.exit(this.id, pid, exit, { ppid: parent.pid, command: program ? (program.argv[0] ?? req.file) : 'node' }));
    return child;
  }

  // ---- the process kernel WASM processes call into (host_process) ----

  lookup(name: string, argv: string[], where: LookupWhere): Program {
    return lookupProgram(this.fs, (command) => this.commands.get(command) ?? this.wasm.commands.get(command), name, argv, {
      maxModuleBytes: this.limits.WASM_MODULE_MAX_BYTES.value,
      ...where,
    });
  }

  /**
   * The one enforcement point of the childProcess scope: the shell's children, a WASM
   * exec, JS child_process. `program` is the absolute path that would run; a refusal is
   * EACCES, as starting a file without its execute bit is.
   */
  checkStart(permits: ProcessPermits, program: string, syscall: string): void {
    if (permits.allowsAll('childProcess')) return;
    if (!permits.judgeSync('childProcess', 'spawn', program)) throw new FsError('EACCES', syscall, program);
  }

  spawnChild(parent: WasmProcess, raw: unknown): number {
    // A child inherits its parent's jail: every path of the request resolves through it.
    const jail = parent.preopens;
    const req = checkSpawnRequest(raw, { ...this.requestBounds(parent), preopens: jail });
    if ((req.flags & SPAWN_SETSID) && (req.flags & SPAWN_SETPGROUP)) throw new FsError('EPERM', 'posix_spawn');
    const cwd = req.cwd.startsWith('/') ? req.cwd : parent.cwd;
    // Judged before the file actions run (they create and truncate files, and a wait for
    // the host's answer makes the call again); the actions' chdir may change where a
    // relative name leads: the program is judged again below if it does.
    const env: Record<string, string> = {};
    for (const kv of req.env) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    let judged: string | undefined;
    try {
      judged = this.lookup(req.path, req.argv, { cwd, path: req.searchPath ?? env.PATH ?? null, jail }).path;
    } catch {
      // Not found from here: the lookup below, after the actions, reports it (they still run first, as a child's redirections do).
    }
    if (judged !== undefined) this.checkStart(parent.permits, judged, 'posix_spawn');
    const actions = decodeActions(req.actions, {
      maxActions: this.limits.SPAWN_ACTIONS_MAX.value,
      maxBytes: this.limits.SPAWN_ACTIONS_MAX_BYTES.value,
    });
    const built = childFds(req.fds, actions, cwd, jail, {
      openFileOf: (hostFd) => parent.openFile(hostFd),
      open: ({ vmPath, root }, flags, mode) => this.confined(root, () => {
        checkFs({ kind: 'guest', permits: parent.permits }, openOperation(flags, () => this.fs.exists(vmPath)), canonicalPath(this.fs, vmPath, true), 'open', vmPath);
        const node = this.fs.openFile(vmPath, { create: flags.create, exclusive: flags.exclusive, mode: mode & ~req.umask });
        if (flags.truncate) this.fs.truncateNode(node, 0);
        return { node, path: vmPath, position: 0, readable: flags.read, writable: flags.write, append: flags.append, refs: 0 };
      }),
      checkDirectory: ({ vmPath, root }) => this.confined(root, () => {
        if (this.fs.stat(vmPath).type !== 'directory') throw new FsError('ENOTDIR', 'chdir', vmPath);
      }),
      maxFds: parent.maxOpenFiles + jail.length,
    });
    env.PWD = built.cwd;
    const program = this.lookup(req.path, req.argv, { cwd: built.cwd, path: req.searchPath ?? env.PATH ?? null, jail });
    if (program.path !== judged) this.checkStart(parent.permits, program.path, 'posix_spawn');
    if (program.kind === 'node') return this.spawnJsChild(parent, program.argv, env, built, req);
    const pid = this.processes.reserve();
    let child: WasmProcess;
    try {
      const root = this.processes.find(parent.rootPid);
      const rootProcess = root instanceof WasmProcess || root instanceof JsProcess ? root : undefined;
      const sigdef = (req.flags & SPAWN_SETSIGDEF) ? req.sigdef : [0, 0];
      child = new WasmProcess({
        pid,
        ppid: parent.pid,
        env,
        cwd: built.cwd,
        vfs: this.fs,
        permits: new ProcessPermits(this.permissions, pid),
        stdin: parent.stdin,
        tty: parent.tty,
        // Where the tree's inherited stdout goes: the host's (its root's output), or, for a
        // tree a guest's child_process started, that child's own piped output.
        output: parent.treeOutput ?? rootProcess?.inheritedOutput ?? { write: () => {} },
        outputWindow: parent.outputWindow,
        watchdog: this.engine.watchdog,
        log: this.log.child({ pid, ppid: parent.pid }),
        argv: program.argv,
        preopens: jail,
        module: this.compile(program.module),
        compile: (next) => this.compileProgram(next),
        runners: this.spawns.gate(this.runners, () => this.processes.find(pid) !== undefined),
        budgets: this.wasmBudgets(this.guestBudgets()),
        kernel: this,
        posix: {
          pgid: (req.flags & SPAWN_SETPGROUP) ? req.pgroup || pid : (req.flags & SPAWN_SETSID) ? pid : parent.pgid,
          umask: req.umask,
          blocked: req.sigmask,
          ignored: [(req.ignored[0] & ~sigdef[0]!) >>> 0, (req.ignored[1] & ~sigdef[1]!) >>> 0],
          fds: built.fds,
          rootPid: parent.rootPid,
        },
      });
    } catch (err) {
      // Refused (its inherited fds overflow the open-files limit, …): the pid goes back.
      this.processes.unreserve();
      throw err;
    }
    child.treeOutput = parent.treeOutput;
    const ended = this.run(pid, child);
    adopt(parent, pid, child.pgid, ended, { command: child.command, argv: child.args, startedAt: child.startedAt });
    void ended.then((exit) => this.events.exit(this.id, pid, exit, { ppid: parent.pid, command: program.argv[0] ?? req.path }));
    return pid;
  }

  /**
   * `node` started by a WebAssembly process (the shell, env, npm's `sh -c`): a JS process
   * whose stdio are the fds the spawn's file actions left (./js-child-stdio.ts), waited for
   * and signalled as the parent's other children are.
   */
  private spawnJsChild(parent: WasmProcess, argv: string[], env: Record<string, string>, built: { fds: Map<number, ChildFd>; cwd: string }, req: { flags: number; pgroup: number }): number {
    const pgid = (req.flags & SPAWN_SETPGROUP) ? req.pgroup || 0 : (req.flags & SPAWN_SETSID) ? 0 : parent.pgid;
    const { pid, child, ended } = this.startJsImage(parent, argv, env, built);
    adopt(parent, pid, pgid || pid, ended, { command: 'node', argv: ['node', ...argv.slice(1)], startedAt: child.startedAt });
    return pid;
  }

  /**
   * proc_exec of `node` (`exec node x.js` in a script): the WASM process gives up its runner
   * and lives on as the JS process's stand-in: same pid for its parent and for signals,
   * ending with the JS process's status. The JS process is its one child, with its fds.
   */
  execJs(proc: WasmProcess, argv: string[], env: Record<string, string>, fds: FdSpec[], cwd: string): { child: JsProcess; ended: Promise<ProcessExit> } {
    const built = childFds(fds, [], cwd, proc.preopens, {
      openFileOf: (hostFd) => proc.openFile(hostFd),
      open: () => {
        throw new FsError('EINVAL', 'execve');
      },
      checkDirectory: () => {},
      maxFds: proc.maxOpenFiles + proc.preopens.length,
    });
    const { child, ended } = this.startJsImage(proc, argv, env, built);
    return { child, ended };
  }

  private startJsImage(parent: WasmProcess, argv: string[], env: Record<string, string>, built: { fds: Map<number, ChildFd>; cwd: string }): { pid: number; child: JsProcess; ended: Promise<ProcessExit> } {
    const pid = this.processes.reserve();
    const log = this.log.child({ pid, ppid: parent.pid });
    const root = this.processes.find(parent.rootPid);
    const rootProcess = root instanceof WasmProcess || root instanceof JsProcess ? root : undefined;
    const stdio = jsChildStdio({
      fds: built.fds,
      inheritedStdin: parent.stdin,
      inheritedOutput: parent.treeOutput ?? rootProcess?.inheritedOutput ?? { write: () => {} },
      pipes: this.pipes,
      files: this.fs,
      stdinCapacity: this.stdinCapacity,
      queueBytes: this.limits.OUTPUT_WINDOW_BYTES.value,
      onWriteError: (stream, err) => {
        // Once per stream: the guest's stream is done after its first failed write.
        if (child?.outputFailed(stream, err)) log.warn({ err: (err as Error).message, stream }, 'a node process\'s output to a file failed');
      },
      onBrokenPipe: () => child?.pipeBroken(),
    });
    const live = () => this.processes.find(pid) !== undefined;
    const inheritsTty = parent.tty !== undefined && built.fds.get(0)?.kind === 'stdin';
    let child: JsProcess | undefined;
    try {
      child = new JsProcess({
        pid, ppid: parent.pid, env, cwd: built.cwd, vfs: this.fs, permits: new ProcessPermits(this.permissions, pid),
        stdin: stdio.stdin, output: stdio.output, outputWindow: stdio.outputWindow, outputPending: stdio.outputPending, watchdog: this.engine.watchdog, log,
        ...(inheritsTty ? { tty: parent.tty } : {}),
        args: argv.slice(1),
        ...this.jsChildOptions(pid, parent.rootPid, log, live),
      });
    } catch (err) {
      stdio.release();
      this.processes.unreserve();
      throw err;
    }
    const ended = this.run(pid, child);
    void ended.finally(() => stdio.release());
    void ended.then((exit) => this.events.exit(this.id, pid, exit, { ppid: parent.pid, command: 'node' }));
    return { pid, child, ended };
  }

  /** Starts a process whose pid is reserved: it is in the table until it ends, and its CPU and limit hits count for the VM. */
  private run(pid: number, proc: GuestProcess & { start(): Promise<ProcessExit> }): Promise<ProcessExit> {
    this.processes.add(pid, proc);
    this.execs++;
    return proc.start().then((exit) => {
      this.processes.remove(pid);
      this.cpuMs += exit.usage.cpuMs;
      if (exit.error) this.limitHits++;
      return exit;
    });
  }

  /** What every JS child of a guest process is given, whoever started it (JS or a WASM parent). */
  private jsChildOptions(pid: number, rootPid: number, log: Logger, live: () => boolean) {
    return {
      bindings: this.bindings,
      callHost: (binding: string, callArgs: unknown[]) => this.events.callHost(this.id, pid, binding, callArgs),
      engine: this.engine,
      budgets: this.jsBudgets(this.guestBudgets()),
      user: this.user,
      childKernel: this,
      nodeBounds: this.nodeBounds(log),
      rootPid,
      admit: () => this.spawns.wait(live),
      terminalMode: (p: GuestProcess, raw: boolean) => this.terminalMode(p, raw),
      cpuShare: this.cpuShare,
      network: this.network,
      netWindowBytes: this.limits.NET_DELIVER_WINDOW_BYTES.value,
    };
  }

  /** What a runner may hand the daemon in one spawn or exec (spawn-request.ts). */
  requestBounds(proc: WasmProcess): Omit<RequestBounds, 'preopens'> {
    return {
      pathMax: this.limits.FS_PATH_MAX.value,
      argvMaxBytes: this.limits.ARGV_LIMIT_BYTES.value,
      envMaxBytes: this.limits.ENV_LIMIT_BYTES.value,
      actionsMaxBytes: this.limits.SPAWN_ACTIONS_MAX_BYTES.value,
      maxOpenFiles: proc.maxOpenFiles,
      pipes: this.pipes,
      sockets: this.sockets,
      onLimit: (limit, observed, capacity) => {
        this.limitHits++;
        warnLimitExhausted(this.log, { limit, observed, capacity, env: limit === 'argv_limit_bytes' ? 'AGENTOS_ARGV_LIMIT_BYTES' : 'AGENTOS_ENV_LIMIT_BYTES' });
      },
    };
  }

  /** Runs `fn` with resolution beneath `root` (a jailed process's preopen). */
  private confined<T>(root: string, fn: () => T): T {
    return root === '/' ? fn() : this.fs.confined(root, fn);
  }

  signal(sender: WasmProcess, pid: number, sig: number): boolean {
    const all = this.processes.all() as GuestProcess[];
    const targets =
      pid > 0 ? all.filter((p) => p.pid === pid)
      : pid === -1 ? all.filter((p) => p !== sender)
      : all.filter((p) => p instanceof WasmProcess && p.pgid === (pid === 0 ? sender.pgid : -pid));
    for (const target of targets) {
      if (target instanceof WasmProcess) target.deliver(sig);
      else if (target instanceof JsProcess) target.deliverSignal(sig);
      else if (sig !== 0) target.kill('SIGKILL');
    }
    return targets.length > 0;
  }

  /** set_raw_mode (WASM: cfmakeraw, as crossterm asks) or setRawMode (JS: as libuv makes it). */
  terminalMode(proc: GuestProcess, raw: boolean): void {
    if (proc.tty) this.terminals.setRaw(proc.tty, proc.pid, raw, proc instanceof JsProcess ? 'libuv' : 'cfmakeraw');
  }

  pgidOf(pid: number): number | undefined {
    const p = this.processes.find(pid);
    return p instanceof WasmProcess ? p.pgid : p ? pid : undefined;
  }

  /** Kills every process (their results say SIGKILL); resolves once they have ended. */
  async dispose(): Promise<number> {
    if (this.disposed) return 0;
    this.disposed = true;
    this.forwards.dispose();
    this.network.dispose();
    this.permissions.dispose();
    endWatches(this.fs);
    const killed = await this.processes.killAll();
    this.sockets.dispose();
    this.runnerReuse?.dispose();
    return killed;
  }
}

function checkEnvSize(env: Record<string, string>, capacity: number): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(env)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
  if (bytes > capacity) throw tooLarge('environment', bytes, capacity, 'ENV_LIMIT_BYTES', '/env');
}

/** A WASM parent's child, as its waitpid and the process list see it (the status in the ABI's terms). */
function adopt(parent: WasmProcess, pid: number, pgid: number, ended: Promise<ProcessExit>, seen: { command: string; argv: readonly string[]; startedAt: Date }): void {
  parent.children.add(
    pid,
    pgid,
    ended.then((exit) => ({ exitCode: exit.exitCode, signal: exit.signal ? signalNumber(exit.signal) : 0, cpuMs: exit.usage.cpuMs, wallMs: exit.usage.wallMs })),
    { pid, pgid, ...seen },
  );
}
