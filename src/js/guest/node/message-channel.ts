/**
 * MessageChannel, MessagePort, MessageEvent and BroadcastChannel within one process: a
 * port delivers each message (structured-cloned) to its peer's 'message' listeners and
 * `onmessage` as a task (after the current one, as Node does), once the peer is started
 * (`start()`, or setting `onmessage`). There is no other thread to post to.
 */
import { nodeRequire } from './internal.js';
import { structuredClone } from './structured-clone.js';

let made: Record<string, unknown> | undefined;

export function messaging(): Record<string, unknown> {
  if (made) return made;
  interface Target {
    addEventListener(type: string, fn: unknown): void;
    removeEventListener(type: string, fn: unknown): void;
    dispatchEvent(event: object): boolean;
  }
  const { EventTarget, Event } = nodeRequire('internal/event_target') as { EventTarget: new () => Target; Event: new (type: string, init?: object) => object };
  const later = (fn: () => void) => (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(fn);

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

  const peers = new WeakMap<object, MessagePort | null>();
  class MessagePort extends EventTarget {
    #started = false;
    #closed = false;
    #queue: unknown[] = [];
    #onmessage: ((e: unknown) => void) | null = null;
    postMessage(message: unknown, transfer?: unknown): void {
      if (arguments.length === 0) throw Object.assign(new TypeError('The "message" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
      const peer = peers.get(this);
      if (this.#closed || !peer) return;
      const data = structuredClone(message, Array.isArray(transfer) ? { transfer } : (transfer as { transfer?: unknown[] }));
      peer.#receive(data);
    }
    #receive(data: unknown): void {
      if (this.#closed) return;
      this.#queue.push(data);
      if (this.#started) this.#flush();
    }
    #flush(): void {
      later(() => {
        while (this.#queue.length > 0 && this.#started && !this.#closed) {
          this.dispatchEvent(new MessageEvent('message', { data: this.#queue.shift() }));
        }
      });
    }
    start(): void {
      this.#started = true;
      if (this.#queue.length > 0) this.#flush();
    }
    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      const peer = peers.get(this);
      peers.set(this, null);
      this.dispatchEvent(new Event('close'));
      if (peer) peer.close();
    }
    ref(): this {
      return this;
    }
    unref(): this {
      return this;
    }
    hasRef(): boolean {
      return false;
    }
    get onmessage() {
      return this.#onmessage;
    }
    set onmessage(fn: ((e: unknown) => void) | null) {
      if (this.#onmessage) this.removeEventListener('message', this.#onmessage as never);
      this.#onmessage = typeof fn === 'function' ? fn : null;
      if (this.#onmessage) {
        this.addEventListener('message', this.#onmessage as never);
        this.start();
      }
    }
  }

  class MessageChannel {
    readonly port1: MessagePort;
    readonly port2: MessagePort;
    constructor() {
      this.port1 = new MessagePort();
      this.port2 = new MessagePort();
      peers.set(this.port1, this.port2);
      peers.set(this.port2, this.port1);
    }
  }

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

  made = { MessageChannel, MessagePort, MessageEvent, BroadcastChannel };
  return made;
}
