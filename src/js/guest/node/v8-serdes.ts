/**
 * V8's ValueSerializer wire format (format version 15, as V8 11.3 in Node 20 writes it),
 * in JavaScript: the `Serializer`/`Deserializer` classes `v8` exports, for the structured-clone
 * types. A script cannot see V8's internal representation, so where V8 decides by it this
 * decides by value: a string is one-byte when every code unit is below 256, a number is an
 * int32 ('I') when it is one (V8 writes a heap number holding an integer as 'N'), an array is
 * dense when it has no holes. Host objects go to `_writeHostObject`, as V8 calls its delegate.
 */
const VERSION = 15;
const T = {
  padding: 0x00, verifyObjectCount: 0x3f, undefined: 0x5f, null: 0x30, true: 0x54, false: 0x46,
  int32: 0x49, uint32: 0x55, double: 0x4e, bigint: 0x5a, utf8: 0x53, oneByte: 0x22, twoByte: 0x63,
  ref: 0x5e, beginObject: 0x6f, endObject: 0x7b, beginSparse: 0x61, endSparse: 0x40, beginDense: 0x41, endDense: 0x24,
  date: 0x44, trueObj: 0x79, falseObj: 0x78, numberObj: 0x6e, bigintObj: 0x7a, stringObj: 0x73, regexp: 0x52,
  beginMap: 0x3b, endMap: 0x3a, beginSet: 0x27, endSet: 0x2c, arrayBuffer: 0x42, view: 0x56, host: 0x5c, error: 0x72,
} as const;
const REGEXP_FLAGS = 'gimuys'; // bit order: g=1 i=2 m=4 ... (V8's JSRegExp::Flags, 'linear' and 'd' after)

/** Node's Serializer.prototype._getDataCloneError is Error itself. */
function cloneError(message: string): Error {
  return new Error(message);
}

export class Serializer {
  #bytes: number[] = [];
  #ids = new Map<object, number>();
  #nextId = 0;
  #viewsAsHost = false;

  writeHeader(): void {
    this.#bytes.push(0xff);
    this.writeUint32(VERSION);
  }

  writeValue(value: unknown): boolean {
    this.#write(value);
    return true;
  }

  releaseBuffer(): Uint8Array {
    const B = (globalThis as unknown as { Buffer: { from(a: number[]): Uint8Array } }).Buffer;
    const out = B.from(this.#bytes);
    this.#bytes = [];
    return out;
  }

  transferArrayBuffer(): void {
    throw cloneError('transferArrayBuffer is not supported in this runtime');
  }

  writeUint32(n: number): void {
    let v = n >>> 0;
    while (v >= 0x80) { this.#bytes.push((v & 0x7f) | 0x80); v >>>= 7; }
    this.#bytes.push(v);
  }

  writeUint64(hi: number, lo: number): void {
    let v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    while (v >= 0x80n) { this.#bytes.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    this.#bytes.push(Number(v));
  }

  writeDouble(n: number): void {
    const b = new Uint8Array(new Float64Array([n]).buffer);
    for (const x of b) this.#bytes.push(x);
  }

  writeRawBytes(source: ArrayBufferView): void {
    if (!ArrayBuffer.isView(source)) {
      const { ERR_INVALID_ARG_TYPE } = require_('internal/errors').codes;
      throw new ERR_INVALID_ARG_TYPE('source', ['Buffer', 'TypedArray', 'DataView'], source);
    }
    for (const x of new Uint8Array(source.buffer, source.byteOffset, source.byteLength)) this.#bytes.push(x);
  }

  _setTreatArrayBufferViewsAsHostObjects(flag: boolean): void {
    this.#viewsAsHost = Boolean(flag);
  }

  _getDataCloneError(message: string): Error {
    return cloneError(message);
  }

  _writeHostObject(_object: object): void {
    throw this._getDataCloneError(`Unserializable host object: ${String(_object)}`);
  }

  #tag(t: number): void {
    this.#bytes.push(t);
  }

  #zigzag(n: number): void {
    this.writeUint32(((n << 1) ^ (n >> 31)) >>> 0);
  }

  #string(s: string): void {
    let oneByte = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) { oneByte = false; break; }
    if (oneByte) {
      this.#tag(T.oneByte);
      this.writeUint32(s.length);
      for (let i = 0; i < s.length; i++) this.#bytes.push(s.charCodeAt(i));
      return;
    }
    const len = s.length * 2;
    let varintLen = 1;
    for (let v = len; v >= 0x80; v >>>= 7) varintLen++;
    if ((this.#bytes.length + 1 + varintLen) & 1) this.#tag(T.padding);
    this.#tag(T.twoByte);
    this.writeUint32(len);
    for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); this.#bytes.push(c & 0xff, c >> 8); }
  }

  #bigint(v: bigint): void {
    const neg = v < 0n;
    let mag = neg ? -v : v;
    const digits: bigint[] = [];
    while (mag > 0n) { digits.push(mag & 0xffffffffffffffffn); mag >>= 64n; }
    this.writeUint32((digits.length * 8 * 2) | (neg ? 1 : 0)); // bitfield: sign bit, then byte length
    for (const d of digits) for (let i = 0n; i < 64n; i += 8n) this.#bytes.push(Number((d >> i) & 0xffn));
  }

  #number(n: number): void {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff && !Object.is(n, -0)) {
      this.#tag(T.int32);
      this.#zigzag(n);
    } else {
      this.#tag(T.double);
      this.writeDouble(n);
    }
  }

  #write(value: unknown): void {
    switch (typeof value) {
      case 'undefined': return this.#tag(T.undefined);
      case 'boolean': return this.#tag(value ? T.true : T.false);
      case 'number': return this.#number(value);
      case 'bigint': this.#tag(T.bigint); return this.#bigint(value);
      case 'string': return this.#string(value);
      case 'symbol': throw this._getDataCloneError(`${String(value)} could not be cloned.`);
      case 'function': throw this._getDataCloneError(`${String(value)} could not be cloned.`);
    }
    if (value === null) return this.#tag(T.null);
    const obj = value as object;
    const seen = this.#ids.get(obj);
    if (seen !== undefined) { this.#tag(T.ref); return this.writeUint32(seen); }
    if (ArrayBuffer.isView(obj) && this.#viewsAsHost) {
      this.#ids.set(obj, this.#nextId++);
      this.#tag(T.host);
      return this._writeHostObject(obj);
    }
    this.#ids.set(obj, this.#nextId++);
    const tag = Object.prototype.toString.call(obj);
    if (Array.isArray(obj)) return this.#array(obj);
    if (tag === '[object Date]') { this.#tag(T.date); return this.writeDouble(Date.prototype.getTime.call(obj)); }
    if (tag === '[object RegExp]') {
      const re = obj as RegExp;
      this.#tag(T.regexp);
      this.#string(re.source);
      let flags = 0;
      for (const f of re.flags) { const i = REGEXP_FLAGS.indexOf(f); if (i >= 0) flags |= 1 << i; else if (f === 'd') flags |= 1 << 7; else if (f === 'v') flags |= 1 << 8; }
      return this.writeUint32(flags);
    }
    if (obj instanceof Map) {
      this.#tag(T.beginMap);
      for (const [k, v] of obj) { this.#write(k); this.#write(v); }
      this.#tag(T.endMap);
      return this.writeUint32(obj.size * 2);
    }
    if (obj instanceof Set) {
      this.#tag(T.beginSet);
      for (const v of obj) this.#write(v);
      this.#tag(T.endSet);
      return this.writeUint32(obj.size);
    }
    if (obj instanceof ArrayBuffer) {
      this.#tag(T.arrayBuffer);
      this.writeUint32(obj.byteLength);
      return this.writeRawBytes(new Uint8Array(obj));
    }
    if (tag === '[object Number]') { this.#tag(T.numberObj); return this.writeDouble(Number.prototype.valueOf.call(obj)); }
    if (tag === '[object Boolean]') return this.#tag(Boolean.prototype.valueOf.call(obj) ? T.trueObj : T.falseObj);
    if (tag === '[object String]') { this.#tag(T.stringObj); return this.#string(String.prototype.valueOf.call(obj)); }
    if (tag === '[object BigInt]') { this.#tag(T.bigintObj); return this.#bigint(BigInt.prototype.valueOf.call(obj)); }
    if (obj instanceof Error) return this.#error(obj);
    if (ArrayBuffer.isView(obj) || tag === '[object Promise]' || tag === '[object WeakMap]' || tag === '[object WeakSet]' || typeof (obj as { then?: unknown }) === 'function') {
      throw this._getDataCloneError(`${inspectish(obj)} could not be cloned.`);
    }
    this.#tag(T.beginObject);
    const n = this.#properties(obj, Object.keys(obj));
    this.#tag(T.endObject);
    this.writeUint32(n);
  }

  #properties(obj: object, keys: string[]): number {
    let n = 0;
    for (const key of keys) {
      if (!Object.prototype.propertyIsEnumerable.call(obj, key)) continue;
      const index = Number(key);
      if (String(index >>> 0) === key && index !== 0xffffffff) this.#number(index);
      else this.#string(key);
      this.#write((obj as Record<string, unknown>)[key]);
      n++;
    }
    return n;
  }

  #array(arr: unknown[]): void {
    const length = arr.length;
    let holey = false;
    for (let i = 0; i < length; i++) if (!(i in arr)) { holey = true; break; }
    const keys = Object.keys(arr);
    if (!holey) {
      this.#tag(T.beginDense);
      this.writeUint32(length);
      for (let i = 0; i < length; i++) this.#write(arr[i]);
      const extra = this.#properties(arr, keys.slice(length));
      this.#tag(T.endDense);
      this.writeUint32(extra);
      return this.writeUint32(length);
    }
    this.#tag(T.beginSparse);
    this.writeUint32(length);
    const n = this.#properties(arr, keys);
    this.#tag(T.endSparse);
    this.writeUint32(n);
    this.writeUint32(length);
  }

  #error(err: Error): void {
    this.#tag(T.error);
    const proto: Record<string, number> = { EvalError: 0x45, RangeError: 0x52, ReferenceError: 0x46, SyntaxError: 0x53, TypeError: 0x54, URIError: 0x55 };
    const sub = proto[err.name];
    if (sub) this.#tag(sub);
    const msg = Object.getOwnPropertyDescriptor(err, 'message');
    if (msg && 'value' in msg) { this.#tag(0x6d); this.#string(String(msg.value)); }
    if (typeof err.stack === 'string') { this.#tag(0x73); this.#string(err.stack); }
    this.#tag(0x2e);
  }
}

const inspectish = (v: object) => { try { return `#<${v.constructor?.name ?? 'Object'}>`; } catch { return '#<Object>'; } };
let require_: (id: string) => any = () => { throw new Error('not configured'); };
export function configureSerdes(req: (id: string) => any): void {
  require_ = req;
}

export class Deserializer {
  buffer: Uint8Array;
  #pos = 0;
  #version = 0;
  #objects: unknown[] = [];

  constructor(buffer: unknown) {
    if (!ArrayBuffer.isView(buffer)) {
      const { ERR_INVALID_ARG_TYPE } = require_('internal/errors').codes;
      throw new ERR_INVALID_ARG_TYPE('buffer', ['Buffer', 'TypedArray', 'DataView'], buffer);
    }
    this.buffer = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    // Node's Buffer-typed view, for _readHostObject's `this.buffer.buffer`.
    this.buffer = buffer as Uint8Array;
  }

  #byte(): number {
    if (this.#pos >= this.buffer.byteLength) throw new Error('Unable to deserialize cloned data.');
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength)[this.#pos++]!;
  }

  readHeader(): boolean {
    if (this.#peek() === 0xff) { this.#pos++; this.#version = this.readUint32(); }
    if (this.#version > VERSION) throw new Error('Unable to deserialize cloned data due to invalid or unsupported version.');
    return true;
  }

  getWireFormatVersion(): number {
    return this.#version;
  }

  #peek(): number | undefined {
    return this.#pos < this.buffer.byteLength ? new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength)[this.#pos] : undefined;
  }

  readUint32(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.#byte();
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) return v >>> 0;
    }
  }

  readUint64(): [number, number] {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.#byte();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return [Number(v >> 32n) >>> 0, Number(v & 0xffffffffn) >>> 0];
    }
  }

  readDouble(): number {
    const b = new Uint8Array(8);
    for (let i = 0; i < 8; i++) b[i] = this.#byte();
    return new Float64Array(b.buffer)[0]!;
  }

  _readRawBytes(length: number): number {
    const offset = this.#pos;
    if (offset + length > this.buffer.byteLength) throw new Error('Unable to deserialize cloned data.');
    this.#pos += length;
    return offset;
  }

  readRawBytes(length: number): Uint8Array {
    const offset = this._readRawBytes(length);
    const B = (globalThis as unknown as { Buffer: { from(b: ArrayBuffer, o: number, l: number): Uint8Array } }).Buffer;
    return B.from(this.buffer.buffer as ArrayBuffer, this.buffer.byteOffset + offset, length);
  }

  transferArrayBuffer(): void {
    throw new Error('transferArrayBuffer is not supported in this runtime');
  }

  _readHostObject(): unknown {
    throw cloneError('Unable to deserialize cloned data.');
  }

  readValue(): unknown {
    return this.#read();
  }

  #bytes(n: number): Uint8Array {
    const off = this._readRawBytes(n);
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset + off, n);
  }

  #string(tag: number): string {
    const len = this.readUint32();
    const b = this.#bytes(len);
    if (tag === T.oneByte) { let s = ''; for (const c of b) s += String.fromCharCode(c); return s; }
    if (tag === T.utf8) return new (globalThis as unknown as { TextDecoder: new () => { decode(b: Uint8Array): string } }).TextDecoder().decode(b);
    let s = '';
    for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
    return s;
  }

  #anyString(): string {
    let tag = this.#byte();
    while (tag === T.padding) tag = this.#byte();
    return this.#string(tag);
  }

  #bigint(): bigint {
    const bits = this.readUint32();
    const bytes = this.#bytes(bits >>> 1);
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    return bits & 1 ? -v : v;
  }

  #add<V>(v: V): V {
    this.#objects.push(v);
    return v;
  }

  #properties(target: Record<string, unknown>, end: number): number {
    let n = 0;
    for (;;) {
      let t = this.#peek();
      while (t === T.padding) { this.#pos++; t = this.#peek(); }
      if (t === end) { this.#pos++; return n; }
      const key = this.#read();
      target[key as string] = this.#read();
      n++;
    }
  }

  #read(): unknown {
    const tag = this.#byte();
    switch (tag) {
      case T.padding: return this.#read();
      case T.verifyObjectCount: this.readUint32(); return this.#read();
      case T.undefined: return undefined;
      case T.null: return null;
      case T.true: return true;
      case T.false: return false;
      case T.int32: { const z = this.readUint32(); return (z >>> 1) ^ -(z & 1); }
      case T.uint32: return this.readUint32();
      case T.double: return this.readDouble();
      case T.bigint: return this.#bigint();
      case T.utf8: case T.oneByte: case T.twoByte: return this.#string(tag);
      case T.ref: {
        const id = this.readUint32();
        if (id >= this.#objects.length) throw new Error('Unable to deserialize cloned data.');
        return this.#objects[id];
      }
      case T.beginObject: { const o = this.#add({} as Record<string, unknown>); const n = this.#properties(o, T.endObject); this.#count(n); return o; }
      case T.beginDense: {
        const len = this.readUint32();
        const arr = this.#add(new Array(len));
        for (let i = 0; i < len; i++) { if (this.#peek() === 0x2d) { this.#pos++; continue; } arr[i] = this.#read(); } // 0x2d: the hole tag
        this.#properties(arr as never, T.endDense);
        this.readUint32(); this.readUint32();
        return arr;
      }
      case T.beginSparse: {
        const len = this.readUint32();
        const arr = this.#add(new Array(len));
        this.#properties(arr as never, T.endSparse);
        this.readUint32(); this.readUint32();
        return arr;
      }
      case T.date: return this.#add(new Date(this.readDouble()));
      case T.trueObj: return this.#add(Object(true));
      case T.falseObj: return this.#add(Object(false));
      case T.numberObj: return this.#add(Object(this.readDouble()));
      case T.bigintObj: return this.#add(Object(this.#bigint()));
      case T.stringObj: return this.#add(Object(this.#anyString()));
      case T.regexp: {
        const source = this.#anyString();
        const bits = this.readUint32();
        let flags = '';
        if (bits & (1 << 7)) flags += 'd';
        for (let i = 0; i < REGEXP_FLAGS.length; i++) if (bits & (1 << i)) flags += REGEXP_FLAGS[i];
        if (bits & (1 << 8)) flags += 'v';
        return this.#add(new RegExp(source, flags));
      }
      case T.beginMap: {
        const m = this.#add(new Map());
        while (this.#peek() !== T.endMap) m.set(this.#read(), this.#read());
        this.#pos++; this.readUint32();
        return m;
      }
      case T.beginSet: {
        const s = this.#add(new Set());
        while (this.#peek() !== T.endSet) s.add(this.#read());
        this.#pos++; this.readUint32();
        return s;
      }
      case T.arrayBuffer: {
        const len = this.readUint32();
        const ab = this.#bytes(len).slice().buffer;
        this.#add(ab);
        if (this.#peek() === T.view) { this.#pos++; return this.#view(ab); }
        return ab;
      }
      case T.host: {
        const slot = this.#objects.length;
        this.#objects.push(undefined);
        const obj = this._readHostObject();
        this.#objects[slot] = obj;
        return obj;
      }
      case T.error: return this.#add(this.#errorValue());
      default: throw new Error('Unable to deserialize cloned data.');
    }
  }

  #count(_n: number): void {
    this.readUint32();
  }

  #view(ab: ArrayBuffer): unknown {
    const sub = this.#byte();
    const offset = this.readUint32();
    const length = this.readUint32();
    if (this.#version >= 14) this.readUint32();
    const types: Record<number, { new (b: ArrayBuffer, o: number, l: number): unknown; BYTES_PER_ELEMENT?: number }> = { 0x62: Int8Array, 0x42: Uint8Array, 0x43: Uint8ClampedArray, 0x77: Int16Array, 0x57: Uint16Array, 0x64: Int32Array, 0x44: Uint32Array, 0x66: Float32Array, 0x46: Float64Array, 0x71: BigInt64Array, 0x51: BigUint64Array, 0x3f: DataView };
    const C = types[sub];
    if (!C) throw new Error('Unable to deserialize cloned data.');
    return this.#add(new C(ab, offset, length / (C.BYTES_PER_ELEMENT ?? 1)));
  }

  #errorValue(): Error {
    let ctor: ErrorConstructor = Error;
    let message: string | undefined;
    let stack: string | undefined;
    const subs: Record<number, ErrorConstructor> = { 0x45: EvalError, 0x52: RangeError, 0x46: ReferenceError, 0x53: SyntaxError, 0x54: TypeError, 0x55: URIError };
    for (;;) {
      const t = this.#byte();
      if (t === 0x2e) break;
      if (subs[t]) ctor = subs[t]!;
      else if (t === 0x6d) message = this.#anyString();
      else if (t === 0x73) stack = this.#anyString();
      else if (t === 0x63) this.#read();
      else throw new Error('Unable to deserialize cloned data.');
    }
    const err = message === undefined ? new ctor() : new ctor(message);
    if (stack !== undefined) Object.defineProperty(err, 'stack', { value: stack, writable: true, configurable: true });
    return err;
  }
}
