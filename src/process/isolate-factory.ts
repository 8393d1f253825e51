import ivm from 'isolated-vm';

/** Runs in each helper isolate: only our code, never a guest's. */
const HELPER_SOURCE = `
  globalThis.make = (memoryLimit, report) =>
    new ivm.Isolate({ memoryLimit, onCatastrophicError: (message) => report(String(message)) });
  globalThis.dispose = (isolate) => { if (isolate && !isolate.isDisposed) isolate.dispose(); };
`;

type Make = ivm.Reference<(memoryLimit: number, report: ivm.Callback) => ivm.Isolate>;
type Dispose = ivm.Reference<(isolate: ivm.Isolate | null) => void>;

/**
 * Creates every guest isolate (runners and guest JS) and disposes idle ones from
 * isolated-vm's threads instead of the daemon's (a running one is disposed on the daemon's
 * thread, so its guest stops at once: prepared-isolate.ts, runner-isolate.ts).
 * `new Isolate` and `dispose()` take V8's process-wide wasm engine lock; a runner thread
 * that holds it while busy guests starve it (they all run at nice 19) made the daemon's
 * thread wait 0.5-1.5 s, so every VM waited. isolated-vm's module is transferable and an
 * isolate handle too: a helper isolate holding `ivm` makes the isolate on its own thread
 * and hands the handle back, and the waiting moves to that thread. Creation and disposal
 * use separate helpers so a disposal stuck behind the lock does not hold up the pool's
 * refill. (bench/README.md, "priority inversion", has the figures.)
 */
export class IsolateFactory {
  private static instance: IsolateFactory | undefined;
  private stopped = false;

  private constructor(
    private readonly make: Make,
    private readonly disposer: Dispose,
  ) {}

  static get shared(): IsolateFactory {
    return (IsolateFactory.instance ??= new IsolateFactory(helper('make') as Make, helper('dispose') as Dispose));
  }

  /** A fresh isolate, made on isolated-vm's pool; the daemon's thread only awaits it. */
  async create(memoryLimit: number, onCatastrophicError: (message: string) => void): Promise<ivm.Isolate> {
    const report = new ivm.Callback((message: unknown) => onCatastrophicError(String(message)), { ignored: true });
    return (await this.make.apply(undefined, [memoryLimit, report])) as ivm.Isolate;
  }

  /**
   * Queues the disposal on the helper's thread. The isolate stops running guest code when
   * it is disposed there; until then it is unbound (its hooks reach no process).
   */
  dispose(isolate: ivm.Isolate): void {
    if (isolate.isDisposed) return;
    if (this.stopped) isolate.dispose();
    else this.disposer.applyIgnored(undefined, [isolate]);
  }

  /**
   * The daemon is ending: from now on disposal is synchronous, so nothing is left queued on
   * a helper when the process exits (isolated-vm crashed the exit when something was).
   */
  static stop(): void {
    const factory = IsolateFactory.instance;
    if (factory) factory.stopped = true;
  }

  /** Resolves once every disposal queued so far has run (the helper runs them in order). */
  static async drained(): Promise<void> {
    await IsolateFactory.instance?.disposer.apply(undefined, [null]);
  }
}

/** One helper isolate with `ivm` in its global; returns a reference to its function `name`. */
function helper(name: 'make' | 'dispose'): ivm.Reference<unknown> {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  context.evalSync(HELPER_SOURCE);
  return context.global.getSync(name, { reference: true }) as ivm.Reference<unknown>;
}
