import { IsolateFactory } from '../process/isolate-factory.js';
import type { Readable, Writable } from 'node:stream';
import { createMessageConnection, ProgressType, ResponseError, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ProcessExit } from '../process/guest-process.js';
import * as P from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import type { JsEngine } from '../js/engine.js';
import type { WasmEngine } from '../wasm/engine.js';
import type { Limits } from '../limits/limits.js';
import { warnLimitExhausted, type Logger } from '../log.js';
import { VmRegistry } from '../vm/registry.js';
import type { VmEvents } from '../vm/vm.js';
import { FrameReader, ProtocolViolation } from './frame-reader.js';
import { createHandlers } from './handlers.js';
import { EventSink } from './event-sink.js';
import { OutgoingRequests } from './outgoing.js';
import { validateParams } from './validate.js';

export interface ServerOptions {
  input: Readable;
  output: Writable;
  limits: Limits;
  engine: JsEngine;
  wasm: WasmEngine;
  log: Logger;
  version: string;
}

type State = 'awaiting-initialize' | 'running' | 'shut-down';

/**
 * One host connection: the lifecycle (initialize → work → shutdown → exit), validation
 * and dispatch of every request, and the one rule for how the daemon ends: `exit`, EOF
 * on stdin (as shutdown + exit), or a protocol violation (fatal, exit 2).
 */
export class Server {
  private readonly connection: MessageConnection;
  private vms!: VmRegistry;
  private readonly outgoing: OutgoingRequests;
  private readonly events: EventSink;
  private state: State = 'awaiting-initialize';
  private resolveExit!: (code: number) => void;
  /** The exit code the daemon should end with, once it should end. */
  readonly exitCode: Promise<number>;

  constructor(private readonly o: ServerOptions) {
    this.exitCode = new Promise((resolve) => (this.resolveExit = resolve));
    const writer = new StreamMessageWriter(o.output);
    this.outgoing = new OutgoingRequests(writer, o.log, {
      remember: o.limits.COMPLETED_RESPONSES_REMEMBERED.value,
      timeoutMs: o.limits.HOST_CALL_TIMEOUT_MS.value,
      maxInFlightPerVm: o.limits.MAX_HOST_CALLS_IN_FLIGHT.value,
      payloadBytes: o.limits.HOST_CALL_PAYLOAD_BYTES.value,
    });
    const reader = new FrameReader(o.input, o.limits.MAX_FRAME_BYTES.value, o.limits.MAX_FRAME_HEADER_BYTES.value);
    const admitted = {
      ...reader,
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback: Parameters<FrameReader['listen']>[0]) => reader.listen((message) => this.outgoing.admit(message) && callback(message)),
      dispose: () => reader.dispose(),
    };
    this.connection = createMessageConnection(admitted, writer, {
      error: (message) => o.log.error({ source: 'vscode-jsonrpc' }, message),
      warn: (message) => o.log.warn({ source: 'vscode-jsonrpc' }, message),
      info: (message) => o.log.debug({ source: 'vscode-jsonrpc' }, message),
      log: (message) => o.log.debug({ source: 'vscode-jsonrpc' }, message),
    });
    this.events = new EventSink(this.connection, o.limits.EVENT_BUFFER_BYTES.value);
    this.vms = new VmRegistry(o.limits, o.engine, o.wasm, this.vmEvents(), o.log);
    reader.onError((err) => this.fatal(err instanceof ProtocolViolation ? err.message : `stdin failed: ${String(err)}`));
    reader.onClose(() => this.end(0, 'stdin closed'));
    this.register();
  }

  listen(): void {
    this.connection.listen();
  }

  /** Shutdown + exit, from EOF or a signal. */
  end(code: number, reason: string): void {
    if (this.state !== 'shut-down') this.o.log.info({ reason }, 'shutting down');
    this.shutdown().finally(() => this.resolveExit(code));
  }

  private async shutdown(): Promise<void> {
    this.state = 'shut-down';
    await this.vms.disposeAll();
    this.o.engine.close();
    this.o.wasm.close();
    // Disposals queued on the helper isolate finish before the process may exit.
    await IsolateFactory.drained();
  }

  private fatal(cause: string): void {
    this.o.log.fatal({ cause }, 'protocol violation');
    // Nothing more is read or answered; VMs go with the process.
    this.state = 'shut-down';
    this.resolveExit(2);
  }

  /** How VMs reach the host: process events through the sink, host calls as requests. */
  private vmEvents(): VmEvents {
    const { events, outgoing, o } = this;
    return {
      output: (vmId, pid, stream, data, encoding) => events.notify(P.ProcessOutput.type, { vmId, pid, stream, data, encoding }, data.length),
      exit: (vmId, pid, exit: ProcessExit, child) => events.notify(P.ProcessExited.type, { vmId, pid, ...exit, ...child }, 256),
      whenWritable: () => events.whenWritable(),
      callHost: (vmId, pid, binding, args) =>
        outgoing.send(vmId, P.HostCall.method, { vmId, pid, binding, args }).catch((err: unknown) => {
          if (err instanceof AgentosError && err.data.limit !== undefined && err.data.capacity !== undefined) {
            warnLimitExhausted(o.log.child({ vmId, pid }), { limit: err.data.limit, observed: err.data.observed ?? err.data.capacity, capacity: err.data.capacity, env: err.data.env });
          }
          throw err;
        }),
    };
  }

  private register(): void {
    const handlers = createHandlers({
      vms: this.vms,
      engine: this.o.engine,
      wasm: this.o.wasm,
      limits: this.o.limits,
      outgoing: this.outgoing,
      version: this.o.version,
      startedAt: performance.now(),
      progress: (token, value) => void this.connection.sendProgress(new ProgressType<typeof value>(), token, value),
    });

    this.connection.onRequest(P.Initialize.type, (params) =>
      this.guard(P.Initialize.method, () => {
        if (this.state !== 'awaiting-initialize') throw new AgentosError('ERR_AGENTOS_ALREADY_INITIALIZED', '`initialize` may be sent once');
        const p = validateParams<typeof params>(P.Initialize.method, P.Initialize.params, params ?? {});
        if (P.protocolMajor(p.protocolVersion) !== P.protocolMajor(P.PROTOCOL_VERSION)) {
          throw new AgentosError('ERR_AGENTOS_PROTOCOL_VERSION', `the host speaks protocol ${p.protocolVersion}; this sidecar speaks ${P.PROTOCOL_VERSION}`, { field: '/protocolVersion' });
        }
        this.state = 'running';
        this.o.log.info({ client: p.clientInfo?.name, clientVersion: p.clientInfo?.version, protocolVersion: p.protocolVersion }, 'initialized');
        return handlers.initializeResult();
      }),
    );
    this.connection.onRequest(P.Shutdown.type, () =>
      this.guard(P.Shutdown.method, async () => {
        await this.shutdown();
        return null;
      }),
    );
    this.connection.onNotification(P.Exit.type, () => this.end(this.state === 'shut-down' ? 0 : 1, 'exit notification'));

    const specs = new Map<string, P.RequestSpec<string, never, never>>(P.HostRequests.map((s) => [s.method, s as never]));
    this.connection.onRequest((method, params, token) => {
      const spec = specs.get(method);
      const handler = handlers.requests.get(method);
      return this.guard(method, () => {
        if (!spec || !handler) throw new AgentosError('ERR_AGENTOS_METHOD_NOT_FOUND', `unknown method '${method}'`);
        if (this.state === 'awaiting-initialize') throw new AgentosError('ERR_AGENTOS_NOT_INITIALIZED', `'${method}' before 'initialize': send initialize first`);
        if (this.state === 'shut-down') throw new AgentosError('ERR_AGENTOS_SHUTTING_DOWN', `'${method}' after 'shutdown'`);
        return handler(validateParams(method, spec.params, params ?? {}) as never, token);
      });
    });
  }

  /** Runs a handler; whatever it throws becomes a JSON-RPC error with a stable code. */
  private async guard<T>(method: string, run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.toResponseError(method, err);
    }
  }

  private toResponseError(method: string, err: unknown): ResponseError<P.ErrorData> {
    if (err instanceof AgentosError) {
      const { data } = err;
      if (data.limit !== undefined && data.capacity !== undefined) {
        warnLimitExhausted(this.o.log, { limit: data.limit, observed: data.observed ?? data.capacity, capacity: data.capacity, env: data.env });
      }
      this.o.log.warn({ method, code: data.code, field: data.field }, err.message);
      return new ResponseError(err.rpcCode, err.message, data);
    }
    this.o.log.error({ method, err }, 'request failed with an internal error');
    const message = `internal error in ${method}: ${err instanceof Error ? err.message : String(err)}`;
    return new ResponseError(P.ErrorCodes.ERR_AGENTOS_INTERNAL.rpc, message, { code: 'ERR_AGENTOS_INTERNAL' });
  }
}
