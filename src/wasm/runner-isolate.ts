import ivm from 'isolated-vm';
import type { HookResult } from '../process/hook-result.js';
import { RuntimeSource } from '../process/runtime-source.js';
import type { ImportedMemory } from './memory-cap.js';
import type { RunnerInfo, RunnerResult } from './runner/contract.js';

const runtime = new RuntimeSource('wasm-runner.js', 'agentos:wasm-runner');

/** The host side of the runner's hooks, implemented by the WASM process bound to it. */
export interface RunnerHost {
  write(fd: unknown, data: unknown): void;
  fs(op: unknown, args: unknown, within?: unknown): HookResult;
  random(length: unknown): Uint8Array;
  block(op: unknown, arg: unknown, extra?: unknown): Promise<unknown>;
  proc(op: unknown, args: unknown): HookResult;
}

const UNBOUND: HookResult = { err: { message: 'the process has ended', code: 'EBADF' } };

/**
 * A runner isolate: its heap ceiling is AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB (a ceiling, not
 * a reservation), the WASI runtime already loaded, its hooks forwarding to whichever
 * process is bound. Pooled like guest isolates, never reused after a run.
 */
export class RunnerIsolate {
  host: RunnerHost | null = null;

  private constructor(
    readonly heapLimitMb: number,
    readonly isolate: ivm.Isolate,
    private readonly entry: ivm.Reference<(...args: unknown[]) => unknown>,
  ) {}

  static async create(heapLimitMb: number, onCatastrophicError: (message: string) => void): Promise<RunnerIsolate> {
    const isolate = new ivm.Isolate({ memoryLimit: heapLimitMb, onCatastrophicError });
    let runner: RunnerIsolate | undefined;
    try {
      const context = await isolate.createContext();
      const host = () => runner?.host ?? null;
      const global = context.global;
      global.setSync('__agentos_hook_write', new ivm.Callback((fd: unknown, data: unknown) => host()?.write(fd, data), { ignored: true }));
      global.setSync('__agentos_hook_fs', new ivm.Callback((op: unknown, args: unknown, within: unknown) => host()?.fs(op, args, within) ?? UNBOUND));
      global.setSync('__agentos_hook_proc', new ivm.Callback((op: unknown, args: unknown) => host()?.proc(op, args) ?? UNBOUND));
      global.setSync('__agentos_hook_random', new ivm.Callback((n: unknown) => host()?.random(n) ?? new Uint8Array(0)));
      global.setSync(
        '__agentos_hook_block',
        new ivm.Reference(async (op: unknown, arg: unknown, extra: unknown) => {
          const result = await host()?.block(op, arg, extra);
          // applySyncPromise takes no transfer options: bytes travel as an ExternalCopy.
          return result instanceof Uint8Array ? new ivm.ExternalCopy(result).copyInto({ release: true }) : (result ?? null);
        }),
      );
      await (await runtime.compile(isolate)).run(context, { release: true });
      const entry = global.getSync('__agentos_run', { reference: true }) as ivm.Reference<(...args: unknown[]) => unknown>;
      global.deleteSync('__agentos_run');
      runner = new RunnerIsolate(heapLimitMb, isolate, entry);
      return runner;
    } catch (err) {
      if (!isolate.isDisposed) isolate.dispose();
      throw err;
    }
  }

  /** Runs the module's `_start` on isolated-vm's pool; the compiled module moves in by reference. */
  run(module: WebAssembly.Module, info: RunnerInfo, importedMemory: ImportedMemory | null): Promise<RunnerResult> {
    const copy = (value: unknown) => new ivm.ExternalCopy(value).copyInto({ release: true });
    return this.entry.apply(undefined, [copy(module), copy(info), copy(importedMemory)], { result: { copy: true } }) as Promise<RunnerResult>;
  }

  dispose(): void {
    this.host = null;
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}
