import ivm from 'isolated-vm';
import type { HookResult, MainProgram, ProcessInfo } from './guest/contract.js';
import type { AskingResult } from '../process/hook-result.js';
import { IsolateFactory } from '../process/isolate-factory.js';
import { RuntimeSource } from '../process/runtime-source.js';
import { guestLibSource } from './guest-lib-source.js';
import { guestNetSource } from './guest-net-source.js';
import { guestZlibSource } from './guest-zlib-source.js';
import { guestTestSource } from './guest-test-source.js';
import type { TURN_SPENT } from '../process/guest-calls.js';
import type { JsRunSlot } from '../process/js-run-slot.js';

const runtime = new RuntimeSource('guest-runtime.js', 'agentos:runtime');

/** The host side of every hook, implemented by the process the isolate is bound to. */
export interface GuestHost {
  write(fd: unknown, data: unknown): void;
  timer(op: unknown, a: unknown, b: unknown): void;
  setExitCode(code: unknown): void;
  wantStdin(want: unknown): void;
  hostCall(callId: unknown, binding: unknown, args: unknown): void;
  signalListeners(signal: unknown, count: unknown): void;
  block(op: unknown, arg: unknown): Promise<unknown>;
  fs(op: unknown, args: unknown): AskingResult;
  load(specifier: unknown, fromDir: unknown): AskingResult;
  resolveModule(specifier: unknown, request: unknown): AskingResult;
  importModule(callId: unknown, specifier: unknown, fromFile: unknown, type: unknown): void;
  exit(code: unknown): void;
  random(length: unknown): HookResult;
  node(op: unknown, args: unknown): AskingResult;
  text(op: unknown, args: unknown): HookResult;
  /** Runs one hook's work, charged to the process (see GuestProcess.call). */
  call<T>(work: () => T, answered: boolean): T | typeof TURN_SPENT;
}

type Entry = ivm.Reference<(...args: unknown[]) => unknown>;
const ENTRY_NAMES = ['setup', 'runMain', 'fireTimers', 'pushStdin', 'settleCall', 'settleImport', 'signal', 'builtinExports', 'childEvent', 'netEvent', 'lifecycle'] as const;
type EntryName = (typeof ENTRY_NAMES)[number];
const UNBOUND: HookResult = { err: { message: 'the process has ended', code: 'EBADF' } };

/**
 * An isolate with a context in which the guest runtime has already run, holding
 * references to the runtime's entry points. Its hooks forward to whichever process is
 * bound, so it can be prepared before any process exists (see isolate-pool.ts).
 */
export class PreparedIsolate {
  host: GuestHost | null = null;
  /** The bound process's run slot; none while unbound (the runtime's own setup and warm-up). */
  runSlot: JsRunSlot | null = null;
  private active = 0;

  private constructor(
    readonly isolate: ivm.Isolate,
    readonly context: ivm.Context,
    private readonly entries: Record<EntryName, Entry>,
  ) {}

  /**
   * Nothing of it runs on the daemon's thread: the isolate is made by a helper isolate
   * (isolate-factory.ts), its context and runtime on isolated-vm's pool. (Made on the
   * daemon's thread before the guests' call floods were bounded, because a helper-made
   * isolate's guest got its fire-and-forget calls through faster; with the call window the
   * hostile-neighbour rows are the same either way, bench/README.md.)
   */
  static async create(heapLimitMb: number, onCatastrophicError: (message: string) => void): Promise<PreparedIsolate> {
    const isolate = await IsolateFactory.shared.create(heapLimitMb, onCatastrophicError);
    let prepared: PreparedIsolate | undefined;
    try {
      const context = await isolate.createContext();
      const hooks = bindHooks(() => prepared?.host ?? null);
      for (const [name, hook] of Object.entries(hooks)) context.global.setSync(`__agentos_hook_${name}`, hook);
      // Blocking calls are a Reference: the runtime waits on it with applySyncPromise.
      const block = new ivm.Reference(async (op: unknown, arg: unknown) => {
        // The library bundle is the same for every isolate, bound to a process or not (the
        // engine lists builtins' exports in an isolate of its own).
        if (op === 'nodeLib') return guestLibSource();
        if (op === 'netLib') return guestNetSource();
        if (op === 'zlibLib') return guestZlibSource();
        if (op === 'testLib') return guestTestSource();
        const result = await prepared?.host?.block(op, arg);
        // applySyncPromise takes no transfer options: bytes travel as an ExternalCopy.
        return result instanceof Uint8Array ? new ivm.ExternalCopy(result).copyInto({ release: true }) : (result ?? null);
      });
      context.global.setSync('__agentos_hook_block', block);
      // The runtime compiles CommonJS in its own isolate with them (guest/hooks.ts compileScript).
      context.global.setSync('__agentos_hook_isolate', isolate);
      context.global.setSync('__agentos_hook_context', context);
      await (await runtime.compile(isolate)).run(context, { release: true });
      const exported = context.global.getSync('__agentos_entries', { reference: true }) as ivm.Reference<Record<string, unknown>>;
      const get = (name: string) => exported.getSync(name, { reference: true }) as Entry;
      prepared = new PreparedIsolate(isolate, context, Object.fromEntries(ENTRY_NAMES.map((name) => [name, get(name)])) as Record<EntryName, Entry>);
      exported.release();
      context.global.deleteSync('__agentos_entries');
      return prepared;
    } catch (err) {
      IsolateFactory.shared.dispose(isolate);
      throw err;
    }
  }

  /** Runtime setup for a new process: quick and trusted, so it runs synchronously. */
  setup(info: ProcessInfo): void {
    this.entries.setup.applySync(undefined, [info], { arguments: { copy: true } });
  }

  /** Async: listing them loads the library bundle, a blocking call the default thread may not make. */
  async builtinExports(): Promise<Record<string, string[]>> {
    return (await this.entries.builtinExports.apply(undefined, [], { result: { copy: true } })) as Record<string, string[]>;
  }

  // Guest code runs asynchronously on isolated-vm's thread pool, never on the daemon's thread.
  runMain(program: MainProgram): Promise<unknown> {
    return this.running(() => this.entries.runMain.apply(undefined, [program], { arguments: { copy: true } }));
  }

  fireTimers(immediates: boolean): Promise<unknown> {
    return this.running(() => this.entries.fireTimers.apply(undefined, [immediates]));
  }

  pushStdin(chunk: Uint8Array | null): Promise<unknown> {
    return this.running(() => this.entries.pushStdin.apply(undefined, [chunk], { arguments: { copy: true } }));
  }

  settleCall(callId: number, ok: boolean, value: unknown): Promise<unknown> {
    return this.running(() => this.entries.settleCall.apply(undefined, [callId, ok, value], { arguments: { copy: true } }));
  }

  /** A namespace travels as the Reference it is (the guest dereferences it); an error's shape is copied. */
  settleImport(callId: number, ok: boolean, value: unknown): Promise<unknown> {
    return this.running(() => this.entries.settleImport.apply(undefined, [callId, ok, value as ivm.Transferable], ok ? {} : { arguments: { copy: true } }));
  }

  signal(name: string): Promise<boolean> {
    return this.running(() => this.entries.signal.apply(undefined, [name]) as Promise<boolean>);
  }

  childEvent(pid: number, kind: string, data: unknown): Promise<unknown> {
    return this.running(() => this.entries.childEvent.apply(undefined, [pid, kind, data], { arguments: { copy: true } }));
  }

  netEvent(id: number, kind: string, data: unknown): Promise<unknown> {
    return this.running(() => this.entries.netEvent.apply(undefined, [id, kind, data], { arguments: { copy: true } }));
  }

  /** The end of the event loop (`beforeExit`, `exit`) or an unhandled rejection's reason, for the guest's process object. */
  lifecycle(event: 'beforeExit' | 'exit' | 'rejection' | 'preMain' | 'outputError', value: unknown): Promise<unknown> {
    return this.running(() => this.entries.lifecycle.apply(undefined, [event, value], { arguments: { copy: true } }));
  }

  /**
   * Every entry into guest code goes through here: given to the isolate once the bound
   * process holds its VM's run slot (js-run-slot.ts), and counted while queued or
   * running, for dispose().
   */
  running<T>(start: () => Promise<T>): Promise<T> {
    this.active++;
    const call = this.runSlot ? this.runSlot.run(start) : start();
    const done = () => void this.active--;
    call.then(done, done);
    return call;
  }

  /**
   * Runs a small program through the runtime's common paths, then keeps V8's code cache
   * of everything that compiled. Only for a throwaway isolate: it is not pristine after.
   */
  async warmRuntimeCache(): Promise<void> {
    const host = this.host;
    this.setup({ pid: 1, ppid: 0, argv: ['/usr/bin/node'], execArgv: [], env: {}, cwd: '/', nodeVersion: process.version, maxTimers: 16, maxTimerDelayMs: 1000, outputWindowBytes: 0, bindings: [], maxHostCalls: 1, hostCallPayloadBytes: 1, callWindow: { calls: 0, bytes: 0 }, randomChunkBytes: 16, textChunkBytes: 16, user: { uid: 0, gid: 0, name: 'warm', home: '/' }, system: { cpus: [], totalmem: 0, release: '', version: '', machine: '', versions: {}, nodeRelease: {} } });
    await this.runMain({ kind: 'eval', code: 'console.log("warm", { a: [1, "x"] }, 2); process.exitCode = 0; require("fs")', print: false });
    this.host = host;
    await runtime.rememberCompiled(this.isolate);
  }

  /**
   * Unbinds it now. An isolate whose guest is still running (a kill, a budget) is disposed
   * here and now, so the guest stops at once (a guest flooding the daemon with calls must not
   * go on until a helper thread gets to it); an idle one off the daemon's thread
   * (isolate-factory.ts).
   */
  dispose(): void {
    this.host = null;
    this.runSlot = null;
    if (this.active > 0 && !this.isolate.isDisposed) this.isolate.dispose();
    else IsolateFactory.shared.dispose(this.isolate);
  }
}

/**
 * The hooks the runtime finds on its global object; each forwards to the bound process,
 * through its `call` (timed, charged, refused while the daemon's turn is spent).
 */
function bindHooks(host: () => GuestHost | null): Record<string, ivm.Callback> {
  const ignored = <A extends unknown[]>(work: (h: GuestHost, ...args: A) => void) =>
    new ivm.Callback((...args: A) => {
      const h = host();
      h?.call(() => work(h, ...args), false);
    }, { ignored: true });
  const answered = <A extends unknown[]>(work: (h: GuestHost, ...args: A) => unknown, unbound: unknown) =>
    new ivm.Callback((...args: A) => {
      const h = host();
      return h ? h.call(() => work(h, ...args), true) : unbound;
    });
  return {
    write: ignored((h, fd: unknown, data: unknown) => h.write(fd, data)),
    timer: ignored((h, op: unknown, a: unknown, b: unknown) => h.timer(op, a, b)),
    setExitCode: ignored((h, code: unknown) => h.setExitCode(code)),
    wantStdin: ignored((h, want: unknown) => h.wantStdin(want)),
    hostCall: ignored((h, id: unknown, name: unknown, args: unknown) => h.hostCall(id, name, args)),
    signalListeners: ignored((h, signal: unknown, count: unknown) => h.signalListeners(signal, count)),
    importModule: ignored((h, id: unknown, spec: unknown, from: unknown, type: unknown) => h.importModule(id, spec, from, type)),
    fs: answered((h, op: unknown, args: unknown) => h.fs(op, args), UNBOUND),
    load: answered((h, spec: unknown, from: unknown) => h.load(spec, from), UNBOUND),
    resolve: answered((h, spec: unknown, request: unknown) => h.resolveModule(spec, request), UNBOUND),
    random: answered((h, n: unknown) => h.random(n), UNBOUND),
    node: answered((h, op: unknown, args: unknown) => h.node(op, args), UNBOUND),
    text: answered((h, op: unknown, args: unknown) => h.text(op, args), UNBOUND),
    // Ends the process: never refused, so a guest cannot outrun its own exit.
    exit: new ivm.Callback((code: unknown) => {
      const h = host();
      h?.call(() => h.exit(code), false);
    }),
  };
}
