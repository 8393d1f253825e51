import { BLOCK, decodeHeader, padding, parsePax, parsePaxTime, type TarEntry } from './tar-format.js';

/** A tar entry as read, with its data. */
export interface ReadEntry extends TarEntry {
  data: Buffer;
}

/** Why an archive is refused: `kind` says which check (for the error's data). */
export class ArchiveError extends Error {
  constructor(
    readonly kind: 'damaged' | 'truncated' | 'unsupported' | 'unsafe',
    message: string,
    /** The entry refused, when one is. */
    readonly entry?: string,
  ) {
    super(message);
  }
}

export interface ReadBounds {
  /** Called with each entry's header before its data is taken: throw to refuse (quota). */
  admit(entry: TarEntry): void;
  /** Largest pax or GNU long-name body taken. */
  metaMaxBytes: number;
}

/**
 * Reads a tar stream pushed in pieces of any size: ustar, pax ('x' local, 'g' global) and
 * GNU ('L', 'K') headers, each header's checksum checked. An entry is handed on once its
 * data is in; its header is admitted (`admit`) before any of its data is kept, so a quota
 * stops an archive at the first entry past it. An archive that ends before its end
 * blocks, or inside an entry, is truncated.
 */
export class TarReader {
  private buffered: Buffer[] = [];
  private held = 0;
  private ended = false;
  /** Bytes taken so far: at the end, where the first end block ends. */
  private consumed = 0;
  /** The entry whose data is being read, and what is left of it (data, then padding). */
  private current: { entry: TarEntry; meta?: 'x' | 'g' | 'L' | 'K'; data: Buffer | null; got: number } | undefined;
  private pax = new Map<string, Buffer>();
  private globalPax = new Map<string, Buffer>();
  private longName: string | undefined;
  private longLink: string | undefined;
  readonly entries: ReadEntry[] = [];

  constructor(private readonly bounds: ReadBounds) {}

  get finished(): boolean {
    return this.ended;
  }

  /** Where the first end-of-archive block ends (once finished). */
  get endOffset(): number {
    return this.consumed;
  }

  push(piece: Uint8Array): void {
    if (this.ended) return; // what follows the end blocks (a writer's record padding) is ignored
    this.buffered.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    this.held += piece.byteLength;
    this.drain();
  }

  /** The stream is over: it must have ended properly. */
  end(): void {
    if (!this.ended) throw new ArchiveError('truncated', this.current ? `the archive ends inside '${this.current.entry.name}'` : 'the archive ends without its end-of-archive blocks');
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.byteLength > 0 ? [rest] : [];
    this.held -= n;
    this.consumed += n;
    return out;
  }

  private drain(): void {
    for (;;) {
      if (this.current) {
        const { entry } = this.current;
        const want = entry.size + padding(entry.size) - this.current.got;
        const n = Math.min(want, this.held);
        if (n === 0) return;
        const bytes = this.take(n);
        if (this.current.data) {
          const dataLeft = entry.size - this.current.got;
          if (dataLeft > 0) bytes.copy(this.current.data, this.current.got, 0, Math.min(dataLeft, bytes.byteLength));
        }
        this.current.got += n;
        if (this.current.got < entry.size + padding(entry.size)) return;
        const done = this.current;
        this.current = undefined;
        this.complete(done.entry, done.meta, done.data ?? Buffer.alloc(0));
        continue;
      }
      if (this.held < BLOCK) return;
      const header = decodeHeader(this.take(BLOCK));
      if (header === null) {
        // One zero block, then another: the end (a lone one is read as the end too, as GNU tar does).
        this.ended = true;
        this.buffered = [];
        this.held = 0;
        return;
      }
      if (typeof header === 'string') throw new ArchiveError('damaged', header);
      this.begin(header);
    }
  }

  private begin(h: Exclude<ReturnType<typeof decodeHeader>, null | string>): void {
    const meta = h.typeflag === 'x' || h.typeflag === 'g' || h.typeflag === 'L' || h.typeflag === 'K' ? h.typeflag : undefined;
    if (meta) {
      if (h.size > this.bounds.metaMaxBytes) throw new ArchiveError('unsupported', `an extended header of ${h.size} bytes is past the ${this.bounds.metaMaxBytes} taken`);
      this.current = { entry: { type: 'file', name: h.name, linkname: '', mode: 0, uid: 0, gid: 0, size: h.size, mtimeNs: 0n }, meta, data: Buffer.alloc(h.size), got: 0 };
      return;
    }
    const type = h.typeflag === '0' || h.typeflag === '7' ? 'file' : h.typeflag === '5' ? 'directory' : h.typeflag === '2' ? 'symlink' : h.typeflag === '1' ? 'hardlink' : undefined;
    const rawName = this.longName ?? h.name;
    if (!type) throw new ArchiveError('unsupported', `'${rawName}' is of tar type '${h.typeflag}' (a device, fifo or sparse file): only files, directories, symlinks and hard links are taken`);
    const attrs = new Map([...this.globalPax, ...this.pax]);
    const text = (key: string) => attrs.get(key)?.toString('utf8');
    const number = (key: string, fallback: number) => {
      const t = text(key);
      if (t === undefined) return fallback;
      if (!/^\d{1,16}$/.test(t)) throw new ArchiveError('damaged', `pax ${key} '${t}' is not a number`);
      return Number(t);
    };
    const time = (key: string) => {
      const t = text(key);
      if (t === undefined) return undefined;
      const ns = parsePaxTime(t);
      if (ns === undefined) throw new ArchiveError('damaged', `pax ${key} '${t}' is not a time`);
      return ns;
    };
    const xattrs = new Map<string, Uint8Array>();
    for (const [key, value] of attrs) if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    const name = (text('path') ?? rawName).replace(/\/+$/, '');
    const size = type === 'file' ? number('size', h.size) : 0;
    const entry: TarEntry = {
      type,
      name,
      linkname: text('linkpath') ?? this.longLink ?? h.linkname,
      mode: h.mode & 0o7777,
      uid: number('uid', h.uid),
      gid: number('gid', h.gid),
      size,
      mtimeNs: time('mtime') ?? BigInt(h.mtime) * 1_000_000_000n,
      ...(time('atime') !== undefined ? { atimeNs: time('atime') } : {}),
      ...(xattrs.size > 0 ? { xattrs } : {}),
    };
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    // A hard link or symlink header may still say a size: its data (none) is skipped as ustar says.
    const skip = type === 'file' ? 0 : h.size;
    this.bounds.admit(entry);
    this.current = { entry: { ...entry, size: size || skip }, data: type === 'file' ? Buffer.alloc(size) : null, got: 0 };
    if (type !== 'file') this.current.entry.size = skip;
    if (this.current.entry.size === 0) {
      const done = this.current;
      this.current = undefined;
      this.complete({ ...done.entry, size }, undefined, Buffer.alloc(0));
    }
  }

  private complete(entry: TarEntry, meta: 'x' | 'g' | 'L' | 'K' | undefined, data: Buffer): void {
    if (meta === 'x' || meta === 'g') {
      const records = parsePax(data);
      if (typeof records === 'string') throw new ArchiveError('damaged', records);
      if (meta === 'x') this.pax = records;
      else for (const [k, v] of records) this.globalPax.set(k, v);
      return;
    }
    if (meta === 'L' || meta === 'K') {
      const end = data.indexOf(0);
      const value = data.toString('utf8', 0, end < 0 ? data.byteLength : end);
      if (meta === 'L') this.longName = value;
      else this.longLink = value;
      return;
    }
    this.entries.push({ ...entry, size: entry.type === 'file' ? data.byteLength : 0, data });
  }
}

/**
 * The entries of a whole archive held in memory (a snapshot import's upload), which must end
 * with both its end blocks: with the whole archive at hand, one alone means it was cut. Its
 * own length bounds every extended header, unless `bounds` says tighter.
 */
export function readTar(archive: Uint8Array, bounds: ReadBounds = { admit: () => {}, metaMaxBytes: archive.byteLength }): ReadEntry[] {
  const reader = new TarReader(bounds);
  reader.push(archive);
  reader.end();
  const second = archive.subarray(reader.endOffset, reader.endOffset + BLOCK);
  if (second.byteLength < BLOCK || !second.every((b) => b === 0)) throw new ArchiveError('truncated', `the archive ends at byte ${archive.byteLength} with half an end-of-archive marker`);
  return reader.entries;
}
