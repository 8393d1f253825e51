/**
 * Node's `diagnostics_channel`: named channels that publish to subscribers synchronously,
 * bound stores (runStores), and tracing channels (start/end/asyncStart/asyncEnd/error).
 * Channels are kept weakly as in Node: one nobody holds or subscribes to may be collected.
 */
type Subscriber = (message: unknown, name: string | symbol) => void;
interface Store { run<T>(store: unknown, fn: () => T): T }

const channels = new Map<string | symbol, WeakRef<Channel>>();
/** Channels with subscribers stay alive while they have them. */
const held = new Set<Channel>();

function invalidArg(name: string, expected: string, value: unknown): TypeError {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${value === null ? 'null' : typeof value === 'object' ? 'an instance of Object' : `type ${typeof value} (${String(value)})`}`);
  (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

export class Channel {
  private subscribers: Subscriber[] = [];
  private stores = new Map<Store, ((message: unknown) => unknown) | undefined>();
  constructor(readonly name: string | symbol) {}

  get hasSubscribers(): boolean {
    return this.subscribers.length > 0 || this.stores.size > 0;
  }

  subscribe(fn: Subscriber): void {
    if (typeof fn !== 'function') throw invalidArg('subscription', 'of type function', fn);
    this.subscribers = [...this.subscribers, fn];
    held.add(this);
  }

  unsubscribe(fn: Subscriber): boolean {
    const i = this.subscribers.indexOf(fn);
    if (i === -1) return false;
    this.subscribers = [...this.subscribers.slice(0, i), ...this.subscribers.slice(i + 1)];
    if (!this.hasSubscribers) held.delete(this);
    return true;
  }

  bindStore(store: Store, transform?: (message: unknown) => unknown): void {
    this.stores.set(store, transform);
    held.add(this);
  }

  unbindStore(store: Store): boolean {
    const had = this.stores.delete(store);
    if (!this.hasSubscribers) held.delete(this);
    return had;
  }

  /** Subscribers run in order; one that throws does not stop the others (its error is raised on the next tick). */
  publish(message: unknown): void {
    for (const fn of this.subscribers) {
      try {
        fn(message, this.name);
      } catch (err) {
        (globalThis as { process?: { nextTick(fn: () => void): void } }).process?.nextTick(() => {
          throw err;
        });
      }
    }
  }

  runStores<T>(message: unknown, fn: (...args: unknown[]) => T, thisArg?: unknown, ...args: unknown[]): T {
    let run = () => {
      this.publish(message);
      return Reflect.apply(fn, thisArg, args) as T;
    };
    for (const [store, transform] of this.stores) {
      const inner = run;
      run = () => store.run(transform ? transform(message) : message, inner);
    }
    return run();
  }
}

export function channel(name: unknown): Channel {
  if (typeof name !== 'string' && typeof name !== 'symbol') throw invalidArg('channel', 'of type string or symbol', name);
  const existing = channels.get(name)?.deref();
  if (existing) return existing;
  const made = new Channel(name);
  channels.set(name, new WeakRef(made));
  return made;
}

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
type TracingEvent = (typeof EVENTS)[number];

class TracingChannel {
  readonly start!: Channel;
  readonly end!: Channel;
  readonly asyncStart!: Channel;
  readonly asyncEnd!: Channel;
  readonly error!: Channel;
  constructor(nameOrChannels: unknown) {
    for (const event of EVENTS) {
      const value = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${event}`) : (nameOrChannels as Record<TracingEvent, Channel>)[event];
      if (!(value instanceof Channel)) throw invalidArg(`nameOrChannels.${event}`, 'an instance of Channel', value);
      Object.defineProperty(this, event, { value, enumerable: false });
    }
  }

  get hasSubscribers(): boolean {
    return EVENTS.some((e) => this[e].hasSubscribers);
  }

  subscribe(handlers: Partial<Record<TracingEvent, Subscriber>>): void {
    for (const event of EVENTS) if (handlers[event]) this[event].subscribe(handlers[event]!);
  }

  unsubscribe(handlers: Partial<Record<TracingEvent, Subscriber>>): boolean {
    let done = true;
    for (const event of EVENTS) if (handlers[event] && !this[event].unsubscribe(handlers[event]!)) done = false;
    return done;
  }

  traceSync<T>(fn: (...args: unknown[]) => T, context: Record<string, unknown> = {}, thisArg?: unknown, ...args: unknown[]): T {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args) as T;
    return this.start.runStores(context, () => {
      try {
        const result = Reflect.apply(fn, thisArg, args) as T;
        context.result = result;
        return result;
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        throw err;
      } finally {
        this.end.publish(context);
      }
    });
  }

  tracePromise<T>(fn: (...args: unknown[]) => Promise<T>, context: Record<string, unknown> = {}, thisArg?: unknown, ...args: unknown[]): Promise<T> {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args) as Promise<T>;
    const reject = (err: unknown) => {
      context.error = err;
      this.error.publish(context);
      this.asyncStart.publish(context);
      this.asyncEnd.publish(context);
      return Promise.reject(err);
    };
    const resolve = (result: T) => {
      context.result = result;
      this.asyncStart.publish(context);
      this.asyncEnd.publish(context);
      return result;
    };
    return this.start.runStores(context, () => {
      try {
        const promise = Reflect.apply(fn, thisArg, args) as Promise<T>;
        return Promise.resolve(promise).then(resolve, reject);
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        throw err;
      } finally {
        this.end.publish(context);
      }
    });
  }

  traceCallback<T>(fn: (...args: unknown[]) => T, position = -1, context: Record<string, unknown> = {}, thisArg?: unknown, ...args: unknown[]): T {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args) as T;
    const at = position < 0 ? args.length + position : position;
    const callback = args[at];
    if (typeof callback !== 'function') throw invalidArg('callback', 'of type function', callback);
    const wrapped = (err: unknown, result: unknown) => {
      if (err) {
        context.error = err;
        this.error.publish(context);
      } else context.result = result;
      this.asyncStart.runStores(context, () => {
        try {
          return Reflect.apply(callback, undefined, [err, result]);
        } finally {
          this.asyncEnd.publish(context);
        }
      });
    };
    const withWrapped = [...args];
    withWrapped[at] = wrapped;
    return this.traceSync(fn, context, thisArg, ...withWrapped);
  }
}

export function createDiagnosticsChannel() {
  return {
    channel,
    hasSubscribers: (name: unknown) => channels.get(name as string)?.deref()?.hasSubscribers ?? false,
    subscribe: (name: unknown, fn: Subscriber) => channel(name).subscribe(fn),
    unsubscribe: (name: unknown, fn: Subscriber) => channel(name).unsubscribe(fn),
    tracingChannel: (nameOrChannels: unknown) => new TracingChannel(nameOrChannels),
    Channel,
  };
}
