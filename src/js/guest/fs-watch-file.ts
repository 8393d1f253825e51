import { resolvePath } from './cwd.js';
import { nodeFs } from './fs-node.js';
import { timerGlobals } from './timers.js';
import { lazyBuffer } from './lazy.js';
import { queueCallback } from './callback-queue.js';

/**
 * fs.watchFile/unwatchFile as Node 20 has them (lib/fs.js, internal/fs/watchers.js over
 * libuv's fs_poll): one StatWatcher per resolved path, which stats the file when it starts and
 * then every `interval` ms, and emits 'change' (current, previous) when the file's ctime,
 * mtime, birthtime, size, mode, uid, gid or ino changed, or when it (dis)appears (a missing
 * file gives zeroed Stats, once per failure). Its timer keeps the process alive unless
 * `persistent: false` or unref(), with Node's ref counting across listeners.
 */
type Stat = Record<string, unknown> & { isFile(): boolean };
interface Emitter { emit(name: string, ...args: unknown[]): boolean; addListener(name: string, fn: unknown): unknown; removeListener(name: string, fn: unknown): unknown; removeAllListeners(name: string): unknown; listenerCount(name: string): number }
type EventsModule = { EventEmitter: new () => Emitter };

const COMPARED = ['ctimeMs', 'mtimeMs', 'birthtimeMs', 'size', 'mode', 'uid', 'gid', 'ino', 'dev'] as const;

export function makeWatchFile(statSync: (p: string, o: object) => unknown, events: () => EventsModule) {
  const watchers = new Map<string, Emitter>();
  let StatWatcher: (new (bigint: boolean) => Emitter & { start(path: string, persistent: boolean, interval: number): void; stop(): void; addRef(op: 'add' | 'clean' | 'cleanAll'): void }) | undefined;

  function build() {
    const { EventEmitter } = events();
    class Watcher extends EventEmitter {
      private timer: { ref(): unknown; unref(): unknown } | null = null;
      private refs = 1;
      private maxRefs = 1;
      /** 0 before the first stat, 1 after a stat that worked, the error code after one that failed. */
      private state: number | string = 0;
      private prev: Stat | undefined;
      constructor(private readonly bigint: boolean) {
        super();
      }
      private zero(): Stat {
        return nodeFs().getStatsFromBinding(this.bigint ? new BigInt64Array(18) : new Float64Array(18));
      }
      private poll(path: string): void {
        let curr: Stat | undefined;
        let failed: string | undefined;
        try {
          curr = statSync(path, { bigint: this.bigint }) as Stat;
        } catch (err) {
          failed = String((err as { code?: unknown }).code ?? 'EIO');
        }
        if (failed !== undefined) {
          if (this.state !== failed) this.emit('change', this.zero(), this.prev ?? this.zero());
          this.state = failed;
          this.prev = undefined;
          return;
        }
        const before = this.prev ?? this.zero();
        if (this.state !== 0 && (typeof this.state === 'string' || COMPARED.some((k) => before[k] !== curr![k]))) this.emit('change', curr, before);
        this.state = 1;
        this.prev = curr;
      }
      start(path: string, persistent: boolean, interval: number): void {
        if (this.timer) return;
        nodeFs().validateUint32(interval, 'interval');
        const tick = () => {
          if (!this.timer) return;
          this.poll(path);
        };
        this.timer = timerGlobals.setInterval(tick, Math.max(1, interval)) as unknown as { ref(): unknown; unref(): unknown };
        // libuv stats at once on start, then every interval.
        const first = timerGlobals.setTimeout(tick, 0) as unknown as { unref(): unknown };
        if (!persistent) {
          this.unref();
          first.unref();
        }
      }
      stop(): void {
        if (!this.timer) return;
        timerGlobals.clearInterval(this.timer as never);
        this.timer = null;
        queueCallback(() => this.emit('stop'));
      }
      ref(): this {
        if (this.refs === this.maxRefs) return this;
        if (this.timer && this.refs++ === 0) this.timer.ref();
        return this;
      }
      unref(): this {
        if (this.refs === 0) return this;
        if (this.timer && --this.refs === 0) this.timer.unref();
        return this;
      }
      addRef(op: 'add' | 'clean' | 'cleanAll'): void {
        if (op === 'add') {
          this.refs++;
          this.maxRefs++;
        } else if (op === 'clean') {
          this.maxRefs--;
          this.unref();
        } else {
          this.maxRefs = 0;
          this.refs = 0;
          this.timer?.unref();
        }
      }
    }
    return Watcher;
  }

  const key = (filename: unknown): string => {
    const valid = nodeFs().getValidatedPath(filename) as string | Uint8Array;
    return resolvePath(typeof valid === 'string' ? valid : lazyBuffer().from(valid).toString());
  };

  function watchFile(filename: unknown, options?: unknown, listener?: unknown): Emitter {
    const path = key(filename);
    if (options === null || typeof options !== 'object') {
      listener = options;
      options = null;
    }
    const o = { interval: 5007, persistent: true, ...(options as object | null) } as { interval: number; persistent: boolean; bigint?: boolean };
    nodeFs().validateFunction(listener, 'listener');
    let stat = watchers.get(path) as InstanceType<NonNullable<typeof StatWatcher>> | undefined;
    if (stat === undefined) {
      StatWatcher ??= build();
      stat = new StatWatcher(o.bigint === true);
      stat.start(path, o.persistent, o.interval);
      watchers.set(path, stat);
    } else {
      stat.addRef('add');
    }
    stat.addListener('change', listener);
    return stat;
  }

  function unwatchFile(filename: unknown, listener?: unknown): void {
    const path = key(filename);
    const stat = watchers.get(path) as InstanceType<NonNullable<typeof StatWatcher>> | undefined;
    if (stat === undefined) return;
    if (typeof listener === 'function') {
      const before = stat.listenerCount('change');
      stat.removeListener('change', listener);
      if (stat.listenerCount('change') < before) stat.addRef('clean');
    } else {
      stat.removeAllListeners('change');
      stat.addRef('cleanAll');
    }
    if (stat.listenerCount('change') === 0) {
      stat.stop();
      watchers.delete(path);
    }
  }

  return { watchFile, unwatchFile };
}
