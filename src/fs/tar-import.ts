import { createGunzip, type Gunzip } from 'node:zlib';
import { FsError } from './errors.js';
import { ArchiveError, TarReader, type ReadEntry } from './tar-read.js';
import type { TarEntry } from './tar-format.js';
import type { DirNode, FsNode, VirtualFs } from './vfs.js';

export { ArchiveError } from './tar-read.js';

const XATTR_NAME = /^(user|trusted|security|system)\./;

export interface ImportSummary {
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
}

/**
 * One fs/import: the archive arrives in chunks (gzip recognised by its magic), each entry
 * is checked as its header arrives (a name that would land outside the target, a symlink
 * pointing out of it, past the VM's room) and kept until the archive is whole. Only then
 * is it planned against what the VM holds (no entry may pass through a symlink or a file,
 * a hard link names an earlier entry) and, all checks passed, applied in one turn. So a
 * refused import changes nothing at all, whatever refused it.
 */
export class ImportSession {
  private readonly reader: TarReader;
  private gunzip: Gunzip | undefined;
  private sniffed = false;
  private failure: unknown;
  /** What the entries read so far need: bytes and inodes (counted as if none replaced anything). */
  private bytes = 0;
  private inodes = 0;

  constructor(
    private readonly vfs: VirtualFs,
    private readonly target: string,
    /** Bytes other imports of the same VM hold staged (they too will land in it). */
    private readonly stagedElsewhere: () => { bytes: number; inodes: number },
    metaMaxBytes: number,
  ) {
    this.reader = new TarReader({ admit: (entry) => this.admit(entry), metaMaxBytes });
  }

  get staged(): { bytes: number; inodes: number } {
    return { bytes: this.bytes, inodes: this.inodes };
  }

  async push(chunk: Uint8Array): Promise<void> {
    this.check();
    if (!this.sniffed && chunk.byteLength > 0) {
      this.sniffed = true;
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        const z = createGunzip();
        z.on('data', (b: Buffer) => this.feed(b));
        z.on('error', (err) => (this.failure ??= new ArchiveError('damaged', `the gzip stream is damaged: ${err.message}`)));
        this.gunzip = z;
      }
    }
    const z = this.gunzip;
    if (z) await new Promise<void>((resolve) => z.write(chunk, () => resolve()));
    else this.feed(chunk);
    this.check();
  }

  /** The archive is whole: plan it, then apply it. */
  async finish(): Promise<ImportSummary> {
    const z = this.gunzip;
    if (z) {
      await new Promise<void>((resolve) => {
        z.once('end', () => resolve());
        z.once('error', () => resolve());
        z.end();
      });
    }
    this.check();
    this.reader.end();
    return applyEntries(this.vfs, this.target, this.reader.entries);
  }

  /** Stops the gunzip stream (the import was refused or its VM went). */
  close(): void {
    this.gunzip?.destroy();
  }

  private feed(bytes: Uint8Array): void {
    if (this.failure) return;
    try {
      this.reader.push(bytes);
    } catch (err) {
      this.failure = err;
      this.gunzip?.destroy();
    }
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private admit(entry: TarEntry): void {
    const name = safeName(entry.name);
    if (name === null) return;
    if (entry.type === 'symlink') checkLinkTarget(name, entry.linkname);
    if (entry.type === 'hardlink') checkHardlink(entry);
    let xattrBytes = 0;
    for (const [key, value] of entry.xattrs ?? []) {
      if (!XATTR_NAME.test(key) || key.length > this.vfs.bounds.nameMax) throw new ArchiveError('unsupported', `'${entry.name}' has extended attribute '${key}': only user., trusted., security. and system. names are kept`);
      if (value.byteLength > this.vfs.bounds.xattrValueMax) throw new ArchiveError('unsupported', `'${entry.name}' has an extended attribute value of ${value.byteLength} bytes, past the ${this.vfs.bounds.xattrValueMax} a VM keeps`);
      xattrBytes += key.length + value.byteLength;
    }
    this.bytes += entry.size + (entry.type === 'symlink' ? entry.linkname.length : 0) + xattrBytes;
    this.inodes++;
    const others = this.stagedElsewhere();
    // ENOSPC (the quota error, logged as the limit exhausted) as soon as the archive outgrows the room left.
    this.vfs.ensureRoom(this.bytes + others.bytes, this.inodes + others.inodes, 'import');
  }
}

/**
 * An entry name made relative and normal ('./a//b/' → 'a/b'); null for the root itself
 * ('.', './'). Absolute names and any `..` are refused, as GNU tar refuses them by default.
 */
export function safeName(raw: string): string | null {
  if (raw.startsWith('/')) throw new ArchiveError('unsafe', `'${raw}' is an absolute name: entries must stay inside the import's path`, raw);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ArchiveError('unsafe', `'${raw}' contains '..': entries must stay inside the import's path`, raw);
  return parts.length === 0 ? null : parts.join('/');
}

/** A hard link must name a place inside the import's path (that it names an earlier file is checked once all is in). */
function checkHardlink(entry: TarEntry): void {
  let target: string | null;
  try {
    target = safeName(entry.linkname);
  } catch (err) {
    throw new ArchiveError('unsafe', `hard link '${entry.name}' names '${entry.linkname}', outside the import's path`, entry.name);
  }
  if (target === null) throw new ArchiveError('unsafe', `hard link '${entry.name}' names the import's own root`, entry.name);
}

/** A symlink's target must resolve, from where the link is, to a place inside the import's path. */
function checkLinkTarget(name: string, target: string): void {
  if (target === '') throw new ArchiveError('damaged', `symlink '${name}' has no target`);
  if (target.startsWith('/')) throw new ArchiveError('unsafe', `symlink '${name}' points at the absolute path '${target}', outside the import's path`, name);
  let depth = name.split('/').length - 1;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    depth += part === '..' ? -1 : 1;
    if (depth < 0) throw new ArchiveError('unsafe', `symlink '${name}' points at '${target}', outside the import's path`, name);
  }
}

type Planned = 'file' | 'directory' | 'symlink';

/**
 * Checks every entry against the archive and the VM before changing anything, then applies
 * them. Each parent on an entry's way must be a directory, of the archive or the VM: a
 * symlink (archived or already there) or a file in the way is refused, so nothing lands
 * through a link. A directory's times are set last (its entries change them).
 */
function applyEntries(vfs: VirtualFs, target: string, entries: readonly ReadEntry[]): ImportSummary {
  vfs.mkdirp(target);
  const root = vfs.lookup(target, 'import');
  if (root.kind !== 'directory') throw new FsError('ENOTDIR', 'import', target);
  const planned = new Map<string, Planned>();
  const existing = (rel: string): FsNode | undefined => {
    let node: FsNode = root;
    for (const part of rel.split('/')) {
      if (node.kind !== 'directory') return undefined;
      const next = vfs.entryOf(node as DirNode, part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  };
  const kindAt = (rel: string): Planned | 'socket' | undefined => planned.get(rel) ?? existing(rel)?.kind;
  const work: Array<{ entry: ReadEntry; rel: string }> = [];
  for (const entry of entries) {
    const rel = safeName(entry.name);
    if (rel === null) continue;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = kindAt(parent);
      if (kind === undefined) planned.set(parent, 'directory');
      else if (kind !== 'directory') throw new ArchiveError('unsafe', `'${entry.name}' would land through ${kind === 'symlink' ? 'the symlink' : 'the file'} '${parent}'`, entry.name);
    }
    const there = kindAt(rel);
    if (entry.type === 'directory' && there !== undefined && there !== 'directory') throw new ArchiveError('unsafe', `directory '${entry.name}' would replace the ${there} there`, entry.name);
    if (entry.type !== 'directory' && there === 'directory') throw new ArchiveError('unsafe', `'${entry.name}' would replace a directory`, entry.name);
    if (entry.type === 'hardlink') {
      const link = safeName(entry.linkname)!;
      if (planned.get(link) !== 'file') throw new ArchiveError('unsafe', `hard link '${entry.name}' names '${entry.linkname}', which is not a file earlier in the archive`, entry.name);
    }
    planned.set(rel, entry.type === 'hardlink' ? 'file' : entry.type);
    work.push({ entry, rel });
  }
  // Everything is checked: from here on, nothing the archive says can fail.
  const full = (rel: string) => (target === '/' ? `/${rel}` : `${target}/${rel}`);
  const summary: ImportSummary = { entries: 0, files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  const dirTimes: Array<{ path: string; entry: ReadEntry }> = [];
  for (const { entry, rel } of work) {
    const path = full(rel);
    const slash = path.lastIndexOf('/');
    if (slash > 0) vfs.mkdirp(path.slice(0, slash));
    const there = existing(rel);
    if (there && there.kind !== 'directory') vfs.unlink(path);
    switch (entry.type) {
      case 'directory':
        if (!there) vfs.mkdir(path, { mode: entry.mode });
        summary.directories++;
        break;
      case 'file':
        vfs.writeFile(path, entry.data, { mode: entry.mode, exclusive: true });
        summary.files++;
        summary.bytes += entry.data.byteLength;
        break;
      case 'symlink':
        vfs.symlink(entry.linkname, path);
        summary.symlinks++;
        break;
      case 'hardlink':
        vfs.hardlink(full(safeName(entry.linkname)!), path);
        summary.hardlinks++;
        break;
    }
    summary.entries++;
    if (entry.type === 'hardlink') continue; // the inode's attributes are its first name's
    if (entry.type !== 'symlink') vfs.chmod(path, entry.mode);
    vfs.chown(path, entry.uid, entry.gid, false);
    for (const [key, value] of entry.xattrs ?? []) vfs.setxattr(path, key, value, undefined, false);
    if (entry.type === 'directory') dirTimes.push({ path, entry });
    else vfs.utimes(path, entry.atimeNs ?? entry.mtimeNs, entry.mtimeNs, false);
  }
  for (let i = dirTimes.length - 1; i >= 0; i--) {
    const { path, entry } = dirTimes[i]!;
    vfs.utimes(path, entry.atimeNs ?? entry.mtimeNs, entry.mtimeNs, false);
  }
  return summary;
}
