import ivm from 'isolated-vm';
import type { AskingResult, HookResult } from '../process/hook-result.js';
import { IsolateFactory } from '../process/isolate-factory.js';
import { RuntimeSource } from '../process/runtime-source.js';
import type { TURN_SPENT } from '../process/guest-calls.js';
import type { ImportedMemory } from './memory-cap.js';
import type { RunnerInfo, RunnerResult } from './runner/contract.js';

const runtime = new RuntimeSource('wasm-runner.js', 'agentos:wasm-runner');

/** The host side of the runner's hooks, implemented by the WASM process bound to it. */
export interface RunnerHost {
  write(fd: unknown, data: unknown): void;
  fs(op: unknown, args: unknown, within?: unknown): AskingResult;
  random(length: unknown): HookResult;
  block(op: unknown, arg: unknown, extra?: unknown): Promise<unknown>;
  proc(op: unknown, args: unknown): AskingResult;
  /** Runs one hook's work, charged to the process (see GuestProcess.call). */
  call<T>(work: () => T, answered: boolean): T | typeof TURN_SPENT;
}

/**
 * One ExternalCopy per compiled module, made on its first run: wrapping a module touches
 * V8's wasm engine state, which a starved runner thread can hold (see isolate-factory.ts),
 * so the daemon's thread does it once per module, not once per process. Each run's
 * `copyInto` then only hands the runner a reference to the same compiled code.
 */
const moduleCopies = new WeakMap<WebAssembly.Module, ivm.ExternalCopy<WebAssembly.Module>>();
function moduleCopy(module: WebAssembly.Module): ivm.ExternalCopy<WebAssembly.Module> {
  let copy = moduleCopies.get(module);
  if (!copy) moduleCopies.set(module, (copy = new ivm.ExternalCopy(module)));
  return copy;
}

const UNBOUND: HookResult = { err: { message: 'the process has ended', code: 'EBADF' } };

/**
 * A runner isolate: its heap ceiling is AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB (a ceiling, not
 * a reservation), the WASI runtime already loaded, its hooks forwarding to whichever
 * process is bound. Pooled like guest isolates, never reused after a run.
 */
export class RunnerIsolate {
  host: RunnerHost | null = null;
  private active = false;

  private constructor(
    readonly heapLimitMb: number,
    readonly isolate: ivm.Isolate,
    private readonly entry: ivm.Reference<(...args: unknown[]) => unknown>,
  ) {}

  static async create(heapLimitMb: number, onCatastrophicError: (message: string) => void): Promise<RunnerIsolate> {
    // Made (and later disposed) off the daemon's thread: see isolate-factory.ts.
    const isolate = await IsolateFactory.shared.create(heapLimitMb, onCatastrophicError);
    let runner: RunnerIsolate | undefined;
    try {
      const context = await isolate.createContext();
      const host = () => runner?.host ?? null;
      const global = context.global;
      // Each hook's work goes through the bound process's `call`: timed, charged, refused while the daemon's turn is spent.
      const answered = (work: (h: RunnerHost, a: unknown, b: unknown, c: unknown) => unknown) =>
        new ivm.Callback((a: unknown, b: unknown, c: unknown) => {
          const h = host();
          return h ? h.call(() => work(h, a, b, c), true) : UNBOUND;
        });
      global.setSync('__agentos_hook_write', new ivm.Callback((fd: unknown, data: unknown) => {
        const h = host();
        h?.call(() => h.write(fd, data), false);
      }, { ignored: true }));
      global.setSync('__agentos_hook_fs', answered((h, op, args, within) => h.fs(op, args, within)));
      global.setSync('__agentos_hook_proc', answered((h, op, args) => h.proc(op, args)));
      global.setSync('__agentos_hook_random', answered((h, n) => h.random(n)));
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
      IsolateFactory.shared.dispose(isolate);
      throw err;
    }
  }

  /** Runs the module's `_start` on isolated-vm's pool; the compiled module moves in by reference. */
  run(module: WebAssembly.Module, info: RunnerInfo, importedMemory: ImportedMemory | null): Promise<RunnerResult> {
    const copy = (value: unknown) => new ivm.ExternalCopy(value).copyInto({ release: true });
    const run = this.entry.apply(undefined, [moduleCopy(module).copyInto(), copy(info), copy(importedMemory)], { result: { copy: true } }) as Promise<RunnerResult>;
    this.active = true;
    const done = () => void (this.active = false);
    run.then(done, done);
    return run;
  }

  /** As PreparedIsolate.dispose: a runner still running its program stops here and now, an idle one is disposed off the daemon's thread. */
  dispose(): void {
    this.host = null;
    if (this.active && !this.isolate.isDisposed) this.isolate.dispose();
    else IsolateFactory.shared.dispose(this.isolate);
  }
}
