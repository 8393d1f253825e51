/**
 * Node's own constructors (net.Socket, net.Server, tls.TLSSocket ...) are plain functions:
 * `net.Server()` without `new` gives a new instance, and `net.Server.call(this, options)` —
 * how Node's http.Server and old-style subclasses initialise — initialises the `this` it is
 * given. A class constructor refuses both. So each is a named function (its name is what
 * stack traces show, `Socket.<anonymous>`) that checks `this instanceof` itself, and takes
 * its methods and accessors from a class that is never constructed: this joins the two.
 */
export function withMethods(ctor: Function, methods: { prototype: object }, base: object): any {
  ctor.prototype = methods.prototype;
  Object.defineProperty(methods.prototype, 'constructor', { value: ctor, writable: true, configurable: true, enumerable: false });
  Object.setPrototypeOf(ctor, base);
  return ctor;
}
