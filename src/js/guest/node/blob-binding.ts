/**
 * internalBinding('blob') for Node's own lib/internal/blob.js: a blob's bytes are a list of
 * views into immutable copies (Node's getSource copies every part first), so a slice or a
 * blob made of blobs shares them and copies nothing. Readers hand out one part per pull,
 * synchronously, as Node's memory-backed reader does (status 1: more, 0: the end).
 * Object URLs (`blob:nodedata:<id>`) map an id to a handle for this process, as Node's do.
 * Everything lives on the guest's own heap, under its heap limit.
 */
import { nodeRequire } from './internal.js';

const STATUS_EOS = 0;
const STATUS_CONTINUE = 1;

class BlobHandle {
  constructor(private readonly parts: readonly Uint8Array[]) {}

  static of(sources: ReadonlyArray<Uint8Array | BlobHandle>): BlobHandle {
    const parts: Uint8Array[] = [];
    for (const source of sources) {
      if (source instanceof BlobHandle) parts.push(...source.parts);
      else if (source.byteLength > 0) parts.push(source);
    }
    return new BlobHandle(parts);
  }

  slice(start: number, end: number): BlobHandle {
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const part of this.parts) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, part.byteLength);
      if (from < to) parts.push(part.subarray(from, to));
      offset += part.byteLength;
      if (offset >= end) break;
    }
    return new BlobHandle(parts);
  }

  getReader(): { pull(callback: (status: number, buffer?: ArrayBuffer) => void): void } {
    let next = 0;
    const parts = this.parts;
    return {
      pull(callback) {
        const part = parts[next++];
        if (part === undefined) callback(STATUS_EOS);
        else callback(STATUS_CONTINUE, part.slice().buffer);
      },
    };
  }
}

function concat(buffers: ReadonlyArray<ArrayBuffer | ArrayBufferView>): ArrayBuffer {
  const views = buffers.map((b) => (ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b)));
  const out = new Uint8Array(views.reduce((n, v) => n + v.byteLength, 0));
  let at = 0;
  for (const view of views) {
    out.set(view, at);
    at += view.byteLength;
  }
  return out.buffer;
}

export function createBlobBinding() {
  const objects = new Map<string, [BlobHandle, number, string]>();
  return {
    createBlob: (sources: ReadonlyArray<Uint8Array | BlobHandle>, _length: number) => BlobHandle.of(sources),
    /** fs.openAsBlob: the file's bytes as they are now (Node reads them when the blob is read, and fails if the file changed since). */
    createBlobFromFilePath(path: string): [BlobHandle, number] | undefined {
      let bytes: Uint8Array;
      try {
        bytes = (nodeRequire('fs') as { readFileSync(p: string): Uint8Array }).readFileSync(path);
      } catch {
        return undefined;
      }
      return [BlobHandle.of([new Uint8Array(bytes)]), bytes.byteLength];
    },
    concat,
    storeDataObject(id: string, handle: BlobHandle, length: number, type: string): void {
      objects.set(id, [handle, length, type]);
    },
    getDataObject: (id: string) => objects.get(id),
    revokeObjectURL(url: string): void {
      const match = /^blob:nodedata:(.+)$/.exec(url);
      if (match) objects.delete(match[1]!);
    },
  };
}
