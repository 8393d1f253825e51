/**
 * A contextified object of Node's vm: a fresh V8 context of this isolate (its own builtins, on
 * the process's heap, under its heap limit) whose global stands for the sandbox object.
 *
 * How the sandbox is the global (Node uses V8 interceptors, which a script cannot):
 * - before each run, every key of the sandbox (own and inherited, except Object.prototype's)
 *   becomes an accessor on the context's global that reads and writes the sandbox, so code
 *   sees the sandbox's current values and its assignments land on the sandbox;
 * - after each run (also when it throws), what the code added to the global (`x = 1`,
 *   `this.y = 2`, defineProperty) moves onto the sandbox and becomes an accessor too; `var`
 *   and function declarations are non-configurable on a global, so they stay there and are
 *   copied to the sandbox after each run and from it before the next.
 * So where Node differs: between those points (during a run, or when a function of the
 * context runs later) a new global or a declared `var` is not yet on the sandbox, and the
 * global's descriptors of sandbox keys are accessors where Node shows the sandbox's.
 *
 * The isolated-vm handle keeps the context alive; nothing tells the runtime when the guest is
 * done with a sandbox (the context itself holds it), so a context of createContext lives until
 * the process ends, on the isolate's heap. One of runInNewContext is released after its run:
 * later runs in it go through the realm's own eval (see `run`).
 */
import { newContextHandle, UnboundScript, type ContextHandle } from '../hooks.js';
import { addRealmIntrinsics } from './bindings.js';
import { REALM_HELPERS_SOURCE, type RealmHelpers } from './vm-realm.js';

const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect;
const helpersScript = { compiled: undefined as UnboundScript | undefined };

export class VmContext {
  /**
   * Keys forwarded to the sandbox, with the sandbox's getter of the time. The global never gets
   * the sandbox's own accessor (as Node's descriptor shows it): called with the global as
   * `this`, a function of this realm may not touch it ('no access').
   */
  readonly #forwarded = new Map<PropertyKey, unknown>();
  /** Non-configurable own data properties of the global (declared vars and functions), copied both ways. */
  readonly #mirrored = new Set<PropertyKey>();
  /** Sandbox properties that can never change (non-writable, non-configurable): copied once onto the global. */
  readonly #pinned = new Set<PropertyKey>();
  #handle: ContextHandle | undefined;
  #attached = false;
  readonly helpers: RealmHelpers;

  constructor(readonly sandbox: object) {
    this.#handle = newContextHandle();
    helpersScript.compiled ??= new UnboundScript(REALM_HELPERS_SOURCE, { filename: 'node:vm', lineOffset: 0, columnOffset: 0 });
    this.helpers = helpersScript.compiled.run(this.#handle, undefined) as RealmHelpers;
    addRealmIntrinsics(...this.helpers.intrinsics);
  }

  get global(): object {
    return this.helpers.global;
  }

  /** After a one-off run (runInNewContext): the context may then be collected once unreachable. */
  releaseHandle(): void {
    this.#handle?.release();
    this.#handle = undefined;
  }

  /** Runs a compiled script (or, once the handle is released, its source through the realm's eval) with the sandbox as global. */
  run(script: UnboundScript, source: string, filename: string, timeout: number | undefined): unknown {
    this.#beforeRun();
    try {
      const result = this.#handle ? script.run(this.#handle, timeout) : this.#evaluate(source, filename, timeout);
      // The context's global is a V8 global proxy of another security token: this realm may not
      // touch its properties ('no access'). Node's is the sandbox's stand-in; here the sandbox is given.
      return result === this.helpers.global ? this.sandbox : result;
    } finally {
      this.#afterRun();
    }
  }

  #evaluate(source: string, filename: string, timeout: number | undefined): unknown {
    if (timeout !== undefined) throw Object.assign(new Error('vm: a timeout needs a context made by vm.createContext; this one came from runInNewContext and has run its script'), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
    return this.helpers.evaluate(`${source}\n//# sourceURL=${filename.replace(/\s/g, ' ')}`);
  }

  /** Puts each sandbox key on the global as an accessor, and the sandbox's values of mirrored declarations. */
  #beforeRun(): void {
    // Only from the first run on does the context hold the sandbox: one never run in can be collected.
    if (!this.#attached) this.helpers.attach(this.sandbox, Object.prototype);
    this.#attached = true;
    const keys = sandboxKeys(this.sandbox);
    for (const key of this.#forwarded.keys()) {
      if (!keys.has(key)) {
        this.helpers.unforward(key);
        this.#forwarded.delete(key);
      }
    }
    for (const [key, desc] of keys) {
      if (this.#mirrored.has(key)) {
        const mine = this.helpers.describe(key);
        if (mine?.writable && 'value' in desc && desc.value !== mine.value) this.helpers.assign(key, desc.value);
        continue;
      }
      if (this.#pinned.has(key)) continue;
      if (this.#forwarded.has(key)) {
        if (this.#forwarded.get(key) === desc.get) continue;
        // The sandbox's accessor changed since: the global takes the new one.
        this.helpers.unforward(key);
        this.#forwarded.delete(key);
      }
      const readOnly = 'value' in desc ? desc.writable === false : desc.set === undefined;
      if (!this.helpers.forward(this.sandbox, key, readOnly, desc.enumerable === true)) continue;
      if (readOnly && !desc.configurable && 'value' in desc) this.#pinned.add(key);
      else this.#forwarded.set(key, desc.get);
    }
  }

  /** Moves what the code put on the global onto the sandbox. */
  #afterRun(): void {
    const changes = this.helpers.changes();
    for (let i = 0; i < changes.length; i += 2) {
      const key = changes[i] as PropertyKey;
      const desc = changes[i + 1] as PropertyDescriptor | undefined;
      if (desc === undefined) {
        // `delete x` in the context deleted the accessor: Node deletes the sandbox's property.
        this.helpers.unforward(key);
        this.#forwarded.delete(key);
        Reflect.deleteProperty(this.sandbox, key);
        continue;
      }
      if (this.#forwarded.delete(key)) this.helpers.unforward(key);
      if (desc.configurable) {
        defineProperty(this.sandbox, key, desc);
        const readOnly = 'value' in desc ? desc.writable === false : desc.set === undefined;
        if (this.helpers.forward(this.sandbox, key, readOnly, desc.enumerable === true)) this.#forwarded.set(key, desc.get);
        continue;
      }
      this.#mirrored.add(key);
      const theirs = getOwnPropertyDescriptor(this.sandbox, key);
      if (!('value' in desc)) {
        if (theirs === undefined) defineProperty(this.sandbox, key, { ...desc, configurable: true });
      } else if (desc.writable && desc.enumerable) {
        // A declared var or function: Node's interceptor sets it on the sandbox as an ordinary property.
        if (theirs === undefined || theirs.value !== desc.value) (this.sandbox as Record<PropertyKey, unknown>)[key] = desc.value;
      } else if (theirs === undefined) {
        defineProperty(this.sandbox, key, desc);
      }
    }
  }
}

/**
 * The sandbox's keys as its global shows them: own first, then inherited. Object.prototype's
 * are left to the context's own Object.prototype: Node's interceptor would find `constructor`
 * or `toString` on the sandbox's chain, but as non-enumerable own properties of the global
 * they would show in getOwnPropertyNames(globalThis), where Node lists only the sandbox's
 * enumerable keys.
 */
function sandboxKeys(sandbox: object): Map<PropertyKey, PropertyDescriptor> {
  const keys = new Map<PropertyKey, PropertyDescriptor>();
  for (let p: object | null = sandbox; p !== null && p !== Object.prototype; p = getPrototypeOf(p) as object | null) {
    for (const key of ownKeys(p)) {
      if (key !== '__proto__' && !keys.has(key)) keys.set(key, describe(p, key));
    }
  }
  return keys;
}

/** A Proxy sandbox may refuse to describe a key (Node never asks): taken as a plain writable property. */
function describe(object: object, key: PropertyKey): PropertyDescriptor {
  try {
    return getOwnPropertyDescriptor(object, key) ?? { value: undefined, writable: true, enumerable: true, configurable: true };
  } catch {
    return { value: undefined, writable: true, enumerable: true, configurable: true };
  }
}
