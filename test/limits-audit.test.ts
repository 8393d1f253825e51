import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VmLimits } from '../protocol/vm.js';
import { INVENTORY, type LimitSpec } from '../src/limits/inventory.js';
import { resolveLimits } from '../src/limits/limits.js';

const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): Array<{ path: string; text: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path.endsWith('/limits') ? [] : sources(path);
    return path.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}
const files = sources(SRC);

test('no limit constant lives outside the inventory', () => {
  const limitLike = /\b(?:const|let)\s+([A-Z][A-Z0-9_]*(?:MAX|LIMIT|QUOTA|BUDGET|TIMEOUT|CAP|CEILING)[A-Z0-9_]*|MAX_[A-Z0-9_]+)\s*=\s*[\d(]/g;
  const numericDefault = /\b(?:let|const)\s+(max\w*|\w*[lL]imit\w*)\s*=\s*[1-9][\d_]*/g;
  const offenders: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(limitLike)) offenders.push(`${path}: ${m[1]}`);
    for (const m of text.matchAll(numericDefault)) offenders.push(`${path}: ${m[1]} (a hard-coded bound)`);
  }
  assert.equal(offenders, [], `move these into src/limits/inventory.ts:\n${offenders.join('\n')}`);
});

test('every inventory entry is used by the code', () => {
  const all = files.map((f) => f.text).join('\n');
  const unused = Object.keys(INVENTORY).filter((name) => !new RegExp(`['.]${name}\\b`).test(all));
  assert.equal(unused, [], `inventory entries nothing reads: ${unused.join(', ')}`);
});

test('every limit named in a warning or error is an inventory entry', () => {
  const names = new Set((Object.entries(INVENTORY) as Array<[string, LimitSpec]>).flatMap(([k, spec]) => [k.toLowerCase(), ...(spec.warnAs ? [spec.warnAs] : [])]));
  const unknown: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/\blimit: '([a-z0-9_]+)'/g)) if (!names.has(m[1]!)) unknown.push(`${path}: ${m[1]}`);
  }
  // The filesystem reports its two quotas by name.
  for (const m of readFileSync(join(SRC, 'fs/vfs.ts'), 'utf8').matchAll(/'(fs_[a-z_]+)'/g)) if (!names.has(m[1]!)) unknown.push(`fs/vfs.ts: ${m[1]}`);
  assert.equal(unknown, []);
});

test('every entry is complete, and per-VM overrides match the protocol', () => {
  const protocolFields = Object.keys(VmLimits.properties).sort();
  const overrides: string[] = [];
  for (const [name, spec] of Object.entries(INVENTORY) as Array<[string, LimitSpec]>) {
    assert.ok(spec.why.length > 20, `${name} says why it exists`);
    assert.ok(spec.env.startsWith('AGENTOS_'), `${name} has an AGENTOS_ variable`);
    assert.ok(spec.default > 0 || spec.optional, `${name} has a default`);
    assert.ok(typeof spec.min === 'number' && typeof spec.max === 'number', `${name} declares its min and max`);
    assert.ok(spec.min! >= 1 && spec.min! <= spec.max! && spec.max! <= Number.MAX_SAFE_INTEGER, `${name}: ${spec.min}..${spec.max} is a range`);
    assert.ok(spec.optional || (spec.default >= spec.min! && spec.default <= spec.max!), `${name}: the default ${spec.default} is in ${spec.min}..${spec.max}`);
    if (spec.vmOverride) overrides.push(spec.vmOverride);
  }
  assert.equal(overrides.sort(), protocolFields);
});

test('environment values: valid ones apply; 0, negative, junk and values outside [min, max] fall back to the default', () => {
  const limits = resolveLimits({
    AGENTOS_MAX_VMS: '5', AGENTOS_FS_QUOTA_BYTES: '0', AGENTOS_GUEST_CPU_TIME_LIMIT_MS: '-3', AGENTOS_MAX_TIMERS_PER_PROCESS: 'many', AGENTOS_GUEST_HEAP_LIMIT_MB: '4',
    AGENTOS_WASM_RUNNER_HEAP_LIMIT_MB: '99999999999999999999', AGENTOS_SHUTDOWN_DEADLINE_MS: '600001', AGENTOS_LOG_BUFFER_BYTES: '1e9',
  });
  assert.equal([limits.MAX_VMS.value, limits.MAX_VMS.source], [5, 'AGENTOS_MAX_VMS']);
  assert.equal([limits.WASM_RUNNER_HEAP_LIMIT_MB.rejectedBecause, limits.SHUTDOWN_DEADLINE_MS.rejectedBecause], ['outside 8..16384', 'outside 10..600000']);
  assert.equal(resolveLimits({ AGENTOS_SHUTDOWN_DEADLINE_MS: '600000' }).SHUTDOWN_DEADLINE_MS.value, 600_000);
  for (const name of ['FS_QUOTA_BYTES', 'GUEST_CPU_TIME_LIMIT_MS', 'MAX_TIMERS_PER_PROCESS', 'GUEST_HEAP_LIMIT_MB', 'WASM_RUNNER_HEAP_LIMIT_MB', 'SHUTDOWN_DEADLINE_MS', 'LOG_BUFFER_BYTES'] as const) {
    assert.is(limits[name].value, INVENTORY[name].default, name);
    assert.ok(limits[name].rejected !== undefined, `${name} reports the rejected value`);
  }
});

test.run();
