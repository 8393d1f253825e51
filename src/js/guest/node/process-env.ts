/**
 * Node's process.env: every value assigned is stored as a string (a Symbol throws), an
 * empty name is never stored, `delete` always succeeds, and the object's own keys are the
 * variables only (Object.prototype's members are inherited until one is assigned).
 */
export function createEnv(initial: Record<string, string>): Record<string, string> {
  const store: Record<string, string> = Object.assign({}, initial);
  return new Proxy(store, {
    set(target, key, value) {
      if (typeof key === 'symbol') return Reflect.set(target, key, value);
      if (typeof value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
      if (key !== '') Object.defineProperty(target, key, { value: String(value), writable: true, enumerable: true, configurable: true });
      return true;
    },
    defineProperty(target, key, desc) {
      if (typeof key === 'symbol') return Reflect.defineProperty(target, key, desc);
      if ('get' in desc || 'set' in desc) {
        throw Object.assign(new TypeError("'process.env' does not accept an accessor(getter/setter) descriptor"), { code: 'ERR_INVALID_OBJECT_DEFINE_PROPERTY' });
      }
      if (!desc.configurable || !desc.writable || !desc.enumerable) {
        throw Object.assign(new TypeError("'process.env' only accepts a configurable, writable, and enumerable data descriptor"), { code: 'ERR_INVALID_OBJECT_DEFINE_PROPERTY' });
      }
      if (typeof desc.value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
      if (key !== '') Reflect.defineProperty(target, key, { value: String(desc.value), writable: true, enumerable: true, configurable: true });
      return true;
    },
    deleteProperty(target, key) {
      Reflect.deleteProperty(target, key);
      return true;
    },
  });
}
