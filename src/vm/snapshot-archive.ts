import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { VmDns, VmLimits, VmNetworkOptions, VmPermissions } from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import { FsError } from '../fs/errors.js';
import { VirtualFs, type DirNode, type FsBounds, type FsImage, type FsNode } from '../fs/vfs.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from '../fs/tar-format.js';
import { ArchiveError, readTar, type ReadEntry } from '../fs/tar-read.js';
import type { VmSnapshot } from './snapshots.js';

/**
 * Snapshot archives: a tar whose first entry, `agentos-snapshot.json`, is the manifest
 * (format name and version, the VM's configuration, and every entry's attributes: mode,
 * owner, the four times in nanoseconds, extended attributes, a file's sha256), followed by
 * the tree under `fs/` in the manifest's order (directories before what they hold; a hard
 * link as a tar link to the entry first naming its inode). Any tar reader can unpack it;
 * the manifest is what makes the round trip exact.
 */
export const ARCHIVE_FORMAT = 'agentos-snapshot';
export const ARCHIVE_VERSION = 1;
const MANIFEST_NAME = 'agentos-snapshot.json';
const NS = 1_000_000_000n;

const Ns = Type.String({ pattern: '^[0-9]{1,25}$' });
const Meta = {
  mode: Type.Integer({ minimum: 0, maximum: 0o7777 }),
  uid: Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 }),
  gid: Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 }),
  atimeNs: Ns, mtimeNs: Ns, ctimeNs: Ns, birthtimeNs: Ns,
  xattrs: Type.Optional(Type.Record(Type.String(), Type.String({ description: 'base64' }))),
};
const EntrySchema = Type.Union([
  Type.Object({ path: Type.String(), type: Type.Literal('directory'), ...Meta }, { additionalProperties: false }),
  Type.Object({ path: Type.String(), type: Type.Literal('file'), size: Type.Integer({ minimum: 0 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), ...Meta }, { additionalProperties: false }),
  Type.Object({ path: Type.String(), type: Type.Literal('symlink'), target: Type.String(), ...Meta }, { additionalProperties: false }),
  Type.Object({ path: Type.String(), type: Type.Literal('link'), linkTo: Type.String() }, { additionalProperties: false }),
]);
const ManifestSchema = Type.Object({
  format: Type.Literal(ARCHIVE_FORMAT),
  version: Type.Literal(ARCHIVE_VERSION),
  config: Type.Object({
    env: Type.Record(Type.String(), Type.String()),
    cwd: Type.String({ minLength: 1 }),
    limits: VmLimits,
    permissions: VmPermissions,
    bindings: Type.Array(Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', maxLength: 128 }), { maxItems: 256 }),
    network: Type.Optional(VmNetworkOptions),
    dns: Type.Optional(VmDns),
  }, { additionalProperties: false }),
  bytes: Type.Integer({ minimum: 0 }),
  files: Type.Integer({ minimum: 1 }),
  root: Type.Object(Meta, { additionalProperties: false }),
  entries: Type.Array(EntrySchema),
  settled: Type.Record(Type.String(), Type.Array(Type.String())),
}, { additionalProperties: false });
type Manifest = Static<typeof ManifestSchema>;
type Entry = Static<typeof EntrySchema>;
const checkManifest = TypeCompiler.Compile(ManifestSchema);

/** The latest version of a frozen node in `image` (see VirtualFs.detached). */
const latest = <T extends FsNode>(image: FsImage, node: T): T => (image.detached.get(node.ino) ?? node) as T;

function metaOf(node: FsNode): Static<typeof ManifestSchema>['root'] {
  const xattrs = node.xattrs && node.xattrs.size > 0 ? Object.fromEntries([...node.xattrs].map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : undefined;
  return {
    mode: node.mode, uid: node.uid, gid: node.gid,
    atimeNs: String(node.atimeNs), mtimeNs: String(node.mtimeNs), ctimeNs: String(node.ctimeNs), birthtimeNs: String(node.birthtimeNs),
    ...(xattrs ? { xattrs } : {}),
  };
}

interface Planned {
  entry: Entry;
  node: FsNode;
}

/**
 * Lists a snapshot's tree in archive order (depth first, names sorted, with a stack: any
 * depth). Device nodes (/dev/null…) are left out: every VM's /dev makes them again.
 */
function plan(snapshot: VmSnapshot): { manifest: Manifest; planned: Planned[] } {
  const image = snapshot.fs;
  const root = latest(image, image.root);
  const planned: Planned[] = [];
  const firstName = new Map<number, string>();
  const settled: Record<string, string[]> = {};
  const stack: Array<{ dir: DirNode; path: string }> = [{ dir: root, path: '' }];
  const lazyAt = new Map<number, ReadonlySet<string>>(image.settled);
  while (stack.length > 0) {
    const { dir, path } = stack.pop()!;
    const names = [...dir.entries.keys()].sort();
    const devices = new Set<string>();
    const subdirs: Array<{ dir: DirNode; path: string }> = [];
    for (const name of names) {
      const node = latest(image, dir.entries.get(name)!);
      const at = path === '' ? name : `${path}/${name}`;
      if (node.kind === 'file' && node.device) {
        devices.add(name);
        continue;
      }
      // A socket's name outlives nothing: its listener is a process's, gone in the copy.
      if (node.kind === 'socket') continue;
      const seen = node.kind !== 'directory' ? firstName.get(node.ino) : undefined;
      if (seen !== undefined) {
        planned.push({ entry: { path: at, type: 'link', linkTo: seen }, node });
        continue;
      }
      if (node.kind !== 'directory') firstName.set(node.ino, at);
      if (node.kind === 'directory') {
        planned.push({ entry: { path: at, type: 'directory', ...metaOf(node) }, node });
        subdirs.push({ dir: node, path: at });
      } else if (node.kind === 'symlink') {
        planned.push({ entry: { path: at, type: 'symlink', target: node.target, ...metaOf(node) }, node });
      } else {
        const sha256 = createHash('sha256').update(node.data.subarray(0, node.size)).digest('hex');
        planned.push({ entry: { path: at, type: 'file', size: node.size, sha256, ...metaOf(node) }, node });
      }
    }
    const lazy = lazyAt.get(dir.ino);
    if (lazy) settled[path] = [...lazy].filter((name) => !devices.has(name)).sort();
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  const { env, cwd, limits, permissions, bindings, network: withSecrets, dns } = snapshot.config;
  // Injected credentials (network.inject) stay in this daemon: an archive travels where the host's secrets must not.
  const network = withSecrets && { ...withSecrets, inject: undefined };
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION,
    config: { env: { ...env }, cwd, limits: { ...limits }, permissions: { ...permissions }, bindings: [...bindings], ...(network ? { network } : {}), ...(dns ? { dns } : {}) },
    bytes: image.bytes, files: image.inodes, root: metaOf(root), entries: planned.map((p) => p.entry), settled,
  };
  return { manifest, planned };
}

/**
 * A snapshot as archive pieces, in order (headers, then views of the file bytes, which a
 * snapshot never changes): the caller cuts them into chunks as it sends them.
 */
export function* archivePieces(snapshot: VmSnapshot): Generator<Uint8Array> {
  const { manifest, planned } = plan(snapshot);
  const json = Buffer.from(JSON.stringify(manifest));
  // Whole seconds in the tar headers (the manifest holds every time exactly), so no pax time records.
  const wholeSeconds = (ns: bigint) => (ns > 0n ? (ns / NS) * NS : 0n);
  const now = BigInt(Math.floor(Date.now() / 1000)) * NS;
  yield encodeHeader({ name: MANIFEST_NAME, type: 'file', linkname: '', size: json.length, mode: 0o644, uid: 0, gid: 0, mtimeNs: now });
  yield json;
  yield Buffer.alloc(padding(json.length));
  for (const { entry, node } of planned) {
    const base = { name: `fs/${entry.path}`, linkname: '', size: 0, mode: node.mode, uid: node.uid, gid: node.gid, mtimeNs: wholeSeconds(node.mtimeNs) };
    if (entry.type === 'link') yield encodeHeader({ ...base, type: 'hardlink', linkname: `fs/${entry.linkTo}` });
    else if (entry.type === 'directory') yield encodeHeader({ ...base, type: 'directory' });
    else if (entry.type === 'symlink') yield encodeHeader({ ...base, type: 'symlink', linkname: entry.target });
    else if (node.kind === 'file') {
      yield encodeHeader({ ...base, type: 'file', size: node.size });
      if (node.size > 0) yield node.data.subarray(0, node.size);
      yield Buffer.alloc(padding(node.size));
    }
  }
  yield END_OF_ARCHIVE;
}

/** What reading an archive needs from the daemon: the VM filesystem's path rules, and bounds for what it builds. */
export interface ImportBounds {
  readonly fs: FsBounds;
}

/** How much of a bad name an error message quotes. */
const excerpt = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
const damaged = (message: string) => new AgentosError('ERR_AGENTOS_SNAPSHOT_DAMAGED', `the snapshot archive is damaged: ${message}`);
const unsafe = (name: string, why: string) => new AgentosError('ERR_AGENTOS_SNAPSHOT_UNSAFE_PATH', `the snapshot archive holds the entry '${excerpt(name)}', which ${why}; refused`, { path: excerpt(name) });

/**
 * Reads an archive back into a snapshot, refusing (before anything is held) a newer format
 * version, a damaged or truncated archive, and any entry whose name would land outside the
 * tree. Inode numbers are the new filesystem's own; hard links stay shared inodes.
 */
export function readArchive(archive: Buffer, bounds: ImportBounds): VmSnapshot {
  try {
    return build(archive, bounds);
  } catch (err) {
    if (err instanceof ArchiveError) {
      // Only a cut-short archive is truncated: a bad header, pax record or tar type is damage.
      if (err.kind === 'truncated') throw new AgentosError('ERR_AGENTOS_SNAPSHOT_TRUNCATED', `the snapshot archive is truncated: ${err.message}`);
      throw damaged(err.message);
    }
    if (err instanceof FsError) throw damaged(`rebuilding its tree failed: ${err.message}`);
    throw err;
  }
}

function build(archive: Buffer, bounds: ImportBounds): VmSnapshot {
  const [first, ...entries] = readTar(archive);
  if (!first || first.name !== MANIFEST_NAME) throw damaged(`its first entry is not ${MANIFEST_NAME}: not an agentOS snapshot archive`);
  const manifest = parseManifest(first);
  const fs = new VirtualFs(bounds.fs);
  const dirs = new Set<string>(['']);
  const linkable = new Set<string>();
  let i = 0;
  for (const tar of entries) {
    const entry = manifest.entries[i++];
    const path = entryPath(tar.name);
    if (!entry) throw damaged(`it holds more entries than its manifest lists (${manifest.entries.length}); the first extra is '${excerpt(tar.name)}'`);
    if (entry.path !== path) throw damaged(`entry ${i} is '${path}', where the manifest lists '${excerpt(entry.path)}'`);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!dirs.has(parent)) throw unsafe(tar.name, 'lies in no directory the archive made before it (only its own directories may hold its entries, never a link)');
    const type = tar.type === 'hardlink' ? 'link' : tar.type;
    if (type !== entry.type) throw damaged(`entry '${path}' is a tar ${type}, where the manifest lists a ${entry.type}`);
    const vmPath = `/${path}`;
    if (entry.type === 'directory') {
      fs.mkdir(vmPath);
      dirs.add(path);
    } else if (entry.type === 'file') {
      if (tar.data.length !== entry.size || createHash('sha256').update(tar.data).digest('hex') !== entry.sha256) throw damaged(`the bytes of '${path}' differ from its manifest's size and sha256`);
      fs.writeFile(vmPath, tar.data, { exclusive: true });
      linkable.add(path);
    } else if (entry.type === 'symlink') {
      if (tar.linkname !== entry.target) throw damaged(`the target of '${path}' differs from its manifest's`);
      fs.symlink(entry.target, vmPath);
      linkable.add(path);
    } else {
      if (tar.linkname !== `fs/${entry.linkTo}` || !linkable.has(entry.linkTo)) throw unsafe(tar.name, 'is a hard link to no earlier file of the archive');
      fs.hardlink(`/${entry.linkTo}`, vmPath);
    }
  }
  if (i !== manifest.entries.length) throw new AgentosError('ERR_AGENTOS_SNAPSHOT_TRUNCATED', `the snapshot archive is truncated: its manifest lists ${manifest.entries.length} entries, it holds ${i}`);
  // Attributes last, deepest first, so making the tree does not touch the times it sets.
  for (let j = manifest.entries.length - 1; j >= 0; j--) {
    const entry = manifest.entries[j]!;
    if (entry.type !== 'link') restore(fs, fs.lookup(`/${entry.path}`, 'lstat', false), entry);
  }
  restore(fs, fs.root, manifest.root);
  const image = fs.freeze();
  if (image.bytes !== manifest.bytes || image.inodes !== manifest.files) {
    throw damaged(`its manifest counts ${manifest.bytes} bytes in ${manifest.files} entries, its tree holds ${image.bytes} in ${image.inodes}`);
  }
  const settled = new Map<number, ReadonlySet<string>>();
  for (const [path, names] of Object.entries(manifest.settled)) {
    const dir = path === '' ? fs.root : fs.lookup(`/${path}`, 'lstat', false);
    if (dir.kind !== 'directory' || (path !== '' && !dirs.has(path))) throw damaged(`its manifest settles names in '${excerpt(path)}', which is not one of its directories`);
    settled.set(dir.ino, new Set(names));
  }
  return { fs: { ...image, root: image.root, settled }, config: manifest.config };
}

function parseManifest(tar: ReadEntry): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(tar.data.toString('utf8'));
  } catch {
    throw damaged(`${MANIFEST_NAME} is not JSON`);
  }
  const head = parsed as { format?: unknown; version?: unknown } | null;
  if (head?.format !== ARCHIVE_FORMAT) throw damaged(`${MANIFEST_NAME} does not name the ${ARCHIVE_FORMAT} format`);
  if (typeof head.version === 'number' && Number.isInteger(head.version) && head.version > ARCHIVE_VERSION) {
    throw new AgentosError('ERR_AGENTOS_SNAPSHOT_VERSION', `the snapshot archive is format version ${head.version}; this sidecar reads version ${ARCHIVE_VERSION} (upgrade the sidecar that imports it)`);
  }
  if (!checkManifest.Check(parsed)) {
    const error = checkManifest.Errors(parsed).First();
    throw damaged(`${MANIFEST_NAME} does not match format version ${ARCHIVE_VERSION}: ${error ? `${error.path || '/'} ${error.message}` : 'bad shape'}`);
  }
  return parsed;
}

/** The VM path (without its leading `/`) an entry names; anything that could leave the tree is refused. */
function entryPath(name: string): string {
  if (!name.startsWith('fs/')) throw unsafe(name, 'lies outside fs/, the VM tree');
  const rest = name.slice(3).replace(/\/$/, '');
  const parts = rest.split('/');
  if (rest === '' || parts.some((p) => p === '' || p === '.' || p === '..') || rest.includes('\0')) throw unsafe(name, 'is not a plain relative path (`..`, `.`, an empty or absolute component)');
  return rest;
}

function restore(fs: VirtualFs, node: FsNode, meta: Static<typeof ManifestSchema>['root']): void {
  const path = undefined;
  for (const [name, value] of Object.entries(meta.xattrs ?? {})) fs.setxattrOn(node, name, Buffer.from(value, 'base64'), 'create', path);
  Object.assign(node, {
    mode: meta.mode, uid: meta.uid, gid: meta.gid,
    atimeNs: BigInt(meta.atimeNs), mtimeNs: BigInt(meta.mtimeNs), ctimeNs: BigInt(meta.ctimeNs), birthtimeNs: BigInt(meta.birthtimeNs),
  });
}
