/**
 * `v8`: heap statistics from the isolate (the daemon's 'usage' op), serialize/deserialize
 * over ./v8-serdes.ts with Node's host-object layout for ArrayBufferViews (lib/v8.js: a
 * type index, the byte length and the bytes), and what a sandbox cannot offer said so:
 * setFlagsFromString changes nothing (flags are the daemon's), heap snapshots and coverage
 * are not available.
 */
import { processUsage } from '../process.js';
import { nodeRequire } from './internal.js';
import { configureSerdes, Deserializer, Serializer } from './v8-serdes.js';

const VIEW_TYPES = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'DataView', 'Buffer', 'BigInt64Array', 'BigUint64Array'];

function bufferCtor(): { from(b: ArrayBufferLike, o: number, l: number): Uint8Array; prototype: object } {
  return (globalThis as unknown as { Buffer: never }).Buffer;
}

class DefaultSerializer extends Serializer {
  constructor() {
    super();
    this._setTreatArrayBufferViewsAsHostObjects(true);
  }

  override _writeHostObject(view: object): void {
    const B = bufferCtor();
    let i = 10;
    if ((view as { constructor?: unknown }).constructor !== B) {
      const tag = Object.prototype.toString.call(view).slice(8, -1);
      i = tag === 'Buffer' ? -1 : VIEW_TYPES.indexOf(tag);
    }
    if (i === -1) throw this._getDataCloneError(`Unserializable host object: ${nodeRequire('util').inspect(view)}`);
    const v = view as ArrayBufferView;
    this.writeUint32(i);
    this.writeUint32(v.byteLength);
    this.writeRawBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
}

class DefaultDeserializer extends Deserializer {
  override _readHostObject(): unknown {
    const index = this.readUint32();
    const name = VIEW_TYPES[index];
    const byteLength = this.readUint32();
    const offset = this._readRawBytes(byteLength);
    if (name === undefined) throw new Error('Unable to deserialize cloned data.');
    const B = bufferCtor();
    if (name === 'Buffer') return B.from(this.buffer.buffer, this.buffer.byteOffset + offset, byteLength);
    const ctor = (globalThis as unknown as Record<string, { new (b: ArrayBufferLike, o: number, l: number): unknown; BYTES_PER_ELEMENT?: number }>)[name]!;
    const size = ctor.BYTES_PER_ELEMENT ?? 1;
    const at = this.buffer.byteOffset + offset;
    if (at % size === 0) return new ctor(this.buffer.buffer, at, byteLength / size);
    const copy = new Uint8Array(this.buffer.buffer, at, byteLength).slice();
    return new ctor(copy.buffer, 0, byteLength / size);
  }
}

function serialize(value: unknown): Uint8Array {
  const ser = new DefaultSerializer();
  ser.writeHeader();
  ser.writeValue(value);
  return ser.releaseBuffer();
}

function deserialize(buffer: unknown): unknown {
  const der = new DefaultDeserializer(buffer);
  der.readHeader();
  return der.readValue();
}

function getHeapStatistics() {
  const u = processUsage();
  return {
    total_heap_size: u.heapTotal,
    total_heap_size_executable: 0,
    total_physical_size: u.heapTotal,
    total_available_size: Math.max(0, u.heapLimit - u.heapUsed),
    used_heap_size: u.heapUsed,
    heap_size_limit: u.heapLimit,
    malloced_memory: u.external,
    peak_malloced_memory: u.external,
    does_zap_garbage: 0,
    number_of_native_contexts: 1,
    number_of_detached_contexts: 0,
    total_global_handles_size: 0,
    used_global_handles_size: 0,
    external_memory: u.external,
  };
}

/** The isolate reports its heap as a whole: one space carries it, the others are empty. */
function getHeapSpaceStatistics() {
  const u = processUsage();
  const names = ['read_only_space', 'new_space', 'old_space', 'code_space', 'shared_space', 'new_large_object_space', 'large_object_space', 'code_large_object_space', 'shared_large_object_space'];
  return names.map((space_name) => {
    const whole = space_name === 'old_space';
    return { space_name, space_size: whole ? u.heapTotal : 0, space_used_size: whole ? u.heapUsed : 0, space_available_size: whole ? Math.max(0, u.heapTotal - u.heapUsed) : 0, physical_space_size: whole ? u.heapTotal : 0 };
  });
}

function getHeapCodeStatistics() {
  return { code_and_metadata_size: 0, bytecode_and_metadata_size: 0, external_script_source_size: 0, cpu_profiler_metadata_size: 0 };
}

function setFlagsFromString(flags: unknown): void {
  nodeRequire('internal/validators').validateString(flags, 'flags');
  // V8's flags belong to the daemon's process, shared by every VM: a guest cannot change them.
}

const notAvailable = (name: string) => () => {
  const { ERR_METHOD_NOT_IMPLEMENTED } = nodeRequire('internal/errors').codes;
  throw new ERR_METHOD_NOT_IMPLEMENTED(name);
};

/** V8's tag: a hash of its version and flags; the daemon's V8 is fixed for a run. */
function cachedDataVersionTag(): number {
  const v = String((globalThis as { process?: { versions?: { v8?: string } } }).process?.versions?.v8 ?? '');
  let h = 0;
  for (let i = 0; i < v.length; i++) h = (Math.imul(h, 31) + v.charCodeAt(i)) >>> 0;
  return h;
}

export function createV8() {
  configureSerdes(nodeRequire);
  return {
    cachedDataVersionTag,
    getHeapSnapshot: notAvailable('getHeapSnapshot'),
    getHeapStatistics,
    getHeapSpaceStatistics,
    getHeapCodeStatistics,
    setFlagsFromString,
    Serializer,
    Deserializer,
    DefaultSerializer,
    DefaultDeserializer,
    deserialize,
    takeCoverage: () => {},
    stopCoverage: () => {},
    serialize,
    writeHeapSnapshot: notAvailable('writeHeapSnapshot'),
    setHeapSnapshotNearHeapLimit: () => {},
  };
}
