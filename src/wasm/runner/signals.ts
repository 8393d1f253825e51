import type { ProcessInfo } from './contract.js';

/** Linux signal numbers the runner acts on itself. */
export const SIG = { KILL: 9, PIPE: 13, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, WINCH: 28 } as const;

/** Default action "ignore" (SIGCHLD, SIGURG, SIGWINCH) or "continue"/"stop", which we never do. */
const DEFAULT_IGNORED = new Set<number>([SIG.CHLD, SIG.CONT, SIG.URG, SIG.WINCH, SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);

// Words of the shared signal block (see ProcessInfo.signals).
const PENDING = 0;
const BLOCKED = 2;
const CAUGHT = 4;
const IGNORED = 6;

/** Thrown to unwind out of the module when a signal's default action ends the process. */
export class SignalExit {
  constructor(readonly signal: number) {}
}

export type SignalSet = [number, number];

export function bitOf(sig: number): SignalSet {
  return sig <= 32 ? [(1 << (sig - 1)) >>> 0, 0] : [0, (1 << (sig - 33)) >>> 0];
}

function has(set: SignalSet, sig: number): boolean {
  const [lo, hi] = bitOf(sig);
  return ((set[0] & lo) | (set[1] & hi)) !== 0;
}

/** KILL and STOP can never be blocked, caught or ignored. */
function unmaskable(set: SignalSet): SignalSet {
  const kill = bitOf(SIG.KILL)[0] | bitOf(SIG.STOP)[0];
  return [(set[0] & ~kill) >>> 0, set[1] >>> 0];
}

/**
 * One process's signal state, kept where the guest runs: the blocked mask and the
 * dispositions live in words shared with the daemon, which reads them to decide what a
 * kill does (end the process now, drop it, or mark it pending), and sets pending bits the
 * runner drains at syscall boundaries. Handlers run through the guest's
 * `__wasi_signal_trampoline` export: delivery is cooperative, as the ABI says.
 */
export class Signals {
  private readonly words: Int32Array;
  /** sa_mask and flags of each caught signal. */
  private readonly actions = new Map<number, { mask: SignalSet; flags: number }>();
  trampoline: ((sig: number) => void) | undefined;

  constructor(info: ProcessInfo) {
    this.words = new Int32Array(info.signals);
    this.store(BLOCKED, unmaskable(info.blocked));
    this.store(IGNORED, info.ignored);
    this.store(CAUGHT, [0, 0]);
  }

  get blocked(): SignalSet {
    return this.load(BLOCKED);
  }

  get ignored(): SignalSet {
    return this.load(IGNORED);
  }

  /** how: 0 block, 1 unblock, 2 set, 3 query. Returns the old mask. */
  mask(how: number, set: SignalSet): SignalSet | null {
    const old = this.blocked;
    if (how > 3) return null;
    if (how === 0) this.store(BLOCKED, unmaskable([old[0] | set[0], old[1] | set[1]]));
    else if (how === 1) this.store(BLOCKED, [(old[0] & ~set[0]) >>> 0, (old[1] & ~set[1]) >>> 0]);
    else if (how === 2) this.store(BLOCKED, unmaskable(set));
    return old;
  }

  /** action: 0 default, 1 ignore, 2 the guest's handler. */
  setAction(sig: number, action: number, mask: SignalSet, flags: number): void {
    const [lo, hi] = bitOf(sig);
    const clear = (word: number) => this.store(word, [(this.load(word)[0] & ~lo) >>> 0, (this.load(word)[1] & ~hi) >>> 0]);
    const add = (word: number) => this.store(word, [(this.load(word)[0] | lo) >>> 0, (this.load(word)[1] | hi) >>> 0]);
    clear(CAUGHT);
    clear(IGNORED);
    this.actions.delete(sig);
    if (action === 1) add(IGNORED);
    if (action === 2) {
      add(CAUGHT);
      this.actions.set(sig, { mask, flags });
    }
  }

  /** A signal this process raised on itself (proc_kill of its own pid, SIGPIPE). */
  raise(sig: number): void {
    const [lo, hi] = bitOf(sig);
    Atomics.or(this.words, PENDING, lo | 0);
    Atomics.or(this.words, PENDING + 1, hi | 0);
    this.deliver();
  }

  /**
   * Acts on every pending, unblocked signal. Returns true when a handler ran (the caller's
   * blocking call then ends with EINTR); throws SignalExit when one ends the process.
   */
  deliver(): boolean {
    let handled = false;
    for (;;) {
      const pending = this.load(PENDING);
      const blocked = this.blocked;
      const ready: SignalSet = [(pending[0] & ~blocked[0]) >>> 0, (pending[1] & ~blocked[1]) >>> 0];
      if (ready[0] === 0 && ready[1] === 0) return handled;
      const sig = ready[0] !== 0 ? 31 - Math.clz32(ready[0] & -ready[0]) + 1 : 31 - Math.clz32(ready[1] & -ready[1]) + 33;
      const [lo, hi] = bitOf(sig);
      Atomics.and(this.words, PENDING, ~lo);
      Atomics.and(this.words, PENDING + 1, ~hi);
      if (has(this.ignored, sig)) continue;
      const action = this.actions.get(sig);
      if (action && this.trampoline) {
        this.runHandler(sig, action);
        handled = true;
        continue;
      }
      if (DEFAULT_IGNORED.has(sig)) continue;
      throw new SignalExit(sig);
    }
  }

  private runHandler(sig: number, action: { mask: SignalSet; flags: number }): void {
    const SA_NODEFER = 0x40000000;
    const SA_RESETHAND = 0x80000000;
    const saved = this.blocked;
    const self = (action.flags & SA_NODEFER) !== 0 ? [0, 0] : bitOf(sig);
    this.store(BLOCKED, unmaskable([saved[0] | action.mask[0] | self[0]!, saved[1] | action.mask[1] | self[1]!]));
    if ((action.flags & SA_RESETHAND) >>> 0) this.setAction(sig, 0, [0, 0], 0);
    try {
      this.trampoline!(sig);
    } finally {
      this.store(BLOCKED, saved);
    }
  }

  private load(word: number): SignalSet {
    return [Atomics.load(this.words, word) >>> 0, Atomics.load(this.words, word + 1) >>> 0];
  }

  private store(word: number, set: SignalSet): void {
    Atomics.store(this.words, word, set[0] | 0);
    Atomics.store(this.words, word + 1, set[1] | 0);
  }
}
