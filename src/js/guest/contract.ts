/**
 * The contract between the host and the guest runtime that runs inside every guest
 * isolate. Types only: the host side (`src/js`) and the guest side (this folder, bundled
 * into the isolate) both import it. Everything crossing it is copied, and the host
 * validates what it receives: guest code can reach and tamper with anything the runtime
 * does once it runs.
 */

/** Fire-and-forget (isolated-vm "ignored" callbacks): cheap, ordered, no answer. */
export interface IgnoredHooks {
  write(fd: number, data: string | Uint8Array): void;
  /** `refused` reports a timer the runtime refused at its limit (id = the count wanted). */
  timer(op: 'set' | 'clear' | 'ref' | 'unref' | 'refused', id: number, delayMs: number, repeat: boolean): void;
  setExitCode(code: number): void;
  wantStdin(want: boolean): void;
  /** Calls a host binding; the answer comes back through the `settleCall` entry. */
  hostCall(callId: number, binding: string, args: unknown[]): void;
  /** How many `process.on(signal)` listeners the guest has for a signal. */
  signalListeners(signal: string, count: number): void;
}

/**
 * Calls that block the guest until the host's promise settles (isolated-vm
 * `applySyncPromise`; the guest's thread waits, the daemon's does not).
 */
export type BlockingOp =
  /** Wait until the host can take more output (backpressure for process/output). */
  | 'outputWindow'
  /** All of stdin, until EOF. */
  | 'stdinAll'
  /** Whatever stdin holds, waiting until there is something or EOF (empty = EOF). */
  | 'stdinSome';

export interface BlockingHook {
  applySyncPromise(receiver: undefined, args: [BlockingOp, number?]): unknown;
}

/** Blocking calls: the guest waits for the answer (~0.1 ms a call). */
export interface SyncHooks {
  /** A filesystem operation on the VM filesystem, through the process's fd table. */
  fs(op: string, args: unknown[]): HookResult;
  /** Node's `require` resolution from `fromDir`, answered with the module's source. */
  load(specifier: string, fromDir: string): HookResult;
  /** Ends the process now with `code`. */
  exit(code: number): void;
  /** Bytes from the host's random source (guest isolates have no entropy of their own). */
  random(length: number): Uint8Array;
}

import type { GuestErrorShape, HookResult } from '../../process/hook-result.js';

export type { GuestErrorShape, HookResult };

export interface ModuleRecord {
  path: string;
  format: 'commonjs' | 'json' | 'module' | 'builtin';
  source: string;
}

/** What the host tells the runtime when a process starts in a (possibly pooled) isolate. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
  env: Record<string, string>;
  cwd: string;
  nodeVersion: string;
  maxTimers: number;
  maxTimerDelayMs: number;
  /** Bytes of output after which the guest waits for room (OUTPUT_WINDOW_BYTES). */
  outputWindowBytes: number;
  /** Host bindings the VM declared, callable as `host.<name>(...)`. */
  bindings: string[];
}

/** How the main program is given. */
export type MainProgram =
  | { kind: 'eval'; code: string; print: boolean }
  | { kind: 'file'; path: string; source: string };

/** Entry points the runtime exposes to the host (called with isolated-vm `apply`). */
export interface RuntimeEntries {
  setup(info: ProcessInfo): void;
  runMain(program: MainProgram): void;
  fireTimer(id: number): void;
  pushStdin(chunk: Uint8Array | null): void;
  settleCall(callId: number, ok: boolean, value: unknown): void;
  /** Delivers a signal; true when a `process.on(signal)` listener took it. */
  signal(name: string): boolean;
  /** Names each builtin module exports, so ESM `import { x } from 'fs'` can be linked. */
  builtinExports(): Record<string, string[]>;
}

/** Where the runtime keeps what ESM glue code needs (a symbol, so guest names cannot clash). */
export const BUILTIN_SYMBOL = 'agentos.builtin';
export const REQUIRE_SYMBOL = 'agentos.require';
