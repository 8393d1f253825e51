import type { Logger } from '../log.js';

/**
 * The log line and the count of each network denial: one warn line per VM, scope and
 * target per second (a guest retrying in a loop cannot flood the log), every denial counted
 * for vm/stats.
 */
export class DenialLog {
  count = 0;
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly log: Logger, private readonly everyMs = 1000) {}

  denied(fields: { operation: string; target: string; pid: number; command?: string; reason: string }): void {
    this.count++;
    const key = `${fields.operation} ${fields.target}`;
    const now = performance.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < this.everyMs) return;
    // Every so many denials, entries older than a second (they say nothing any more) go, so
    // the map holds at most the targets of the last few hundred denials.
    if (this.count % 256 === 0) for (const [k, t] of this.lastLogged) if (now - t >= this.everyMs) this.lastLogged.delete(k);
    this.lastLogged.set(key, now);
    this.log.warn({ scope: 'network', ...fields }, 'permission denied');
  }
}
