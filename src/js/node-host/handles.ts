/**
 * State a guest process keeps in the daemon (a hash, a cipher, a zlib stream), by number.
 * Bounded (NODE_HANDLES_PER_PROCESS): each holds OpenSSL or zlib memory outside the
 * guest's heap. All of a process's handles go when it ends.
 */
export class Handles<T> {
  private readonly items = new Map<number, T>();
  private next = 1;

  constructor(private readonly capacity: number, private readonly onFull: (observed: number, capacity: number) => void) {}

  add(item: T): number {
    if (this.items.size >= this.capacity) {
      this.onFull(this.items.size + 1, this.capacity);
      throw Object.assign(new RangeError(`this process already holds ${this.capacity} hash, cipher and zlib states in the daemon; finish or free some first (AGENTOS_NODE_HANDLES_PER_PROCESS)`), { code: 'ERR_AGENTOS_NODE_HANDLES' });
    }
    const id = this.next++;
    this.items.set(id, item);
    return id;
  }

  get(id: unknown): T {
    const item = typeof id === 'number' ? this.items.get(id) : undefined;
    if (item === undefined) throw Object.assign(new Error('Invalid state: the object was already finished'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    return item;
  }

  has(id: unknown): boolean {
    return typeof id === 'number' && this.items.has(id);
  }

  delete(id: unknown): T | undefined {
    const item = typeof id === 'number' ? this.items.get(id) : undefined;
    if (item !== undefined) this.items.delete(id as number);
    return item;
  }

  clear(each?: (item: T) => void): void {
    if (each) for (const item of this.items.values()) each(item);
    this.items.clear();
  }
}
