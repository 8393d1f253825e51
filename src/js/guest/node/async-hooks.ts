/**
 * `async_hooks`: AsyncLocalStorage, AsyncResource, createHook and the async ids, over the
 * runtime's own context propagation (../async-context.ts). Requiring it switches that
 * propagation on: timers, immediates, nextTick, queueMicrotask (and so fs callbacks) and
 * Promise.prototype.then/catch/finally carry the context from where a callback was scheduled.
 * What differs from Node (no V8 promise hooks in an isolate):
 * - after an `await` the context is the outermost one, not the awaiting function's: V8
 *   resumes an async function through its internal PerformPromiseThen (and calls a
 *   thenable's `then` with its own resolvers), which a script cannot see; `.then` chains
 *   keep the context;
 * - hooks see PROMISE resources only for promises made by `.then`/`.catch`/`.finally`
 *   (init/before/after; promiseResolve fires when such a callback returns), not those made
 *   by `new Promise`, async functions or `await`; Timeout, Immediate, TickObject and
 *   Microtask fire init/before/after/destroy; an interval fires no destroy.
 */
import { activeHooks, asyncContext, setDestroyScheduler, currentFrame, emitDestroy, emitInit, emitPromiseResolve, type Frame, type HookSet, newAsyncId, runInFrame, setFrame } from '../async-context.js';
import { nodeRequire } from './internal.js';

function enable(): void {
  if (asyncContext.enabled) return;
  asyncContext.enabled = true;
  setDestroyScheduler((fn) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(fn));
  const proto = Promise.prototype as { then: (...a: unknown[]) => Promise<unknown> };
  const nativeThen = proto.then;
  const wrap = (fn: unknown, id: { frame?: Frame }) => {
    if (typeof fn !== 'function') return fn;
    return function (this: unknown, ...args: unknown[]) {
      const frame = (id.frame ??= { id: newAsyncId(), trigger: currentFrame().id, resource: {}, stores: currentFrame().stores });
      const result = runInFrame(frame, fn as (...a: unknown[]) => unknown, this, args);
      emitPromiseResolve(frame.id);
      return result;
    };
  };
  // then() is what .catch and .finally call.
  Object.defineProperty(proto, 'then', {
    value: function then(this: Promise<unknown>, onFulfilled?: unknown, onRejected?: unknown): Promise<unknown> {
      const frame = currentFrame();
      const slot: { frame?: Frame } = {};
      if (typeof onFulfilled === 'function' || typeof onRejected === 'function') {
        slot.frame = { id: newAsyncId(), trigger: frame.id, resource: this, stores: frame.stores };
        if (activeHooks.size) emitInit(slot.frame.id, 'PROMISE', frame.id, this);
      }
      return nativeThen.call(this, wrap(onFulfilled, slot), wrap(onRejected, slot));
    },
    writable: true,
    configurable: true,
  });
}

const validateFunction = (fn: unknown, name: string) => nodeRequire('internal/validators').validateFunction(fn, name);

class AsyncLocalStorage {
  #enabled = false;

  static bind<F extends (...a: any[]) => any>(fn: F): F {
    validateFunction(fn, 'fn');
    return AsyncResource.bind(fn);
  }

  static snapshot() {
    const frame = currentFrame();
    return function runInAsyncScope<R>(fn: (...a: unknown[]) => R, ...args: unknown[]): R {
      return runInFrame({ ...currentFrame(), stores: frame.stores }, fn, undefined, args);
    };
  }

  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    const frame = currentFrame();
    if (frame.stores?.has(this)) {
      const stores = new Map(frame.stores);
      stores.delete(this);
      setFrame({ ...frame, stores });
    }
  }

  getStore(): unknown {
    if (!this.#enabled) return undefined;
    return currentFrame().stores?.get(this);
  }

  enterWith(store: unknown): void {
    this.#enabled = true;
    const frame = currentFrame();
    setFrame({ ...frame, stores: new Map(frame.stores).set(this, store) });
  }

  run<R>(store: unknown, callback: (...a: any[]) => R, ...args: unknown[]): R {
    this.#enabled = true;
    const frame = currentFrame();
    const stores = new Map(frame.stores).set(this, store);
    return withStores(stores, callback, args);
  }

  exit<R>(callback: (...a: any[]) => R, ...args: unknown[]): R {
    if (!this.#enabled) return callback(...args);
    const stores = new Map(currentFrame().stores);
    stores.delete(this);
    return withStores(stores, callback, args);
  }
}

function withStores<R>(stores: Map<object, unknown>, callback: (...a: unknown[]) => R, args: unknown[]): R {
  const prev = currentFrame();
  setFrame({ ...prev, stores });
  try {
    return callback(...args);
  } finally {
    setFrame(prev);
  }
}

const kFrame = Symbol('asyncFrame');

class AsyncResource {
  [kFrame]: Frame;

  constructor(type: string, opts: { triggerAsyncId?: number; requireManualDestroy?: boolean } | number = {}) {
    nodeRequire('internal/validators').validateString(type, 'type');
    const options = typeof opts === 'number' ? { triggerAsyncId: opts } : opts ?? {};
    const trigger = options.triggerAsyncId ?? currentFrame().id;
    if (!Number.isSafeInteger(trigger) || trigger < -1) {
      const { ERR_INVALID_ASYNC_ID } = nodeRequire('internal/errors').codes;
      throw new ERR_INVALID_ASYNC_ID('triggerAsyncId', trigger);
    }
    this[kFrame] = { id: newAsyncId(), trigger, resource: this, stores: currentFrame().stores };
    if (activeHooks.size) emitInit(this[kFrame].id, type, trigger, this);
  }

  runInAsyncScope<R>(fn: (...a: any[]) => R, thisArg?: unknown, ...args: unknown[]): R {
    return runInFrame(this[kFrame], fn, thisArg, args);
  }

  emitDestroy(): this {
    emitDestroy(this[kFrame].id);
    return this;
  }

  asyncId(): number {
    return this[kFrame].id;
  }

  triggerAsyncId(): number {
    return this[kFrame].trigger;
  }

  bind<F extends (...a: any[]) => any>(fn: F, thisArg?: unknown): F {
    validateFunction(fn, 'fn');
    const resource = this;
    const bound = function (this: unknown, ...args: unknown[]) {
      return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
    };
    Object.defineProperties(bound, {
      length: { configurable: true, enumerable: false, value: fn.length, writable: false },
      asyncResource: { configurable: true, enumerable: true, value: this, writable: true },
    });
    return bound as unknown as F;
  }

  static bind<F extends (...a: any[]) => any>(fn: F, type?: string, thisArg?: unknown): F {
    return new AsyncResource(type || fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
  }
}

class AsyncHook {
  #callbacks: HookSet;

  constructor(callbacks: HookSet) {
    this.#callbacks = callbacks;
  }

  enable(): this {
    activeHooks.add(this.#callbacks);
    return this;
  }

  disable(): this {
    activeHooks.delete(this.#callbacks);
    return this;
  }
}

function createHook(callbacks: HookSet = {}): AsyncHook {
  const { ERR_ASYNC_CALLBACK } = nodeRequire('internal/errors').codes;
  const hooks: HookSet = {};
  for (const name of ['init', 'before', 'after', 'destroy', 'promiseResolve'] as const) {
    const fn = callbacks[name];
    if (fn !== undefined && typeof fn !== 'function') throw new ERR_ASYNC_CALLBACK(`hook.${name}`);
    if (fn) hooks[name] = fn.bind(callbacks) as never;
  }
  return new AsyncHook(hooks);
}

/** Node's provider names (src/async_wrap.h), numbered as Node 20 numbers them. */
const PROVIDERS = ['NONE', 'DIRHANDLE', 'DNSCHANNEL', 'ELDHISTOGRAM', 'FILEHANDLE', 'FILEHANDLECLOSEREQ', 'BLOBREADER', 'FSEVENTWRAP', 'FSREQCALLBACK', 'FSREQPROMISE', 'GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'HEAPSNAPSHOT', 'HTTP2SESSION', 'HTTP2STREAM', 'HTTP2PING', 'HTTP2SETTINGS', 'HTTPINCOMINGMESSAGE', 'HTTPCLIENTREQUEST', 'JSSTREAM', 'JSUDPWRAP', 'MESSAGEPORT', 'PIPECONNECTWRAP', 'PIPESERVERWRAP', 'PIPEWRAP', 'PROCESSWRAP', 'PROMISE', 'QUERYWRAP', 'SHUTDOWNWRAP', 'SIGNALWRAP', 'STATWATCHER', 'STREAMPIPE', 'TCPCONNECTWRAP', 'TCPSERVERWRAP', 'TCPWRAP', 'TTYWRAP', 'UDPSENDWRAP', 'UDPWRAP', 'SIGINTWATCHDOG', 'WORKER', 'WORKERHEAPSNAPSHOT', 'WRITEWRAP', 'ZLIB'];

export function createAsyncHooks() {
  enable();
  return {
    AsyncLocalStorage,
    createHook,
    executionAsyncId: () => currentFrame().id,
    triggerAsyncId: () => currentFrame().trigger,
    executionAsyncResource: () => currentFrame().resource,
    asyncWrapProviders: Object.freeze(Object.assign(Object.create(null), Object.fromEntries(PROVIDERS.map((name, i) => [name, i])))),
    AsyncResource,
  };
}
