/**
 * The WASI runner runtime: runs first in every runner isolate. It takes the host's hooks
 * off the global object and exposes one entry, `run`, which instantiates a module (moved
 * in from the daemon's cache, already compiled) and runs its `_start`.
 */
import type { RunnerHooks, RunnerInfo, RunnerResult } from './contract.js';
import { ProcExit } from './errno.js';
import { Wasi } from './wasi.js';

const g = globalThis as unknown as Record<string, unknown>;
const hooks = {} as RunnerHooks;
for (const name of ['write', 'fs', 'random', 'block'] as const) {
  (hooks as unknown as Record<string, unknown>)[name] = g[`__agentos_hook_${name}`];
  delete g[`__agentos_hook_${name}`];
}

export interface ImportedMemory {
  module: string;
  name: string;
  initial: number;
  maximum: number;
}

function run(module: WebAssembly.Module, info: RunnerInfo, importedMemory: ImportedMemory | null): RunnerResult {
  const wasi = new Wasi(hooks, info);
  const imports: Record<string, Record<string, unknown>> = { wasi_snapshot_preview1: wasi.imports(), wasi_unstable: wasi.imports() };
  let memory: WebAssembly.Memory | undefined;
  if (importedMemory) {
    memory = new WebAssembly.Memory({ initial: importedMemory.initial, maximum: importedMemory.maximum });
    (imports[importedMemory.module] ??= {})[importedMemory.name] = memory;
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'function' && !(imports[imp.module] && imp.name in imports[imp.module]!)) {
      return { exitCode: 127, trap: `the module imports ${imp.module}.${imp.name}, which this runner does not provide` };
    }
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  } catch (err) {
    return { exitCode: 127, trap: `instantiation failed: ${(err as Error).message}` };
  }
  wasi.memory = (instance.exports.memory as WebAssembly.Memory | undefined) ?? memory;
  const start = instance.exports._start;
  if (typeof start !== 'function') return { exitCode: 127, trap: 'the module has no _start export (not a WASI command)' };
  try {
    (start as () => void)();
    return { exitCode: 0 };
  } catch (err) {
    if (err instanceof ProcExit) return { exitCode: err.code };
    if (err instanceof RangeError && /allocation failed/i.test(err.message)) return { exitCode: 134, trap: err.message, runnerHeapExhausted: true };
    const fuel = instance.exports.__agentos_fuel as WebAssembly.Global | undefined;
    if (fuel && (fuel.value as bigint) < 0n) return { exitCode: 124, fuelExhausted: true };
    const depth = instance.exports.__agentos_depth as WebAssembly.Global | undefined;
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { exitCode: 134, trap: message, ...(depth ? { depthAtTrap: depth.value as number } : {}) };
  }
}

g.__agentos_run = run;
