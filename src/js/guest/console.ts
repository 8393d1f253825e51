import { afterNodeModuleLoad, nodeRequire } from './node/internal.js';
import { addV8ConsoleMethods } from './v8-console.js';

/**
 * The global `console` (and `require('console')`): Node's own, vendor/node/lib/console.js and
 * internal/console/{global,constructor}.js, with V8's methods that Node's lacks (./v8-console.ts).
 *
 * Loading it costs a fresh isolate about as much as its whole trivial run (Node's primordials
 * and internal/errors, which Node has in its startup snapshot): measured on 2 cores, 10-20 ms
 * against 4-7 ms for `node -e 'console.log(1)'`. So the global console is a handle that loads
 * Node's on first need and then forwards every operation to it; until then, log/info/debug/
 * dirxml/warn/error with arguments that print without util.inspect (strings, numbers, bigints,
 * booleans, null, undefined, no `%` directive, no colors) write exactly what Node's would,
 * through the same steps (kWriteToConsole below). Anything else (another method, another
 * argument, reading or setting any property) loads Node's console first.
 */
type Method = (...args: unknown[]) => unknown;
type NodeConsole = Record<string | symbol, unknown> & { _stdout: unknown; _stderr: unknown };
interface Stream {
  write(chunk: string, cb: (err: unknown) => void): unknown;
  listenerCount(event: string): number;
  once(event: string, fn: () => void): unknown;
  removeListener(event: string, fn: () => void): unknown;
  _writableState?: { errorEmitted?: boolean };
  isTTY?: boolean;
}

// Taken before guest code runs, which may replace any of them (Node's code uses primordials).
const { apply, get, set, has, deleteProperty, ownKeys, getOwnPropertyDescriptor, defineProperty, getPrototypeOf, setPrototypeOf, isExtensible, preventExtensions } = Reflect;
const includes = String.prototype.includes;
const objectIs = Object.is;

/** The methods with a quick path, and whether they write to stdout. */
const FAST: Record<string, boolean> = { __proto__: null, log: true, info: true, debug: true, dirxml: true, warn: false, error: false } as unknown as Record<string, boolean>;

let created: { log: Method } | undefined;

/** The console the runtime made global: what `require('console')` gives, whatever the global is now. */
export function globalConsole(): object | undefined {
  return created;
}

/** The global console of a process whose `process` object is `proc`. */
export function createGlobalConsole(proc: { stdout?: unknown; stderr?: unknown; env?: Record<string, unknown> }): { log: Method } {
  let real: NodeConsole | undefined;
  // Node's methods as they were when loaded: a method taken from the console before is bound to it.
  const originals: Record<string, Method> = {};
  // As kBindStreamsLazy: the process's stream, taken on first use and kept.
  let stdout: Stream | undefined;
  let stderr: Stream | undefined;
  const streamOf = (useStdout: boolean): Stream => {
    if (real) return (useStdout ? real._stdout : real._stderr) as Stream;
    if (useStdout) return (stdout ||= proc.stdout as Stream);
    return (stderr ||= proc.stderr as Stream);
  };

  // Node's bootstrap steps, once Node's global console has loaded (here, or first required by
  // Node's own code, as util.log does): exposed-wildcard.js's createGlobalConsole, then pre_execution.js's.
  afterNodeModuleLoad('internal/console/global', (exports) => {
    const loaded = exports as NodeConsole;
    addV8ConsoleMethods(loaded);
    (nodeRequire('internal/console/constructor') as { initializeGlobalConsole(c: object): void }).initializeGlobalConsole(loaded);
    if (stdout) loaded._stdout = stdout;
    if (stderr) loaded._stderr = stderr;
    for (const name of Object.keys(FAST)) originals[name] = loaded[name] as Method;
    real = loaded;
  });
  const load = (): NodeConsole => real ?? (nodeRequire('console') as NodeConsole);

  const noop = () => {};
  // Node's createWriteErrorHandler: an error the write reports later is not left uncaught.
  const errorHandler = (useStdout: boolean) => (err: unknown) => {
    const stream = streamOf(useStdout);
    if (err !== null && !stream._writableState!.errorEmitted) {
      if (stream.listenerCount('error') === 0) stream.once('error', noop);
    }
  };
  const handlers = [errorHandler(false), errorHandler(true)] as const;

  // Node's kWriteToConsole for the global console: errors ignored, no group indentation yet.
  function writeToConsole(useStdout: boolean, string: string): void {
    const stream = streamOf(useStdout);
    string += '\n';
    try {
      if (stream.listenerCount('error') === 0) stream.once('error', noop);
      stream.write(string, handlers[useStdout ? 1 : 0]);
    } catch (e) {
      if ((nodeRequire('internal/errors') as { isStackOverflowError(e: unknown): boolean }).isStackOverflowError(e)) throw e;
    } finally {
      stream.removeListener('error', noop);
    }
  }

  /** util.formatWithOptions for arguments that need no inspect, or undefined. */
  function quickFormat(args: unknown[], stream: Stream): string | undefined {
    if (args.length === 0) return '';
    if (args.length === 1 && typeof args[0] === 'string') return args[0];
    let out = '';
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      let text: string;
      if (typeof arg === 'string') {
        if (i === 0 && apply(includes, arg, ['%'])) return undefined;
        text = arg;
      } else {
        // util/colors' shouldColorize: numbers and the like would be coloured on a terminal or with FORCE_COLOR.
        if (proc.env?.FORCE_COLOR !== undefined || stream?.isTTY) return undefined;
        if (typeof arg === 'number') text = objectIs(arg, -0) ? '-0' : `${arg}`;
        else if (typeof arg === 'bigint') text = `${arg}n`;
        else if (typeof arg === 'boolean' || arg === undefined || arg === null) text = `${arg}`;
        else return undefined;
      }
      out += i === 0 ? text : ` ${text}`;
    }
    return out;
  }

  const fast: Record<string, Method> = {};
  for (const [name, useStdout] of Object.entries(FAST)) {
    fast[name] = {
      [name](...args: unknown[]): void {
        if (!real) {
          const text = quickFormat(args, streamOf(useStdout));
          if (text !== undefined) return writeToConsole(useStdout, text);
          load();
        }
        apply(originals[name]!, real, args);
      },
    }[name]!;
  }

  // A Proxy must agree with its target on what cannot change (non-configurable properties, a
  // non-extensible object): the target mirrors those of Node's console.
  const target = {};
  const mirror = (r: object) => {
    const closed = !isExtensible(r);
    for (const key of ownKeys(r)) {
      const desc = getOwnPropertyDescriptor(r, key)!;
      if (closed || !desc.configurable) defineProperty(target, key, desc);
    }
    if (closed) {
      setPrototypeOf(target, getPrototypeOf(r));
      preventExtensions(target);
    }
  };
  created = new Proxy(target, {
    get: (_t, key) => (!real && typeof key === 'string' && key in FAST ? fast[key] : get(load(), key)),
    set: (_t, key, value) => set(load(), key, value),
    has: (_t, key) => has(load(), key),
    deleteProperty: (_t, key) => {
      const r = load();
      const done = deleteProperty(r, key);
      if (done && !isExtensible(r)) deleteProperty(target, key);
      return done;
    },
    ownKeys: () => ownKeys(load()),
    getOwnPropertyDescriptor: (_t, key) => getOwnPropertyDescriptor(load(), key),
    defineProperty: (_t, key, desc) => {
      const r = load();
      const done = defineProperty(r, key, desc);
      if (done) mirror(r);
      return done;
    },
    getPrototypeOf: () => getPrototypeOf(load()),
    setPrototypeOf: (_t, proto) => setPrototypeOf(load(), proto),
    isExtensible: () => isExtensible(load()),
    preventExtensions: () => {
      const r = load();
      const done = preventExtensions(r);
      if (done) mirror(r);
      return done;
    },
  }) as { log: Method };
  return created;
}
