/** Reading and writing the WebAssembly binary format's primitives (LEB128, names). */
export class WasmFormatError extends Error {}

export class BinaryReader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new WasmFormatError('unexpected end of module');
    return this.bytes[this.at++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new WasmFormatError('malformed LEB128');
    }
  }

  /** Skips a LEB128 of any width, signed or not. */
  skipLeb(): void {
    while (this.byte() & 0x80) {}
  }

  skip(n: number): void {
    this.at += n;
    if (this.at > this.bytes.length) throw new WasmFormatError('unexpected end of module');
  }

  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.bytes.subarray(this.at, this.at + len)).toString('utf8');
    this.skip(len);
    return s;
  }
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb64(value: bigint): number[] {
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
