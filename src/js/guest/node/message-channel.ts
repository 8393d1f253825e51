/**
 * MessageChannel, MessagePort, MessageEvent and BroadcastChannel. A port is Node's
 * NodeEventTarget (`on('message', value)` and `addEventListener('message', event)`); it
 * delivers each message (structured-cloned) as a task, once started (a 'message' listener,
 * `onmessage`, or `start()`), and `receiveMessageOnPort` takes one at once. A port's peer is
 * another port of this process, or, once one of the two was transferred to a worker, a
 * relay to the other process (port-relay.ts), which ports of this module see as a `Peer`.
 */
import { nodeRequire } from './internal.js';
import { dataCloneError, structuredClone } from './structured-clone.js';

/** The other end of a port: a port of this process, or a relay to another process. */
export interface Peer {
  /** A message posted to this end: `ports` are the ports in its transfer list. */
  accept(value: unknown, ports: Port[]): void;
  /** The other end closed. */
  peerClosed(): void;
  /** The port on this side was moved elsewhere: `to` takes its place as the receiver. */
  retarget(to: Peer): void;
}

export interface Port extends Peer {
  readonly detached: boolean;
  /** Detaches the port (it was transferred): its peer, for the port that replaces it. */
  detach(): Peer | null;
  /** A message already cloned for this port, with its transferred ports. */
  enqueue(data: unknown, ports: Port[]): void;
  link(peer: Peer | null): void;
}

export interface Messaging {
  MessageChannel: new () => { port1: Port; port2: Port };
  MessagePort: new () => Port;
  MessageEvent: new (type: string, init?: object) => object;
  BroadcastChannel: unknown;
  /** A new port whose peer is `peer` (a transferred port's new home). */
  portWith(peer: Peer | null): Port;
  isPort(value: unknown): value is Port;
  receiveMessageOnPort(port: unknown): { message: unknown } | undefined;
  /** Called when a port's ref state changes (port-relay.ts keeps its process alive for it). */
  setRefHook(port: Port, hook: ((refed: boolean) => void) | undefined): void;
  /** The ports, ArrayBuffers of a transfer list, checked as Node checks them. */
  checkTransfer(source: object | null, transferList: unknown): { ports: Port[]; transfer: unknown[] };
}

let made: Messaging | undefined;


/** Node's (from its C++ side, so not in lib's errors). */
function constructCallInvalid(): TypeError {
  return Object.assign(new TypeError('Constructor cannot be called'), { code: 'ERR_CONSTRUCT_CALL_INVALID' });
}

export function messaging(): Messaging {
  if (made) return made;
  const et = nodeRequire('internal/event_target') as Record<string, any>;
  const { EventTarget, Event, NodeEventTarget, kCreateEvent, kNewListener, kRemoveListener, defineEventHandler } = et;
  const { codes } = nodeRequire('internal/errors');
  const later = (fn: () => void) => (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(fn);
  const tick = (fn: () => void) => (globalThis as unknown as { process: { nextTick(f: () => void): void } }).process.nextTick(fn);

  class MessageEvent extends Event {
    readonly data: unknown;
    readonly origin: string;
    readonly lastEventId: string;
    readonly source: unknown;
    readonly ports: unknown[];
    constructor(type: string, init: { data?: unknown; origin?: string; lastEventId?: string; source?: unknown; ports?: unknown[] } = {}) {
      super(type, init);
      this.data = init.data ?? null;
      this.origin = init.origin ?? '';
      this.lastEventId = init.lastEventId ?? '';
      this.source = init.source ?? null;
      this.ports = init.ports ?? [];
    }
  }

  let constructing = false;
  const ports = new WeakSet<object>();
  const isPort = (value: unknown): value is Port => typeof value === 'object' && value !== null && ports.has(value);

  class MessagePort extends NodeEventTarget implements Port {
    #peer: Peer | null = null;
    #started = false;
    #closed = false;
    #detached = false;
    #scheduled = false;
    #closeEmitted = false;
    #queue: Array<{ data: unknown; ports: Port[] }> = [];
    #listening = 0;
    #explicitRef: boolean | undefined;
    #refHook: ((refed: boolean) => void) | undefined;

    constructor() {
      if (!constructing) throw constructCallInvalid();
      super();
      ports.add(this);
    }

    /** The ports of the message being dispatched, for its MessageEvent. */
    #receivingPorts: Port[] = [];

    [kCreateEvent](data: unknown, type: string) {
      return new MessageEvent(type, { data, ports: this.#receivingPorts });
    }

    #dispatch(next: { data: unknown; ports: Port[] }): void {
      this.#receivingPorts = next.ports;
      try {
        (this as unknown as { emit(type: string, v: unknown): void }).emit('message', next.data);
      } finally {
        this.#receivingPorts = [];
      }
    }

    [kNewListener](size: number, type: string, ...rest: unknown[]) {
      super[kNewListener](size, type, ...rest);
      if (type === 'message' || type === 'messageerror') {
        this.#listening++;
        this.#refChanged();
        this.start();
      }
    }

    [kRemoveListener](size: number, type: string, ...rest: unknown[]) {
      super[kRemoveListener](size, type, ...rest);
      if (type === 'message' || type === 'messageerror') {
        this.#listening = Math.max(0, this.#listening - 1);
        this.#refChanged();
      }
    }

    postMessage(message: unknown, transfer?: unknown): void {
      if (arguments.length === 0) throw new (codes.ERR_MISSING_ARGS)('message');
      const checked = checkTransfer(this, transfer);
      if (this.#closed || !this.#peer) return;
      this.#peer.accept(message, checked.ports);
    }

    /** Peer: a message posted on the other end, cloned here (transferred ports move to new objects). */
    accept(value: unknown, moved: Port[]): void {
      const substitutes = new Map<object, unknown>();
      const fresh = moved.map((p) => {
        const port = portWith(p.detach());
        substitutes.set(p, port);
        return port;
      });
      this.enqueue(structuredClone(value, { substitutes, untransferred: isPort } as never), fresh);
    }

    enqueue(data: unknown, moved: Port[]): void {
      if (this.#closed) return;
      this.#queue.push({ data, ports: moved });
      this.#schedule();
    }

    peerClosed(): void {
      this.#peer = null;
      this.close();
    }

    retarget(to: Peer): void {
      this.#peer = to;
    }

    link(peer: Peer | null): void {
      this.#peer = peer;
    }

    get detached(): boolean {
      return this.#detached || this.#closed;
    }

    detach(): Peer | null {
      const peer = this.#peer;
      this.#detached = true;
      this.#closed = true;
      this.#closeEmitted = true;
      this.#peer = null;
      this.#queue = [];
      this.#refChanged();
      return peer;
    }

    /**
     * One message a task: as Node's MakeCallback, the ticks and microtasks a listener leaves
     * (an `await once(port, 'message')` adding the next listener) run in between. A closed
     * port still delivers what was queued before, then emits 'close'.
     */
    #schedule(): void {
      if (this.#scheduled) return;
      const deliverable = this.#started && this.#queue.length > 0;
      if (!deliverable && !(this.#closed && !this.#closeEmitted)) return;
      this.#scheduled = true;
      later(() => {
        this.#scheduled = false;
        if (this.#started && this.#queue.length > 0) {
          this.#dispatch(this.#queue.shift()!);
        } else if (this.#closed && !this.#closeEmitted) {
          this.#closeEmitted = true;
          this.#queue = [];
          this.dispatchEvent(new Event('close'));
          return;
        }
        this.#schedule();
      });
    }

    receiveOne(): { message: unknown } | undefined {
      const next = this.#queue.shift();
      return next ? { message: next.data } : undefined;
    }

    start(): void {
      if (this.#started) return;
      this.#started = true;
      this.#schedule();
    }

    close(callback?: unknown): void {
      if (typeof callback === 'function') (this as unknown as { once(e: string, f: unknown): void }).once('close', callback);
      if (this.#closed) return;
      this.#closed = true;
      this.#refChanged();
      const peer = this.#peer;
      this.#peer = null;
      peer?.peerClosed();
      this.#schedule();
    }

    ref(): this {
      this.#explicitRef = true;
      this.#refChanged();
      return this;
    }

    unref(): this {
      this.#explicitRef = false;
      this.#refChanged();
      return this;
    }

    hasRef(): boolean {
      return !this.#closed && (this.#explicitRef ?? this.#listening > 0);
    }

    setRefHook(hook: ((refed: boolean) => void) | undefined): void {
      this.#refHook = hook;
      this.#refChanged();
    }

    #refChanged(): void {
      this.#refHook?.(this.hasRef());
    }

    [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
      const info = { active: !this.#closed, refed: this.hasRef() };
      return `MessagePort [EventTarget] ${inspect(info, options)}`;
    }
  }
  defineEventHandler(MessagePort.prototype, 'message');
  defineEventHandler(MessagePort.prototype, 'messageerror');
  defineEventHandler(MessagePort.prototype, 'close');

  const portWith = (peer: Peer | null): Port => {
    constructing = true;
    let port: MessagePort;
    try {
      port = new MessagePort();
    } finally {
      constructing = false;
    }
    port.link(peer);
    peer?.retarget(port);
    return port;
  };

  /** The items of a transfer list, or of an options object's `transfer`, read as Node reads them. */
  function transferItems(given: unknown): unknown[] {
    if (given === undefined || given === null) return [];
    let list: unknown = given;
    let what = 'transferList';
    if (typeof given === 'object' && typeof (given as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      list = (given as { transfer?: unknown }).transfer;
      if (list === undefined) return [];
      what = 'options.transfer';
    }
    const notIterable = () => Object.assign(new TypeError(`Optional ${what} argument must be an iterable`), { code: 'ERR_INVALID_ARG_TYPE' });
    if (list === null || typeof list !== 'object' || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function') throw notIterable();
    const iterator = (list as Iterable<unknown>)[Symbol.iterator]() as Iterator<unknown> | null;
    if (iterator === null || typeof iterator !== 'object' || typeof iterator.next !== 'function') throw notIterable();
    const items: unknown[] = [];
    for (let step = iterator.next(); !step.done; step = iterator.next()) items.push(step.value);
    return items;
  }

  function checkTransfer(source: object | null, transferList: unknown): { ports: Port[]; transfer: unknown[] } {
    const items = transferItems(transferList);
    const moved: Port[] = [];
    const buffers = new Set<unknown>();
    for (const item of items) {
      if (isPort(item)) {
        if (item === source) throw dataCloneError('Transfer list contains source port');
        if (moved.includes(item)) throw dataCloneError('Transfer list contains duplicate MessagePort');
        moved.push(item);
      } else if (item instanceof ArrayBuffer) {
        if (buffers.has(item)) throw dataCloneError('Transfer list contains duplicate ArrayBuffer');
        buffers.add(item);
      }
    }
    for (const port of moved) if (port.detached) throw dataCloneError('MessagePort in transfer list is already detached');
    return { ports: moved, transfer: items.filter((i) => !isPort(i)) };
  }

  // A function, so that calling it without `new` fails as Node's does.
  const MessageChannel = function MessageChannel(this: { port1: Port; port2: Port }) {
    if (!new.target) throw Object.assign(new TypeError('Class constructor MessageChannel cannot be invoked without \'new\''), { code: 'ERR_CONSTRUCT_CALL_REQUIRED' });
    this.port1 = portWith(null);
    this.port2 = portWith(this.port1);
  } as unknown as new () => { port1: Port; port2: Port };

  const receiveMessageOnPort = (port: unknown) => {
    if (!isPort(port)) throw Object.assign(new TypeError('The "port" argument must be a MessagePort instance'), { code: 'ERR_INVALID_ARG_TYPE' });
    return (port as unknown as MessagePort).receiveOne();
  };

  const channels = new Map<string, Set<BroadcastChannel>>();
  class BroadcastChannel extends EventTarget {
    readonly name: string;
    #closed = false;
    onmessage: ((e: unknown) => void) | null = null;
    constructor(name: unknown) {
      super();
      if (arguments.length === 0) throw Object.assign(new TypeError('The "name" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
      this.name = `${name}`;
      if (!channels.has(this.name)) channels.set(this.name, new Set());
      channels.get(this.name)!.add(this);
    }
    postMessage(message: unknown): void {
      if (this.#closed) throw new (globalThis as unknown as { DOMException: new (m: string, n: string) => Error }).DOMException('BroadcastChannel is closed.', 'InvalidStateError');
      for (const other of channels.get(this.name) ?? []) {
        if (other === this) continue;
        const data = structuredClone(message);
        later(() => {
          if (other.#closed) return;
          const event = new MessageEvent('message', { data });
          other.onmessage?.call(other, event);
          other.dispatchEvent(event);
        });
      }
    }
    close(): void {
      this.#closed = true;
      channels.get(this.name)?.delete(this);
    }
    ref(): this {
      return this;
    }
    unref(): this {
      return this;
    }
  }
  void tick;

  // What guests see: a function, so that calling it without `new` fails as Node's does.
  const PublicMessagePort = function MessagePort() {
    throw constructCallInvalid();
  };
  PublicMessagePort.prototype = MessagePort.prototype;
  Object.defineProperty(MessagePort.prototype, 'constructor', { value: PublicMessagePort, writable: true, configurable: true });
  Object.setPrototypeOf(PublicMessagePort, NodeEventTarget);

  made = {
    MessageChannel,
    MessagePort: PublicMessagePort as unknown as new () => Port,
    MessageEvent,
    BroadcastChannel,
    portWith,
    isPort,
    receiveMessageOnPort,
    setRefHook: (port, hook) => (port as unknown as MessagePort).setRefHook(hook),
    checkTransfer,
  };
  return made;
}
