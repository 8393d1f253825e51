import { INVENTORY, type LimitName, type LimitSpec } from './inventory.js';

export interface ResolvedLimit {
  readonly name: LimitName;
  readonly spec: LimitSpec;
  readonly value: number;
  /** "default", or the environment variable the value came from. */
  readonly source: string;
  /** Set when the variable held something unusable and the default was taken instead. */
  readonly rejected?: string;
  /** Why it was unusable: not a number, or outside [min, max]. */
  readonly rejectedBecause?: string;
}

export type Limits = { readonly [K in LimitName]: ResolvedLimit };

/** Why `value` cannot be this limit's value (outside the inventory's [min, max]), or undefined. */
export function outOfRange(spec: LimitSpec, value: number): string | undefined {
  const min = spec.min ?? 1;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  return value < min || value > max ? `outside ${min}..${max}` : undefined;
}

/**
 * Reads every limit from the environment. A value that is not a positive number, or falls
 * outside the limit's [min, max], takes the default instead and is reported in `rejected`,
 * so the daemon can warn about it instead of running with a nonsense bound.
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
    const parsed = Math.floor(Number(raw.trim()));
    const because = !/^\s*\d+(\.\d+)?\s*$/.test(raw) || !Number.isFinite(parsed) ? 'not a positive number' : outOfRange(spec, parsed);
    out[name] = because === undefined
      ? { name, spec, value: parsed, source: spec.env }
      : { name, spec, value: spec.default, source: 'default', rejected: raw, rejectedBecause: because };
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
    source: l.rejected === undefined ? l.source : `default (ignored ${l.spec.env}=${JSON.stringify(l.rejected)}: ${l.rejectedBecause})`,
    min: l.spec.min ?? 1,
    max: l.spec.max ?? Number.MAX_SAFE_INTEGER,
  }));
}

/** The `--print-limits` table. */
export function formatLimitsTable(limits: Limits): string {
  const rows = limitRows(limits).map((r) => [r.name, String(r.value), r.unit, String(r.min), String(r.max), r.scope, r.env, r.source]);
  const header = ['limit', 'value', 'unit', 'min', 'max', 'scope', 'variable', 'source'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const why = (Object.values(limits) as ResolvedLimit[]).map((l) => `  ${l.name}: ${l.spec.why}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', 'Why each exists:', ...why, ''].join('\n');
}
