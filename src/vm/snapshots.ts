import type { Static } from '@sinclair/typebox';
import type { VmDns, VmLimits, VmNetworkOptions, VmPermissions } from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import type { FsImage } from '../fs/vfs.js';
import type { Limits } from '../limits/limits.js';
import { warnLimitExhausted, type Logger } from '../log.js';

/** What `vm/create` takes besides files: a VM made from a snapshot is configured as its source was. */
export interface VmConfig {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly limits: Static<typeof VmLimits>;
  readonly permissions: Static<typeof VmPermissions>;
  readonly bindings: readonly string[];
  /** vm/create's network options (caCerts, inject) and DNS overrides, as given. */
  readonly network?: Static<typeof VmNetworkOptions>;
  readonly dns?: Static<typeof VmDns>;
}

/** An immutable image of a VM: its filesystem frozen at one turn of the event loop, and its configuration. */
export interface VmSnapshot {
  readonly fs: FsImage;
  readonly config: VmConfig;
}

export interface HeldSnapshot extends VmSnapshot {
  readonly id: string;
  readonly createdAt: Date;
  /** File bytes and entries (files, directories, links; each name of a hard link) it holds. */
  readonly bytes: number;
  readonly files: number;
}

/**
 * The snapshots the daemon holds, bounded in count and in bytes (inventory
 * SNAPSHOT_MAX_COUNT / SNAPSHOT_MAX_BYTES). Ids are never reused (`snap-<n>`).
 */
export class SnapshotStore {
  private readonly held = new Map<string, HeldSnapshot>();
  private issued = 0;
  private heldBytes = 0;
  disposedCount = 0;

  constructor(
    private readonly limits: Limits,
    private readonly log: Logger,
  ) {}

  /** Refuses, before anything is frozen, a snapshot of `bytes` that would not fit. */
  checkRoom(bytes: number): void {
    const count = this.limits.SNAPSHOT_MAX_COUNT.value;
    if (this.held.size + 1 > count) this.refuse('snapshot_max_count', this.held.size + 1, count, 'AGENTOS_SNAPSHOT_MAX_COUNT', `the sidecar holds its maximum of ${count} snapshots; dispose one (snapshot/dispose) or raise AGENTOS_SNAPSHOT_MAX_COUNT`);
    const max = this.limits.SNAPSHOT_MAX_BYTES.value;
    if (this.heldBytes + bytes > max) this.refuse('snapshot_max_bytes', this.heldBytes + bytes, max, 'AGENTOS_SNAPSHOT_MAX_BYTES', `held snapshots would total ${this.heldBytes + bytes} bytes, past the limit of ${max}; dispose one (snapshot/dispose) or raise AGENTOS_SNAPSHOT_MAX_BYTES`);
  }

  add(snapshot: VmSnapshot): HeldSnapshot {
    const bytes = snapshot.fs.bytes;
    this.checkRoom(bytes);
    const held: HeldSnapshot = { ...snapshot, id: `snap-${++this.issued}`, createdAt: new Date(), bytes, files: snapshot.fs.inodes };
    this.held.set(held.id, held);
    this.heldBytes += bytes;
    return held;
  }

  get(id: string): HeldSnapshot {
    const held = this.held.get(id);
    if (!held) throw new AgentosError('ERR_AGENTOS_SNAPSHOT_NOT_FOUND', `no snapshot '${id}' is held (never made, or disposed)`);
    return held;
  }

  /** Lets go of a snapshot: its file versions no VM shares any more are garbage from here. */
  dispose(id: string): void {
    const held = this.get(id);
    this.held.delete(id);
    this.heldBytes -= held.bytes;
    this.disposedCount++;
  }

  get stats(): { held: number; bytes: number; created: number; disposed: number } {
    return { held: this.held.size, bytes: this.heldBytes, created: this.issued, disposed: this.disposedCount };
  }

  list(): HeldSnapshot[] {
    return [...this.held.values()];
  }

  private refuse(limit: string, observed: number, capacity: number, env: string, message: string): never {
    warnLimitExhausted(this.log, { limit, observed, capacity, env });
    throw new AgentosError('ERR_AGENTOS_SNAPSHOT_LIMIT', message, { limit, observed, capacity, env });
  }
}
