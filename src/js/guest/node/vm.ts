/**
 * Node's `vm` as far as one isolate with one context goes: code runs in this context
 * (runInThisContext, Script, compileFunction), with its filename in stack traces. A new
 * context needs V8's context creation, which guest code cannot reach: createContext and
 * the run*Context functions fail with ERR_NOT_SUPPORTED instead of running the code in
 * the wrong global.
 */
const indirectEval = eval;

function notSupported(what: string): Error {
  return Object.assign(new Error(`vm.${what} is not available in the sandbox: a guest process has one context`), { code: 'ERR_NOT_SUPPORTED' });
}

function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  const shown = value === null || value === undefined ? String(value) : typeof value === 'object' ? `an instance of ${(value as object).constructor?.name ?? 'Object'}` : `type ${typeof value} (${String(value)})`;
  return Object.assign(new TypeError(`The "${name}" argument must be ${expected}. Received ${shown}`), { code: 'ERR_INVALID_ARG_TYPE' });
}

interface RunOptions { filename?: string; lineOffset?: number; columnOffset?: number }

function optionsOf(options: unknown): RunOptions {
  if (typeof options === 'string') return { filename: options };
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  return options as RunOptions;
}

/** The code as a script of this context, named for stack traces; a leading offset of newlines stands for lineOffset. */
function runScript(code: string, options: RunOptions): unknown {
  const lines = options.lineOffset && options.lineOffset > 0 ? '\n'.repeat(options.lineOffset) : '';
  const name = String(options.filename ?? 'evalmachine.<anonymous>').replace(/\s/g, ' ');
  return indirectEval(`${lines}${code}\n//# sourceURL=${name}`);
}

export function createVm() {
  class Script {
    readonly #code: string;
    readonly #options: RunOptions;
    readonly cachedDataRejected = false;
    readonly sourceMapURL: string | undefined;
    constructor(code: unknown, options?: unknown) {
      this.#code = String(code);
      this.#options = optionsOf(options);
      // A syntax error is the constructor's, as in Node: compile (not run) the code now.
      // eslint-disable-next-line no-new-func
      new Function(`return function () {\n${this.#code}\n}`);
      this.sourceMapURL = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(this.#code)?.[1];
    }
    runInThisContext(): unknown {
      return runScript(this.#code, this.#options);
    }
    runInContext(): never {
      throw notSupported('Script.runInContext');
    }
    runInNewContext(): never {
      throw notSupported('Script.runInNewContext');
    }
    createCachedData(): Uint8Array {
      // V8's code cache is the daemon's business (per module source); a script has none to give.
      return new Uint8Array(0);
    }
  }

  return {
    Script,
    runInThisContext: (code: unknown, options?: unknown) => {
      if (typeof code !== 'string') throw invalidArgType('code', 'of type string', code);
      return runScript(code, optionsOf(options));
    },
    compileFunction: (code: unknown, params: unknown = [], options: { contextExtensions?: unknown[]; parsingContext?: unknown } = {}) => {
      if (typeof code !== 'string') throw invalidArgType('code', 'of type string', code);
      if (!Array.isArray(params)) throw invalidArgType('params', 'an instance of Array', params);
      if (options.parsingContext !== undefined || (options.contextExtensions?.length ?? 0) > 0) throw notSupported('compileFunction with another context');
      // eslint-disable-next-line no-new-func
      return new Function(...(params as string[]).map(String), code);
    },
    isContext: (object: unknown) => {
      if (typeof object !== 'object' || object === null) throw invalidArgType('object', 'of type object', object);
      return false;
    },
    createContext: () => {
      throw notSupported('createContext');
    },
    runInContext: () => {
      throw notSupported('runInContext');
    },
    runInNewContext: () => {
      throw notSupported('runInNewContext');
    },
    measureMemory: () => Promise.reject(notSupported('measureMemory')),
    constants: Object.freeze({ USE_MAIN_CONTEXT_DEFAULT_LOADER: Symbol('vm_dynamic_import_main_context_default'), DONT_CONTEXTIFY: Symbol('vm_context_no_contextify') }),
  };
}
