import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { warnLimitExhausted, type Logger } from '../log.js';

export interface CodeCacheBounds {
  /** Total bytes of cached data kept. */
  maxBytes: number;
  /** Sources shorter than this are not cached. */
  minSourceBytes: number;
  /** Sources waiting to be compiled for their cache. */
  maxPending: number;
  /** Heap of the isolate that produces caches (the default guest heap). */
  heapMb: number;
}

/**
 * V8's code cache for guest modules, by source hash, shared by every process and VM of
 * the daemon, least recently used evicted first past MODULE_CODE_CACHE_BYTES. The cache
 * is produced only here, by compiling the source in a private isolate off the daemon's
 * thread: V8 deserialises cached data without defending against crafted bytes, so data a
 * guest made (or could have swapped) must never reach another guest's isolate.
 */
/** What one remembered edit list costs: its numbers, and the entry around them. */
const editSize = (edits: readonly number[]) => (edits.length + 16) * 8;

export class CodeCache {
  private readonly entries = new Map<string, { data: ivm.ExternalCopy<ArrayBuffer>; bytes: number }>();
  /** Where the hooks of a large source are (module-source.ts), by source hash: lexing 9 MB takes a quarter of a second. */
  private readonly hookEdits = new Map<string, number[]>();
  private editBytes = 0;
  private readonly pending = new Map<string, { source: string; kind: 'script' | 'module'; filename: string }>();
  private bytes = 0;
  private producer: ivm.Isolate | undefined;
  private running = false;
  hits = 0;
  misses = 0;

  constructor(
    private readonly bounds: CodeCacheBounds,
    private readonly log: Logger,
  ) {}

  /** The hash of a source, or undefined when it is not worth caching. */
  hashOf(source: string): string | undefined {
    if (source.length < this.bounds.minSourceBytes) return undefined;
    return createHash('sha256').update(source).digest('base64');
  }

  /** The key of a source, or undefined when it is not worth caching. */
  keyOf(source: string, kind: 'script' | 'module'): string | undefined {
    const hash = this.hashOf(source);
    return hash === undefined ? undefined : `${kind}:${hash}`;
  }

  /** `find(source)`, remembered by the source's hash (least recently used forgotten, in the same byte budget). */
  edits(hash: string, find: () => number[]): number[] {
    let edits = this.hookEdits.get(hash);
    if (edits) {
      this.hookEdits.delete(hash);
    } else {
      edits = find();
      this.editBytes += editSize(edits);
    }
    this.hookEdits.set(hash, edits);
    for (const [old, value] of this.hookEdits) {
      if (this.editBytes + this.bytes <= this.bounds.maxBytes || old === hash) break;
      this.hookEdits.delete(old);
      this.editBytes -= editSize(value);
    }
    return edits;
  }

  /** Cached data for this key (most recently used now), or undefined; a miss asks for it to be produced. */
  lookup(key: string, source: string, kind: 'script' | 'module', filename: string): ivm.ExternalCopy<ArrayBuffer> | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.hits++;
      this.log.debug({ filename, bytes: entry.bytes }, 'module code cache used');
      return entry.data;
    }
    this.misses++;
    if (!this.pending.has(key)) {
      if (this.pending.size >= this.bounds.maxPending) {
        warnLimitExhausted(this.log, { limit: 'module_code_cache_pending_max', observed: this.pending.size, capacity: this.bounds.maxPending, env: 'AGENTOS_MODULE_CODE_CACHE_PENDING_MAX' });
      } else {
        this.pending.set(key, { source, kind, filename });
        void this.drain();
      }
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const [key, job] of this.pending) {
        try {
          await this.produce(key, job.source, job.kind, job.filename);
        } catch (err) {
          this.log.debug({ err, filename: job.filename }, 'module code cache not produced');
        }
        this.pending.delete(key);
      }
    } finally {
      this.running = false;
    }
  }

  private async produce(key: string, source: string, kind: 'script' | 'module', filename: string): Promise<void> {
    if (!this.producer || this.producer.isDisposed) this.producer = new ivm.Isolate({ memoryLimit: this.bounds.heapMb });
    const options = { filename, produceCachedData: true };
    const compiled = kind === 'script' ? await this.producer.compileScript(source, options) : await this.producer.compileModule(source, options);
    const data = (compiled as unknown as ivm.CachedDataResult).cachedData;
    compiled.release();
    if (!data) return;
    const bytes = data.copy().byteLength;
    if (bytes > this.bounds.maxBytes) return;
    this.entries.set(key, { data, bytes });
    this.bytes += bytes;
    for (const [old, entry] of this.entries) {
      if (this.bytes + this.editBytes <= this.bounds.maxBytes) break;
      this.entries.delete(old);
      this.bytes -= entry.bytes;
      entry.data.release();
    }
    this.log.debug({ filename, bytes, total: this.bytes }, 'module code cache stored');
  }

  close(): void {
    if (this.producer && !this.producer.isDisposed) this.producer.dispose();
    this.producer = undefined;
    this.pending.clear();
  }
}
