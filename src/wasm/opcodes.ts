/**
 * The immediates of every instruction the engine accepts by default, so a pass can walk a
 * function body one instruction at a time (the bounds check in code-bounds.ts, the rewrite
 * in instrument.ts). An opcode it does not know is refused: a pass that cannot decode a body
 * cannot vouch for it.
 */
import { BinaryReader as Reader, WasmFormatError } from './binary.js';

function skipBlockType(r: Reader): void {
  const first = r.bytes[r.at]!;
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

/** Skips the immediates of the instruction `op` (whose opcode byte was just read). */
export function skipImmediates(r: Reader, op: number): void {
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
      throw new WasmFormatError(`unknown instruction 0xfc ${sub}`);
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
      throw new WasmFormatError(`unknown instruction 0x${op.toString(16)}`);
  }
}
