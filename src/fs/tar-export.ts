import { createGzip } from 'node:zlib';
import { END_OF_ARCHIVE, encodeHeader, padding, type TarEntry } from './tar-format.js';
import { readdirTree } from './readdir-tree.js';
import type { FileNode, FsNode, VirtualFs } from './vfs.js';

/** One entry to write: where it is in the archive, and its node. */
interface Listed {
  readonly name: string;
  readonly node: FsNode;
}

/**
 * The tree at `path` listed depth first (a stack, no recursion), names relative to it: the
 * export's list of what to write, made in one turn so the archive names exactly the
 * entries that were there when it began. A file path exports as the one entry it is.
 */
export function listForExport(vfs: VirtualFs, path: string): Listed[] {
  const top = vfs.lookup(path, 'scandir');
  if (top.kind !== 'directory') return [{ name: path.slice(path.lastIndexOf('/') + 1) || 'file', node: top }];
  // Each directory followed at once by what it holds (as tar writes, and as readdirTree
  // walks): tar sets a directory's times once it has left it, so its entries must not come later.
  return readdirTree(vfs, top, null, Infinity).entries;
}

/**
 * The archive, piece by piece: each entry's header and data (a file's data copied when its
 * header is made, so both describe the same moment), a hard link for every further name of
 * an inode already written. Devices (/dev) have no bytes to carry and are left out.
 */
export function* tarPieces(list: readonly Listed[]): Generator<Buffer> {
  const written = new Map<FsNode, string>();
  for (const { name, node } of list) {
    // Devices have no bytes; a socket's name means nothing without its process (GNU tar skips it too).
    if ((node.kind === 'file' && node.device) || node.kind === 'socket') continue;
    const first = node.kind === 'file' && node.nlink > 1 ? written.get(node) : undefined;
    if (node.kind === 'file' && node.nlink > 1 && !first) written.set(node, name);
    const entry: TarEntry = {
      type: first ? 'hardlink' : node.kind,
      name,
      linkname: first ?? (node.kind === 'symlink' ? node.target : ''),
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      size: !first && node.kind === 'file' ? node.size : 0,
      mtimeNs: node.mtimeNs,
      atimeNs: node.atimeNs,
      ...(node.xattrs && node.xattrs.size > 0 ? { xattrs: node.xattrs } : {}),
    };
    const data = entry.size > 0 ? Buffer.from((node as FileNode).data.subarray(0, entry.size)) : undefined;
    yield encodeHeader(entry);
    if (data) {
      yield data;
      if (padding(data.byteLength) > 0) yield Buffer.alloc(padding(data.byteLength));
    }
  }
  yield END_OF_ARCHIVE;
}

/** Cuts a stream of pieces into chunks of `chunkBytes` (the last may be shorter). */
export class Chunker {
  private parts: Buffer[] = [];
  private held = 0;
  constructor(
    private readonly chunkBytes: number,
    private readonly emit: (chunk: Buffer) => Promise<void>,
  ) {}

  async push(piece: Buffer): Promise<void> {
    let rest = piece;
    while (this.held + rest.byteLength >= this.chunkBytes) {
      const take = this.chunkBytes - this.held;
      this.parts.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      const chunk = Buffer.concat(this.parts);
      this.parts = [];
      this.held = 0;
      await this.emit(chunk);
    }
    if (rest.byteLength > 0) {
      this.parts.push(rest);
      this.held += rest.byteLength;
    }
  }

  async flush(): Promise<void> {
    if (this.held === 0) return;
    const chunk = Buffer.concat(this.parts);
    this.parts = [];
    this.held = 0;
    await this.emit(chunk);
  }
}

/**
 * Writes the archive of `list` to `emit` in chunks, gzipped when asked; `emit` may wait
 * (the host taking its notifications), so a large tree never sits in memory twice.
 * Returns the archive's bytes as sent.
 */
export async function writeArchive(list: readonly Listed[], gzip: boolean, chunkBytes: number, emit: (chunk: Buffer) => Promise<void>): Promise<number> {
  let sent = 0;
  const chunker = new Chunker(chunkBytes, async (chunk) => {
    sent += chunk.byteLength;
    await emit(chunk);
  });
  if (!gzip) {
    for (const piece of tarPieces(list)) await chunker.push(piece);
    await chunker.flush();
    return sent;
  }
  const z = createGzip();
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const drain = async () => {
    for (const b of out.splice(0)) await chunker.push(b);
  };
  for (const piece of tarPieces(list)) {
    await new Promise<void>((resolve, reject) => z.write(piece, (err) => (err ? reject(err) : resolve())));
    await drain();
  }
  await new Promise<void>((resolve, reject) => {
    z.once('error', reject);
    z.end(() => resolve());
  });
  await new Promise<void>((resolve) => (z.readableEnded ? resolve() : z.once('end', () => resolve())));
  await drain();
  await chunker.flush();
  return sent;
}
