import { realNow } from './clock.js';
import { ExitSignal, hooks } from './hooks.js';
import { capture } from './async-context.js';

/**
 * Timers live in the guest, as Node keeps them in its own lists over one libuv timer: the
 * host holds one timer per process, armed for the earliest deadline, and calls `fireDue`
 * when it fires. Setting and clearing timers costs no call into the daemon; the guest
 * tells the host its next deadline once, after the code that changed it has run (from a
 * microtask), and only when it changed. So `clearTimeout(setTimeout(f))` in a loop
 * crosses nothing, and 4,000 intervals are one host timer and one entry per tick.
 */
interface TimerEntry {
  callback: (...args: unknown[]) => void;
  args: unknown[];
  repeat: boolean;
  /** ms; -1 for an immediate. */
  delay: number;
  due: number;
  handle: Timeout;
}

const timers = new Map<number, TimerEntry>();
let nextId = 1;
let maxTimers = 0; // set by setup from the inventory
let maxDelay = 0;
let refusedReported = false;

export function configureTimers(limit: number, delayCap: number): void {
  maxTimers = limit;
  maxDelay = delayCap;
}

// ---- what the host knows: the next wake-up and whether a referenced timer holds the process ----

const NONE = -2;
const IMMEDIATE = -1;
/** What the host was last told: IMMEDIATE, NONE, or the absolute deadline. */
let toldWake = NONE;
let toldRefed = false;
let flushQueued = false;
// Taken before guest code runs, which may replace Promise.prototype.then.
const settled = Promise.resolve();
const then = Promise.prototype.then;

function changed(): void {
  if (flushQueued) return;
  flushQueued = true;
  Reflect.apply(then, settled, [flush]);
}

/** Tells the host the next deadline (ms from now, IMMEDIATE or NONE) if it is not what the host has. */
export function flush(): void {
  flushQueued = false;
  let due = Infinity;
  let immediate = false;
  let refed = false;
  for (const entry of timers.values()) {
    if (entry.delay < 0) immediate = true;
    else if (entry.due < due) due = entry.due;
    if (entry.handle.hasRef()) refed = true;
  }
  const wake = immediate ? IMMEDIATE : due === Infinity ? NONE : due;
  if (wake === toldWake && refed === toldRefed) return;
  toldWake = wake;
  toldRefed = refed;
  hooks.timer('arm', wake < 0 ? wake : Math.max(0, wake - realNow()), refed ? 1 : 0, false);
}

// Node's SymbolDispose (internal/util): V8 11 has no Symbol.dispose yet.
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

export class Timeout {
  private refed = true;
  constructor(readonly id: number) {}
  ref(): this {
    this.refed = true;
    changed();
    return this;
  }
  unref(): this {
    this.refed = false;
    changed();
    return this;
  }
  hasRef(): boolean {
    return this.refed;
  }
  refresh(): this {
    const entry = timers.get(this.id);
    if (entry && entry.delay >= 0) {
      entry.due = realNow() + entry.delay;
      changed();
    }
    return this;
  }
  close(): this {
    clear(this);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
  /** As Node 20's Timeout and Immediate (`using`, and node:test's timeouts): clears it. */
  [DISPOSE](): void {
    clear(this);
  }
}

function schedule(callback: unknown, delay: unknown, args: unknown[], repeat: boolean, immediate = false): Timeout {
  if (typeof callback !== 'function') {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`) as TypeError & { code: string };
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  if (timers.size >= maxTimers) {
    if (!refusedReported) {
      refusedReported = true;
      hooks.timer('refused', timers.size + 1, maxTimers, false);
    }
    const err = new RangeError(`too many live timers: this process may hold ${maxTimers} (AGENTOS_MAX_TIMERS_PER_PROCESS)`) as RangeError & { code: string };
    err.code = 'ERR_AGENTOS_TIMER_LIMIT';
    throw err;
  }
  let ms = Number(delay);
  if (immediate) ms = IMMEDIATE;
  else if (!(ms >= 1)) ms = 1;
  if (ms > maxDelay) ms = maxDelay;
  const id = nextId++;
  const handle = new Timeout(id);
  timers.set(id, { callback: capture(callback as (...a: unknown[]) => void, immediate ? 'Immediate' : 'Timeout', !repeat, handle), args, repeat, delay: ms, due: realNow() + Math.max(0, ms), handle });
  changed();
  return handle;
}

function clear(timer: unknown): void {
  const id = timer instanceof Timeout ? timer.id : Number(timer);
  if (timers.delete(id)) changed();
}

/**
 * The host's timer fired: runs the immediates that were waiting (Node's check phase) or
 * else every timer now due (its timers phase, earliest first), each in `run` (the
 * runtime's uncaught-exception guard), with a microtask turn between callbacks as Node
 * gives. Stops at process.exit.
 */
export async function fireDue(immediates: boolean, run: (fn: () => void) => void): Promise<void> {
  const now = realNow();
  const due: Array<[number, TimerEntry]> = [];
  for (const item of timers) {
    if (immediates ? item[1].delay < 0 : item[1].delay >= 0 && item[1].due <= now) due.push(item);
  }
  if (!immediates) due.sort((a, b) => a[1].due - b[1].due || a[0] - b[0]);
  toldWake = NONE; // the host's timer is spent: it needs telling again
  for (const [id, entry] of due) {
    if (ExitSignal.raised) return;
    if (timers.get(id) !== entry) continue; // cleared by an earlier callback
    if (entry.repeat) entry.due = realNow() + entry.delay;
    else timers.delete(id);
    // As Node, `this` in the callback is its Timeout or Immediate.
    run(() => entry.callback.apply(entry.handle, entry.args));
    await null;
  }
  flush();
}

export const timerGlobals = {
  setTimeout: (cb: unknown, delay?: unknown, ...args: unknown[]) => schedule(cb, delay, args, false),
  setInterval: (cb: unknown, delay?: unknown, ...args: unknown[]) => schedule(cb, delay, args, true),
  setImmediate: (cb: unknown, ...args: unknown[]) => schedule(cb, -1, args, false, true),
  clearTimeout: clear,
  clearInterval: clear,
  clearImmediate: clear,
};
