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

/**
 * Global objects whose members primordials.js copies unbound under their own name (Promise's
 * statics are bound, so Promise is not here).
 */
const OWNERS = new Set(['Array', 'ArrayBuffer', 'BigInt', 'Boolean', 'DataView', 'Date', 'Error', 'Function', 'JSON', 'Map', 'Math', 'Number', 'Object', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'WeakMap', 'WeakSet']);

function derive(name: string): { found: boolean; value?: unknown } {
  if (OWNERS.has(name) && name !== 'JSON' && name !== 'Math' && name !== 'Reflect') return { found: true, value: (globalThis as unknown as Record<string, unknown>)[name] };
  const proto = /^([A-Z][A-Za-z]*?)Prototype([A-Z][A-Za-z0-9]*)$/.exec(name);
  const g = globalThis as unknown as Record<string, { prototype?: object } | undefined>;
  if (proto) {
    const [, owner, member] = proto as unknown as [string, string, string];
    if (!OWNERS.has(owner) || member.startsWith('Symbol') || member.endsWith('Apply')) return { found: false };
    const desc = Object.getOwnPropertyDescriptor(g[owner]?.prototype ?? {}, member[0]!.toLowerCase() + member.slice(1));
    return desc && typeof desc.value === 'function' ? { found: true, value: uncurryThis(desc.value) } : { found: false };
  }
  const own = /^([A-Z][A-Za-z]*?)([A-Z][A-Za-z0-9]*)$/.exec(name);
  if (!own) return { found: false };
  const [, owner, member] = own as unknown as [string, string, string];
  if (!OWNERS.has(owner) || member.startsWith('Symbol') || member.endsWith('Apply') || member.startsWith('Get') || member.startsWith('Set')) return { found: false };
  const desc = Object.getOwnPropertyDescriptor(g[owner] ?? {}, member[0]!.toLowerCase() + member.slice(1));
  return desc && typeof desc.value === 'function' ? { found: true, value: desc.value } : { found: false };
}

/** `primordials` for vendored modules: derived names on demand, the whole set (`buildAll`) on the first other name. */
export function lazyPrimordials(buildAll: () => Record<string, unknown>): Record<string, unknown> {
  const derived: Record<string, unknown> = Object.create(null);
  let all: Record<string, unknown> | undefined;
  return new Proxy(derived, {
    get(_target, name) {
      if (all) return all[name as string];
      if (typeof name === 'string') {
        if (name in derived) return derived[name];
        const { found, value } = derive(name);
        if (found) return (derived[name] = value);
      }
      all = buildAll();
      return all[name as string];
    },
    has(_target, name) {
      return name in (all ??= buildAll());
    },
    ownKeys() {
      return Reflect.ownKeys((all ??= buildAll()));
    },
    getOwnPropertyDescriptor(_target, name) {
      const desc = Reflect.getOwnPropertyDescriptor((all ??= buildAll()), name);
      // A proxy may not report a property its target lacks as non-configurable.
      return desc ? { ...desc, configurable: true } : undefined;
    },
  });
}
