import { internalBinding } from './bindings.js';
import { getPrimordials, nodeRequire } from './internal.js';

type ModuleFn = (exports: object, require: (id: string) => unknown, module: { exports: unknown }, process: unknown, binding: unknown, primordials: object) => void;
declare function require(id: string): ModuleFn;

type Validators = { validateString(v: unknown, name: string): void; validateObject(...a: unknown[]): void };
type Util = { getLazy<T>(init: () => T): () => T; emitExperimentalWarning(feature: string): void };

/**
 * Node's own lib/path.js (posix, with `.posix` and `.win32`), loaded on the first
 * `require('path')`. Most programs load path and little else of Node's lib, so its checks
 * reach Node's validators and internal/util (with internal/errors behind them, ~10 ms in a
 * fresh isolate) only when they are needed: a string argument passes without them, anything
 * else gets Node's own check and error.
 */
export function loadNodePath(proc: unknown): unknown {
  const validators = () => nodeRequire('internal/validators') as Validators;
  const util = () => nodeRequire('internal/util') as Util;
  const light: Record<string, unknown> = {
    'internal/validators': {
      validateString: (value: unknown, name: string) => {
        if (typeof value !== 'string') validators().validateString(value, name);
      },
      validateObject: (...args: unknown[]) => validators().validateObject(...args),
    },
    'internal/util': {
      getLazy: <T>(init: () => T) => {
        let lazy: (() => T) | undefined;
        return () => (lazy ??= util().getLazy(init))();
      },
      emitExperimentalWarning: (feature: string) => util().emitExperimentalWarning(feature),
    },
  };
  const module = { exports: {} as unknown };
  require('../../../../vendor/node/lib/path.js')(module.exports as object, (id) => light[id] ?? nodeRequire(id), module, proc, internalBinding, getPrimordials());
  return module.exports;
}
