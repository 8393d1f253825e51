import type { Scope } from './policy.js';
import type { VmPermissions } from './vm-permissions.js';

/**
 * Thrown by a synchronous check whose policy says ask: the guest call answers `{ask: id}`
 * instead (guest-calls.ts askingCall), the guest's thread waits with block('permission',
 * id) while the daemon's does not, then makes the same call again, which finds the host's
 * answer here.
 */
export class AskPending {
  constructor(readonly id: number) {}
}

/**
 * One guest process's side of its VM's permissions: synchronous checks for the calls a
 * guest makes into the daemon (fs, module loads, spawn, exec), with the wait for `ask`
 * answers, and the same checks for asynchronous daemon code. A process's guest thread
 * makes one call at a time, so it waits on at most one ask at once; the answers a call
 * collects over its retries (one call may ask about several things: a spawn's program and
 * variables) are kept until it completes.
 */
export class ProcessPermits {
  /** The host's answers to this process's waits, for the call being retried. */
  private readonly answers = new Map<string, boolean>();
  private pending: { id: number; key: string; answer: Promise<boolean> } | undefined;
  private nextId = 1;

  constructor(readonly vm: VmPermissions, readonly pid: number) {}

  allowsAll(scope: Scope): boolean {
    return this.vm.allowsAll(scope);
  }

  /** true or false now; throws AskPending when the host must be asked first. */
  judgeSync(scope: Scope, operation: string, target: string): boolean {
    const key = `${scope}\0${operation}\0${target}`;
    const answered = this.answers.get(key);
    if (answered !== undefined) return answered;
    const verdict = this.vm.judge(this.pid, scope, operation, target);
    if (typeof verdict === 'boolean') return verdict;
    this.pending = { id: this.nextId++, key, answer: verdict };
    throw new AskPending(this.pending.id);
  }

  /** block('permission', id): waits for the host's answer, kept for the call's retry. */
  async wait(id: unknown): Promise<void> {
    const waiting = this.pending;
    if (!waiting || waiting.id !== id) return;
    const allow = await waiting.answer;
    if (this.pending === waiting) this.pending = undefined;
    this.answers.set(waiting.key, allow);
  }

  /**
   * Runs one synchronous guest call under these permits: `{ask: id}` when it has to wait
   * for the host (the guest then waits and calls again), else its result; the answers it
   * collected are dropped once it completes.
   */
  run<T>(call: () => T): T | { ask: number } {
    try {
      const result = call();
      this.answers.clear();
      return result;
    } catch (err) {
      if (err instanceof AskPending) return { ask: err.id };
      this.answers.clear();
      throw err;
    }
  }

  /**
   * The same as `run`, for daemon code that can wait itself (a spawnSync job): runs `call`
   * again after each answer it had to wait for; the answers go once it completes.
   */
  async settle<T>(call: () => T): Promise<T> {
    try {
      for (;;) {
        try {
          return call();
        } catch (err) {
          if (!(err instanceof AskPending)) throw err;
          await this.wait(err.id);
        }
      }
    } finally {
      this.answers.clear();
    }
  }

  check(scope: Scope, operation: string, target: string): Promise<boolean> {
    return this.vm.check(this.pid, scope, operation, target);
  }
}
