/**
 * Caps a module's linear memory by rewriting its binary: every memory the module defines
 * or imports gets `maximum = min(declared maximum, cap)`. isolated-vm does not count wasm
 * memory against any heap limit, so this bound is the only one. Only the memory and
 * import sections are decoded; every other section is copied byte for byte.
 *
 * A full wasm toolkit (binaryen, @webassemblyjs) would parse all of a 1-3 MB module to
 * touch a few bytes; this reads the section headers and the two sections it changes.
 */
import { BinaryReader as Reader, uleb as leb, WasmFormatError } from './binary.js';

export { WasmFormatError };
export const WASM_PAGE_BYTES = 65536;


export interface ImportedMemory {
  module: string;
  name: string;
  initial: number;
  maximum: number;
}

export interface CappedModule {
  bytes: Uint8Array;
  /** The imported memory (if any), for the runner to create with these limits. */
  importedMemory: ImportedMemory | null;
}

/** Reads one memory type and writes it back capped. */
function capLimits(r: Reader, out: number[], capPages: number, what: string): { initial: number; maximum: number } {
  const flags = r.byte();
  if (flags & 0x04) throw new WasmFormatError(`${what} is a 64-bit memory, which this runner does not support`);
  const initial = r.u32();
  const declaredMax = flags & 0x01 ? r.u32() : undefined;
  if (initial > capPages) {
    throw new WasmFormatError(`${what} starts at ${initial} pages (${initial * WASM_PAGE_BYTES} bytes), more than the cap of ${capPages} pages (${capPages * WASM_PAGE_BYTES} bytes)`);
  }
  const maximum = Math.min(declaredMax ?? capPages, capPages);
  out.push((flags & 0x02) | 0x01, ...leb(initial), ...leb(maximum));
  return { initial, maximum };
}

export function capMemory(bytes: Uint8Array, capBytes: number): CappedModule {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (no \\0asm magic)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new WasmFormatError('unsupported WebAssembly version (a component?)');
  const capPages = Math.floor(capBytes / WASM_PAGE_BYTES);
  const r = new Reader(bytes, 8);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let importedMemory: ImportedMemory | null = null;
  while (r.at < bytes.length) {
    const start = r.at;
    const id = r.byte();
    const size = r.u32();
    const bodyStart = r.at;
    const end = bodyStart + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    if (id !== 2 && id !== 5) {
      parts.push(bytes.subarray(start, end));
      r.at = end;
      continue;
    }
    const body: number[] = [];
    const count = r.u32();
    body.push(...leb(count));
    for (let i = 0; i < count; i++) {
      if (id === 5) {
        capLimits(r, body, capPages, 'its memory');
        continue;
      }
      const nameStart = r.at;
      const module = r.name();
      const name = r.name();
      const kind = r.byte();
      body.push(...bytes.subarray(nameStart, r.at));
      if (kind === 2) {
        importedMemory = { module, name, ...capLimits(r, body, capPages, `imported memory ${module}.${name}`) };
        continue;
      }
      const fieldStart = r.at;
      if (kind === 0) r.u32();
      else if (kind === 1) {
        r.byte();
        const flags = r.byte();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 3) {
        r.byte();
        r.byte();
      } else if (kind === 4) {
        r.byte();
        r.u32();
      } else throw new WasmFormatError(`unknown import kind ${kind}`);
      body.push(...bytes.subarray(fieldStart, r.at));
    }
    if (r.at !== end) throw new WasmFormatError(`section ${id} has trailing bytes`);
    parts.push(Uint8Array.from([id, ...leb(body.length), ...body]));
  }
  return { bytes: Buffer.concat(parts), importedMemory };
}
