/**
 * The contract between the host and the WASI runner runtime (which runs inside every
 * runner isolate). Types only; imported by both sides.
 */
import type { HookResult } from '../../process/hook-result.js';

export interface RunnerHooks {
  /** Fire-and-forget output (fd 1 or 2). */
  write(fd: number, data: Uint8Array): void;
  /** A filesystem operation through the process's host fd table (the ops of src/process/guest-fs.ts). */
  fs(op: string, args: unknown[], within?: string): HookResult;
  random(length: number): Uint8Array;
  /** Blocking waits: stdin data, a sleep, or room for more output. */
  block: { applySyncPromise(receiver: undefined, args: [RunnerBlockingOp, number?]): unknown };
}

export type RunnerBlockingOp = 'stdinSome' | 'stdinPoll' | 'sleep' | 'outputWindow';

export interface Preopen {
  /** The name the guest sees (`fd_prestat_dir_name`). */
  name: string;
  /** The VM directory it stands for. */
  vmPath: string;
}

export interface RunnerInfo {
  args: string[];
  env: Record<string, string>;
  preopens: Preopen[];
  outputWindowBytes: number;
}

export interface RunnerResult {
  exitCode: number;
  /** Set when the module trapped or could not start: the engine's message. */
  trap?: string;
  /** The runner's own heap could not hold what the run needed (AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB). */
  runnerHeapExhausted?: boolean;
  /** The program trapped because its fuel counter went below zero. */
  fuelExhausted?: boolean;
  /** The call-depth counter when the program trapped (compared with the bound by the host). */
  depthAtTrap?: number;
}
