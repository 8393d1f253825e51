/**
 * The base of Hash, Hmac and the ciphers: Node's LazyTransform, a stream.Transform whose
 * stream state is made on first use. Node loads `stream` with crypto; here loading it costs
 * ~60 ms in a fresh isolate and most programs only call update() and digest(). So the base
 * starts as a plain object whose stream methods, on the first call, load `stream`, put
 * Transform.prototype under the base (as Node's LazyTransform.prototype has it) and call the
 * real method. A program that requires `stream` makes the same switch (transformLoaded), so
 * `hash instanceof stream.Transform` holds whenever a program can ask it.
 */
type StreamModule = { Transform: { prototype: object; call(self: unknown, options: unknown): void } };

const METHODS: Array<string | symbol> = [
  'on', 'once', 'addListener', 'prependListener', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners', 'emit',
  'listeners', 'rawListeners', 'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners', 'write', 'end', 'pipe', 'unpipe',
  'read', 'setEncoding', 'pause', 'resume', 'isPaused', 'destroy', 'cork', 'uncork', 'push', 'unshift', 'wrap', 'setDefaultEncoding',
  Symbol.asyncIterator,
];

export function LazyTransform(this: { _options?: unknown }, options?: unknown): void {
  this._options = options;
}

let loadStream: (() => StreamModule) | undefined;
let switched = false;

/** How to load `stream` when a crypto object is first used as one. */
export function configureLazyTransform(load: () => StreamModule): void {
  loadStream = load;
}

for (const name of METHODS) {
  Object.defineProperty(LazyTransform.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: Record<string | symbol, (...a: unknown[]) => unknown>, ...args: unknown[]) {
      transformLoaded(loadStream!());
      return this[name]!(...args);
    },
  });
}

/** `stream` is loaded: the base becomes Node's LazyTransform over its Transform (once). */
export function transformLoaded(stream: StreamModule): void {
  if (switched) return;
  switched = true;
  const proto = LazyTransform.prototype as Record<string | symbol, unknown>;
  for (const name of METHODS) delete proto[name];
  Object.setPrototypeOf(LazyTransform.prototype, stream.Transform.prototype);
  Object.setPrototypeOf(LazyTransform, stream.Transform);
  // As lib/internal/streams/lazy_transform.js: the state is made when first read.
  const getter = (name: string) =>
    function (this: Record<string, unknown> & { _options?: unknown }) {
      stream.Transform.call(this, this._options);
      (this._writableState as { decodeStrings: boolean }).decodeStrings = false;
      return this[name];
    };
  const setter = (name: string) =>
    function (this: object, value: unknown) {
      Object.defineProperty(this, name, { value, enumerable: true, configurable: true, writable: true });
    };
  for (const name of ['_readableState', '_writableState', '_transformState']) {
    Object.defineProperty(LazyTransform.prototype, name, { get: getter(name), set: setter(name), configurable: true, enumerable: true });
  }
}
