import { namesAddress, matchNetwork, type NetworkTarget } from '../permissions/network-match.js';
import { restrictedKind } from './addresses.js';

/**
 * The network scope of a VM's policy, judged: which operations on which targets are allowed,
 * denied or asked about, and the address rule of issue 12 on top: an address in a
 * restricted range (loopback, private, link-local, the metadata address, …) is refused
 * even when a rule allows the name that led to it, unless a rule names the address or its
 * range itself.
 *
 * Rules combine as the policy foundation says: the most specific matching rule wins
 * (network-match.ts ranks them), and on a tie deny beats ask beats allow; a target no rule
 * matches gets the scope's default. A rule without `operations` applies to every operation.
 */
export type Mode = 'allow' | 'deny' | 'ask';
export type NetworkOperation = 'connect' | 'listen' | 'dns';

export interface NetworkRule {
  readonly mode: Mode;
  readonly operations?: readonly string[];
  readonly patterns?: readonly string[];
}

export type NetworkScope = Mode | { readonly default: Mode; readonly rules: readonly NetworkRule[] };

export interface Verdict {
  readonly mode: Mode;
  /** The pattern that decided, or why the default or the address rule did. */
  readonly because: string;
}

const RANK: Record<Mode, number> = { allow: 0, ask: 1, deny: 2 };

/** With no policy: the world is closed, the VM's own loopback open (listen never leaves the VM). */
const NO_POLICY: NetworkScope = { default: 'deny', rules: [{ mode: 'allow', operations: ['listen'], patterns: ['*:*'] }] };

export class NetworkJudge {
  private readonly scope: NetworkScope;

  constructor(scope: NetworkScope | undefined) {
    this.scope = scope ?? NO_POLICY;
  }

  /** The best rule for `target` among those `accept` lets count, or undefined. */
  private best(op: NetworkOperation, target: NetworkTarget, accept: (pattern: string) => boolean): Verdict | undefined {
    if (typeof this.scope === 'string') return undefined;
    let found: { score: number; mode: Mode; pattern: string } | undefined;
    for (const rule of this.scope.rules) {
      if (rule.operations && !rule.operations.includes(op)) continue;
      for (const pattern of rule.patterns ?? ['*']) {
        if (!accept(pattern)) continue;
        const score = matchNetwork(pattern, target);
        if (score < 0) continue;
        if (!found || score > found.score || (score === found.score && RANK[rule.mode] > RANK[found.mode])) found = { score, mode: rule.mode, pattern };
      }
    }
    return found && { mode: found.mode, because: `rule ${found.pattern}` };
  }

  private defaultVerdict(): Verdict {
    const mode = typeof this.scope === 'string' ? this.scope : this.scope.default;
    return { mode, because: typeof this.scope === 'string' ? `network: ${mode}` : 'the default' };
  }

  /** A name or an address as the guest named it (`listen`, `dns`, the name of a `connect`). */
  target(op: NetworkOperation, target: NetworkTarget): Verdict {
    return this.best(op, target, () => true) ?? this.defaultVerdict();
  }

  /**
   * An address a connection would reach: judged by a rule that names it (or its range)
   * when there is one; else refused when restricted; else by `byName` (the verdict on the
   * name that resolved to it) or, for an address the guest wrote, by every rule.
   */
  address(op: NetworkOperation, address: string, port: number, byName: Verdict | undefined): Verdict {
    const named = this.best(op, { host: address, port }, (pattern) => namesAddress(pattern, address, port));
    if (named) return named;
    const kind = restrictedKind(address);
    if (kind) return { mode: 'deny', because: `${kind} address (allowed only by a rule naming it)` };
    return byName ?? this.target(op, { host: address, port });
  }
}
