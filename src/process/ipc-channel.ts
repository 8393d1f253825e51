/**
 * The IPC channel between a guest JS process and a `node` child it started with an 'ipc'
 * stdio (child_process.fork), carried by the daemon as a pipe would carry it: each end
 * queues the messages sent to its process, in order, and hands them to its guest one
 * batch at a time, the next once the guest has run the last. When one side disconnects
 * or ends, what it had not read is dropped and the other side gets its end-of-channel
 * after every message sent before. Queued messages are bounded per end (messages and
 * bytes) and per VM (bytes): a guest that floods `send` gets ENOBUFS, and costs only its VM.
 */
import { warnLimitExhausted, type Logger } from '../log.js';

/** A message as the guest serialized it: a JSON text, or V8 serializer bytes ('advanced'). */
export type IpcMessage = string | Uint8Array;

/** Hands a batch (or, with null, the end of the channel) to the guest; settles once the guest ran it. */
export type IpcSink = (batch: IpcMessage[] | null) => Promise<unknown> | undefined;

/** Node's threshold for `send` returning false: more than this queued and not yet read (internal/child_process.js). */
const NODE_SEND_HIGH_WATER_BYTES = 65536 * 2;

export interface IpcBounds {
  channelBytes: number;
  channelMessages: number;
  vmBytes: number;
}

/** What the channels of one VM hold at once (IPC_VM_QUEUE_BYTES). */
export class IpcBudget {
  used = 0;
  constructor(readonly bounds: IpcBounds, private readonly log: Logger, private readonly onLimit: () => void) {}

  exhausted(limit: string, observed: number, capacity: number, env: string): never {
    this.onLimit();
    warnLimitExhausted(this.log, { limit, observed, capacity, env });
    throw Object.assign(new Error(`write ENOBUFS (${limit}: ${capacity} reached; raise ${env})`), { code: 'ENOBUFS', errno: -105, syscall: 'write' });
  }
}

export function ipcChannel(budget: IpcBudget): { parent: IpcEnd; child: IpcEnd } {
  const parent = new IpcEnd(budget);
  const child = new IpcEnd(budget);
  parent.peer = child;
  child.peer = parent;
  // As Node's child unrefs its pipe: referenced only while it listens ('message', 'disconnect').
  child.refed = false;
  return { parent, child };
}

function sizeOf(message: IpcMessage): number {
  // A JSON message is the line Node writes: its UTF-8 bytes and the newline.
  return typeof message === 'string' ? Buffer.byteLength(message) + 1 : message.byteLength;
}

export class IpcEnd {
  peer!: IpcEnd;
  /** Its process keeps running while the channel is referenced (guest channel.ref/unref). */
  refed = true;
  private inbox: IpcMessage[] = [];
  /** Bytes queued here, those handed to the guest and not yet run by it included. */
  private inboxBytes = 0;
  private flightBytes = 0;
  private sink: IpcSink | undefined;
  private delivering = false;
  private closed = false;
  private eofTold = false;
  private readonly settledWaiters: Array<() => void> = [];

  constructor(private readonly budget: IpcBudget) {}

  /** Still open on this side (not disconnected, its process not ended). */
  get open(): boolean {
    return !this.closed;
  }

  /** Keeps its process alive: open, referenced, and its end-of-channel not yet handed over. */
  get holding(): boolean {
    return !this.closed && this.refed;
  }

  /**
   * Queues a message for the other side. False once what it has not read passes Node's
   * threshold (backpressure); throws EPIPE when the other side is gone, ENOBUFS past a bound.
   */
  send(message: unknown): boolean {
    if (this.closed) throw Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
    if (typeof message !== 'string' && !(message instanceof Uint8Array)) throw Object.assign(new TypeError('invalid IPC message'), { code: 'ERR_INVALID_ARG_TYPE' });
    const to = this.peer;
    if (to.closed) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });
    const size = sizeOf(message);
    const { bounds } = this.budget;
    if (to.inbox.length + 1 > bounds.channelMessages) this.budget.exhausted('ipc_channel_queue_messages', to.inbox.length + 1, bounds.channelMessages, 'AGENTOS_IPC_CHANNEL_QUEUE_MESSAGES');
    if (to.inboxBytes + size > bounds.channelBytes) this.budget.exhausted('ipc_channel_queue_bytes', to.inboxBytes + size, bounds.channelBytes, 'AGENTOS_IPC_CHANNEL_QUEUE_BYTES');
    if (this.budget.used + size > bounds.vmBytes) this.budget.exhausted('ipc_vm_queue_bytes', this.budget.used + size, bounds.vmBytes, 'AGENTOS_IPC_VM_QUEUE_BYTES');
    to.inbox.push(message);
    to.inboxBytes += size;
    this.budget.used += size;
    to.pump();
    return to.inboxBytes < NODE_SEND_HIGH_WATER_BYTES;
  }

  /** Its process is ready to be told: messages queued so far go now. */
  attach(sink: IpcSink): void {
    this.sink = sink;
    this.pump();
  }

  /** This side is done (disconnect, or its process ended): unread messages go, the other side sees the end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.drop();
    this.sink = undefined;
    this.settle();
    this.peer.pump();
  }

  /** Resolves once everything sent to this side, and its end, reached its guest (or this side closed). */
  settled(): Promise<void> {
    if (this.closed || this.eofTold) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private drop(): void {
    const queued = this.inboxBytes - this.flightBytes;
    this.budget.used -= queued;
    this.inboxBytes -= queued;
    this.inbox = [];
  }

  private settle(): void {
    for (const resolve of this.settledWaiters.splice(0)) resolve();
  }

  private pump(): void {
    const sink = this.sink;
    if (!sink || this.delivering || this.closed) return;
    if (this.inbox.length > 0) {
      const batch = this.inbox;
      const bytes = this.inboxBytes - this.flightBytes;
      this.inbox = [];
      this.delivering = true;
      this.flightBytes += bytes;
      const done = () => {
        // Counted until the guest has run them: a guest that does not keep up holds its sender back.
        this.flightBytes -= bytes;
        this.inboxBytes -= bytes;
        this.budget.used -= bytes;
        this.delivering = false;
        this.pump();
      };
      const running = sink(batch);
      if (running) void running.then(done, done);
      else done();
      return;
    }
    if (this.peer.closed && !this.eofTold) {
      this.eofTold = true;
      const running = sink(null);
      const done = () => this.settle();
      if (running) void running.then(done, done);
      else done();
    }
  }
}
