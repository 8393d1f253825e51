import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static, TSchema } from '@sinclair/typebox';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import * as P from '../../protocol/index.js';

/** The launcher, found from this file whether it runs from src/ (tsx) or dist/. */
export const SIDECAR_BIN = findBin(dirname(fileURLToPath(import.meta.url)));

function findBin(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'bin', 'agentos-sidecar');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`bin/agentos-sidecar not found above ${from}`);
}

/** A JSON-RPC error from the sidecar, with its stable code lifted out of `data`. */
export class SidecarError extends Error {
  constructor(
    message: string,
    readonly code: P.ErrorCode | 'ERR_AGENTOS_CONNECTION_CLOSED' | 'ERR_AGENTOS_RPC',
    readonly data: Partial<P.ErrorData> = {},
    readonly rpcCode?: number,
  ) {
    super(message);
    this.name = 'SidecarError';
  }
}

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
}

export type OutputEvent = Static<typeof P.ProcessOutput.params>;
export type ExitEvent = Static<typeof P.ProcessExited.params>;

type Spec = P.RequestSpec<string, TSchema, TSchema>;

/**
 * A host's handle on one sidecar process: spawns it, speaks the protocol, and turns every
 * way the child can die into one rejection of everything pending (and of every later
 * call), carrying the reason.
 */
export class SidecarClient {
  readonly child: ChildProcess;
  readonly connection: MessageConnection;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  initializeResult: Static<typeof P.Initialize.result> | undefined;
  private closedReason: string | undefined;
  private readonly outputListeners = new Set<(event: OutputEvent) => void>();
  private readonly exitListeners = new Set<(event: ExitEvent) => void>();

  private constructor(options: ClientOptions) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', SIDECAR_BIN], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    let pending = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) options.onLog?.(line);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    const close = (reason: string) => {
      this.closedReason ??= reason;
    };
    this.child.on('exit', (code, signal) => close(`the sidecar exited (code ${code}, signal ${signal})`));
    // Once stdout has closed nothing more can arrive: fail whatever is still pending.
    this.child.on('close', () => this.connection.dispose());
    this.child.on('error', (err) => close(`the sidecar could not run: ${err.message}`));
    this.child.stdin!.on('error', (err) => close(`writing to the sidecar failed: ${err.message}`));
    this.connection.onClose(() => close('the connection closed'));
    this.connection.onNotification(P.ProcessOutput.method, (e: OutputEvent) => this.outputListeners.forEach((l) => l(e)));
    this.connection.onNotification(P.ProcessExited.method, (e: ExitEvent) => this.exitListeners.forEach((l) => l(e)));
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
    this.connection.listen();
  }

  static async start(options: ClientOptions = {}): Promise<SidecarClient> {
    const client = new SidecarClient(options);
    if (!options.noInitialize) {
      client.initializeResult = await client.request(P.Initialize, {
        protocolVersion: P.PROTOCOL_VERSION,
        clientInfo: { name: options.clientName ?? 'agentos-client', version: '0.1.0' },
      });
    }
    return client;
  }

  /** Sends any declared request; errors arrive as SidecarError with the stable code. */
  async request<S extends Spec>(spec: S, params: Static<S['params']>): Promise<Static<S['result']>> {
    if (this.closedReason) throw new SidecarError(`${spec.method} failed: ${this.closedReason}`, 'ERR_AGENTOS_CONNECTION_CLOSED');
    try {
      return (await this.connection.sendRequest(spec.method, params)) as Static<S['result']>;
    } catch (err) {
      if (err instanceof ResponseError) {
        const data = (err.data ?? {}) as Partial<P.ErrorData>;
        throw new SidecarError(err.message, data.code ?? 'ERR_AGENTOS_RPC', data, err.code);
      }
      throw new SidecarError(`${spec.method} failed: ${this.closedReason ?? (err as Error).message}`, 'ERR_AGENTOS_CONNECTION_CLOSED');
    }
  }

  createVm(params: Static<typeof P.VmCreate.params> = {}) {
    return this.request(P.VmCreate, params);
  }
  disposeVm(vmId: string) {
    return this.request(P.VmDispose, { vmId });
  }
  exec(vmId: string, command: string, args: string[] = [], options: Omit<Static<typeof P.ExecParams>, 'vmId' | 'command' | 'args'> = {}) {
    return this.request(P.ProcessExec, { vmId, command, args, ...options });
  }
  spawn(vmId: string, command: string, args: string[] = [], options: Omit<Static<typeof P.ProcessSpawn.params>, 'vmId' | 'command' | 'args'> = {}) {
    return this.request(P.ProcessSpawn, { vmId, command, args, ...options });
  }
  onOutput(listener: (event: OutputEvent) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }
  onExit(listener: (event: ExitEvent) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }
  /** Resolves with a spawned process's exit event (register before it can end). */
  waitForExit(vmId: string, pid: number): Promise<ExitEvent> {
    return new Promise((resolve) => {
      const off = this.onExit((e) => {
        if (e.vmId === vmId && e.pid === pid) {
          off();
          resolve(e);
        }
      });
    });
  }
  writeFile(vmId: string, path: string, data: string | Uint8Array) {
    return typeof data === 'string'
      ? this.request(P.FsWriteFile, { vmId, path, data, encoding: 'utf8' })
      : this.request(P.FsWriteFile, { vmId, path, data: Buffer.from(data).toString('base64') });
  }
  async readFile(vmId: string, path: string): Promise<Buffer> {
    const { data } = await this.request(P.FsReadFile, { vmId, path });
    return Buffer.from(data, 'base64');
  }

  /** shutdown + exit, then waits for the process to end. */
  async close(): Promise<number | null> {
    if (!this.closedReason) {
      try {
        await this.request(P.Shutdown, {});
        await this.connection.sendNotification(P.Exit.method, {});
      } catch {
        // Already going away; the exit below tells how it ended.
      }
    }
    const { code } = await this.exited;
    return code;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
