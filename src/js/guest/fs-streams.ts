import { nodeRequire } from './node/internal.js';

/**
 * fs.ReadStream and fs.WriteStream are Node's own (vendor/node/lib/internal/fs/streams.js),
 * loaded on first use as Node's fs.js loads them: over the `stream` builtin and the guest's
 * callback `fs` (or the `fs` override object a caller passes, or a FileHandle's methods), so
 * every read and write is an fs call of the VM with its permission and quota checks. As in
 * Node, the four classes can be replaced on `fs`, and createReadStream/createWriteStream
 * construct whichever is there then.
 */
type StreamClass = new (path: unknown, options?: unknown) => object;

export function installFileStreams(fs: object): void {
  let ReadStream: StreamClass | undefined;
  let WriteStream: StreamClass | undefined;
  let FileReadStream: StreamClass | undefined;
  let FileWriteStream: StreamClass | undefined;
  const load = () => {
    if (ReadStream) return;
    ({ ReadStream, WriteStream } = nodeRequire('internal/fs/streams') as { ReadStream: StreamClass; WriteStream: StreamClass });
    FileReadStream = ReadStream;
    FileWriteStream = WriteStream;
  };
  const accessor = (get: () => StreamClass | undefined, set: (v: StreamClass) => void): PropertyDescriptor => ({
    get() { load(); return get(); },
    set,
    enumerable: true,
    configurable: true,
  });
  Object.defineProperties(fs, {
    createReadStream: {
      value: function createReadStream(path: unknown, options?: unknown) { load(); return new ReadStream!(path, options); },
      writable: true, enumerable: true, configurable: true,
    },
    createWriteStream: {
      value: function createWriteStream(path: unknown, options?: unknown) { load(); return new WriteStream!(path, options); },
      writable: true, enumerable: true, configurable: true,
    },
    ReadStream: accessor(() => ReadStream, (v) => { ReadStream = v; }),
    WriteStream: accessor(() => WriteStream, (v) => { WriteStream = v; }),
    // Legacy names, separate because graceful-fs (and others) patch them apart.
    FileReadStream: accessor(() => FileReadStream, (v) => { FileReadStream = v; }),
    FileWriteStream: accessor(() => FileWriteStream, (v) => { FileWriteStream = v; }),
  });
}
