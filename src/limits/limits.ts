import { INVENTORY, type LimitName, type LimitSpec } from './inventory.js';

export interface ResolvedLimit {
  readonly name: LimitName;
  readonly spec: LimitSpec;
  readonly value: number;
  /** "default", or the environment variable the value came from. */
  readonly source: string;
  /** Set when the variable held something unusable and the default was taken instead. */
  readonly rejected?: string;
}

export type Limits = { readonly [K in LimitName]: ResolvedLimit };

/**
 * Reads every limit from the environment. A value that is not a positive number (or is
 * below the limit's floor) falls back to the default and is reported in `rejected`, so
 * the daemon can warn about it instead of running with a nonsense bound.
 */
export function resolveLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const out = {} as Record<LimitName, ResolvedLimit>;
  for (const name of Object.keys(INVENTORY) as LimitName[]) {
    const spec: LimitSpec = INVENTORY[name];
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[name] = { name, spec, value: spec.default, source: 'default' };
      continue;
    }
    const parsed = Number(raw.trim());
    const valid = /^\s*\d+(\.\d+)?\s*$/.test(raw) && Number.isFinite(parsed) && parsed > 0 && parsed >= (spec.min ?? 0);
    out[name] = valid
      ? { name, spec, value: Math.floor(parsed), source: spec.env }
      : { name, spec, value: spec.default, source: 'default', rejected: raw };
  }
  return out;
}

/** The value in force for one VM: its `vm/create` override when given, else the sidecar's. */
export function vmLimit(limits: Limits, name: LimitName, overrides: Readonly<Record<string, number | undefined>> | undefined): number {
  const key = (INVENTORY[name] as LimitSpec).vmOverride;
  const override = key && overrides ? overrides[key] : undefined;
  return override ?? limits[name].value;
}

export function limitRows(limits: Limits) {
  return (Object.values(limits) as ResolvedLimit[]).map((l) => ({
    name: l.name,
    value: l.value,
    unit: l.spec.unit,
    scope: l.spec.scope,
    env: l.spec.env,
    source: l.rejected === undefined ? l.source : `default (ignored ${l.spec.env}=${JSON.stringify(l.rejected)})`,
  }));
}

/** The `--print-limits` table. */
export function formatLimitsTable(limits: Limits): string {
  const rows = limitRows(limits).map((r) => [r.name, String(r.value), r.unit, r.scope, r.env, r.source]);
  const header = ['limit', 'value', 'unit', 'scope', 'variable', 'source'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const why = (Object.values(limits) as ResolvedLimit[]).map((l) => `  ${l.name}: ${l.spec.why}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', 'Why each exists:', ...why, ''].join('\n');
}
