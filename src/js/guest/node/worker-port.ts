/**
 * A worker's `parentPort`: a MessagePort (Node's NodeEventTarget, so both `on('message',
 * value)` and `addEventListener('message', event)`) whose peer is the Worker object in the
 * parent. As Node's port, it keeps the worker alive while it has 'message' listeners (or
 * after ref()), and starts delivering once one is added or `onmessage` is set.
 */
import { nodeRequire } from './internal.js';
import { messaging } from './message-channel.js';

export interface PortLink {
  post(value: unknown, transferList?: unknown): void;
  ref(refed: boolean): void;
}

export function createParentPort(link: PortLink): { port: object; deliver(value: unknown): void; end(): void } {
  const et = nodeRequire('internal/event_target') as Record<string, any>;
  const { NodeEventTarget, kCreateEvent, kNewListener, kRemoveListener, defineEventHandler } = et;
  const MessageEvent = messaging().MessageEvent as new (type: string, init: object) => object;
  const queue: unknown[] = [];
  let started = false;
  let closed = false;
  let explicit: boolean | undefined;
  let listening = 0;
  const updateRef = () => link.ref(!closed && (explicit ?? listening > 0));

  class MessagePort extends NodeEventTarget {
    [kCreateEvent](data: unknown, type: string) {
      return new MessageEvent(type, { data });
    }

    [kNewListener](size: number, type: string, ...rest: unknown[]) {
      super[kNewListener](size, type, ...rest);
      if (type === 'message' || type === 'messageerror') {
        listening++;
        updateRef();
        this.start();
      }
    }

    [kRemoveListener](size: number, type: string, ...rest: unknown[]) {
      super[kRemoveListener](size, type, ...rest);
      if (type === 'message' || type === 'messageerror') {
        listening = Math.max(0, listening - 1);
        updateRef();
      }
    }

    postMessage(value: unknown, transferList?: unknown): void {
      if (arguments.length === 0) throw Object.assign(new TypeError('The "message" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
      if (closed) return;
      link.post(value, transferList);
    }

    start(): void {
      if (started) return;
      started = true;
      flush();
    }

    close(): void {
      if (closed) return;
      closed = true;
      updateRef();
      (globalThis as unknown as { process: { nextTick(f: () => void): void } }).process.nextTick(() => this.emit('close'));
    }

    ref(): this {
      explicit = true;
      updateRef();
      return this;
    }

    unref(): this {
      explicit = false;
      updateRef();
      return this;
    }

    hasRef(): boolean {
      return !closed && (explicit ?? listening > 0);
    }
  }
  defineEventHandler(MessagePort.prototype, 'message');
  defineEventHandler(MessagePort.prototype, 'messageerror');
  Object.defineProperty(MessagePort, 'name', { value: 'MessagePort' });
  const port = new MessagePort() as InstanceType<typeof MessagePort> & { emit(type: string, v: unknown): boolean };

  const flush = () => {
    while (started && !closed && queue.length > 0) port.emit('message', queue.shift());
  };
  return {
    port,
    deliver(value) {
      if (closed) return;
      queue.push(value);
      flush();
    },
    end() {
      port.close();
    },
  };
}
