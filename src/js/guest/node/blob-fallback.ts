/**
 * Blob and File for fetch while the guest's buffer module has none of its own (they belong to
 * the node-lib work; once `require('buffer').Blob` exists, it is used and this is not):
 * immutable bytes with a type, sliced, read as text, bytes or a stream, as the File API says.
 */
const g = globalThis as unknown as Record<string, any>;

type Part = ArrayBuffer | ArrayBufferView | FallbackBlob | string;

const kBytes = Symbol('kBytes');

function toBytes(part: Part): Uint8Array {
  if (typeof part === 'string') return new g.TextEncoder().encode(part);
  if (part instanceof FallbackBlob) return part[kBytes];
  if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
  return new g.TextEncoder().encode(String(part));
}

export class FallbackBlob {
  [kBytes]: Uint8Array;
  readonly type: string;

  constructor(parts: Iterable<Part> = [], options: { type?: string } = {}) {
    if (parts === null || typeof parts !== 'object' || typeof (parts as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw Object.assign(new TypeError('The "sources" argument must be a sequence.'), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    const chunks = [...parts].map(toBytes);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    this[kBytes] = out;
    const type = options?.type === undefined ? '' : String(options.type);
    this.type = /[^\u0020-\u007e]/.test(type) ? '' : type.toLowerCase();
  }

  get size() { return this[kBytes].length; }

  slice(start = 0, end = this.size, type = '') {
    const size = this.size;
    const from = start < 0 ? Math.max(size + start, 0) : Math.min(start, size);
    const to = end < 0 ? Math.max(size + end, 0) : Math.min(end, size);
    const blob = new FallbackBlob([], { type });
    blob[kBytes] = this[kBytes].slice(from, Math.max(from, to));
    return blob;
  }

  async arrayBuffer() { return this[kBytes].slice().buffer; }
  async bytes() { return this[kBytes].slice(); }
  async text() { return new g.TextDecoder().decode(this[kBytes]); }

  stream() {
    const bytes = this[kBytes];
    return new g.ReadableStream({
      type: 'bytes',
      start(controller: { enqueue(b: Uint8Array): void; close(): void }) {
        if (bytes.length) controller.enqueue(bytes.slice());
        controller.close();
      },
    });
  }

  get [Symbol.toStringTag]() { return 'Blob'; }
}

export class FallbackFile extends FallbackBlob {
  readonly name: string;
  readonly lastModified: number;
  constructor(parts: Iterable<Part>, name: string, options: { type?: string; lastModified?: number } = {}) {
    if (arguments.length < 2) throw Object.assign(new TypeError('The "fileName" argument must be specified'), { code: 'ERR_MISSING_ARGS' });
    super(parts, options);
    this.name = String(name);
    this.lastModified = options.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }
  get [Symbol.toStringTag]() { return 'File'; }
}

/** Blob and File globals (which the guest's buffer module re-exports) when the guest has none. */
export function ensureBlob(buffer: Record<string, unknown>): void {
  if (buffer.Blob) return;
  for (const [name, value] of [['Blob', FallbackBlob], ['File', FallbackFile]] as const) {
    if (!(name in g)) Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
}
