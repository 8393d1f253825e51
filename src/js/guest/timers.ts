import { hooks } from './hooks.js';

/**
 * Timers live on the host (it owns the event loop); the guest keeps the callbacks. The
 * host fires a timer by calling `fireTimer(id)`, re-arming intervals itself.
 */
interface TimerEntry {
  callback: (...args: unknown[]) => void;
  args: unknown[];
  repeat: boolean;
  delay: number;
  handle: Timeout;
}

const timers = new Map<number, TimerEntry>();
let nextId = 1;
let maxTimers = 0; // set by setup from the inventory
let maxDelay = 0;

export function configureTimers(limit: number, delayCap: number): void {
  maxTimers = limit;
  maxDelay = delayCap;
}

export class Timeout {
  private refed = true;
  constructor(readonly id: number) {}
  ref(): this {
    if (!this.refed && timers.has(this.id)) hooks.timer('ref', this.id, 0, false);
    this.refed = true;
    return this;
  }
  unref(): this {
    if (this.refed && timers.has(this.id)) hooks.timer('unref', this.id, 0, false);
    this.refed = false;
    return this;
  }
  hasRef(): boolean {
    return this.refed;
  }
  refresh(): this {
    const entry = timers.get(this.id);
    if (entry) {
      hooks.timer('clear', this.id, 0, false);
      hooks.timer('set', this.id, entry.delay, entry.repeat);
      if (!this.refed) hooks.timer('unref', this.id, 0, false);
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
}

function schedule(callback: unknown, delay: unknown, args: unknown[], repeat: boolean, immediate = false): Timeout {
  if (typeof callback !== 'function') {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`) as TypeError & { code: string };
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  if (timers.size >= maxTimers) {
    hooks.timer('refused', timers.size + 1, maxTimers, false);
    const err = new RangeError(`too many live timers: this process may hold ${maxTimers} (AGENTOS_MAX_TIMERS_PER_PROCESS)`) as RangeError & { code: string };
    err.code = 'ERR_AGENTOS_TIMER_LIMIT';
    throw err;
  }
  let ms = Number(delay);
  if (!(ms >= 1)) ms = immediate ? -1 : 1;
  if (ms > maxDelay) ms = maxDelay;
  const id = nextId++;
  const handle = new Timeout(id);
  timers.set(id, { callback: callback as (...a: unknown[]) => void, args, repeat, delay: ms, handle });
  hooks.timer('set', id, ms, repeat);
  return handle;
}

function clear(timer: unknown): void {
  const id = timer instanceof Timeout ? timer.id : Number(timer);
  if (timers.delete(id)) hooks.timer('clear', id, 0, false);
}

export function fireTimer(id: number): void {
  const entry = timers.get(id);
  if (!entry) return; // cleared while the host's fire was on its way
  if (!entry.repeat) timers.delete(id);
  entry.callback.apply(undefined, entry.args);
}

export const timerGlobals = {
  setTimeout: (cb: unknown, delay?: unknown, ...args: unknown[]) => schedule(cb, delay, args, false),
  setInterval: (cb: unknown, delay?: unknown, ...args: unknown[]) => schedule(cb, delay, args, true),
  setImmediate: (cb: unknown, ...args: unknown[]) => schedule(cb, -1, args, false, true),
  clearTimeout: clear,
  clearInterval: clear,
  clearImmediate: clear,
};
