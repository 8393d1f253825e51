import { quickConsole, type Stream } from './console-quick.js';
import { afterNodeModuleLoad, nodeRequire } from './node/internal.js';
import { addV8ConsoleMethods } from './v8-console.js';

/**
 * The global `console` (and `require('console')`): Node's own, vendor/node/lib/console.js and
 * internal/console/{global,constructor}.js, with V8's methods that Node's lacks (./v8-console.ts).
 *
 * Loading it at start would cost every process more than a trivial program's whole run (Node's
 * primordials and internal/errors, which Node has in its startup snapshot: 10-20 ms in a fresh
 * isolate on 2 cores, against 4-7 ms for `node -e 'console.log(1)'`). So the global console is
 * a handle that loads Node's on first need and then forwards every operation to it. Until then,
 * log/info/debug/dirxml/warn/error run Node's steps for them (./console-quick.ts), which need
 * no more than util.inspect; any other method or property (console.group, console._stdout,
 * Object.keys(console), an assignment ...) loads Node's console first.
 */
type Method = (...args: unknown[]) => unknown;
type NodeConsole = Record<string | symbol, unknown> & { _stdout: unknown; _stderr: unknown };

// Taken before guest code runs, which may replace any of them.
const { bind } = Function.prototype;
const { apply, get, set, has, deleteProperty, ownKeys, getOwnPropertyDescriptor, defineProperty, getPrototypeOf, setPrototypeOf, isExtensible, preventExtensions } = Reflect;

/** The methods that run before Node's console loads, and whether they write to stdout. */
const QUICK: Record<string, boolean> = { __proto__: null, log: true, info: true, debug: true, dirxml: true, warn: false, error: false } as unknown as Record<string, boolean>;

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
  const write = quickConsole(streamOf, () => proc.env);

  // Node's bootstrap steps, once Node's global console has loaded (here, or first required by
  // Node's own code, as util.log does): exposed-wildcard.js's createGlobalConsole, then pre_execution.js's.
  afterNodeModuleLoad('internal/console/global', (exports) => {
    const loaded = exports as NodeConsole;
    addV8ConsoleMethods(loaded);
    (nodeRequire('internal/console/constructor') as { initializeGlobalConsole(c: object): void }).initializeGlobalConsole(loaded);
    if (stdout) loaded._stdout = stdout;
    if (stderr) loaded._stderr = stderr;
    for (const name of Object.keys(QUICK)) originals[name] = loaded[name] as Method;
    real = loaded;
  });
  const load = (): NodeConsole => real ?? (nodeRequire('console') as NodeConsole);

  // Bound functions named after their key, of length 0, as Node's are (not constructors, printed
  // as native code). The console hands them out for as long as it holds Node's originals (outward),
  // so `console.log` is the same function before and after Node's console loads.
  const quick: Record<string, Method> = {};
  const run = {
    run(name: string, useStdout: boolean, ...args: unknown[]): void {
      if (real) apply(originals[name]!, real, args);
      else write(useStdout, args);
    },
  }.run;
  for (const [name, useStdout] of Object.entries(QUICK)) {
    const fn = apply(bind, run, [undefined, name, useStdout]) as Method;
    defineProperty(fn, 'name', { value: name, configurable: true });
    defineProperty(fn, 'length', { value: 0, configurable: true });
    quick[name] = fn;
  }
  const isQuick = (key: PropertyKey): key is string => typeof key === 'string' && key in QUICK;
  const outward = (key: PropertyKey, value: unknown) => (isQuick(key) && real && value === originals[key] ? quick[key] : value);
  const inward = (key: PropertyKey, value: unknown) => (isQuick(key) && value === quick[key] ? originals[key] : value);
  const outwardDesc = (key: PropertyKey, desc: PropertyDescriptor | undefined) => (desc && 'value' in desc ? { ...desc, value: outward(key, desc.value) } : desc);

  // A Proxy must agree with its target on what cannot change (non-configurable properties, a
  // non-extensible object): the target mirrors those of Node's console.
  const target = {};
  const mirror = (r: object) => {
    const closed = !isExtensible(r);
    for (const key of ownKeys(r)) {
      const desc = outwardDesc(key, getOwnPropertyDescriptor(r, key))!;
      if (closed || !desc.configurable) defineProperty(target, key, desc);
    }
    if (closed) {
      setPrototypeOf(target, getPrototypeOf(r));
      preventExtensions(target);
    }
  };
  created = new Proxy(target, {
    get: (_t, key) => (!real && isQuick(key) ? quick[key] : outward(key, get(load(), key))),
    set: (_t, key, value) => set(load(), key, inward(key, value)),
    has: (_t, key) => has(load(), key),
    deleteProperty: (_t, key) => {
      const r = load();
      const done = deleteProperty(r, key);
      if (done && !isExtensible(r)) deleteProperty(target, key);
      return done;
    },
    ownKeys: () => ownKeys(load()),
    getOwnPropertyDescriptor: (_t, key) => outwardDesc(key, getOwnPropertyDescriptor(load(), key)),
    defineProperty: (_t, key, desc) => {
      const r = load();
      const done = defineProperty(r, key, 'value' in desc ? { ...desc, value: inward(key, desc.value) } : desc);
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
