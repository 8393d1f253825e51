import { lazyBuffer, lazyPath } from './lazy.js';
import { nodeFs } from './fs-node.js';
import { nodeRequire } from './node/internal.js';
import { queueCallback } from './callback-queue.js';

/**
 * fs.opendir/opendirSync/promises.opendir and fs.Dir as Node 20.19 has them
 * (lib/internal/fs/dir.js): entries one at a time through read/readSync or async iteration,
 * `recursive` reading a directory's entries after it, ERR_DIR_CLOSED after close. The
 * directory is listed when it is opened (the VM's readdir pages through it then), not
 * `bufferSize` entries at a time as libuv does: the same entries, in the VM's (sorted) order.
 */
type Entry = { name: string; type: 'file' | 'directory' | 'symlink' | 'socket' };
type Cb = (err: unknown, value?: unknown) => void;
/** Calls back on a later microtask, as the rest of the guest's fs callbacks do. */
const later = (cb: Cb, ...args: unknown[]) => queueCallback(() => cb(...(args as [unknown])));
const DIRENT_TYPE = { file: 1, directory: 2, symlink: 3, socket: 5 } as const;

/** `list` lists a directory named as the caller gave it; its errors name the syscall scandir, which opendir renames. */
export function makeOpendir(list: (path: string) => Entry[]) {
  const errors = () => nodeRequire('internal/errors').codes as Record<string, new () => Error>;
  /** Node's sync opendir error names no path; its async one names the path as given. */
  const opened = (path: string, namePath: boolean): Entry[] => {
    try {
      return list(path);
    } catch (err) {
      const e = err as { syscall?: string; message?: string; path?: string };
      const at = e.message?.indexOf(', scandir') ?? -1;
      if (e.syscall === 'scandir' && at >= 0) {
        e.syscall = 'opendir';
        e.message = `${e.message!.slice(0, at)}, opendir${namePath ? ` '${path}'` : ''}`;
        if (namePath) e.path = path;
        else delete e.path;
      }
      throw err;
    }
  };
  const text = (p: string | Uint8Array): string => (typeof p === 'string' ? p : lazyBuffer().from(p).toString());
  const asName = (name: string, encoding: string) => (encoding === 'buffer' ? lazyBuffer().from(name) : name);

  class Dir {
    #path: string | Uint8Array;
    #entries: unknown[] = [];
    #closed = false;
    /** Asynchronous reads and closes not yet delivered: the sync calls refuse to run beside them, as Node's. */
    #pending = 0;
    #options: { encoding: string; bufferSize: number; recursive?: boolean };

    /** Node opens the directory before it checks the options: a missing one is ENOENT first. */
    constructor(path: string | Uint8Array, options: { encoding: string; recursive?: boolean }, listed: Entry[]) {
      // `new fs.Dir()` without Node's handle.
      if (listed === undefined) throw new ((errors() as unknown as Record<string, new (name: string) => Error>).ERR_MISSING_ARGS!)('handle');
      this.#path = path;
      this.#options = { bufferSize: 32, ...options };
      nodeFs().validateUint32(this.#options.bufferSize, 'options.bufferSize', true);
      this.#queue(text(path), listed);
    }

    get path(): string | Uint8Array { return this.#path; }

    #queue(dir: string, entries: Entry[]): void {
      const Dirent = nodeFs().Dirent as unknown as new (n: unknown, t: number, p: string) => unknown;
      for (const e of entries) this.#entries.push(new Dirent(asName(e.name, this.#options.encoding), DIRENT_TYPE[e.type], dir));
    }

    readSync(): unknown {
      if (this.#closed) throw new (errors().ERR_DIR_CLOSED!)();
      if (this.#pending > 0) throw new (errors().ERR_DIR_CONCURRENT_OPERATION!)();
      return this.#next();
    }

    #next(): unknown {
      const dirent = this.#entries.shift() as { name: string; parentPath: string; isDirectory(): boolean } | undefined;
      if (dirent === undefined) return null;
      if (this.#options.recursive && dirent.isDirectory()) {
        const below = lazyPath().join(dirent.parentPath, String(dirent.name));
        this.#queue(below, opened(below, false));
      }
      return dirent;
    }

    read(callback?: Cb): Promise<unknown> | undefined {
      if (this.#closed) throw new (errors().ERR_DIR_CLOSED!)();
      if (callback === undefined) return new Promise((resolve, reject) => this.read((err, dirent) => (err ? reject(err) : resolve(dirent))));
      nodeFs().validateFunction(callback, 'callback');
      // Read when delivered, in the order asked (closes queue behind the reads asked before them).
      this.#pending++;
      later(() => {
        this.#pending--;
        let dirent: unknown;
        try {
          if (this.#closed) throw new (errors().ERR_DIR_CLOSED!)();
          dirent = this.#next();
        } catch (err) {
          return void callback(err);
        }
        callback(null, dirent);
      }, null);
      return undefined;
    }

    closeSync(): void {
      if (this.#closed) throw new (errors().ERR_DIR_CLOSED!)();
      if (this.#pending > 0) throw new (errors().ERR_DIR_CONCURRENT_OPERATION!)();
      this.#shut();
    }

    #shut(): void {
      this.#closed = true;
      this.#entries = [];
    }

    close(callback?: Cb): Promise<void> | undefined {
      if (callback === undefined) {
        if (this.#closed) return Promise.reject(new (errors().ERR_DIR_CLOSED!)());
        return new Promise((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
      }
      nodeFs().validateFunction(callback, 'callback');
      if (this.#closed) return void later(callback, new (errors().ERR_DIR_CLOSED!)());
      if (this.#pending > 0) {
        this.#pending++;
        later(() => {
          this.#pending--;
          if (this.#closed) return void callback(new (errors().ERR_DIR_CLOSED!)());
          this.#shut();
          callback(null);
        }, null);
        return undefined;
      }
      this.closeSync();
      later(callback, null);
      return undefined;
    }

    async *entries(): AsyncGenerator<unknown> {
      try {
        for (;;) {
          const dirent = await this.read();
          if (dirent === null) break;
          yield dirent;
        }
      } finally {
        await this.close();
      }
    }
  }
  Object.defineProperty(Dir.prototype, Symbol.asyncIterator, { value: Dir.prototype.entries, enumerable: false, writable: true, configurable: true });

  function opendirSync(path: unknown, options?: unknown): Dir {
    const valid = nodeFs().getValidatedPath(path) as string | Uint8Array;
    const o = nodeFs().getOptions(options, { encoding: 'utf8' });
    return new Dir(valid, o, opened(text(valid), false));
  }
  function opendir(path: unknown, options?: unknown, callback?: unknown): void {
    const cb = (typeof options === 'function' ? options : callback) as Cb;
    nodeFs().validateFunction(cb, 'callback');
    const valid = nodeFs().getValidatedPath(path) as string | Uint8Array;
    const o = nodeFs().getOptions(options, { encoding: 'utf8' });
    let dir: Dir;
    try {
      dir = new Dir(valid, o, opened(text(valid), true));
    } catch (err) {
      return void later(cb, err);
    }
    later(cb, null, dir);
  }
  const opendirPromise = (path: unknown, options?: unknown) => new Promise((resolve, reject) => opendir(path, options, (err: unknown, dir: unknown) => (err ? reject(err) : resolve(dir))));
  return { Dir, opendir, opendirSync, opendirPromise };
}
