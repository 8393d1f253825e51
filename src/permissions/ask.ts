import type { Logger } from '../log.js';
import { warnLimitExhausted } from '../log.js';
import type { Scope } from './policy.js';

/** What the VM sends the host as `permission/request` (protocol/host.ts). */
export interface AskParams {
  readonly vmId: string;
  readonly pid: number;
  readonly scope: Scope;
  readonly operation: string;
  readonly target: string;
}

/**
 * Sends one permission/request and resolves with the host's answer as it came, or rejects
 * (no answer in time, the VM disposed, the host's error). The daemon's OutgoingRequests does
 * it (src/daemon/server.ts): it bounds the wait and drops late and duplicate answers as it
 * does for host/call.
 */
export type SendAsk = (params: AskParams) => Promise<unknown>;

export interface AskBounds {
  /** Answers kept with `remember` for one VM (PERMISSION_REMEMBER_MAX). */
  readonly rememberMax: number;
}

/**
 * The `ask` round trip of one VM: asks the host, at most once at a time for the same
 * process, scope, operation and target; keeps answers the host said to remember for the
 * VM's life. Every ask resolves to a boolean and never rejects: anything but a well-formed
 * `{allow: true}` is a denial (no answer within the bound, an error, a malformed answer,
 * the VM disposed).
 */
export class PermissionAsker {
  private readonly remembered = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly waiting = new Set<(allow: boolean) => void>();
  private disposed = false;
  /** Asks sent to the host (a remembered answer or a shared in-flight ask is not one). */
  sent = 0;

  constructor(
    private readonly vmId: string,
    private readonly send: SendAsk,
    private readonly log: Logger,
    private readonly bounds: AskBounds,
  ) {}

  /** The answer remembered for this scope, operation and target, if the host gave one with `remember`. */
  recall(scope: Scope, operation: string, target: string): boolean | undefined {
    return this.remembered.get(key(scope, operation, target));
  }

  ask(pid: number, scope: Scope, operation: string, target: string): Promise<boolean> {
    const known = this.recall(scope, operation, target);
    if (known !== undefined) return Promise.resolve(known);
    if (this.disposed) return Promise.resolve(false);
    const k = key(scope, operation, target);
    const mine = `${pid}\0${k}`;
    const already = this.inFlight.get(mine);
    if (already) return already;
    this.sent++;
    const asked = new Promise<boolean>((resolve) => {
      const settle = (allow: boolean) => {
        if (!this.waiting.delete(settle)) return;
        this.inFlight.delete(mine);
        resolve(allow);
      };
      this.waiting.add(settle);
      this.send({ vmId: this.vmId, pid, scope, operation, target }).then(
        (answer) => settle(this.take(answer, k, { pid, scope, operation, target })),
        (err: unknown) => {
          this.log.warn({ pid, scope, operation, target, err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code } }, 'permission request failed: denied');
          settle(false);
        },
      );
    });
    this.inFlight.set(mine, asked);
    return asked;
  }

  /** The VM is going away: every ask waiting ends as a denial, and no more are sent. */
  dispose(): void {
    this.disposed = true;
    for (const settle of [...this.waiting]) settle(false);
  }

  private take(answer: unknown, k: string, about: object): boolean {
    const a = answer as { allow?: unknown; remember?: unknown } | null;
    if (typeof a !== 'object' || a === null || typeof a.allow !== 'boolean' || (a.remember !== undefined && typeof a.remember !== 'boolean')) {
      this.log.warn({ ...about, answer: typeof answer }, 'permission request answered without a boolean `allow`: denied');
      return false;
    }
    if (a.remember === true) {
      if (this.remembered.size < this.bounds.rememberMax || this.remembered.has(k)) this.remembered.set(k, a.allow);
      else warnLimitExhausted(this.log, { limit: 'permission_remember_max', observed: this.remembered.size + 1, capacity: this.bounds.rememberMax, env: 'AGENTOS_PERMISSION_REMEMBER_MAX' });
    }
    return a.allow;
  }
}

function key(scope: Scope, operation: string, target: string): string {
  return `${scope}\0${operation}\0${target}`;
}
