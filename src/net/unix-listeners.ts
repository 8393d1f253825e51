import type { Duplex } from 'node:stream';
import { NetError } from './vm-network.js';

/**
 * Where a Unix domain socket listens inside one VM: a socket inode of the VM's filesystem
 * (a path listener, found by the inode its name leads to, so a rename or a hard link still
 * reaches it and an unlinked one is unreachable, as on Linux), or an abstract name (Linux's
 * `\0name`, no file at all). Nothing here is shared between VMs: each broker has its own.
 */
export type UnixKey = { ino: number } | { abstract: string };

export interface UnixListener {
  close(): void;
}

const keyOf = (key: UnixKey) => ('ino' in key ? `i${key.ino}` : `a${key.abstract}`);

/** One VM's Unix listeners; the broker counts them with its TCP listeners against one limit. */
export class UnixListeners {
  private readonly byKey = new Map<string, (peer: Duplex) => void>();

  get size(): number {
    return this.byKey.size;
  }

  /** EADDRINUSE when an abstract name is taken (a path's is refused when its inode is made). */
  add(key: UnixKey, onConnection: (peer: Duplex) => void, shown: string, counted: () => void): UnixListener {
    const k = keyOf(key);
    if (this.byKey.has(k)) throw new NetError('EADDRINUSE', `listen EADDRINUSE: address already in use ${shown}`);
    this.byKey.set(k, onConnection);
    counted();
    return {
      close: () => {
        if (this.byKey.get(k) === onConnection) this.byKey.delete(k);
        counted();
      },
    };
  }

  /** Who accepts at `key`; undefined: nothing listens (the caller's ECONNREFUSED). */
  acceptor(key: UnixKey): ((peer: Duplex) => void) | undefined {
    return this.byKey.get(keyOf(key));
  }

  clear(): void {
    this.byKey.clear();
  }
}
