import { nodeRequire } from './node/internal.js';

/** Node's own `util.inspect` and `util.format` (vendor/node/lib/internal/util/inspect.js), loaded on first use. */
export const inspect = (value: unknown, options?: object): string => nodeRequire('internal/util/inspect').inspect(value, options);

/**
 * `console.log("text", 1)` and the like print without loading Node's inspect (~20 ms of
 * compiling in a fresh isolate): for primitives with no `%` in a leading string, Node's
 * `format` is the arguments' strings joined by spaces (`-0` kept, bigints with `n`).
 */
export function format(...args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let text: string;
    if (typeof arg === 'string') {
      if (i === 0 && arg.includes('%')) return nodeRequire('internal/util/inspect').format(...args);
      text = arg;
    } else if (typeof arg === 'number') text = Object.is(arg, -0) ? '-0' : String(arg);
    else if (typeof arg === 'bigint') text = `${arg}n`;
    else if (typeof arg === 'boolean' || arg === undefined || arg === null) text = String(arg);
    else return nodeRequire('internal/util/inspect').format(...args);
    out += i === 0 ? text : ` ${text}`;
  }
  return out;
}
