import { nodeRequire } from './node/internal.js';

/** Node's own `util.inspect` and `util.format` (vendor/node/lib/internal/util/inspect.js), loaded on first use. */
export const inspect = (value: unknown, options?: object): string => nodeRequire('internal/util/inspect').inspect(value, options);
export const format = (...args: unknown[]): string => nodeRequire('internal/util/inspect').format(...args);
