/**
 * An error as Node's internal/errors makes them: the message Node prints, a `code`, and a
 * stack whose first line reads `TypeError [ERR_X]: message`, while `name` stays the
 * constructor's own (Node sets the name only while the stack is captured).
 */
export function nodeError<E extends Error>(Base: new (message: string) => E, code: string, message: string): E & { code: string } {
  const err = new Base(message) as E & { code: string };
  Object.defineProperty(err, 'name', { value: `${Base.name} [${code}]`, configurable: true, writable: true, enumerable: false });
  void err.stack;
  delete (err as { name?: string }).name;
  Object.defineProperty(err, 'code', { value: code, configurable: true, writable: true, enumerable: true });
  return err;
}

/** How Node's ERR_INVALID_ARG_TYPE describes the value it got ("Received type number (1)"). */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? ` Received an instance of ${name}` : ' Received [object Object]';
  }
  let shown = typeof value === 'string' ? `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  if (typeof value === 'bigint') shown += 'n';
  return ` Received type ${typeof value} (${shown})`;
}
