import type { SendProgress } from './progress.js';
import type { Static } from '@sinclair/typebox';
import * as P from '../../protocol/index.js';
import { AgentosError, hostFs } from '../errors.js';
import { FsError } from '../fs/errors.js';
import { watchesOf, WatchLimitError, type Change, type WatchSink } from '../fs/fs-watch.js';
import { listForExport, writeArchive } from '../fs/tar-export.js';
import { ArchiveError, ImportSession } from '../fs/tar-import.js';
import type { Limits } from '../limits/limits.js';
import { warnLimitExhausted } from '../log.js';
import type { Vm } from '../vm/vm.js';
import type { EventSink } from './event-sink.js';
import type { FsOf } from './fs-handlers.js';


export interface BulkDeps {
  readonly limits: Limits;
  readonly events: EventSink;
  progress: SendProgress;
}

/** Open imports, per VM (they go with it: `endImports`). */
const imports = new WeakMap<Vm, Map<string, ImportSession>>();
let nextImport = 1;
let nextStream = 1;

/** The VM ended: its open imports are dropped, staged data and all. */
export function endImports(vm: Vm): void {
  for (const session of imports.get(vm)?.values() ?? []) session.close();
  imports.delete(vm);
}

/** What the bulk moves and watches (fs/export, fs/import, fs/watch, fs/unwatch) do. */
export function fsBulkHandlers(fsOf: FsOf, d: BulkDeps) {
  const fsExport = async (p: Static<typeof P.FsExport.params>): Promise<Static<typeof P.FsExport.result>> => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'export');
    const list = hostFs(() => listForExport(vm.fs, path));
    const streamId = p.streamId ?? `export-${nextStream++}`;
    const token = p.workDoneToken;
    const chunkBytes = d.limits.FS_EXPORT_CHUNK_BYTES.value;
    let seq = 0;
    if (token !== undefined) d.progress(token, { kind: 'begin', title: `exporting ${path} (${list.length} entries)` });
    try {
      const bytes = await writeArchive(list, p.gzip === true, chunkBytes, async (chunk) => {
        // Paced by the host: no more than the event buffer waits unsent.
        await d.events.whenWritable();
        const data = chunk.toString('base64');
        d.events.notify(P.FsExportData.type, { vmId: vm.id, streamId, seq: seq++, data }, data.length);
        if (token !== undefined) d.progress(token, { kind: 'report', message: `${seq} chunks sent` });
      });
      return { streamId, chunks: seq, bytes, entries: list.length };
    } finally {
      if (token !== undefined) d.progress(token, { kind: 'end', message: `exported ${path}: ${seq} chunks` });
    }
  };

  const fsImport = async (p: Static<typeof P.FsImport.params>): Promise<Static<typeof P.FsImport.result>> => {
    const { vm, path } = fsOf(p.vmId, p.path, 'create', 'import');
    const open = imports.get(vm) ?? new Map<string, ImportSession>();
    imports.set(vm, open);
    let importId = p.importId;
    let session: ImportSession | undefined;
    if (importId !== undefined) {
      session = open.get(importId);
      if (!session) throw new AgentosError('ERR_AGENTOS_IMPORT_NOT_FOUND', `no open import '${importId}' in VM ${vm.id}`, { field: '/importId' });
    } else {
      const max = vm.limit('FS_IMPORTS_PER_VM');
      if (open.size >= max) {
        warnLimitExhausted(vm.log, { limit: 'fs_imports_per_vm', observed: open.size + 1, capacity: max, env: 'AGENTOS_FS_IMPORTS_PER_VM' });
        throw new AgentosError('ERR_AGENTOS_FS_IMPORT_LIMIT', `VM ${vm.id} has ${max} imports open already (AGENTOS_FS_IMPORTS_PER_VM)`, { limit: 'fs_imports_per_vm', capacity: max, observed: open.size + 1, env: 'AGENTOS_FS_IMPORTS_PER_VM' });
      }
      importId = `import-${nextImport++}`;
      hostFs(() => {
        const there = vm.fs.exists(path) ? vm.fs.lookup(path, 'import') : undefined;
        if (there && there.kind !== 'directory') throw new FsError('ENOTDIR', 'import', path);
      });
      const others = () => {
        let bytes = 0;
        let inodes = 0;
        for (const s of open.values()) if (s !== session) ({ bytes, inodes } = { bytes: bytes + s.staged.bytes, inodes: inodes + s.staged.inodes });
        return { bytes, inodes };
      };
      session = new ImportSession(vm.fs, path, others, d.limits.TAR_META_MAX_BYTES.value);
      open.set(importId, session);
    }
    const chunk = Buffer.from(p.archive, 'base64');
    const id = importId;
    const s = session;
    try {
      await s.push(chunk);
      if (p.more === true) return { importId: id, done: false, receivedBytes: chunk.byteLength };
      open.delete(id);
      const summary = await s.finish();
      return { importId: id, done: true, receivedBytes: chunk.byteLength, ...summary };
    } catch (err) {
      open.delete(id);
      s.close();
      throw importError(err, path);
    }
  };

  const fsWatch = (p: Static<typeof P.FsWatch.params>): Static<typeof P.FsWatch.result> => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'watch');
    const watches = watchesOf(vm.fs, {
      watchesMax: vm.limit('FS_WATCHES_PER_VM'),
      queueMax: vm.limit('FS_WATCH_QUEUE_MAX'),
      onLimit: (limit, observed, capacity) => {
        vm.limitHits++;
        warnLimitExhausted(vm.log, { limit, observed, capacity, env: `AGENTOS_${limit.toUpperCase()}` });
      },
    });
    let watchId = '';
    const sink: WatchSink = {
      deliver: (changes: Change[], overflow: boolean) => {
        const params = { vmId: vm.id, watchId, changes, ...(overflow ? { overflow: true } : {}) };
        d.events.notify(P.FsChanged.type, params, 64 + changes.length * 96);
      },
      ready: () => d.events.bufferedBytes < d.limits.EVENT_BUFFER_BYTES.value,
      whenReady: () => d.events.whenWritable(),
    };
    try {
      watchId = hostFs(() => watches.add(path, p.recursive === true, sink));
    } catch (err) {
      if (err instanceof WatchLimitError) throw watchLimit(err.capacity);
      throw err;
    }
    return { watchId };
  };

  const fsUnwatch = (p: Static<typeof P.FsUnwatch.params>): Static<typeof P.FsUnwatch.result> => {
    const vm = fsOf(p.vmId, '/', 'read', 'watch').vm;
    // Host watches are named "w…"; a guest's fs.watch watchers are its own to close.
    if (!p.watchId.startsWith('w')) return { removed: false };
    return { removed: watchesOf(vm.fs, { watchesMax: 0, queueMax: 0, onLimit: () => {} }).remove(p.watchId) };
  };

  return new Map<string, (params: never) => unknown>([
    [P.FsExport.method, fsExport],
    [P.FsImport.method, fsImport],
    [P.FsWatch.method, fsWatch],
    [P.FsUnwatch.method, fsUnwatch],
  ]);
}

export function watchLimit(capacity: number): AgentosError {
  return new AgentosError('ERR_AGENTOS_FS_WATCH_LIMIT', `this VM already has ${capacity} watches (AGENTOS_FS_WATCHES_PER_VM)`, { limit: 'fs_watches_per_vm', capacity, observed: capacity + 1, env: 'AGENTOS_FS_WATCHES_PER_VM' });
}

/** A refused import, as the host sees it: the quota's own error, or what was wrong with the archive. */
function importError(err: unknown, target: string): unknown {
  if (err instanceof ArchiveError) {
    const code = err.kind === 'unsafe' ? 'ERR_AGENTOS_ARCHIVE_UNSAFE' : 'ERR_AGENTOS_ARCHIVE_INVALID';
    return new AgentosError(code, `fs/import into ${target} refused (${err.kind}): ${err.message}; nothing was written`, err.entry !== undefined ? { path: err.entry } : {});
  }
  if (err instanceof FsError) {
    const mapped = hostFsError(err);
    mapped.message = `fs/import into ${target} refused: ${mapped.message}; nothing was written`;
    return mapped;
  }
  return err;
}

function hostFsError(err: FsError): AgentosError {
  try {
    hostFs(() => {
      throw err;
    });
  } catch (mapped) {
    return mapped as AgentosError;
  }
  throw err;
}
