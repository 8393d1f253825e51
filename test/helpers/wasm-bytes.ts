import { uleb } from '../../src/wasm/binary.js';

/** Small pieces for hand-assembling wasm modules in tests (the daemon's own uleb, plus sleb). */
export { uleb };

export function sleb(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
export const str = (s: string) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
