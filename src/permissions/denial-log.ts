import type { Logger } from '../log.js';
import type { Scope } from './policy.js';

/**
 * The warn line a denial makes: at most one a second for the same scope and target of a
 * VM (a guest retrying in a loop must not flood the log), with how many denials of it
 * went unlogged since the last line (`repeated`).
 */
export class DenialLog {
  private readonly last = new Map<string, { at: number; unlogged: number }>();
  private sweptAt = 0;

  constructor(private readonly log: Logger, private readonly everyMs = 1000) {}

  denied(pid: number, scope: Scope, operation: string, target: string, how: string): void {
    const key = `${scope}\0${target}`;
    const now = performance.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.everyMs) {
      seen.unlogged++;
      return;
    }
    // Only pairs logged within the last period are kept: the map holds what one period's denials name.
    if (now - this.sweptAt >= this.everyMs) {
      this.sweptAt = now;
      for (const [k, v] of this.last) if (now - v.at >= this.everyMs) this.last.delete(k);
    }
    this.last.set(key, { at: now, unlogged: 0 });
    this.log.warn({ pid, scope, operation, target, decidedBy: how, ...(seen?.unlogged ? { repeated: seen.unlogged } : {}) }, 'permission denied');
  }
}
