/**
 * V8's own console, as the runtime found it before it set up Node's (./console.ts). Its methods
 * report to an inspector; the guest never has one attached, so they do nothing, as in Node
 * without a session.
 */
const v8Console = { ...(globalThis as { console?: Record<string, unknown> }).console };

// Node's V8 installs console.createTask (async stack tagging, for an inspector); isolated-vm's
// contexts lack it. Without an inspector a task only runs its function, as V8's does (same
// errors; like V8's builtins, both take their arguments as they come: length 0).
if (typeof v8Console.createTask !== 'function') {
  v8Console.createTask = {
    createTask(...args: unknown[]) {
      if (typeof args[0] !== 'string' || args[0] === '') throw new Error('First argument must be a non-empty string.');
      return {
        run: {
          run(...fn: unknown[]) {
            if (typeof fn[0] !== 'function') throw new Error('First argument must be a function.');
            return (fn[0] as () => unknown)();
          },
        }.run,
      };
    },
  }.createTask;
}

/**
 * What Node's bootstrap does to its global console in a build with the inspector (Node's
 * internal/util/inspector.js wrapConsole, not vendored for this): V8's methods that Node's
 * console lacks (profile, profileEnd, timeStamp, context, createTask) are added; each method
 * both have becomes a wrapper (the inspector's consoleCall) named after its key, of length 0,
 * which with no inspector session only calls Node's. Here Node's method stays itself, renamed
 * so: a JavaScript wrapper would add a frame to console.trace's stack, Node's C++ one adds none.
 */
export function addV8ConsoleMethods(nodeConsole: Record<string, unknown>): void {
  for (const key of Object.keys(v8Console)) {
    const own = Object.prototype.hasOwnProperty.call(nodeConsole, key);
    if (own && typeof nodeConsole[key] === 'function') {
      Object.defineProperty(nodeConsole[key], 'name', { value: key, configurable: true });
      Object.defineProperty(nodeConsole[key], 'length', { value: 0, configurable: true });
    } else if (!own) nodeConsole[key] = v8Console[key];
  }
}
