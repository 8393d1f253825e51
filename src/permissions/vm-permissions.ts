import type { Logger } from '../log.js';
import { PermissionAsker, type SendAsk } from './ask.js';
import { DenialLog } from './denial-log.js';
import { SCOPES, type Scope } from './policy.js';
import type { VmPolicy } from './vm-policy.js';

/** What a denial's log line says decided it. */
export type DecidedBy = 'policy' | 'asked' | 'ask-cannot-wait';

export interface ScopeCounts {
  allowed: number;
  denied: number;
  /** Requests sent to the host (their outcomes count as allowed or denied too). */
  asked: number;
}

/**
 * One VM's permissions at run time: its compiled policy, the host round trip for `ask`,
 * the counts vm/stats reports and the denial log line. Every enforcement point asks here:
 * synchronous ones through `judge` (a ProcessPermits turns a pending ask into a wait of
 * the guest), asynchronous daemon code through `check`.
 */
export class VmPermissions {
  readonly asker: PermissionAsker;
  private readonly counts = Object.fromEntries(SCOPES.map((s) => [s, { allowed: 0, denied: 0, asked: 0 }])) as Record<Scope, ScopeCounts>;
  private readonly denials: DenialLog;

  constructor(readonly policy: VmPolicy, vmId: string, send: SendAsk, log: Logger, bounds: { rememberMax: number }) {
    this.asker = new PermissionAsker(vmId, send, log, bounds);
    this.denials = new DenialLog(log);
  }

  /** True when the scope lets every operation on every target through: callers may skip building targets. */
  allowsAll(scope: Scope): boolean {
    return this.policy.scopes[scope].uniform === 'allow';
  }

  /** The policy's answer now: true, false, or the host's answer to come (the ask is sent). */
  judge(pid: number, scope: Scope, operation: string, target: string): boolean | Promise<boolean> {
    const mode = this.policy.scopes[scope].decide(operation, target);
    if (mode === 'allow') return this.count(pid, scope, operation, target, true, 'policy');
    if (mode === 'deny') return this.count(pid, scope, operation, target, false, 'policy');
    const remembered = this.asker.recall(scope, operation, target);
    if (remembered !== undefined) return this.count(pid, scope, operation, target, remembered, 'asked');
    const before = this.asker.sent;
    const answer = this.asker.ask(pid, scope, operation, target);
    if (this.asker.sent !== before) this.counts[scope].asked++;
    return answer.then((allow) => this.count(pid, scope, operation, target, allow, 'asked'));
  }

  /**
   * For the few places that cannot wait (ES module linking in the daemon): `ask` is the
   * answer the host said to remember, else a denial, logged as `decidedBy: "ask-cannot-wait"`.
   */
  judgeWithoutWaiting(pid: number, scope: Scope, operation: string, target: string): boolean {
    const mode = this.policy.scopes[scope].decide(operation, target);
    if (mode !== 'ask') return this.count(pid, scope, operation, target, mode === 'allow', 'policy');
    const remembered = this.asker.recall(scope, operation, target);
    return this.count(pid, scope, operation, target, remembered ?? false, remembered === undefined ? 'ask-cannot-wait' : 'asked');
  }

  /** The whole decision, waiting for the host when the policy says ask. */
  async check(pid: number, scope: Scope, operation: string, target: string): Promise<boolean> {
    return this.judge(pid, scope, operation, target);
  }

  /**
   * For a scope with a judge of its own (network: src/net/judge.ts, which also writes the
   * denial's log line): the host's answer to an `ask`, remembered or requested, counted
   * as asked when a request goes out, as `judge` counts it.
   */
  askHost(pid: number, scope: Scope, operation: string, target: string): boolean | Promise<boolean> {
    const remembered = this.asker.recall(scope, operation, target);
    if (remembered !== undefined) return remembered;
    const before = this.asker.sent;
    const answer = this.asker.ask(pid, scope, operation, target);
    if (this.asker.sent !== before) this.counts[scope].asked++;
    return answer;
  }

  /** A decision such a judge made (after the host's answer, if it asked), counted with the others. */
  tally(scope: Scope, allow: boolean): void {
    if (allow) this.counts[scope].allowed++;
    else this.counts[scope].denied++;
  }

  /** Every outcome is counted; a denial also makes the (throttled) warn line. */
  private count(pid: number, scope: Scope, operation: string, target: string, allow: boolean, how: DecidedBy): boolean {
    if (allow) this.counts[scope].allowed++;
    else {
      this.counts[scope].denied++;
      this.denials.denied(pid, scope, operation, target, how);
    }
    return allow;
  }

  stats(): Record<Scope, ScopeCounts> {
    return Object.fromEntries(SCOPES.map((s) => [s, { ...this.counts[s] }])) as Record<Scope, ScopeCounts>;
  }

  dispose(): void {
    this.asker.dispose();
  }
}
