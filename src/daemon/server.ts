import { IsolateFactory } from '../process/isolate-factory.js';
import type { Readable, Writable } from 'node:stream';
import { createMessageConnection, ProgressType, ResponseError, StreamMessageWriter, type CancellationToken, type Message, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ProcessExit } from '../process/guest-process.js';
import * as P from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import type { JsEngine } from '../js/engine.js';
import type { WasmEngine } from '../wasm/engine.js';
import type { Limits } from '../limits/limits.js';
import { warnLimitExhausted, type Logger } from '../log.js';
import { VmRegistry } from '../vm/registry.js';
import type { VmEvents } from '../vm/vm.js';
import { END_OF_INPUT_METHOD, FrameReader, INVALID_FRAME_METHOD, isReaderNote, ProtocolViolation, UNREADABLE_STREAM_METHOD, type InvalidFrame, type UnreadableStream } from './frame-reader.js';
import { PendingIds } from './pending-ids.js';
import { createHandlers } from './handlers.js';
import { EventSink } from './event-sink.js';
import { OutgoingRequests } from './outgoing.js';
import { TrackedWriter } from './tracked-writer.js';
import { validateParams } from './validate.js';
import { checkBase64Fields } from './base64.js';

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
 * on stdin (as shutdown + exit, after answering everything received before it), a signal
 * or the parent's death (the same), or a broken stream (fatal, exit 2).
 */
export class Server {
  private readonly connection: MessageConnection;
  private vms!: VmRegistry;
  private readonly writer: TrackedWriter;
  private readonly outgoing: OutgoingRequests;
  private readonly events: EventSink;
  private state: State = 'awaiting-initialize';
  private shuttingDown: Promise<void> | undefined;
  /** Requests whose handler has not settled yet. */
  private running = 0;
  /** Ids of the host's requests not answered yet: a second request with one of them is refused. */
  private readonly pendingIds = new PendingIds();
  private resolveExit!: (code: number) => void;
  private startEnding!: () => void;
  /** The code the daemon ends with, once `end` or a fatal error decided it. */
  endCode: number | undefined;
  /** The exit code the daemon should end with, once everything owed is answered. */
  readonly exitCode: Promise<number>;
  /** Resolves when the daemon starts to end (the shutdown deadline counts from here). */
  readonly ending: Promise<void>;

  constructor(private readonly o: ServerOptions) {
    this.exitCode = new Promise((resolve) => (this.resolveExit = resolve));
    this.ending = new Promise((resolve) => (this.startEnding = resolve));
    this.writer = new TrackedWriter(new StreamMessageWriter(o.output), (id) => this.pendingIds.answered(id));
    this.outgoing = new OutgoingRequests(this.writer, o.log, {
      remember: o.limits.COMPLETED_RESPONSES_REMEMBERED.value,
      timeoutMs: o.limits.HOST_CALL_TIMEOUT_MS.value,
      maxInFlightPerVm: o.limits.MAX_HOST_CALLS_IN_FLIGHT.value,
      payloadBytes: o.limits.HOST_CALL_PAYLOAD_BYTES.value,
      maxDepth: o.limits.MAX_PARAMS_DEPTH.value,
    });
    const reader = new FrameReader(o.input, o.limits.MAX_FRAME_BYTES.value, o.limits.MAX_FRAME_HEADER_BYTES.value);
    const admitted = {
      ...reader,
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback: Parameters<FrameReader['listen']>[0]) => reader.listen((message) => this.admit(message) && callback(message)),
      dispose: () => reader.dispose(),
    };
    this.connection = createMessageConnection(admitted, this.writer, {
      error: (message) => o.log.error({ source: 'vscode-jsonrpc' }, message),
      warn: (message) => o.log.warn({ source: 'vscode-jsonrpc' }, message),
      info: (message) => o.log.debug({ source: 'vscode-jsonrpc' }, message),
      log: (message) => o.log.debug({ source: 'vscode-jsonrpc' }, message),
    });
    this.events = new EventSink(this.connection, o.limits.EVENT_BUFFER_BYTES.value);
    this.vms = new VmRegistry(o.limits, o.engine, o.wasm, this.vmEvents(), o.log);
    reader.onError((err) => this.fatal(err instanceof ProtocolViolation ? err.message : `stdin failed: ${String(err)}`));
    this.register();
  }

  listen(): void {
    this.connection.listen();
  }

  /**
   * Shutdown + exit (from EOF, `exit`, a signal or the parent's death): every VM is
   * disposed, every request already received is answered, then `exitCode` resolves.
   */
  end(code: number, reason: string): void {
    if (this.endCode !== undefined) return;
    this.endCode = code;
    this.startEnding();
    this.o.log.info({ reason }, this.state === 'shut-down' ? 'exiting' : 'shutting down');
    this.shutdown()
      .then(() => this.answered())
      .finally(() => this.resolveExit(code));
  }

  private shutdown(): Promise<void> {
    this.state = 'shut-down';
    this.shuttingDown ??= (async () => {
      await this.vms.disposeAll();
      this.o.engine.close();
      this.o.wasm.close();
      // Disposals queued on the helper isolate finish before the process may exit.
      await IsolateFactory.drained();
    })();
    return this.shuttingDown;
  }

  /** Resolves once no handler runs and every answer has been handed to stdout. */
  private async answered(): Promise<void> {
    for (;;) {
      // A settled handler's answer is written a few ticks later: look again after them.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.running === 0 && this.writer.idle) return;
      await this.writer.whenIdle();
      if (this.running > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private fatal(cause: string): void {
    this.o.log.fatal({ cause }, 'protocol violation');
    // Nothing more is read or answered; VMs go with the process.
    this.state = 'shut-down';
    this.endCode ??= 2;
    this.startEnding();
    this.resolveExit(2);
  }

  /**
   * Every incoming message passes here before the connection sees it: answers to the
   * sidecar's own requests are settled (never reach the connection); a malformed
   * `$/cancelRequest` is dropped; nothing a message holds can throw into the reader.
   */
  private admit(message: Message): boolean {
    try {
      const m = message as { method?: unknown; params?: { id?: unknown } };
      if (m.method === '$/cancelRequest' && !(m.params && (typeof m.params.id === 'string' || typeof m.params.id === 'number'))) {
        this.o.log.warn({ method: m.method }, 'dropped a $/cancelRequest without params.id');
        return false;
      }
      if (!this.outgoing.admit(message)) return false;
      const request = message as { method?: unknown; id?: string | number };
      if (typeof request.method === 'string' && request.id !== undefined && !this.pendingIds.add(request.id)) {
        this.answerDuplicate(request.method, request.id);
        return false;
      }
      return true;
    } catch (err) {
      this.o.log.error({ err }, 'failed to take in a message; dropped');
      return false;
    }
  }

  /**
   * A whole frame that is not a JSON-RPC message, or one too large to read: answered (id
   * null, or the too-large frame's id when its first bytes held one), then reading goes on.
   */
  private answerInvalid(frame: InvalidFrame): void {
    const code = frame.kind === 'parse' ? 'ERR_AGENTOS_PARSE_ERROR' : frame.kind === 'too-large' ? 'ERR_AGENTOS_FRAME_TOO_LARGE' : 'ERR_AGENTOS_INVALID_REQUEST';
    const data: P.ErrorData = { code };
    if (frame.kind === 'too-large') {
      Object.assign(data, { limit: 'max_frame_bytes', observed: frame.length!, capacity: this.o.limits.MAX_FRAME_BYTES.value, env: 'AGENTOS_MAX_FRAME_BYTES' });
      warnLimitExhausted(this.o.log, { limit: 'max_frame_bytes', observed: frame.length!, capacity: this.o.limits.MAX_FRAME_BYTES.value, env: 'AGENTOS_MAX_FRAME_BYTES' });
    }
    this.o.log.warn({ code, id: frame.id ?? null }, frame.message);
    const error = { code: P.ErrorCodes[code].rpc, message: frame.message, data };
    this.writer.write({ jsonrpc: '2.0', id: frame.id ?? null, error } as Message, { notAnAnswer: true }).catch(() => {});
  }

  /** A request reusing the id of one still running: refused with that id; the running one goes on. */
  private answerDuplicate(method: string, id: string | number): void {
    const code = 'ERR_AGENTOS_DUPLICATE_REQUEST_ID';
    const message = `'${method}' reuses the id ${JSON.stringify(id)} of a request not answered yet; not run`;
    this.o.log.warn({ method, id, code }, message);
    const error = { code: P.ErrorCodes[code].rpc, message, data: { code } };
    this.writer.write({ jsonrpc: '2.0', id, error } as Message, { notAnAnswer: true }).catch(() => {});
  }

  /** The stream cannot be read on: everything before it is answered, then the daemon ends (exit 2). */
  private unreadable(stream: UnreadableStream): void {
    this.o.log.fatal({ cause: stream.message }, 'protocol violation');
    this.end(2, `protocol violation: ${stream.message}`);
  }

  /** How VMs reach the host: process events through the sink, host calls as requests. */
  private vmEvents(): VmEvents {
    const { events, outgoing, o } = this;
    return {
      output: (vmId, pid, stream, data, encoding) => events.notify(P.ProcessOutput.type, { vmId, pid, stream, data, encoding }, data.length),
      exit: (vmId, pid, exit: ProcessExit, child) => events.notify(P.ProcessExited.type, { vmId, pid, ...exit, ...child }, 256),
      whenWritable: () => events.whenWritable(),
      askPermission: (params) =>
        outgoing.send(params.vmId, P.PermissionRequest.method, params, {
          ms: o.limits.PERMISSION_ASK_TIMEOUT_MS.value, limit: 'permission_ask_timeout_ms', env: 'AGENTOS_PERMISSION_ASK_TIMEOUT_MS', code: 'ERR_AGENTOS_PERMISSION_ASK_TIMEOUT',
        }).catch((err: unknown) => {
          if (err instanceof AgentosError && err.data.limit !== undefined && err.data.capacity !== undefined) {
            warnLimitExhausted(o.log.child({ vmId: params.vmId, pid: params.pid }), { limit: err.data.limit, observed: err.data.observed ?? err.data.capacity, capacity: err.data.capacity, env: err.data.env });
          }
          throw err;
        }),
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
    const maxDepth = this.o.limits.MAX_PARAMS_DEPTH.value;
    const validate = <T>(method: string, schema: P.RequestSpec<string, never, never>['params'], params: unknown) =>
      validateParams<T>(method, schema, params ?? {}, maxDepth);

    const specs = new Map<string, P.RequestSpec<string, never, never>>(P.HostRequests.map((s) => [s.method, s as never]));
    const lifecycle: Record<string, (params: unknown) => unknown> = {
      [P.Initialize.method]: (params) => {
        if (this.state === 'shut-down') throw new AgentosError('ERR_AGENTOS_SHUTTING_DOWN', "'initialize' after 'shutdown'");
        if (this.state !== 'awaiting-initialize') throw new AgentosError('ERR_AGENTOS_ALREADY_INITIALIZED', '`initialize` may be sent once');
        const p = validate<{ protocolVersion?: string; clientInfo?: { name: string; version?: string } }>(P.Initialize.method, P.Initialize.params as never, params);
        const version = p.protocolVersion ?? P.PROTOCOL_VERSION;
        if (P.protocolMajor(version) !== P.protocolMajor(P.PROTOCOL_VERSION)) {
          throw new AgentosError('ERR_AGENTOS_PROTOCOL_VERSION', `the host speaks protocol ${version}; this sidecar speaks ${P.PROTOCOL_VERSION}`, { field: '/protocolVersion' });
        }
        this.state = 'running';
        this.o.log.info({ client: p.clientInfo?.name, clientVersion: p.clientInfo?.version, protocolVersion: version }, 'initialized');
        return handlers.initializeResult();
      },
      [P.Shutdown.method]: async (params) => {
        if (this.state === 'awaiting-initialize') throw new AgentosError('ERR_AGENTOS_NOT_INITIALIZED', "'shutdown' before 'initialize': send initialize first");
        validate(P.Shutdown.method, P.Shutdown.params as never, params);
        await this.shutdown();
        return null;
      },
    };

    this.connection.onRequest((method, params, token: CancellationToken) =>
      this.guard(method, () => {
        const ownLifecycle = Object.hasOwn(lifecycle, method) ? lifecycle[method] : undefined;
        if (ownLifecycle) return ownLifecycle(params);
        const spec = specs.get(method);
        const handler = handlers.requests.get(method);
        if (!spec || !handler) throw new AgentosError('ERR_AGENTOS_METHOD_NOT_FOUND', `unknown method '${method}'`);
        if (this.state === 'awaiting-initialize') throw new AgentosError('ERR_AGENTOS_NOT_INITIALIZED', `'${method}' before 'initialize': send initialize first`);
        if (this.state === 'shut-down') throw new AgentosError('ERR_AGENTOS_SHUTTING_DOWN', `'${method}' after 'shutdown'`);
        const valid = validate(method, spec.params, params);
        checkBase64Fields(method, valid);
        return handler(valid as never, token);
      }),
    );

    this.connection.onNotification((method, params) => {
      if (method === END_OF_INPUT_METHOD && isReaderNote(params)) return this.end(0, 'stdin closed');
      if (method === INVALID_FRAME_METHOD && isReaderNote(params)) return this.answerInvalid(params as InvalidFrame);
      if (method === UNREADABLE_STREAM_METHOD && isReaderNote(params)) return this.unreadable(params as UnreadableStream);
      if (method === P.Exit.method) return this.end(this.state === 'shut-down' ? 0 : 1, 'exit notification');
      if (method.startsWith('$/')) return this.o.log.debug({ method }, 'notification ignored');
      if (Object.hasOwn(lifecycle, method) || specs.has(method)) {
        return this.o.log.warn({ method }, `'${method}' is a request but arrived as a notification (no id): not run, since no answer could reach the host`);
      }
      this.o.log.warn({ method }, `unknown notification '${method}' ignored`);
    });
  }

  /** Runs a handler; whatever it throws becomes a JSON-RPC error with a stable code. */
  private async guard<T>(method: string, run: () => T | Promise<T>): Promise<T> {
    this.running++;
    try {
      return await run();
    } catch (err) {
      throw this.toResponseError(method, err);
    } finally {
      this.running--;
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
