import type ivm from 'isolated-vm';
import { GuestProcess, HEAP_DISPOSED, heapBytesOf, type GuestBudgets, type GuestProcessOptions, type ProcessExit, type Signal } from '../process/guest-process.js';
import type { CompiledModule } from './module-cache.js';
import type { RunnerHost, RunnerIsolate } from './runner-isolate.js';
import type { RunnerSource } from './runner-reuse.js';
import type { Preopen } from './runner/contract.js';

const MiB = 1024 * 1024;

export interface WasmBudgets extends GuestBudgets {
  runnerHeapLimitMb: number;
  /** 0: no fuel budget. */
  fuel: number;
  /** 0: no call-depth bound. */
  maxCallDepth: number;
}

export interface WasmProcessOptions extends GuestProcessOptions {
  /** argv, with the command name first. */
  argv: string[];
  preopens: Preopen[];
  /** The compiled module, or the compile still under way. */
  module: Promise<CompiledModule>;
  runners: RunnerSource;
  budgets: WasmBudgets;
}

/**
 * One WASI command run: a runner isolate from the pool, the module moved in already
 * compiled, `_start` run on isolated-vm's threads. It ends when `_start` returns or
 * calls proc_exit, on a trap (exit 134, the engine's message on stderr and in the result),
 * or when the sidecar stops it.
 */
export class WasmProcess extends GuestProcess implements RunnerHost {
  private runner: RunnerIsolate | undefined;
  private running = false;
  /** Set when the sidecar stopped the run: its runner may still be executing it. */
  private stoppedBySidecar = false;

  constructor(private readonly o: WasmProcessOptions) {
    super(o);
  }

  start(): Promise<ProcessExit> {
    this.launch().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: string }).code;
      if (code === 'ERR_AGENTOS_WASM_COMPILE' || code === 'ERR_AGENTOS_WASM_MEMORY_LIMIT') {
        this.writeErr(`${this.o.argv[0]}: ${message}\n`);
        this.stop({ code, message }, 126);
        return;
      }
      this.o.log.error({ err }, 'wasm process failed to start');
      this.writeErr(`agentos: could not start ${this.o.argv[0]}: ${message}\n`);
      this.exitCode = 1;
      this.finish();
    });
    return this.exited;
  }

  private async launch(): Promise<void> {
    const compiled = await this.o.module;
    if (this.finished) return;
    const runner = await this.o.runners.take(this.o.budgets.runnerHeapLimitMb);
    if (this.finished) {
      this.o.runners.release(runner, true);
      return;
    }
    this.runner = runner;
    runner.host = this;
    this.startBudgets(runner.isolate);
    this.running = true;
    runner
      .run(compiled.module, { args: this.o.argv, env: this.o.env, preopens: this.o.preopens, outputWindowBytes: this.o.budgets.outputWindowBytes }, compiled.importedMemory)
      .then(
        (result) => {
          this.running = false;
          if (this.finished) return;
          if (result.runnerHeapExhausted) return this.runnerHeapExhausted();
          if (result.fuelExhausted) {
            const capacity = this.o.budgets.fuel;
            return this.stop({
              code: 'ERR_AGENTOS_WASM_FUEL',
              message: `${this.o.argv[0]}: fuel ran out: its budget of ${capacity} units (one per function call and loop iteration) is spent (raise limits.wasmMaxFuel or AGENTOS_WASM_MAX_FUEL)`,
              limit: 'wasm_max_fuel',
              capacity,
              observed: capacity + 1,
              env: 'AGENTOS_WASM_MAX_FUEL',
            }, 124);
          }
          this.exitCode = result.exitCode & 0xff;
          if (result.trap === undefined) return this.finish();
          const maxDepth = this.o.budgets.maxCallDepth;
          if (maxDepth > 0 && (result.depthAtTrap ?? 0) > maxDepth) {
            this.writeErr(`${this.o.argv[0]}: wasm trap: call stack exhausted\n`);
            return this.stop({
              code: 'ERR_AGENTOS_WASM_STACK_LIMIT',
              message: `${this.o.argv[0]}: calls nested deeper than ${maxDepth} (raise limits.wasmMaxCallDepth or AGENTOS_WASM_MAX_CALL_DEPTH)`,
              limit: 'wasm_max_call_depth',
              capacity: maxDepth,
              observed: result.depthAtTrap!,
              env: 'AGENTOS_WASM_MAX_CALL_DEPTH',
            }, 134, 'SIGSEGV');
          }
          this.writeErr(`${this.o.argv[0]}: wasm trap: ${result.trap}\n`);
          this.finish({ code: 'ERR_AGENTOS_WASM_TRAP', message: `${this.o.argv[0]}: ${result.trap}` });
        },
        (err: unknown) => {
          this.running = false;
          this.onRunFailed(err);
        },
      );
  }

  private onRunFailed(err: unknown): void {
    if (this.finished) return;
    const message = err instanceof Error ? err.message : String(err);
    if (HEAP_DISPOSED.test(message) || this.runner?.isolate.isDisposed) return this.runnerHeapExhausted();
    this.o.log.error({ err }, 'wasm runner failed');
    this.writeErr(`agentos: the runner failed: ${message}\n`);
    this.exitCode = 1;
    this.finish();
  }

  /** The runner (trusted code) outgrew its V8 heap ceiling: not the guest's memory cap. */
  private runnerHeapExhausted(): void {
    const capacity = this.o.budgets.runnerHeapLimitMb * MiB;
    const runner = this.runner?.isolate;
    let observed = capacity;
    if (runner && !runner.isDisposed && !this.running) {
      const heap = runner.getHeapStatisticsSync();
      observed = Math.max(capacity, heap.used_heap_size + heap.externally_allocated_size);
    }
    this.stop({
      code: 'ERR_AGENTOS_WASM_RUNNER_HEAP_LIMIT',
      message: `the WASM runner's V8 heap ceiling of ${this.o.budgets.runnerHeapLimitMb} MiB was exhausted while running ${this.o.argv[0]} (observed ≥ ${Math.ceil(observed / MiB)} MiB; raise AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB)`,
      limit: 'v8_heap_bytes',
      capacity,
      observed,
      env: 'AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB',
    }, 134, 'SIGABRT');
  }

  kill(signal: Signal = 'SIGKILL'): void {
    this.stoppedBySidecar = true;
    this.killNow(signal);
  }

  override stop(...args: Parameters<GuestProcess['stop']>): void {
    this.stoppedBySidecar = true;
    super.stop(...args);
  }

  protected isolate(): ivm.Isolate | undefined {
    return this.runner?.isolate;
  }

  protected release(): number {
    const runner = this.runner;
    if (!runner) return 0;
    const heapBytes = heapBytesOf(runner.isolate, !this.running);
    runner.host = null;
    this.o.runners.release(runner, !this.running && !this.stoppedBySidecar);
    return heapBytes;
  }
}
