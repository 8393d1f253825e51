type Listener = (...args: any[]) => void;

/**
 * A small EventEmitter for the runtime's own objects (process, stdio), so that starting
 * an isolate does not load the full `events` package; guest `require('events')` gets the
 * real one.
 */
export class Emitter {
  private readonly listenersByEvent = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    this.emit('newListener', event, listener);
    const list = this.listenersByEvent.get(event);
    if (list) list.push(listener);
    else this.listenersByEvent.set(event, [listener]);
    return this;
  }
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  prependListener(event: string | symbol, listener: Listener): this {
    this.on(event, listener);
    const list = this.listenersByEvent.get(event)!;
    list.unshift(list.pop()!);
    return this;
  }
  once(event: string | symbol, listener: Listener): this {
    const wrapped: Listener & { listener?: Listener } = (...args) => {
      this.off(event, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return this.on(event, wrapped);
  }
  off(event: string | symbol, listener: Listener): this {
    const list = this.listenersByEvent.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (i === -1) return this;
    const [removed] = list.splice(i, 1);
    if (list.length === 0) this.listenersByEvent.delete(event);
    // As Node's: `domain` watches process's `uncaughtException` listeners so.
    if (this.listenersByEvent.has('removeListener')) this.emit('removeListener', event, (removed as { listener?: Listener }).listener ?? removed);
    return this;
  }
  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.listenersByEvent.clear();
    else this.listenersByEvent.delete(event);
    return this;
  }
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.listenersByEvent.get(event);
    if (!list) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${String(args[0])})`);
      return false;
    }
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }
  listenerCount(event: string | symbol): number {
    return this.listenersByEvent.get(event)?.length ?? 0;
  }
  listeners(event: string | symbol): Listener[] {
    return [...(this.listenersByEvent.get(event) ?? [])];
  }
  eventNames(): Array<string | symbol> {
    return [...this.listenersByEvent.keys()];
  }
  setMaxListeners(): this {
    return this;
  }
  getMaxListeners(): number {
    return Infinity;
  }
}
