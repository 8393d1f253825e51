/**
 * The guest half of how a guest's calls into the daemon are bounded; it runs inside guest
 * and runner isolates (V8 without Node), and src/process/daemon-turn.ts is the other half.
 *
 * isolated-vm runs every call a guest makes into the daemon as a task on the daemon's
 * thread, and drains that queue in one go while anything is in it. Fire-and-forget calls
 * never wait, so a guest calling in a loop could queue without end (the daemon grew by
 * 160 MB/s) and keep the daemon's event loop from ever reaching its timers and I/O. So:
 * - after a window of fire-and-forget calls (a count, and bytes), the guest waits for
 *   `turn`, which the daemon answers once it has run them all and its event loop has had
 *   a turn;
 * - a call that returns a value gets TURN_SPENT when the guests' share of this turn of
 *   the daemon's event loop is spent: the guest waits for the next turn and calls again.
 * Nothing here is reachable from guest code: the runtimes hold these wrappers in closures.
 */

/** What a value-returning hook answers, without doing anything, when this turn's budget is spent. */
export const TURN_SPENT = 'agentos:turn-spent';

export interface CallWindow {
  /** Fire-and-forget calls between two waits (0: no bound, before a process is set up). */
  calls: number;
  /** Bytes those calls carry between two waits (0: no bound). */
  bytes: number;
}

export class CallMeter {
  private calls = 0;
  private bytes = 0;
  private window: CallWindow = { calls: 0, bytes: 0 };

  constructor(private readonly waitForTurn: () => void) {}

  configure(window: CallWindow): void {
    this.window = { calls: window.calls, bytes: window.bytes };
    this.calls = 0;
    this.bytes = 0;
  }

  /** Counts a fire-and-forget call that carried `bytes`; past the window, waits until the daemon has run them. */
  sent(bytes: number): void {
    this.calls++;
    this.bytes += bytes;
    const { calls, bytes: byteWindow } = this.window;
    if ((calls > 0 && this.calls >= calls) || (byteWindow > 0 && this.bytes >= byteWindow)) this.wait();
  }

  /** Runs a call that returns a value, again after each turn for as long as the daemon answers TURN_SPENT. */
  answered<R>(call: () => R): R {
    for (;;) {
      const result = call();
      if ((result as unknown) !== TURN_SPENT) return result;
      this.wait();
    }
  }

  private wait(): void {
    this.calls = 0;
    this.bytes = 0;
    this.waitForTurn();
  }
}

// Taken before guest code runs, which may replace ArrayBuffer.isView or the byteLength getter.
const isView = ArrayBuffer.isView;
const byteLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')!.get!;
const dataViewLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength')!.get!;
const apply = Reflect.apply;

/** Bytes a call's argument carries across (strings and byte arrays; the rest is small). */
export function bytesOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (isView(value)) return apply(value instanceof DataView ? dataViewLength : byteLength, value, []) as number;
  return 0;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A call whose answer may be `{ask: id}` (the VM's policy says to ask the host first,
 * src/permissions/process-permits.ts): the guest's thread waits for the host's answer with
 * `waitForAnswer(id)`, then makes the same call again, which finds the answer waiting.
 * The guest is never denied without the host having had its say, and never gets `{ask}`.
 */
export function askingCall<R>(call: () => R, waitForAnswer: (id: number) => void): R {
  for (;;) {
    const result = call();
    // An own property only: guest code may have put an `ask` getter on Object.prototype.
    if (result === null || typeof result !== 'object' || !apply(hasOwn, result, ['ask'])) return result;
    const id = (result as unknown as { ask: unknown }).ask;
    if (typeof id !== 'number') return result;
    waitForAnswer(id);
  }
}
