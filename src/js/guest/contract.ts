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
  /**
   * `arm`: the next deadline in ms from now (-1: an immediate is waiting, -2: no timer) and
   * whether a referenced timer holds the process (1/0), sent only when either changed.
   * `refused`: the runtime refused a timer at its limit (the count wanted, the limit).
   */
  timer(op: 'arm' | 'refused', a: number, b: number, unused: boolean): void;
  setExitCode(code: number): void;
  wantStdin(want: boolean): void;
  /** Calls a host binding with its arguments as JSON text; the answer comes back through the `settleCall` entry. */
  /** `argsJson`: the arguments as JSON, or only its length when past hostCallPayloadBytes. */
  hostCall(callId: number, binding: string, argsJson: string | number): void;
  /** How many `process.on(signal)` listeners the guest has for a signal. */
  signalListeners(signal: string, count: number): void;
  /** `import(specifier)` from the module file `fromFile`, with its `type` attribute; the answer comes back through the `settleImport` entry. */
  importModule(callId: number, specifier: string, fromFile: string, type: string | undefined): void;
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
  | 'stdinSome'
  /** The next turn of the daemon's event loop, once it has run every call made before (guest-calls.ts). */
  | 'turn'
  /** Runs a job staged with `node('job', …)` (a synchronous child, a KDF) until it is done; its result is then `node('jobResult', [id])`. */
  | 'job'
  /** This process's CPU time and heap (process.cpuUsage, memoryUsage, resourceUsage). */
  | 'usage'
  /** The source of dist/guest-lib.js: Node's library modules, evaluated on first require (guest/node-lib-loader.ts). */
  | 'nodeLib'
  /** Waits for the host's answer to a permission/request a call was answered `{ask: id}` for (process-permits.ts). */
  | 'permission'
  /** The source of dist/guest-net.js: http, https, tls and fetch, evaluated on first use (guest/net-lib-loader.ts). */
  | 'netLib'
  /** The source of dist/guest-zlib.js: Node's zlib over the daemon's handles, evaluated on first require (guest/zlib-lib-loader.ts). */
  | 'zlibLib'
  /** The source of dist/guest-test.js: Node's node:test runner, evaluated on first require (guest/test-lib-loader.ts). */
  | 'testLib';

export interface BlockingHook {
  applySyncPromise(receiver: undefined, args: [BlockingOp, number?]): unknown;
}

/** Blocking calls: the guest waits for the answer (~0.1 ms a call). */
export interface SyncHooks {
  /** A filesystem operation on the VM filesystem, through the process's fd table. */
  fs(op: string, args: unknown[]): HookResult;
  /** Node's `require` resolution from `fromDir`, answered with the module's source. */
  load(specifier: string, fromDir: string): HookResult;
  /** Where a specifier leads (`require.resolve`, `import.meta.resolve`): its path or builtin name, without reading it. */
  resolve(specifier: string, request: { fromDir: string; fromFile?: string; mode: 'require' | 'import' }): HookResult;
  /** Ends the process now with `code`. */
  exit(code: number): void;
  /** Bytes from the host's random source (guest isolates have no entropy of their own), at most `randomChunkBytes` a call. */
  random(length: number): HookResult;
  /** Node's builtins that the daemon does for the guest (crypto, zlib, child_process): src/js/node-host/node-calls.ts. */
  node(op: string, args: unknown[]): HookResult;
  /** The daemon's TextDecoder (src/js/text-decoders.ts): `probe` a label, `decode` bytes, `free` a streaming decoder. */
  text(op: string, args: unknown[]): HookResult;
}

import type { GuestErrorShape, HookResult } from '../../process/hook-result.js';
import type { CallWindow } from '../../process/guest-calls.js';
import type { UserInfo } from '../../wasm/runner/contract.js';

export type { GuestErrorShape, HookResult };

export interface ModuleRecord {
  path: string;
  format: 'commonjs' | 'json' | 'module' | 'builtin';
  source: string;
  /** V8's code cache for `wrapCommonJs(source)` (an isolated-vm ExternalCopy the host produced), when it has one. */
  cache?: unknown;
}

/** Node's ERR_REQUIRE_CYCLE_MODULE message, given by the guest's require and the daemon's module map alike. */
export function requireCycleMessage(path: string, from: string): string {
  return `Cannot require() ES Module ${path} in a cycle. (from ${from}) A cycle involving require(esm) is not allowed to maintain invariants mandated by the ECMAScript specification. Try making at least part of the dependency in the graph lazily loaded.`;
}

/** What wrapCommonJs puts before a file's first line. */
export const COMMONJS_PREFIX = '(function (exports, require, module, __filename, __dirname) {';

/**
 * A CommonJS file as it is compiled: Node's wrapper function around its source (a `#!` line
 * made a comment). It is compiled with a column offset of minus the prefix's length, so a
 * position on the first line is the file's own (as Node's compileFunction gives it).
 */
export function wrapCommonJs(source: string): string {
  return `${COMMONJS_PREFIX}${source.startsWith('#!') ? `//${source}` : source}\n})`;
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
  /** Host calls this process may have unanswered at once (MAX_HOST_CALLS_IN_FLIGHT). */
  maxHostCalls: number;
  /** JSON size of one host call's arguments (HOST_CALL_PAYLOAD_BYTES): past it only their length is sent. */
  hostCallPayloadBytes: number;
  /** Fire-and-forget calls and their bytes between two waits for the daemon (GUEST_CALL_WINDOW, OUTPUT_WINDOW_BYTES). */
  callWindow: CallWindow;
  /** Most random bytes one call returns (RANDOM_CALL_MAX_BYTES). */
  randomChunkBytes: number;
  /** Most bytes one `text` call decodes (TEXT_DECODE_CALL_MAX_BYTES). */
  textChunkBytes: number;
  /** The identity every process of the VM has (the WASM side's host_user). */
  user: UserInfo;
  /** What `os` reports: the host's processors and kernel release, memory as this process's heap limit. */
  system: SystemInfo;
  /** Set when its stdio are a pseudo-terminal (guest/terminal.ts). */
  tty?: { cols: number; rows: number; name: string; term: string };
  /** Forked with an IPC channel to its parent: `process.send` and the rest (node/ipc-child.ts). */
  ipc?: boolean;
}

export interface SystemInfo {
  cpus: Array<{ model: string; speed: number }>;
  /** Bytes: the process's V8 heap limit, the memory it can use. */
  totalmem: number;
  release: string;
  version: string;
  machine: string;
  /** process.versions: the host's (the isolate runs its V8), OpenSSL's included since crypto is the daemon's node:crypto; without what the guest does not have (HTTP parsers). */
  versions: Record<string, string>;
  /** process.release: the host's (name, lts, source and headers URLs). */
  nodeRelease: Record<string, string>;
}

/** How the main program is given. */
export type MainProgram =
  | { kind: 'eval'; code: string; print: boolean }
  | { kind: 'file'; path: string; source: string };

/** Entry points the runtime exposes to the host (called with isolated-vm `apply`). */
export interface RuntimeEntries {
  setup(info: ProcessInfo): void;
  runMain(program: MainProgram): void;
  /** The process's host timer fired: run what is due (see timers.ts). */
  fireTimers(immediates: boolean): void;
  pushStdin(chunk: Uint8Array | null): void;
  settleCall(callId: number, ok: boolean, value: unknown): void;
  /** An `import()` settled: the module namespace (an isolated-vm Reference into this isolate), or the error's shape. */
  settleImport(callId: number, ok: boolean, value: unknown): void;
  /** Delivers a signal; true when a `process.on(signal)` listener took it. */
  signal(name: string): boolean;
  /** Something happened to a child process or job this process started (src/js/node-host/js-children.ts). */
  childEvent(pid: number, kind: string, data: unknown): void;
  /** Something happened to one of its sockets, servers or lookups (src/js/node-host/net-calls.ts). */
  netEvent(id: number, kind: string, data: unknown): void;
  /** The event loop is empty (`beforeExit`, then `exit`), or a promise was rejected with no handler (`rejection`, its reason). */
  lifecycle(event: 'beforeExit' | 'exit' | 'rejection' | 'preMain' | 'outputError', value: unknown): void;
  /** Names each builtin module exports, so ESM `import { x } from 'fs'` can be linked. */
  builtinExports(): Record<string, string[]>;
}

/** Where the runtime keeps what ESM glue code needs (a symbol, so guest names cannot clash). */
export const BUILTIN_SYMBOL = 'agentos.builtin';
export const REQUIRE_SYMBOL = 'agentos.require';
