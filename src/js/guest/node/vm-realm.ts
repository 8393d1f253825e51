/**
 * The helpers a new vm context runs on its own global, as JavaScript source: compiled and run
 * once in the fresh context, before any guest code, so they hold that realm's pristine
 * Reflect, Map and eval whatever the guest's code there does later. They are never put on the
 * context's global: only the runtime holds them.
 *
 * Node makes the sandbox object the context's global with V8 interceptors; a script cannot.
 * Instead each of the sandbox's keys is a forwarding accessor on the real global (`forward`),
 * and what code of the context adds to its global is reported (`changes`) so the runtime can
 * move it onto the sandbox after each run.
 */
export interface RealmHelpers {
  global: object;
  /** The realm's Error, as the context began: Node's timeout error is one of the context's. */
  Error: ErrorConstructor;
  /** Promise.prototype and the Map and Set iterator prototypes, for util.types of this realm's values. */
  intrinsics: [object, object, object];
  /** The realm's own eval: indirect, so code runs as global code of that realm. */
  evaluate(code: string): unknown;
  /**
   * Puts a Proxy between the global and its Object.prototype: a name the global does not have
   * is looked up on the sandbox, and an assignment to a new global (\`x = 1\`, \`this.y = 2\`) lands
   * on the sandbox at once, in a run or in a callback of the context that runs later.
   */
  attach(sandbox: object, outerObjectPrototype: object): void;
  /** Puts an accessor for sandbox[key] on the global; false when the global's own property cannot be replaced. */
  forward(sandbox: object, key: PropertyKey, readOnly: boolean, enumerable: boolean): boolean;
  /** Drops a key's accessor, giving back the builtin it hid, if any. */
  unforward(key: PropertyKey): void;
  /** The global's own properties that are neither the realm's builtins nor accessors of `forward`, and forwarded keys the code deleted: [key, descriptor or undefined, ...]. */
  changes(): unknown[];
  /** Assigns a global's own data property (the sandbox's value of a declared `var`). */
  assign(key: PropertyKey, value: unknown): void;
  /** The global's own descriptor of a key. */
  describe(key: PropertyKey): PropertyDescriptor | undefined;
}

export const REALM_HELPERS_SOURCE = `(function () {
  'use strict';
  const g = globalThis;
  const { apply, defineProperty, deleteProperty, getOwnPropertyDescriptor, ownKeys } = Reflect;
  const realmEval = eval;
  const M = Map.prototype;
  const mapGet = M.get, mapSet = M.set, mapHas = M.has, mapDelete = M.delete, mapForEach = M.forEach;
  const builtins = new Map();
  const forwarders = new Map();
  const initial = ownKeys(g);
  for (let i = 0; i < initial.length; i++) apply(mapSet, builtins, [initial[i], getOwnPropertyDescriptor(g, initial[i])]);
  const { get: reflectGet, set: reflectSet, getPrototypeOf, setPrototypeOf } = Reflect;
  const pinned = new Map();
  const is = Object.is;
  const same = (a, b) => is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
  return {
    __proto__: null,
    global: g,
    Error,
    intrinsics: [Promise.prototype, getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().values())],
    evaluate(code) { return realmEval(code); },
    attach(sandbox, outerObjectPrototype) {
      const inSandbox = (key) => {
        if (key === '__proto__' || !(key in sandbox)) return false;
        if (!(key in outerObjectPrototype)) return true;
        // Object.prototype's names are the context's own (see sandboxKeys in vm-context.ts).
        try {
          for (let p = sandbox; p !== null && p !== outerObjectPrototype; p = getPrototypeOf(p)) {
            if (getOwnPropertyDescriptor(p, key) !== undefined) return true;
          }
        } catch {
          return true;
        }
        return false;
      };
      const target = Object.create(getPrototypeOf(g));
      setPrototypeOf(g, new Proxy(target, {
        __proto__: null,
        has(t, key) { return inSandbox(key) || key in t; },
        get(t, key, receiver) {
          if (!inSandbox(key)) return reflectGet(t, key, receiver);
          const value = sandbox[key];
          return value === sandbox ? g : value;
        },
        set(t, key, value, receiver) {
          if (receiver === g) return reflectSet(sandbox, key, value);
          return reflectSet(t, key, value, receiver);
        },
      }));
    },
    forward(sandbox, key, readOnly, enumerable) {
      // Node's interceptor gives the global for the sandbox itself (\`ctx.window = ctx\`).
      const get = function () { const value = sandbox[key]; return value === sandbox ? g : value; };
      const desc = { __proto__: null, get, enumerable, configurable: true };
      if (!readOnly) desc.set = function (value) { sandbox[key] = value; };
      const own = getOwnPropertyDescriptor(g, key);
      if (own !== undefined && !own.configurable) return false;
      let theirs;
      try {
        theirs = getOwnPropertyDescriptor(sandbox, key);
      } catch {
        // A Proxy sandbox may refuse to describe its keys (Node never asks): forward them all the same.
      }

      if (theirs !== undefined && 'value' in theirs && !theirs.writable && !theirs.configurable) {
        // A sandbox property that can never change: the global gets the same, as Node's descriptor shows it.
        if (!defineProperty(g, key, theirs)) return false;
        apply(mapSet, pinned, [key, true]);
        return true;
      }
      if (!defineProperty(g, key, desc)) return false;
      apply(mapSet, forwarders, [key, get]);
      return true;
    },
    unforward(key) {
      const own = getOwnPropertyDescriptor(g, key);
      if (own !== undefined && own.get === apply(mapGet, forwarders, [key])) {
        deleteProperty(g, key);
        const builtin = apply(mapGet, builtins, [key]);
        if (builtin !== undefined) defineProperty(g, key, builtin);
      }
      apply(mapDelete, forwarders, [key]);
    },
    changes() {
      const out = [];
      let n = 0;
      const keys = ownKeys(g);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const desc = getOwnPropertyDescriptor(g, key);
        if (apply(mapHas, pinned, [key])) continue;
        if (apply(mapHas, forwarders, [key])) {
          if (desc.get === apply(mapGet, forwarders, [key])) continue;
        } else {
          const builtin = apply(mapGet, builtins, [key]);
          if (builtin !== undefined && same(builtin, desc)) continue;
        }
        out[n++] = key;
        out[n++] = desc;
      }
      apply(mapForEach, forwarders, [function (get, key) {
        if (getOwnPropertyDescriptor(g, key) === undefined) { out[n++] = key; out[n++] = undefined; }
      }]);
      return out;
    },
    assign(key, value) { g[key] = value; },
    describe(key) { return getOwnPropertyDescriptor(g, key); },
  };
})()`;
