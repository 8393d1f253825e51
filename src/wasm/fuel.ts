/**
 * Fuel: a deterministic budget of work for a WASM program, added by rewriting its code.
 * One unit is charged at every function entry and every loop iteration (each back edge),
 * the two places where unbounded work can start; a program that runs out traps, and the
 * runner reads the exported counter to tell that trap from others. Only applied when a
 * budget is configured (AGENTOS_WASM_MAX_FUEL); the rewrite decodes every instruction of
 * the code section, so a module using an encoding it does not know is refused rather than
 * run unmetered.
 */
import { WasmFormatError } from './memory-cap.js';

export const FUEL_EXPORT = '__agentos_fuel';

class Reader {
  constructor(
    readonly b: Uint8Array,
    public at = 0,
  ) {}
  byte(): number {
    if (this.at >= this.b.length) throw new WasmFormatError('unexpected end of module');
    return this.b[this.at++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new WasmFormatError('malformed LEB128');
    }
  }
  /** Skips a LEB128 of any width (signed or not). */
  skipLeb(): void {
    while (this.byte() & 0x80) {}
  }
  skip(n: number): void {
    this.at += n;
    if (this.at > this.b.length) throw new WasmFormatError('unexpected end of module');
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb64(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(value & 0x7fn);
    value >>= 7n;
    if ((value === 0n && (b & 0x40) === 0) || (value === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** `fuel -= 1; if (fuel < 0) unreachable` */
function charge(global: number): number[] {
  const g = uleb(global);
  return [0x23, ...g, 0x42, 0x01, 0x7d, 0x24, ...g, 0x23, ...g, 0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b];
}

function skipBlockType(r: Reader): void {
  const first = r.b[r.at]!;
  if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) {
    r.skip(1);
    return;
  }
  if (first === 0x63 || first === 0x64) {
    r.skip(1);
    r.skipLeb();
    return;
  }
  r.skipLeb();
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32();
  r.skipLeb();
}

/** Skips one instruction's immediates; returns false at the body's final `end`. */
function skipImmediates(r: Reader, op: number): void {
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(r);
  if (op >= 0x45 && op <= 0xc4) return;
  switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b: case 0xd1: case 0xd3: case 0xd4: case 0x0a:
      return;
    case 0x02: case 0x03: case 0x04: case 0x06:
      return skipBlockType(r);
    case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x14: case 0x15: case 0x18:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2: case 0xd5: case 0xd6:
      return void r.u32();
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11: case 0x13:
      r.u32();
      return void r.u32();
    case 0x1c: {
      const n = r.u32();
      for (let i = 0; i < n; i++) r.skip(1);
      return;
    }
    case 0x3f: case 0x40:
      return void r.u32();
    case 0x41: case 0x42:
      return r.skipLeb();
    case 0x43:
      return r.skip(4);
    case 0x44:
      return r.skip(8);
    case 0xd0:
      return r.skipLeb();
    case 0xfc: {
      const sub = r.u32();
      if (sub <= 7) return;
      if (sub === 8 || sub === 10 || sub === 12 || sub === 14) {
        r.u32();
        return void r.u32();
      }
      if (sub <= 17) return void r.u32();
      throw new WasmFormatError(`cannot meter fuel: unknown instruction 0xfc ${sub}`);
    }
    case 0xfd: {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r);
      if (sub === 12 || sub === 13) return r.skip(16);
      if (sub >= 21 && sub <= 34) return r.skip(1);
      if (sub >= 84 && sub <= 91) {
        skipMemarg(r);
        return r.skip(1);
      }
      return;
    }
    case 0xfe: {
      const sub = r.u32();
      if (sub === 3) return r.skip(1);
      return skipMemarg(r);
    }
    default:
      throw new WasmFormatError(`cannot meter fuel: unknown instruction 0x${op.toString(16)}`);
  }
}

/** Copies one function body, inserting a charge at its entry and after every loop header. */
function meterBody(body: Uint8Array, global: number): Uint8Array {
  const r = new Reader(body);
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    const t = r.byte();
    if (t === 0x63 || t === 0x64) r.skipLeb();
  }
  const out: number[] = [...body.subarray(0, r.at), ...charge(global)];
  while (r.at < body.length) {
    const start = r.at;
    const op = r.byte();
    skipImmediates(r, op);
    for (let i = start; i < r.at; i++) out.push(body[i]!);
    if (op === 0x03) out.push(...charge(global));
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

/** Adds the fuel counter (a mutable i64 global, exported) and the charges. */
export function meterFuel(bytes: Uint8Array, fuel: bigint): Uint8Array {
  const all = sections(bytes);
  const imported = all.find((s) => s.id === 2);
  const globals = all.find((s) => s.id === 6);
  const definedGlobals = globals ? new Reader(globals.body).u32() : 0;
  const fuelGlobal = (imported ? countImportedGlobals(imported.body) : 0) + definedGlobals;
  const entry = [0x7e, 0x01, 0x42, ...sleb64(fuel), 0x0b];
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  let globalWritten = false;
  let exportWritten = false;
  const writeGlobal = () => {
    if (globalWritten) return;
    globalWritten = true;
    if (globals) {
      const r = new Reader(globals.body);
      r.u32();
      out.push(encodeSection(6, [...uleb(definedGlobals + 1), ...globals.body.subarray(r.at), ...entry]));
    } else out.push(encodeSection(6, [1, ...entry]));
  };
  const exportEntry = [...uleb(FUEL_EXPORT.length), ...Buffer.from(FUEL_EXPORT), 0x03, ...uleb(fuelGlobal)];
  for (const s of all) {
    if ([7, 8, 9, 12, 10, 11].includes(s.id)) writeGlobal();
    if (s.id === 6) continue;
    if (s.id === 7) {
      exportWritten = true;
      const r = new Reader(s.body);
      const n = r.u32();
      out.push(encodeSection(7, [...uleb(n + 1), ...s.body.subarray(r.at), ...exportEntry]));
      continue;
    }
    if (s.id === 10) {
      if (!exportWritten) {
        exportWritten = true;
        out.push(encodeSection(7, [1, ...exportEntry]));
      }
      const r = new Reader(s.body);
      const n = r.u32();
      const bodies: number[] = [...uleb(n)];
      for (let i = 0; i < n; i++) {
        const size = r.u32();
        const metered = meterBody(s.body.subarray(r.at, r.at + size), fuelGlobal);
        r.skip(size);
        bodies.push(...uleb(metered.length));
        for (const b of metered) bodies.push(b);
      }
      out.push(encodeSection(10, bodies));
      continue;
    }
    if ([8, 9, 12].includes(s.id) && !exportWritten) {
      exportWritten = true;
      out.push(encodeSection(7, [1, ...exportEntry]));
    }
    out.push(encodeSection(s.id, s.body));
  }
  writeGlobal();
  return Buffer.concat(out);
}
