/**
 * Node's `primordials` without paying for all of them at once. Building the whole set (Node's
 * own per_context/primordials.js, which Node has in its start-up snapshot) costs about 8 ms in
 * a fresh isolate, more than the rest of a trivial process; a module such as lib/path.js uses
 * ten uncurried String and Function methods. This object derives a name the way
 * primordials.js names it (`StringPrototypeSlice` is String.prototype.slice, uncurried;
 * `ObjectKeys` is Object.keys) the first time a module asks for it, and builds the whole set
 * for any other name (SafeMap, accessors, symbols, the `Apply` variants), after which every
 * name comes from the whole set. A name is read when a module loads (they destructure
 * `primordials` at the top), so it is taken from the builtins as they are then, as the whole
 * set would be.
 */
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call) as (fn: unknown) => unknown;

/*
 * The intrinsics as they are before guest code runs. Node builds its primordials before user
 * code (they come from its snapshot); here they are built on first use, after guest code may
 * have replaced String.prototype.slice or Array.prototype.forEach. Every name is derived from
 * these copies, and the whole set is built with them put back for the while (./withPristine).
 * Everything used below is taken now, so later changes to the builtins cannot reach it.
 */
const R = { ownKeys: Reflect.ownKeys, getOwnPropertyDescriptor: Reflect.getOwnPropertyDescriptor, defineProperty: Reflect.defineProperty, deleteProperty: Reflect.deleteProperty, getPrototypeOf: Reflect.getPrototypeOf };
const descriptorsOf = Object.getOwnPropertyDescriptors;
const sliceOf = uncurryThis(String.prototype.slice) as (s: string, a: number, b?: number) => string;
const lowerOf = uncurryThis(String.prototype.toLowerCase) as (s: string) => string;
const startsOf = uncurryThis(String.prototype.startsWith) as (s: string, p: string) => boolean;
const endsOf = uncurryThis(String.prototype.endsWith) as (s: string, p: string) => boolean;
const indexOfOf = uncurryThis(Array.prototype.indexOf) as (a: readonly string[], v: string) => number;
const execOf = uncurryThis(RegExp.prototype.exec) as (r: RegExp, s: string) => RegExpExecArray | null;
const GLOBALS = ['Proxy', 'globalThis', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'eval', 'unescape', 'JSON', 'Math', 'Reflect', 'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView', 'Date', 'Error', 'EvalError', 'FinalizationRegistry', 'Float32Array', 'Float64Array', 'Function', 'Int16Array', 'Int32Array', 'Int8Array', 'Map', 'Number', 'Object', 'RangeError', 'ReferenceError', 'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError', 'TypeError', 'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'WeakMap', 'WeakRef', 'WeakSet', 'Promise', 'SharedArrayBuffer', 'Atomics'];
/** [object, its own property descriptors] for the global object's names, each builtin, its prototype, and the hidden intrinsics. */
const PRISTINE: Array<[object, PropertyDescriptorMap]> = [];
const globalDescs: PropertyDescriptorMap = {};
for (let i = 0; i < GLOBALS.length; i++) {
  const name = GLOBALS[i]!;
  const desc = R.getOwnPropertyDescriptor(globalThis, name);
  if (!desc) continue;
  globalDescs[name] = desc;
  const value = desc.value as { prototype?: unknown } | undefined;
  if ((typeof value === 'function' || typeof value === 'object') && value !== null && value !== globalThis) {
    PRISTINE[PRISTINE.length] = [value, descriptorsOf(value)];
    const proto = typeof value === 'function' ? value.prototype : undefined;
    // Function.prototype is itself a function: its methods (bind, call, apply) are copied too.
    if ((typeof proto === 'object' || typeof proto === 'function') && proto !== null) PRISTINE[PRISTINE.length] = [proto as object, descriptorsOf(proto)];
  }
}
PRISTINE[PRISTINE.length] = [globalThis, globalDescs];
{
  const typedArray = R.getPrototypeOf(Uint8Array) as { prototype: object };
  const arrayIterator = R.getPrototypeOf([][Symbol.iterator]()) as object;
  const hidden = [typedArray, typedArray.prototype, arrayIterator, R.getPrototypeOf(''[Symbol.iterator]()) as object, R.getPrototypeOf(arrayIterator) as object];
  for (let i = 0; i < hidden.length; i++) PRISTINE[PRISTINE.length] = [hidden[i]!, descriptorsOf(hidden[i]!)];
}
const pristineOf = (owner: object): PropertyDescriptorMap | undefined => {
  for (let i = 0; i < PRISTINE.length; i++) if (PRISTINE[i]![0] === owner) return PRISTINE[i]![1];
  return undefined;
};

function sameDescriptor(a: PropertyDescriptor | undefined, b: PropertyDescriptor): boolean {
  return a !== undefined && a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
}

/**
 * Runs `fn` with every intrinsic the guest changed put back as it was at start, then the
 * guest's changes restored: primordials.js copies the builtins as Node's start-up did.
 * A property the guest made non-configurable stays as the guest left it.
 */
export function withPristine<T>(fn: () => T): T {
  const changed: Array<[object, PropertyKey, PropertyDescriptor | undefined]> = [];
  for (let i = 0; i < PRISTINE.length; i++) {
    const [owner, descs] = PRISTINE[i]!;
    const keys = R.ownKeys(descs);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const now = R.getOwnPropertyDescriptor(owner, key);
      const then = (descs as Record<PropertyKey, PropertyDescriptor>)[key as string]!;
      if (sameDescriptor(now, then)) continue;
      if (R.defineProperty(owner, key, then)) changed[changed.length] = [owner, key, now];
    }
  }
  try {
    return fn();
  } finally {
    for (let i = changed.length - 1; i >= 0; i--) {
      const [owner, key, was] = changed[i]!;
      if (was) R.defineProperty(owner, key, was);
      else R.deleteProperty(owner, key);
    }
  }
}

/**
 * Global objects whose members primordials.js copies unbound under their own name (Promise's
 * statics are bound, so Promise is not here).
 */
const OWNER_NAMES: readonly string[] = ['Array', 'ArrayBuffer', 'BigInt', 'Boolean', 'DataView', 'Date', 'Error', 'Function', 'JSON', 'Map', 'Math', 'Number', 'Object', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'WeakMap', 'WeakSet'];

function derive(name: string): { found: boolean; value?: unknown } {
  const owners = globalDescs as Record<string, PropertyDescriptor | undefined>;
  const ownerOf = (owner: string) => (indexOfOf(OWNER_NAMES, owner) >= 0 ? (owners[owner]?.value as { prototype?: object } | undefined) : undefined);
  if (indexOfOf(OWNER_NAMES, name) >= 0 && name !== 'JSON' && name !== 'Math' && name !== 'Reflect') return { found: true, value: ownerOf(name) };
  const proto = execOf(/^([A-Z][A-Za-z]*?)Prototype([A-Z][A-Za-z0-9]*)$/, name);
  if (proto) {
    const owner = ownerOf(proto[1]!);
    const member = proto[2]!;
    if (!owner || startsOf(member, 'Symbol') || endsOf(member, 'Apply')) return { found: false };
    const desc = owner.prototype ? (pristineOf(owner.prototype) as Record<string, PropertyDescriptor> | undefined)?.[lowerOf(member[0]!) + sliceOf(member, 1)] : undefined;
    return desc && typeof desc.value === 'function' ? { found: true, value: uncurryThis(desc.value) } : { found: false };
  }
  const own = execOf(/^([A-Z][A-Za-z]*?)([A-Z][A-Za-z0-9]*)$/, name);
  if (!own) return { found: false };
  const owner = ownerOf(own[1]!);
  const member = own[2]!;
  if (!owner || startsOf(member, 'Symbol') || endsOf(member, 'Apply') || startsOf(member, 'Get') || startsOf(member, 'Set')) return { found: false };
  const desc = (pristineOf(owner) as Record<string, PropertyDescriptor> | undefined)?.[lowerOf(member[0]!) + sliceOf(member, 1)];
  return desc && typeof desc.value === 'function' ? { found: true, value: desc.value } : { found: false };
}

/** `primordials` for vendored modules: derived names on demand, the whole set (`buildAll`) on the first other name. */
export function lazyPrimordials(buildAll: () => Record<string, unknown>): Record<string, unknown> {
  const derived: Record<string, unknown> = Object.create(null);
  let all: Record<string, unknown> | undefined;
  const build = () => withPristine(buildAll);
  return new Proxy(derived, {
    get(_target, name) {
      if (all) return all[name as string];
      if (typeof name === 'string') {
        if (name in derived) return derived[name];
        const { found, value } = derive(name);
        if (found) return (derived[name] = value);
      }
      all = build();
      return all[name as string];
    },
    has(_target, name) {
      return name in (all ??= build());
    },
    ownKeys() {
      return R.ownKeys((all ??= build()));
    },
    getOwnPropertyDescriptor(_target, name) {
      const desc = R.getOwnPropertyDescriptor((all ??= build()), name);
      // A proxy may not report a property its target lacks as non-configurable.
      return desc ? { ...desc, configurable: true } : undefined;
    },
  });
}
