/**
 * Bounds on what a module's code can make the engine's compiler allocate, checked before
 * V8 compiles it. V8's decoder and Liftoff keep an entry per open block, loop, if or try
 * while compiling a function: 2M nested blocks (a 5.7 MiB module, within every size bound)
 * grew the daemon by 1.6 GB per compile. So every function body is walked once, one
 * instruction at a time, and refused at the first number past its bound:
 *
 * - its size in bytes (V8's own kV8MaxWasmFunctionSize is 7,654,321);
 * - its locals (V8's kV8MaxWasmFunctionLocals is 50,000);
 * - the nesting depth of its control instructions (V8 has no bound of its own);
 * - the targets of one br_table (V8's kV8MaxWasmFunctionBrTableSize is 65,520).
 *
 * The number of functions is bounded with every other section's entries (memory-cap.ts).
 * The walk allocates nothing in proportion to the module and runs on the prep worker.
 */
import { BinaryReader as Reader, WasmFormatError } from './binary.js';
import { WasmLimitError } from './memory-cap.js';
import { skipImmediates } from './opcodes.js';

export interface CodeBounds {
  /** Bytes of one function body (WASM_MAX_FUNCTION_BYTES). */
  functionBytes: number;
  /** Locals one function declares, parameters not included (WASM_MAX_FUNCTION_LOCALS). */
  functionLocals: number;
  /** Nested blocks, loops, ifs and trys in one function, its own body counted (WASM_MAX_CONTROL_DEPTH). */
  controlDepth: number;
  /** Entries of one br_table, its default not counted (WASM_MAX_BR_TABLE_TARGETS). */
  brTableTargets: number;
}

const CODE = 10;

const refuse = (message: string, limit: string, observed: number, capacity: number, env: string) =>
  new WasmLimitError(`${message} (${env})`, 'ERR_AGENTOS_WASM_MODULE_LIMIT', limit, observed, capacity, env);

/** Throws a WasmLimitError at the first function past a bound (a WasmFormatError if it cannot be decoded). */
export function checkCode(bytes: Uint8Array, bounds: CodeBounds): void {
  const r = new Reader(bytes, 8);
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    if (id === CODE) {
      const code = new Reader(bytes.subarray(r.at, end));
      const count = code.u32();
      for (let i = 0; i < count; i++) checkFunction(code, i, bounds);
      if (code.at !== size) throw new WasmFormatError('the code section has trailing bytes');
    }
    r.at = end;
  }
}

function checkFunction(r: Reader, index: number, bounds: CodeBounds): void {
  const size = r.u32();
  if (size > bounds.functionBytes) {
    throw refuse(`function ${index} has a body of ${size} bytes, more than ${bounds.functionBytes}`, 'wasm_max_function_bytes', size, bounds.functionBytes, 'AGENTOS_WASM_MAX_FUNCTION_BYTES');
  }
  const end = r.at + size;
  if (end > r.bytes.length) throw new WasmFormatError(`function ${index} runs past the end of the code section`);
  let locals = 0;
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    locals += r.u32();
    if (locals > bounds.functionLocals) {
      throw refuse(`function ${index} declares more than ${bounds.functionLocals} locals`, 'wasm_max_function_locals', locals, bounds.functionLocals, 'AGENTOS_WASM_MAX_FUNCTION_LOCALS');
    }
    const t = r.byte();
    if (t === 0x63 || t === 0x64) r.skipLeb();
  }
  // The body itself is the outermost block: its final `end` closes it.
  let depth = 1;
  while (depth > 0) {
    if (r.at >= end) throw new WasmFormatError(`function ${index} ends inside a block`);
    const op = r.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06) {
      if (++depth > bounds.controlDepth) {
        throw refuse(`function ${index} nests blocks more than ${bounds.controlDepth} deep`, 'wasm_max_control_depth', depth, bounds.controlDepth, 'AGENTOS_WASM_MAX_CONTROL_DEPTH');
      }
    } else if (op === 0x0b || op === 0x18) {
      depth--; // `end`, or a try's `delegate`
    } else if (op === 0x0e) {
      const targets = r.u32();
      if (targets > bounds.brTableTargets) {
        throw refuse(`function ${index} has a br_table of ${targets} entries, more than ${bounds.brTableTargets}`, 'wasm_max_br_table_targets', targets, bounds.brTableTargets, 'AGENTOS_WASM_MAX_BR_TABLE_TARGETS');
      }
      for (let t = 0; t <= targets; t++) r.u32();
      continue;
    }
    skipImmediates(r, op);
  }
  if (r.at !== end) throw new WasmFormatError(`function ${index} has bytes after its final end`);
}
