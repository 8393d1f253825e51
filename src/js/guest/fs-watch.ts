import { Emitter } from './emitter.js';
import { lazyBuffer } from './lazy.js';
import { hooks, unwrap } from './hooks.js';
import { onChildEvent } from './node/child-events.js';
import { nodeRequire } from './node/internal.js';

/**
 * Node's fs.watch over the daemon's watches of the VM filesystem (src/fs/fs-watch.ts):
 * changes by this process, other processes, WASM commands and the host all arrive, once
 * per turn of the daemon's loop, as child events under the watcher's negative id. Node's
 * names: 'change' for data or attributes, 'rename' for an entry appearing or going (a
 * rename is two, the old name then the new), the filename relative to the watched
 * directory (the file's own name when a file is watched).
 */
interface Change {
  kind: 'created' | 'modified' | 'deleted' | 'renamed';
  path: string;
  oldPath?: string;
  type: string;
}

function relative(root: string, path: string, isDir: boolean): string | null {
  if (!isDir) return path.slice(path.lastIndexOf('/') + 1);
  const prefix = root === '/' ? '/' : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

export class FSWatcher extends Emitter {
  private id: number | null;

  constructor(root: string, recursive: boolean, isDir: boolean, encoding: string | undefined, listener?: (eventType: string, filename: string | null) => void) {
    super();
    if (listener) this.on('change', listener);
    this.id = unwrap<number>(hooks.fs('watch', [root, recursive]));
    onChildEvent(-this.id, (_kind, data) => {
      const { changes } = data as { changes: Change[]; overflow: boolean };
      for (const c of changes) {
        if (this.id === null) return;
        const name = (path: string) => {
          const rel = relative(root, path, isDir);
          return rel !== null && encoding === 'buffer' ? lazyBuffer().from(rel) : rel;
        };
        if (c.kind === 'modified') this.emit('change', 'change', name(c.path));
        else if (c.kind === 'renamed') {
          if (relative(root, c.oldPath!, isDir) !== null) this.emit('change', 'rename', name(c.oldPath!));
          this.emit('change', 'rename', name(c.path));
        } else this.emit('change', 'rename', name(c.path));
      }
    });
  }

  close(): void {
    if (this.id === null) return;
    hooks.fs('unwatch', [this.id]);
    this.id = null;
    queueMicrotask(() => this.emit('close'));
  }

  ref(): this {
    if (this.id !== null) hooks.fs('watchRef', [this.id, true]);
    return this;
  }

  unref(): this {
    if (this.id !== null) hooks.fs('watchRef', [this.id, false]);
    return this;
  }
}

/** What an AbortSignal offers here (the guest's own). */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
}

/** fs.promises.watch: the same changes as an async iterator of {eventType, filename}; `signal` ends it. */
export function watchIterator(watcher: FSWatcher, signal?: Abortable): AsyncIterableIterator<{ eventType: string; filename: string | null }> {
  const queued: Array<{ eventType: string; filename: string | null }> = [];
  let wake: (() => void) | null = null;
  let done = false;
  watcher.on('change', (eventType: string, filename: string | null) => {
    queued.push({ eventType, filename });
    wake?.();
  });
  const finish = () => {
    done = true;
    // Aborted: the next call throws AbortError, whatever was still queued (as Node's).
    if (signal?.aborted) queued.length = 0;
    watcher.close();
    wake?.();
  };
  signal?.addEventListener('abort', finish);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (queued.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (queued.length > 0) return { value: queued.shift()!, done: false };
      if (signal?.aborted) throw new (nodeRequire('internal/errors').AbortError)(undefined, { cause: signal.reason });
      return { value: undefined, done: true };
    },
    async return() {
      finish();
      return { value: undefined, done: true };
    },
  };
}
