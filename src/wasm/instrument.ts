/**
 * Bounds added to a WASM program by rewriting its code, each only when configured:
 *
 * - fuel, a deterministic budget of work: one unit is charged at every function entry and
 *   every loop iteration, the two places where unbounded work can start;
 * - call depth: a counter raised at every function entry and lowered on every way out
 *   (the body is wrapped in a block, so branches to the function's label leave through
 *   it; `return` and tail calls lower it first).
 *
 * A program past either bound traps; the runner reads the exported counters to tell that
 * trap from others. The rewrite decodes every instruction of the code section, so a module
 * using an encoding it does not know is refused rather than run unbounded.
 */
import { BinaryReader as Reader, sleb64, uleb, WasmFormatError } from './binary.js';
import { skipImmediates } from './opcodes.js';

export const FUEL_EXPORT = '__agentos_fuel';
export const DEPTH_EXPORT = '__agentos_depth';

/** `fuel -= 1; if (fuel < 0) unreachable` */
function charge(global: number): number[] {
  const g = uleb(global);
  return [0x23, ...g, 0x42, 0x01, 0x7d, 0x24, ...g, 0x23, ...g, 0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b];
}

/** `depth += 1; if (depth > max) unreachable` */
function enter(global: number, max: number): number[] {
  const g = uleb(global);
  return [0x23, ...g, 0x41, 0x01, 0x6a, 0x24, ...g, 0x23, ...g, 0x41, ...sleb64(BigInt(max)), 0x4a, 0x04, 0x40, 0x00, 0x0b];
}

/** `depth -= 1` */
function leave(global: number): number[] {
  const g = uleb(global);
  return [0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g];
}

export interface Bounds {
  fuel?: bigint;
  maxDepth?: number;
}

interface Plan {
  fuelGlobal?: number;
  depthGlobal?: number;
  maxDepth: number;
}

/** Copies one function body with the charges and depth bookkeeping inserted. */
function instrumentBody(body: Uint8Array, plan: Plan, resultType: number[] | null): Uint8Array {
  const r = new Reader(body);
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    const t = r.byte();
    if (t === 0x63 || t === 0x64) r.skipLeb();
  }
  const out: number[] = [...body.subarray(0, r.at)];
  const { fuelGlobal, depthGlobal } = plan;
  if (fuelGlobal !== undefined) out.push(...charge(fuelGlobal));
  if (depthGlobal !== undefined) {
    if (!resultType) throw new WasmFormatError('cannot bound call depth: a function returns more than one value');
    out.push(...enter(depthGlobal, plan.maxDepth), 0x02, ...resultType);
  }
  while (r.at < body.length) {
    const start = r.at;
    const op = r.byte();
    skipImmediates(r, op);
    const last = r.at === body.length;
    if (depthGlobal !== undefined && (op === 0x0f || op === 0x12 || op === 0x13 || op === 0x15)) out.push(...leave(depthGlobal));
    if (last && depthGlobal !== undefined) {
      // The body's own `end` closes the wrapper block; then leave, then end the function.
      out.push(0x0b, ...leave(depthGlobal), 0x0b);
      continue;
    }
    for (let i = start; i < r.at; i++) out.push(body[i]!);
    if (op === 0x03 && fuelGlobal !== undefined) out.push(...charge(fuelGlobal));
  }
  return Uint8Array.from(out);
}

interface Section {
  id: number;
  body: Uint8Array;
}

function sections(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, body: bytes.subarray(r.at, r.at + size) });
    r.skip(size);
  }
  return out;
}

function countImportedGlobals(body: Uint8Array): number {
  const r = new Reader(body);
  let globals = 0;
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.skip(r.u32());
    r.skip(r.u32());
    const kind = r.byte();
    if (kind === 0) r.u32();
    else if (kind === 1) {
      const t = r.byte();
      if (t === 0x63 || t === 0x64) r.skipLeb();
      const flags = r.byte();
      r.u32();
      if (flags & 1) r.u32();
    } else if (kind === 2) {
      const flags = r.byte();
      r.u32();
      if (flags & 1) r.u32();
    } else if (kind === 3) {
      const t = r.byte();
      if (t === 0x63 || t === 0x64) r.skipLeb();
      r.byte();
      globals++;
    } else if (kind === 4) {
      r.byte();
      r.u32();
    }
  }
  return globals;
}

const encodeSection = (id: number, body: ArrayLike<number>) => Uint8Array.from([id, ...uleb(body.length), ...Array.from(body)]);

/** Each type's results as a block type ([0x40] for none), or null for more than one result. */
function resultTypes(body: Uint8Array | undefined): Array<number[] | null> {
  if (!body) return [];
  const r = new Reader(body);
  const out: Array<number[] | null> = [];
  const valtype = (): number[] => {
    const start = r.at;
    const t = r.byte();
    if (t === 0x63 || t === 0x64) r.skipLeb();
    return [...body.subarray(start, r.at)];
  };
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    if (r.byte() !== 0x60) throw new WasmFormatError('cannot instrument: the module uses GC type definitions');
    const params = r.u32();
    for (let p = 0; p < params; p++) valtype();
    const results = r.u32();
    const types: number[][] = [];
    for (let k = 0; k < results; k++) types.push(valtype());
    out.push(results === 0 ? [0x40] : results === 1 ? types[0]! : null);
  }
  return out;
}

function functionTypes(body: Uint8Array | undefined): number[] {
  if (!body) return [];
  const r = new Reader(body);
  const n = r.u32();
  return Array.from({ length: n }, () => r.u32());
}

/** Adds the configured bounds: counters as exported mutable globals, checks in every body. */
export function instrument(bytes: Uint8Array, bounds: Bounds): Uint8Array {
  if (!bounds.fuel && !bounds.maxDepth) return bytes;
  const all = sections(bytes);
  const imported = all.find((s) => s.id === 2);
  const globals = all.find((s) => s.id === 6);
  const definedGlobals = globals ? new Reader(globals.body).u32() : 0;
  let next = (imported ? countImportedGlobals(imported.body) : 0) + definedGlobals;
  const plan: Plan = { maxDepth: bounds.maxDepth ?? 0 };
  const added: number[][] = [];
  const exports: number[][] = [];
  const addGlobal = (name: string, entry: number[]) => {
    const index = next++;
    added.push(entry);
    exports.push([...uleb(name.length), ...Buffer.from(name), 0x03, ...uleb(index)]);
    return index;
  };
  if (bounds.fuel) plan.fuelGlobal = addGlobal(FUEL_EXPORT, [0x7e, 0x01, 0x42, ...sleb64(bounds.fuel), 0x0b]);
  if (bounds.maxDepth) plan.depthGlobal = addGlobal(DEPTH_EXPORT, [0x7f, 0x01, 0x41, 0x00, 0x0b]);
  const types = resultTypes(all.find((s) => s.id === 1)?.body);
  const funcTypes = functionTypes(all.find((s) => s.id === 3)?.body);

  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  let globalWritten = false;
  let exportWritten = false;
  const writeGlobals = () => {
    if (globalWritten) return;
    globalWritten = true;
    const rest = globals ? globals.body.subarray(uleb(definedGlobals).length) : new Uint8Array(0);
    out.push(encodeSection(6, [...uleb(definedGlobals + added.length), ...rest, ...added.flat()]));
  };
  const writeExports = (existing?: Uint8Array) => {
    if (exportWritten) return;
    exportWritten = true;
    const count = existing ? new Reader(existing).u32() : 0;
    const rest = existing ? existing.subarray(uleb(count).length) : new Uint8Array(0);
    out.push(encodeSection(7, [...uleb(count + exports.length), ...rest, ...exports.flat()]));
  };
  for (const s of all) {
    if ([7, 8, 9, 12, 10, 11].includes(s.id)) writeGlobals();
    if ([8, 9, 12, 10, 11].includes(s.id)) writeExports();
    if (s.id === 6) continue;
    if (s.id === 7) {
      writeExports(s.body);
      continue;
    }
    if (s.id === 10) {
      const r = new Reader(s.body);
      const n = r.u32();
      const bodies: number[] = [...uleb(n)];
      for (let i = 0; i < n; i++) {
        const size = r.u32();
        const result = types[funcTypes[i] ?? -1];
        if (result === undefined) throw new WasmFormatError('cannot instrument: a function has no type');
        const done = instrumentBody(s.body.subarray(r.at, r.at + size), plan, result);
        r.skip(size);
        bodies.push(...uleb(done.length));
        for (const b of done) bodies.push(b);
      }
      out.push(encodeSection(10, bodies));
      continue;
    }
    out.push(encodeSection(s.id, s.body));
  }
  writeGlobals();
  writeExports();
  return Buffer.concat(out);
}
