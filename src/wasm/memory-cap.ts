/**
 * Caps what a module can make the engine allocate, by rewriting its binary:
 *
 * - every memory it defines or imports gets `maximum = min(declared maximum, cap)`;
 * - its tables (defined or imported) together hold at most `tableEntries` entries: their
 *   initial sizes must fit, and the room left is shared out as their maxima in order, so
 *   `table.grow` past the cap fails (returns -1) as the program expects.
 *
 * isolated-vm counts neither wasm memory nor tables against any heap limit, so these
 * bounds are the only ones. Before anything proportional to a number in the module is
 * done, that number is checked: the section count, and each section's entry count.
 * Everything else a module declares (functions, globals, segments, exports) costs the
 * engine memory in proportion to the module's bytes, which are bounded by its size, except
 * what its code makes the compiler hold, bounded per function by code-bounds.ts.
 *
 * Only the import, table and memory sections are decoded; unchanged bytes are copied as
 * slices, never byte by byte (a 60 MB import section once cost 2 GB as a number array).
 * A full wasm toolkit would parse all of a 1-3 MB module to touch a few bytes.
 */
import { BinaryReader as Reader, uleb as leb, WasmFormatError } from './binary.js';
import type { CodeBounds } from './code-bounds.js';

export { WasmFormatError };
export const WASM_PAGE_BYTES = 65536;
/** What one table entry is counted as in the memory budgets: a pointer. */
export const TABLE_ENTRY_BYTES = 8;

/** A module over one of the bounds below: which, for the error and the "bounded limit exhausted" line. */
export class WasmLimitError extends WasmFormatError {
  constructor(
    message: string,
    readonly code: 'ERR_AGENTOS_WASM_MEMORY_LIMIT' | 'ERR_AGENTOS_WASM_MODULE_LIMIT',
    readonly limit: string,
    readonly observed: number,
    readonly capacity: number,
    readonly env: string,
  ) {
    super(message);
  }
}

/** What a module may declare; the bounds on its code are checked by code-bounds.ts. */
export interface ModuleBounds extends CodeBounds {
  memoryBytes: number;
  /** Entries of all tables together (WASM_MAX_TABLE_ENTRIES). */
  tableEntries: number;
  /** Sections of the module (WASM_MAX_SECTIONS). */
  sections: number;
  /** Entries one section may declare (WASM_MAX_SECTION_ENTRIES). */
  sectionEntries: number;
}

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
  /** The most bytes its tables can come to (their rewritten maxima × TABLE_ENTRY_BYTES). */
  tableBytes: number;
}

/** Sections whose body starts with an entry count. */
const VECTOR_SECTIONS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13]);
const IMPORT = 2;
const TABLE = 4;
const MEMORY = 5;

interface Limits {
  flags: number;
  initial: number;
  max: number | undefined;
}

function readLimits(r: Reader, what: string): Limits {
  const flags = r.byte();
  if (flags & 0x04) throw new WasmFormatError(`${what} is 64-bit, which this runner does not support`);
  const initial = r.u32();
  const max = flags & 0x01 ? r.u32() : undefined;
  return { flags, initial, max };
}

function encodeLimits(l: Limits, max: number): Uint8Array {
  return Uint8Array.from([(l.flags & 0x02) | 0x01, ...leb(l.initial), ...leb(max)]);
}

/** One import entry or table/memory type the rewrite changes: its byte range and what it becomes. */
interface Edit {
  start: number;
  end: number;
  bytes?: Uint8Array;
  table?: Limits;
  /** A table's reftype bytes, kept as they are before its new limits. */
  head?: number;
}

/** Reads a table type (reftype, limits); reftypes of the GC proposal carry a heap type. */
function readTable(r: Reader, what: string): Limits {
  const ref = r.byte();
  if (ref === 0x63 || ref === 0x64) r.skipLeb();
  return readLimits(r, what);
}

export function capMemory(bytes: Uint8Array, bounds: ModuleBounds): CappedModule {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (no \\0asm magic)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new WasmFormatError('unsupported WebAssembly version (a component?)');
  const capPages = Math.floor(bounds.memoryBytes / WASM_PAGE_BYTES);
  const r = new Reader(bytes, 8);
  const edits: Edit[] = [];
  /** Sections whose length changes: [start of the section, end of its body]. */
  const rewritten: Array<{ id: number; start: number; bodyStart: number; end: number }> = [];
  let importedMemory: ImportedMemory | null = null;
  let sections = 0;
  const capMemoryLimits = (at: number, what: string): Limits & { maximum: number } => {
    const l = readLimits(r, what);
    if (l.initial > capPages) {
      throw new WasmLimitError(`${what} starts at ${l.initial} pages (${l.initial * WASM_PAGE_BYTES} bytes), more than the cap of ${capPages} pages (${capPages * WASM_PAGE_BYTES} bytes)`,
        'ERR_AGENTOS_WASM_MEMORY_LIMIT', 'wasm_max_memory_bytes', l.initial * WASM_PAGE_BYTES, capPages * WASM_PAGE_BYTES, 'AGENTOS_WASM_MAX_MEMORY_BYTES');
    }
    const maximum = Math.min(l.max ?? capPages, capPages);
    edits.push({ start: at, end: r.at, bytes: encodeLimits(l, maximum) });
    return { ...l, maximum };
  };
  while (r.at < bytes.length) {
    if (++sections > bounds.sections) {
      throw new WasmLimitError(`the module has more than ${bounds.sections} sections (AGENTOS_WASM_MAX_SECTIONS)`, 'ERR_AGENTOS_WASM_MODULE_LIMIT', 'wasm_max_sections', sections, bounds.sections, 'AGENTOS_WASM_MAX_SECTIONS');
    }
    const start = r.at;
    const id = r.byte();
    const size = r.u32();
    const bodyStart = r.at;
    const end = bodyStart + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    if (!VECTOR_SECTIONS.has(id)) {
      r.at = end;
      continue;
    }
    const count = r.u32();
    if (count > bounds.sectionEntries) {
      throw new WasmLimitError(`section ${id} declares ${count} entries, more than ${bounds.sectionEntries} (AGENTOS_WASM_MAX_SECTION_ENTRIES)`, 'ERR_AGENTOS_WASM_MODULE_LIMIT', 'wasm_max_section_entries', count, bounds.sectionEntries, 'AGENTOS_WASM_MAX_SECTION_ENTRIES');
    }
    if (id !== IMPORT && id !== TABLE && id !== MEMORY) {
      r.at = end;
      continue;
    }
    rewritten.push({ id, start, bodyStart, end });
    for (let i = 0; i < count; i++) {
      if (id === MEMORY) {
        capMemoryLimits(r.at, 'its memory');
        continue;
      }
      if (id === TABLE) {
        const at = r.at;
        edits.push({ start: at, end: -1, table: readTable(r, 'its table') });
        edits[edits.length - 1]!.end = r.at;
        continue;
      }
      const module = r.name();
      const name = r.name();
      const kind = r.byte();
      if (kind === 2) {
        const l = capMemoryLimits(r.at, `imported memory ${module}.${name}`);
        importedMemory = { module, name, initial: l.initial, maximum: l.maximum };
      } else if (kind === 0) r.u32();
      else if (kind === 1) {
        const at = r.at;
        const table = readTable(r, `imported table ${module}.${name}`);
        edits.push({ start: at, end: r.at, table });
      } else if (kind === 3) {
        r.byte();
        r.byte();
      } else if (kind === 4) {
        r.byte();
        r.u32();
      } else throw new WasmFormatError(`unknown import kind ${kind}`);
    }
    if (r.at !== end) throw new WasmFormatError(`section ${id} has trailing bytes`);
  }
  const tableBytes = capTables(edits, bounds.tableEntries) * TABLE_ENTRY_BYTES;
  return { bytes: rewrite(bytes, rewritten, edits), importedMemory, tableBytes };
}

/**
 * The tables' initial sizes must fit the cap together; the room left goes to their
 * maxima in order. Returns the entries they can come to.
 */
function capTables(edits: Edit[], cap: number): number {
  const tables = edits.filter((e) => e.table);
  const initial = tables.reduce((n, e) => n + e.table!.initial, 0);
  if (initial > cap) {
    throw new WasmLimitError(`its tables start at ${initial} entries together, more than the cap of ${cap} (AGENTOS_WASM_MAX_TABLE_ENTRIES)`,
      'ERR_AGENTOS_WASM_MEMORY_LIMIT', 'wasm_max_table_entries', initial, cap, 'AGENTOS_WASM_MAX_TABLE_ENTRIES');
  }
  let room = cap - initial;
  let total = 0;
  for (const e of tables) {
    const t = e.table!;
    const extra = Math.min((t.max ?? Infinity) - t.initial, room);
    room -= extra;
    total += t.initial + extra;
    const limits = encodeLimits(t, t.initial + extra);
    // The reftype (and heap type) bytes stay; only the limits that follow change.
    const head = e.end - e.start - encodedLength(t);
    e.bytes = new Uint8Array(head + limits.byteLength);
    e.bytes.set(limits, head);
    e.head = head;
  }
  return total;
}

function encodedLength(l: Limits): number {
  return 1 + leb(l.initial).length + (l.max === undefined ? 0 : leb(l.max).length);
}

/** The module with each edit applied, the sections that hold edits given their new lengths. */
function rewrite(bytes: Uint8Array, sections: Array<{ id: number; start: number; bodyStart: number; end: number }>, edits: Edit[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  let e = 0;
  for (const s of sections) {
    parts.push(bytes.subarray(at, s.start));
    const body: Uint8Array[] = [];
    let from = s.bodyStart;
    for (; e < edits.length && edits[e]!.start < s.end; e++) {
      const edit = edits[e]!;
      body.push(bytes.subarray(from, edit.start));
      if (edit.head !== undefined) body.push(bytes.subarray(edit.start, edit.start + edit.head), edit.bytes!.subarray(edit.head));
      else body.push(edit.bytes!);
      from = edit.end;
    }
    body.push(bytes.subarray(from, s.end));
    const length = body.reduce((n, b) => n + b.byteLength, 0);
    parts.push(Uint8Array.from([s.id, ...leb(length)]), ...body);
    at = s.end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}
