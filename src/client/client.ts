import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static, TSchema } from '@sinclair/typebox';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import * as P from '../../protocol/index.js';
import { ConnectionClosedError, fromResponseError, RequestCancelledError } from './errors.js';
import { PendingCalls, type CallOptions } from './pending-calls.js';

/** The package's folder: the first above this file that holds the launcher (from src/ under tsx, or dist/). */
const PACKAGE_DIR = findPackageDir(dirname(fileURLToPath(import.meta.url)));
/** The launcher the client spawns. */
export const SIDECAR_BIN = join(PACKAGE_DIR, 'bin', 'agentos-sidecar');
const CLIENT_VERSION = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;

function findPackageDir(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'agentos-sidecar'))) return dir;
  }
  throw new Error(`bin/agentos-sidecar not found above ${from}`);
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['env', 'onLog', 'noInitialize', 'clientName', 'bindings', 'onPermissionRequest'] satisfies Array<keyof ClientOptions>);

/** How long close() waits for `shutdown` and the sidecar's exit before it kills it. */
const CLOSE_DEADLINE_MS = 10_000;
/** How long a sidecar that closed its stdout may take to exit before its calls fail anyway. */
const STDOUT_CLOSED_GRACE_MS = 2000;
/** After SIGTERM (the sidecar disposes its VMs and exits within its shutdown deadline), SIGKILL. */
const TERM_DEADLINE_MS = 3000;

export interface ClientOptions {
  /** Extra environment for the sidecar (AGENTOS_* limits, AGENTOS_LOG_LEVEL). */
  env?: NodeJS.ProcessEnv;
  /** Receives each stderr line (the sidecar's JSON logs). Default: dropped. */
  onLog?: (line: string) => void;
  /** Skip `initialize` (for tests of the lifecycle itself). */
  noInitialize?: boolean;
  clientName?: string;
  /**
   * Answers host/call requests: a guest in a VM created with `bindings: [name]` calls
   * `host.name(...args)`. A thrown error reaches the guest with its message and `code`.
   */
  bindings?: Record<string, (args: unknown[], call: { vmId: string; pid: number }) => unknown>;
  /**
   * Answers permission/request: a guest did something its VM's policy says to ask about
   * (mode `ask`). Return `{allow, remember?}`; the guest waits (bounded by
   * AGENTOS_PERMISSION_ASK_TIMEOUT_MS). Without it, or when it throws, the guest is denied.
   */
  onPermissionRequest?: (request: PermissionRequestParams) => PermissionAnswer | Promise<PermissionAnswer>;
}

export type PermissionRequestParams = Static<typeof P.PermissionRequest.params>;
export type PermissionAnswer = Static<typeof P.PermissionRequest.result>;

export type { CallOptions };
export type OutputEvent = Static<typeof P.ProcessOutput.params>;
export type ExitEvent = Static<typeof P.ProcessExited.params>;
export type ChangedEvent = Static<typeof P.FsChanged.params>;
export type ExportDataEvent = Static<typeof P.FsExportData.params>;
export type InitializeParams = Static<typeof P.Initialize.params>;
export type InitializeResult = Static<typeof P.Initialize.result>;
export type VmCreateParams = Static<typeof P.VmCreate.params>;
export type ExecParams = Static<typeof P.ExecParams>;
export type ExecResult = Static<typeof P.ExecResult>;
export type SpawnParams = Static<typeof P.ProcessSpawn.params>;
export type Signal = Static<typeof P.Signal>;

/** exec's options: the protocol's fields, stdin as text (UTF-8 unless `stdinEncoding` says base64) or bytes, and a signal. */
export type ExecOptions = Omit<ExecParams, 'vmId' | 'command' | 'args' | 'stdin'> & CallOptions & { stdin?: string | Uint8Array };
export type SpawnOptions = Omit<SpawnParams, 'vmId' | 'command' | 'args'> & CallOptions;

type Spec = P.RequestSpec<string, TSchema, TSchema>;

/**
 * A host's handle on one sidecar process: spawns it, speaks the protocol, and funnels every
 * way the child can die (exit, a signal, a pipe error, an unreadable frame, close()) into
 * one place, closeWith(), that fails everything pending with the reason; every later call
 * fails at once with the same ConnectionClosedError.
 */
export class SidecarClient {
  readonly child: ChildProcess;
  /** The raw connection, for what the typed calls do not cover (tests of the wire itself). */
  readonly connection: MessageConnection;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  initializeResult: InitializeResult | undefined;
  private readonly pending = new PendingCalls();
  /** Why the connection ended; set once, by closeWith(). */
  private closedReason: string | undefined;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  /** Set by close(): calls from then on fail at once, though shutdown is still in flight. */
  private closing = false;
  private readonly outputListeners = new Set<(event: OutputEvent) => void>();
  /** snapshot/exportChunk data by export, until its snapshot/export answer collects it. */
  private readonly exportChunks = new Map<string, Buffer[]>();
  private readonly fetchBodies = new Map<string, Buffer[]>();
  private fetches = 0;
  private readonly exitListeners = new Set<(event: ExitEvent) => void>();
  private readonly changedListeners = new Set<(event: ChangedEvent) => void>();
  private readonly exportListeners = new Set<(event: ExportDataEvent) => void>();
  /** fs/export streams being received, by streamId. */
  private readonly exportStreams = new Map<string, Buffer[]>();
  private exportIds = 0;
  /** Waits that are not requests (waitForExit): failed by closeWith() too. */
  private readonly closeListeners = new Set<(reason: string) => void>();

  private constructor(options: ClientOptions) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', SIDECAR_BIN], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    const reader = new StreamMessageReader(this.child.stdout!);
    this.connection = createMessageConnection(reader, new StreamMessageWriter(this.child.stdin!));
    let pendingLine = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      pendingLine += chunk;
      const lines = pendingLine.split('\n');
      pendingLine = lines.pop()!;
      for (const line of lines) options.onLog?.(line);
    });

    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
      // A child that never started emits no 'exit'.
      this.child.on('error', () => this.child.pid === undefined && resolve({ code: null, signal: null }));
    });
    // Every way the sidecar can go away ends here.
    this.child.on('close', (code, signal) => this.closeWith(exitReason(code, signal)));
    this.child.on('error', (err) => this.closeWith(`the sidecar could not run: ${err.message}`));
    this.child.stdin!.on('error', (err) => this.closeWith(`writing to the sidecar failed: ${err.message}`));
    reader.onError((err) => this.closeWith(`the sidecar sent an unreadable message: ${err.message}`));
    // Once stdout has ended nothing more can arrive; the exit normally follows at once and
    // gives the better reason, but a sidecar that stays up with stdout closed is no use.
    this.connection.onClose(() => {
      setTimeout(() => this.closeWith('the sidecar closed its stdout'), STDOUT_CLOSED_GRACE_MS).unref();
    });

    this.connection.onNotification(P.VmFetchBody.method, (e: Static<typeof P.VmFetchBody.params>) => void this.fetchBodies.get(e.fetchId)?.push(Buffer.from(e.data, 'base64')));
    this.connection.onNotification(P.ProcessOutput.method, (e: OutputEvent) => this.outputListeners.forEach((l) => l(e)));
    this.connection.onNotification(P.ProcessExited.method, (e: ExitEvent) => this.exitListeners.forEach((l) => l(e)));
    this.connection.onNotification(P.SnapshotExportChunk.method, (e: Static<typeof P.SnapshotExportChunk.params>) => {
      let chunks = this.exportChunks.get(e.exportId);
      if (!chunks) this.exportChunks.set(e.exportId, (chunks = []));
      chunks[e.seq] = Buffer.from(e.data, 'base64');
    });
    this.connection.onNotification(P.FsChanged.method, (e: ChangedEvent) => this.changedListeners.forEach((l) => l(e)));
    this.connection.onNotification(P.FsExportData.method, (e: ExportDataEvent) => {
      this.exportStreams.get(e.streamId)?.push(Buffer.from(e.data, 'base64'));
      this.exportListeners.forEach((l) => l(e));
    });
    const bindings = options.bindings ?? {};
    this.connection.onRequest(P.HostCall.method, async (call: Static<typeof P.HostCall.params>) => {
      const binding = Object.hasOwn(bindings, call.binding) ? bindings[call.binding] : undefined;
      if (!binding) throw new ResponseError(-32601, `this host has no binding '${call.binding}'`, { code: 'ERR_HOST_NO_BINDING' });
      try {
        return (await binding(call.args, { vmId: call.vmId, pid: call.pid })) ?? null;
      } catch (err) {
        const e = err as { message?: string; code?: unknown };
        throw new ResponseError(1, e.message ?? String(err), { code: typeof e.code === 'string' ? e.code : 'ERR_HOST_BINDING' });
      }
    });
    const onPermission = options.onPermissionRequest;
    this.connection.onRequest(P.PermissionRequest.method, async (request: PermissionRequestParams) => {
      if (!onPermission) throw new ResponseError(-32601, 'this host answers no permission/request (no onPermissionRequest)', { code: 'ERR_HOST_NO_PERMISSION_HANDLER' });
      try {
        return await onPermission(request);
      } catch (err) {
        throw new ResponseError(1, (err as Error)?.message ?? String(err), { code: 'ERR_HOST_PERMISSION_HANDLER' });
      }
    });
    this.connection.listen();
  }

  /** Spawns a sidecar and sends `initialize` (unless `noInitialize`). An unknown option is refused by name. */
  static async start(options: ClientOptions = {}): Promise<SidecarClient> {
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) throw new TypeError(`Invalid option in SidecarClient.start(): ${JSON.stringify(key)}`);
    }
    const client = new SidecarClient(options);
    if (!options.noInitialize) {
      try {
        await client.initialize({ clientInfo: { name: options.clientName ?? 'agentos-client', version: CLIENT_VERSION } });
      } catch (err) {
        client.killSidecar();
        throw err;
      }
    }
    return client;
  }

  /** True once the connection has ended (or close() began): every call fails at once. */
  get closed(): boolean {
    return this.closedReason !== undefined || this.closing;
  }

  /**
   * Sends any declared request. Errors: SidecarError with the sidecar's stable code,
   * RequestCancelledError when `signal` aborts, ConnectionClosedError when the sidecar is
   * gone (pending then, or already before the call).
   */
  request<S extends Spec>(spec: S, params: Static<S['params']>, options: CallOptions = {}): Promise<Static<S['result']>> {
    if (this.closing && !this.closedReason) return Promise.reject(new ConnectionClosedError(spec.method, 'close() was called'));
    return this.send(spec, params, options);
  }

  private send<S extends Spec>(spec: S, params: Static<S['params']>, options: CallOptions = {}): Promise<Static<S['result']>> {
    if (this.closedReason) return Promise.reject(new ConnectionClosedError(spec.method, this.closedReason));
    return this.pending.track(
      spec.method,
      options.signal,
      (token) => this.connection.sendRequest(spec.method, params, token) as Promise<Static<S['result']>>,
      (err) => fromResponseError(spec.method, err) ?? new ConnectionClosedError(spec.method, this.closedReason ?? `the connection failed: ${(err as Error).message}`),
    );
  }

  /** The one place the connection ends: every pending call fails with `reason`. */
  private closeWith(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.pending.failAll((method) => new ConnectionClosedError(method, reason));
    for (const listener of [...this.closeListeners]) listener(reason);
    this.connection.dispose();
    this.resolveEnded();
    // A sidecar we can no longer talk to must not live on as an orphan: SIGTERM lets it
    // dispose its VMs (and changes nothing for one that is already exiting), SIGKILL follows.
    if (this.running) {
      this.child.kill('SIGTERM');
      setTimeout(() => this.running && this.child.kill('SIGKILL'), TERM_DEADLINE_MS).unref();
    }
  }

  private get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  // One wrapper per host request (HOST_REQUEST_WRAPPERS in ./wrappers.ts pins the list).

  /** `initialize`; start() sends it unless `noInitialize`. The result is kept in initializeResult. */
  async initialize(params: Partial<InitializeParams> = {}, options?: CallOptions): Promise<InitializeResult> {
    this.initializeResult = await this.request(P.Initialize, { protocolVersion: P.PROTOCOL_VERSION, ...params }, options);
    return this.initializeResult;
  }
  /** `shutdown`: dispose every VM. close() sends it and then `exit`. */
  shutdown(options?: CallOptions) {
    return this.request(P.Shutdown, {}, options);
  }
  createVm(params: VmCreateParams = {}, options?: CallOptions) {
    return this.request(P.VmCreate, params, options);
  }
  disposeVm(vmId: string, options?: CallOptions) {
    return this.request(P.VmDispose, { vmId }, options);
  }
  listVms(options?: CallOptions) {
    return this.request(P.VmList, {}, options);
  }
  vmStats(vmId: string, options?: CallOptions) {
    return this.request(P.VmStats, { vmId }, options);
  }
  /** `vm/fetch`, with a body that came as vm/fetchBody notifications put back together. */
  async fetchVm(params: Omit<Static<typeof P.VmFetch.params>, 'fetchId'>, options?: CallOptions) {
    const fetchId = `client-fetch-${++this.fetches}`;
    const parts: Buffer[] = [];
    this.fetchBodies.set(fetchId, parts);
    try {
      const res = await this.request(P.VmFetch, { ...params, fetchId }, options);
      const body = res.chunks === 0 ? Buffer.from(res.body, 'base64') : Buffer.concat(parts);
      return { ...res, body };
    } finally {
      this.fetchBodies.delete(fetchId);
    }
  }
  forwardVm(vmId: string, port: number, options?: CallOptions) {
    return this.request(P.VmForward, { vmId, port }, options);
  }
  closeForward(vmId: string, hostPort: number, options?: CallOptions) {
    return this.request(P.VmForwardClose, { vmId, hostPort }, options);
  }

  /** Writes text (as UTF-8) or bytes. */
  writeFile(vmId: string, path: string, data: string | Uint8Array, options: Pick<Static<typeof P.FsWriteFile.params>, 'mode' | 'createParents'> & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsWriteFile, { vmId, path, ...rest, ...encode(data) }, { signal });
  }
  async readFile(vmId: string, path: string, options?: CallOptions): Promise<Buffer> {
    const { data } = await this.request(P.FsReadFile, { vmId, path, encoding: 'base64' }, options);
    return Buffer.from(data, 'base64');
  }
  async readdir(vmId: string, path: string, options?: CallOptions) {
    return (await this.request(P.FsReaddir, { vmId, path }, options)).entries;
  }
  stat(vmId: string, path: string, options: { followSymlinks?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsStat, { vmId, path, ...rest }, { signal });
  }
  mkdir(vmId: string, path: string, options: { recursive?: boolean; mode?: number } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsMkdir, { vmId, path, ...rest }, { signal });
  }
  remove(vmId: string, path: string, options: { recursive?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsRemove, { vmId, path, ...rest }, { signal });
  }

  rename(vmId: string, from: string, to: string, options?: CallOptions) {
    return this.request(P.FsRename, { vmId, from, to }, options);
  }
  copy(vmId: string, from: string, to: string, options: { recursive?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsCopy, { vmId, from, to, ...rest }, { signal });
  }
  symlink(vmId: string, target: string, path: string, options?: CallOptions) {
    return this.request(P.FsSymlink, { vmId, target, path }, options);
  }
  async readlink(vmId: string, path: string, options?: CallOptions): Promise<string> {
    return (await this.request(P.FsReadlink, { vmId, path }, options)).target;
  }
  chmod(vmId: string, path: string, mode: number, options?: CallOptions) {
    return this.request(P.FsChmod, { vmId, path, mode }, options);
  }
  /** Times as Dates, ms numbers or exact nanosecond bigints. */
  utimes(vmId: string, path: string, atime: Date | number | bigint, mtime: Date | number | bigint, options: { followSymlinks?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    const ns = (t: Date | number | bigint) => String(typeof t === 'bigint' ? t : BigInt(Math.round((t instanceof Date ? t.getTime() : t) * 1e6)));
    return this.request(P.FsUtimes, { vmId, path, atimeNs: ns(atime), mtimeNs: ns(mtime), ...rest }, { signal });
  }
  truncate(vmId: string, path: string, length: number, options?: CallOptions) {
    return this.request(P.FsTruncate, { vmId, path, length }, options);
  }

  /** A tree as a tar archive (gzipped with `gzip`), its fs/exportData chunks put together. */
  async exportTree(vmId: string, path: string, options: { gzip?: boolean; workDoneToken?: string | number } & CallOptions = {}): Promise<Buffer> {
    const { signal, ...rest } = options;
    const streamId = `client-export-${++this.exportIds}`;
    const chunks: Buffer[] = [];
    this.exportStreams.set(streamId, chunks);
    try {
      const result = await this.request(P.FsExport, { vmId, path, streamId, ...rest }, { signal });
      if (chunks.length !== result.chunks) throw new Error(`fs/export sent ${result.chunks} chunks, ${chunks.length} arrived`);
      return Buffer.concat(chunks);
    } finally {
      this.exportStreams.delete(streamId);
    }
  }
  /** Unpacks a tar archive (gzip recognised) into `path`, sent in chunks of `chunkBytes` (default 1 MiB). */
  async importTree(vmId: string, path: string, archive: Uint8Array, options: { chunkBytes?: number } & CallOptions = {}) {
    const { signal, chunkBytes = 1024 * 1024 } = options;
    const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
    let importId: string | undefined;
    for (let at = 0; ; at += chunkBytes) {
      const more = at + chunkBytes < bytes.byteLength;
      const archiveChunk = bytes.subarray(at, at + chunkBytes).toString('base64');
      const result = await this.request(P.FsImport, { vmId, path, archive: archiveChunk, more, ...(importId ? { importId } : {}) }, { signal });
      if (!more) return result;
      importId = result.importId;
    }
  }
  watch(vmId: string, path: string, options: { recursive?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.FsWatch, { vmId, path, ...rest }, { signal });
  }
  unwatch(vmId: string, watchId: string, options?: CallOptions) {
    return this.request(P.FsUnwatch, { vmId, watchId }, options);
  }
  /** fs/exportData notifications, as they come (exportTree puts its own together). */
  onExportData(listener: (event: ExportDataEvent) => void): () => void {
    this.exportListeners.add(listener);
    return () => this.exportListeners.delete(listener);
  }
  /** fs/changed notifications, for every watch; returns a function that stops listening. */
  onChanged(listener: (event: ChangedEvent) => void): () => void {
    this.changedListeners.add(listener);
    return () => this.changedListeners.delete(listener);
  }

  /**
   * Runs a command to completion. Output comes back as UTF-8 text unless `outputEncoding`
   * says base64. Aborting `signal` cancels it: the sidecar stops the process.
   */
  exec(vmId: string, command: string, args: string[] = [], options: ExecOptions = {}) {
    const { signal, stdin, stdinEncoding, ...rest } = options;
    const input =
      stdin === undefined ? {} : typeof stdin === 'string' ? { stdin, stdinEncoding: stdinEncoding ?? 'utf8' } : { stdin: encode(stdin).data, stdinEncoding: 'base64' as const };
    return this.request(P.ProcessExec, { vmId, command, args, outputEncoding: 'utf8', ...rest, ...input }, { signal });
  }
  /** Starts a process; its output and end arrive through onOutput and onExit. */
  spawn(vmId: string, command: string, args: string[] = [], options: SpawnOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.ProcessSpawn, { vmId, command, args, outputEncoding: 'utf8', ...rest }, { signal });
  }
  /** Appends text (as UTF-8) or bytes to a spawned process's stdin. */
  writeStdin(vmId: string, pid: number, data: string | Uint8Array, options?: CallOptions) {
    return this.request(P.ProcessWrite, { vmId, pid, ...encode(data) }, options);
  }
  closeStdin(vmId: string, pid: number, options?: CallOptions) {
    return this.request(P.ProcessCloseStdin, { vmId, pid }, options);
  }
  /** Signals a guest process (default SIGTERM). To stop the sidecar itself: close(), or killSidecar(). */
  kill(vmId: string, pid: number, signal?: Signal, options?: CallOptions) {
    return this.request(P.ProcessKill, { vmId, pid, ...(signal ? { signal } : {}) }, options);
  }
  /** Sets the window size of a process spawned with `pty` (its foreground job gets SIGWINCH). */
  resize(vmId: string, pid: number, cols: number, rows: number, options?: CallOptions) {
    return this.request(P.ProcessResize, { vmId, pid, cols, rows }, options);
  }
  /** Every process of the VM: pid, ppid, pgid, command, argv, state, startedAt, usage. */
  listProcesses(vmId: string, options?: CallOptions) {
    return this.request(P.ProcessList, { vmId }, options);
  }

  registerWasm(params: Static<typeof P.WasmRegister.params>, options?: CallOptions) {
    return this.request(P.WasmRegister, params, options);
  }
  warmupWasm(params: Static<typeof P.WasmWarmup.params>, options?: CallOptions) {
    return this.request(P.WasmWarmup, params, options);
  }
  ping(options?: CallOptions) {
    return this.request(P.SidecarPing, {}, options);
  }
  stats(options: { gc?: boolean } & CallOptions = {}) {
    const { signal, ...rest } = options;
    return this.request(P.SidecarStats, rest, { signal });
  }

  /** vm/snapshot: an immutable copy-on-write image of the VM, held by the sidecar. */
  snapshot(vmId: string, options?: CallOptions) {
    return this.request(P.VmSnapshotRequest, { vmId }, options);
  }
  /** vm/fork: a new VM starting as a copy of this one. */
  fork(vmId: string, options?: CallOptions) {
    return this.request(P.VmFork, { vmId }, options);
  }
  disposeSnapshot(snapshotId: string, options?: CallOptions) {
    return this.request(P.SnapshotDispose, { snapshotId }, options);
  }
  listSnapshots(options?: CallOptions) {
    return this.request(P.SnapshotList, {}, options);
  }
  /** snapshot/export: the archive, gathered from its snapshot/exportChunk notifications. */
  async exportSnapshot(snapshotId: string, options: { workDoneToken?: string | number } & CallOptions = {}) {
    const { signal, ...rest } = options;
    const result = await this.request(P.SnapshotExport, { snapshotId, ...rest }, { signal });
    const chunks = this.exportChunks.get(result.exportId) ?? [];
    this.exportChunks.delete(result.exportId);
    return { ...result, archive: Buffer.concat(chunks) };
  }
  /** snapshot/import: uploads an archive in chunks (`chunkBytes`, default 256 KiB) and returns the new snapshot. */
  async importSnapshot(archive: Uint8Array, options: { chunkBytes?: number } & CallOptions = {}) {
    const size = options.chunkBytes ?? 256 * 1024;
    let importId: string | undefined;
    for (let at = 0; ; at += size) {
      const done = at + size >= archive.byteLength;
      const data = Buffer.from(archive.buffer, archive.byteOffset + at, Math.max(0, Math.min(size, archive.byteLength - at))).toString('base64');
      const result = await this.request(P.SnapshotImport, { ...(importId ? { importId } : {}), data, ...(done ? { done } : {}) }, { signal: options.signal });
      importId = result.importId;
      if (done) return result;
    }
  }

  onOutput(listener: (event: OutputEvent) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }
  onExit(listener: (event: ExitEvent) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }
  /**
   * Resolves with a spawned process's exit event (register before it can end). Fails like
   * a call: ConnectionClosedError when the sidecar goes first, RequestCancelledError when
   * `signal` aborts (the process runs on; kill() stops it).
   */
  waitForExit(vmId: string, pid: number, options: CallOptions = {}): Promise<ExitEvent> {
    const what = `waiting for the exit of ${vmId}/${pid}`;
    if (this.closedReason) return Promise.reject(new ConnectionClosedError(what, this.closedReason));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new RequestCancelledError(what, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const done = () => {
        offExit();
        this.closeListeners.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const offExit = this.onExit((e) => {
        if (e.vmId === vmId && e.pid === pid) {
          done();
          resolve(e);
        }
      });
      const onClose = (reason: string) => {
        done();
        reject(new ConnectionClosedError(what, reason));
      };
      const onAbort = () => {
        done();
        reject(new RequestCancelledError(what, { cause: signal!.reason }));
      };
      this.closeListeners.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Ends the sidecar: `shutdown` (every VM disposed), then `exit`, then waits for the
   * process to end, killing it if it has not within a few seconds. Calls made from now on
   * fail at once. Resolves with the exit code.
   */
  async close(): Promise<number | null> {
    // The deadline covers `shutdown` too: a sidecar that never answers it is killed, not awaited.
    const deadline = setTimeout(() => this.killSidecar(), CLOSE_DEADLINE_MS);
    if (!this.closed) {
      this.closing = true;
      try {
        await this.send(P.Shutdown, {});
        await this.connection.sendNotification(P.Exit.method, {});
      } catch {
        // Already going away (or killed by the deadline); the exit below tells how it ended.
      }
    }
    try {
      // Resolved by closeWith(): by then every call, pending or later, fails with its reason.
      await this.ended;
      return (await this.exited).code;
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Kills the sidecar process at once (default SIGKILL); pending calls fail with ConnectionClosedError. */
  killSidecar(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `the sidecar was killed by ${signal}` : `the sidecar exited with code ${code}`;
}

/** Text travels as UTF-8, bytes as base64: the encoding is always explicit on the wire. */
function encode(data: string | Uint8Array): { data: string; encoding: 'utf8' | 'base64' } {
  return typeof data === 'string' ? { data, encoding: 'utf8' } : { data: Buffer.from(data).toString('base64'), encoding: 'base64' };
}
