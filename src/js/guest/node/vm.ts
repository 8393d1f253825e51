/**
 * Node's `vm`: the argument checks and option handling of Node 20's lib/vm.js (with Node's own
 * validators and errors), over what its C++ contextify binding does, made of isolated-vm:
 * scripts compile once in this isolate and run in this context or in new ones
 * (./vm-context.ts says how a sandbox object stands in for a context's global, and where that
 * differs from Node). Not offered, with a clear error: a context with its own microtask queue
 * (`microtaskMode: 'afterEvaluate'`) and one that refuses code generation
 * (`codeGeneration: { strings: false }` / `wasm: false`), which need V8 calls a script cannot make,
 * and vm.constants.DONT_CONTEXTIFY, whose global (another security token's) this realm may not use.
 */
import { UnboundScript } from '../hooks.js';
import { unavailable } from './feature-unavailable.js';
import { nodeRequire } from './internal.js';
import { VmContext } from './vm-context.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Validator = (value: unknown, name: string, ...more: unknown[]) => void;
interface Validators {
  validateBoolean: Validator; validateBuffer: Validator; validateFunction: Validator; validateInt32: Validator;
  validateObject: Validator; validateOneOf: Validator; validateString: Validator; validateStringArray: Validator;
  validateUint32: Validator; validateArray: Validator; kValidateObjectAllowArray: number; kValidateObjectAllowNullable: number;
}
const v = () => nodeRequire('internal/validators') as Validators;
const invalidArgType = (name: string, expected: string, value: unknown): Error => {
  const { ERR_INVALID_ARG_TYPE } = (nodeRequire('internal/errors') as { codes: Record<string, new (...a: unknown[]) => Error> }).codes;
  return new ERR_INVALID_ARG_TYPE!(name, expected, value);
};

const USE_MAIN_CONTEXT_DEFAULT_LOADER = Symbol('vm_dynamic_import_main_context_default');
const DONT_CONTEXTIFY = Symbol('vm_context_no_contextify');

/** Contextified objects (a sandbox, or a context's own global) and their contexts. */
const contexts = new WeakMap<object, VmContext>();

function contextOf(object: unknown): VmContext | undefined {
  return typeof object === 'object' && object !== null ? contexts.get(object) : undefined;
}

/** isolated-vm ends a run past its timeout with an Error of this realm; Node's is an Error of the context that ran. */
function timedOut(err: unknown, timeout: number | undefined, Ctor: ErrorConstructor): Error | undefined {
  if (timeout === undefined || !(err instanceof Error) || err.message !== 'Script execution timed out.') return undefined;
  return Object.assign(new Ctor(`Script execution timed out after ${timeout}ms`), { code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' });
}

const decorated = new WeakSet<object>();

/**
 * Node's displayErrors: the stack of an error thrown out of a script starts with the script's
 * line where it was thrown and a caret. V8's message position is not visible to a script: the
 * error's top stack frame stands for it (the same place, except for `throw new Error()`, where
 * Node points at `throw`), and only when that frame is in this script.
 */
function decorate(err: unknown, code: string, origin: { filename: string; lineOffset: number; columnOffset: number }): void {
  if (typeof err !== 'object' || err === null || decorated.has(err)) return;
  const stack = (err as { stack?: unknown }).stack;
  if (typeof stack !== 'string') return;
  const frame = /\n\s+at (?:.*\()?(.*):(\d+):(\d+)\)?(?:\n|$)/.exec(stack);
  if (!frame || frame[1] !== origin.filename) return;
  const line = Number(frame[2]);
  const source = code.split('\n')[line - 1 - origin.lineOffset];
  if (source === undefined) return;
  let column = Number(frame[3]) - 1 - (line === origin.lineOffset + 1 ? origin.columnOffset : 0);
  // V8 puts the message of `throw new Error()` at the throw, the stack frame at the `new`.
  const thrown = /throw\s+$/.exec(source.slice(0, column));
  if (thrown) column = thrown.index;
  decorated.add(err);
  try {
    (err as { stack: string }).stack = `${origin.filename}:${line}\n${source}\n${' '.repeat(Math.max(column, 0))}^\n\n${stack}`;
  } catch {
    // A frozen error keeps its stack, as in Node.
  }
}

interface RunArgs { timeout: number | undefined; displayErrors: boolean }

function runArgs(options: any = {}): RunArgs {
  v().validateObject(options, 'options');
  let timeout = options.timeout;
  if (timeout !== undefined) v().validateUint32(timeout, 'options.timeout', true);
  else timeout = undefined;
  const { displayErrors = true, breakOnSigint = false } = options;
  v().validateBoolean(displayErrors, 'options.displayErrors');
  v().validateBoolean(breakOnSigint, 'options.breakOnSigint');
  return { timeout, displayErrors };
}

function checkDynamicImport(importModuleDynamically: unknown): void {
  if (importModuleDynamically !== undefined && importModuleDynamically !== USE_MAIN_CONTEXT_DEFAULT_LOADER) v().validateFunction(importModuleDynamically, 'options.importModuleDynamically');
}

function isContext(object: unknown): boolean {
  v().validateObject(object, 'object', v().kValidateObjectAllowArray);
  return contexts.has(object as object);
}

function validateContext(contextifiedObject: unknown): VmContext {
  const context = contextOf(contextifiedObject);
  if (!isContext(contextifiedObject) || !context) throw invalidArgType('contextifiedObject', 'vm.Context', contextifiedObject);
  return context;
}

let defaultContextNameIndex = 1;

function createContext(contextObject: any = {}, options: any = {}): any {
  if (contextObject !== DONT_CONTEXTIFY && contextOf(contextObject)) return contextObject;
  v().validateObject(options, 'options');
  const { name = `VM Context ${defaultContextNameIndex++}`, origin, codeGeneration, microtaskMode, importModuleDynamically } = options;
  v().validateString(name, 'options.name');
  if (origin !== undefined) v().validateString(origin, 'options.origin');
  if (codeGeneration !== undefined) v().validateObject(codeGeneration, 'options.codeGeneration');
  if (codeGeneration !== undefined) {
    const { strings = true, wasm = true } = codeGeneration;
    v().validateBoolean(strings, 'options.codeGeneration.strings');
    v().validateBoolean(wasm, 'options.codeGeneration.wasm');
    if (!strings || !wasm) throw unavailable('vm.createContext with codeGeneration turned off');
  }
  v().validateOneOf(microtaskMode, 'options.microtaskMode', ['afterEvaluate', undefined]);
  if (microtaskMode === 'afterEvaluate') throw unavailable("vm.createContext with microtaskMode 'afterEvaluate'");
  checkDynamicImport(importModuleDynamically);
  // Its global would be the contextified object, and this realm may not touch another context's global.
  if (contextObject === DONT_CONTEXTIFY) throw unavailable('vm.constants.DONT_CONTEXTIFY');
  // Node's makeContext takes any object (not a function or a primitive).
  if (typeof contextObject !== 'object' || contextObject === null) throw invalidArgType('object', 'object', contextObject);
  contexts.set(contextObject, new VmContext(contextObject));
  return contextObject;
}

function getContextOptions(options: any): object {
  if (!options) return {};
  const contextOptions: Record<string, unknown> = { name: options.contextName, origin: options.contextOrigin, codeGeneration: undefined, microtaskMode: options.microtaskMode };
  if (contextOptions.name !== undefined) v().validateString(contextOptions.name, 'options.contextName');
  if (contextOptions.origin !== undefined) v().validateString(contextOptions.origin, 'options.contextOrigin');
  if (options.contextCodeGeneration !== undefined) {
    v().validateObject(options.contextCodeGeneration, 'options.contextCodeGeneration');
    const { strings, wasm } = options.contextCodeGeneration;
    if (strings !== undefined) v().validateBoolean(strings, 'options.contextCodeGeneration.strings');
    if (wasm !== undefined) v().validateBoolean(wasm, 'options.contextCodeGeneration.wasm');
    contextOptions.codeGeneration = { strings, wasm };
  }
  if (options.microtaskMode !== undefined) v().validateString(options.microtaskMode, 'options.microtaskMode');
  return contextOptions;
}

class Script {
  readonly #code: string;
  readonly #filename: string;
  readonly #origin: { filename: string; lineOffset: number; columnOffset: number };
  readonly #compiled: UnboundScript;
  readonly cachedDataRejected: boolean | undefined;
  readonly sourceMapURL: string | undefined;

  constructor(code: unknown, options: any = {}) {
    code = `${code as string}`;
    if (typeof options === 'string') options = { filename: options };
    else v().validateObject(options, 'options');
    const { filename = 'evalmachine.<anonymous>', lineOffset = 0, columnOffset = 0, cachedData, produceCachedData = false, importModuleDynamically } = options;
    v().validateString(filename, 'options.filename');
    v().validateInt32(lineOffset, 'options.lineOffset');
    v().validateInt32(columnOffset, 'options.columnOffset');
    if (cachedData !== undefined) v().validateBuffer(cachedData, 'options.cachedData');
    v().validateBoolean(produceCachedData, 'options.produceCachedData');
    checkDynamicImport(importModuleDynamically);
    this.#code = code as string;
    this.#filename = filename;
    this.#origin = { filename, lineOffset, columnOffset };
    this.#compiled = new UnboundScript(this.#code, { filename, lineOffset, columnOffset });
    // V8's code cache stays the daemon's business: cached data given is never used.
    if (cachedData !== undefined) this.cachedDataRejected = true;
    this.sourceMapURL = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(this.#code)?.[1];
  }

  runInThisContext(options?: unknown): unknown {
    const args = runArgs(options);
    return this.#run(args, Error, () => this.#compiled.run(undefined, args.timeout));
  }

  runInContext(contextifiedObject: unknown, options?: unknown): unknown {
    const context = validateContext(contextifiedObject);
    const args = runArgs(options);
    return this.#run(args, context.helpers.Error, () => context.run(this.#compiled, this.#code, this.#filename, args.timeout));
  }

  #run(args: RunArgs, ErrorOfContext: ErrorConstructor, run: () => unknown): unknown {
    try {
      return run();
    } catch (err) {
      const timeout = timedOut(err, args.timeout, ErrorOfContext);
      if (timeout) throw timeout;
      if (args.displayErrors) decorate(err, this.#code, this.#origin);
      throw err;
    }
  }

  runInNewContext(contextObject?: unknown, options?: unknown): unknown {
    const made = contextObject === DONT_CONTEXTIFY || !contextOf(contextObject);
    const contextified = createContext(contextObject, getContextOptions(options));
    try {
      return this.runInContext(contextified, options);
    } finally {
      // Nothing else will run in it through a script: let it be collected once unreachable.
      if (made) contextOf(contextified)?.releaseHandle();
    }
  }

  createCachedData(): Uint8Array {
    return new Uint8Array(0);
  }
}

/**
 * A function compiled in a context (this one or parsingContext's), its body in the scope of
 * contextExtensions' properties as V8's CompileFunction puts them (here with `with` blocks of
 * a sloppy wrapper, so the body may still be strict).
 */
function compileFunction(code: unknown, params?: unknown, options: any = {}): unknown {
  v().validateString(code, 'code');
  v().validateObject(options, 'options');
  if (params !== undefined) v().validateStringArray(params, 'params');
  const { filename = '', columnOffset = 0, lineOffset = 0, cachedData, produceCachedData = false, parsingContext, contextExtensions = [], importModuleDynamically } = options;
  v().validateString(filename, 'options.filename');
  v().validateInt32(columnOffset, 'options.columnOffset');
  v().validateInt32(lineOffset, 'options.lineOffset');
  if (cachedData !== undefined) v().validateBuffer(cachedData, 'options.cachedData');
  v().validateBoolean(produceCachedData, 'options.produceCachedData');
  let context: VmContext | undefined;
  if (parsingContext !== undefined) {
    context = contextOf(parsingContext);
    if (!context) throw invalidArgType('options.parsingContext', 'Context', parsingContext);
  }
  v().validateArray(contextExtensions, 'options.contextExtensions');
  const extensions = contextExtensions as unknown[];
  for (let i = 0; i < extensions.length; i++) v().validateObject(extensions[i], `options.contextExtensions[${i}]`, v().kValidateObjectAllowNullable);
  checkDynamicImport(importModuleDynamically);
  const names = extensions.map((_, i) => `__agentos_vm_extension_${i}`);
  const opens = names.filter((_, i) => extensions[i] !== null).map((n) => `with (${n}) `).join('');
  const head = `(function (${names.join(', ')}) { ${opens}{ return function (${((params ?? []) as string[]).join(', ')}) {`;
  // The body starts on a line of its own: lineOffset - 1 puts its first line where Node does.
  const source = `${head}\n${code as string}\n}; } })`;
  const compiled = new UnboundScript(source, { filename, lineOffset: lineOffset - 1, columnOffset: 0 });
  const outer = (context ? context.run(compiled, source, filename, undefined) : compiled.run(undefined, undefined)) as (...a: unknown[]) => unknown;
  const fn = outer(...extensions) as { cachedDataRejected?: boolean };
  if (cachedData !== undefined) fn.cachedDataRejected = true;
  return fn;
}

function runInContext(code: unknown, contextifiedObject: unknown, options?: any): unknown {
  validateContext(contextifiedObject);
  return new Script(code, options).runInContext(contextifiedObject, typeof options === 'string' ? undefined : options);
}

function runInNewContext(code: unknown, contextObject?: unknown, options?: any): unknown {
  if (typeof options === 'string') options = { filename: options };
  const made = !contextOf(contextObject);
  const contextified = createContext(contextObject, getContextOptions(options));
  const script = new Script(code, options);
  try {
    return script.runInContext(contextified, options);
  } finally {
    // Nothing else will run in it through a script: let it be collected once unreachable.
    if (made) contextOf(contextified)?.releaseHandle();
  }
}

function runInThisContext(code: unknown, options?: any): unknown {
  if (typeof options === 'string') options = { filename: options };
  return new Script(code, options).runInThisContext(options);
}

export function createVm() {
  return {
    Script,
    createContext,
    createScript: (code: unknown, options?: unknown) => new Script(code, options),
    runInContext,
    runInNewContext,
    runInThisContext,
    isContext,
    compileFunction,
    measureMemory: () => Promise.reject(unavailable('vm.measureMemory')),
    constants: Object.freeze({ __proto__: null, USE_MAIN_CONTEXT_DEFAULT_LOADER, DONT_CONTEXTIFY }),
  };
}
