import type { Disposable, Message, MessageWriter } from 'vscode-jsonrpc/node';

/**
 * The protocol writer with a count of writes not yet taken by stdout, so the daemon can
 * wait, before it exits, until every answer it owes has left (bounded by the shutdown
 * deadline). `onAnswer` hears the id of every answer to a host request as it is written
 * (not the daemon's refusals of frames it never ran, which say `notAnAnswer`).
 */
export class TrackedWriter implements MessageWriter {
  private pending = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly inner: MessageWriter,
    private readonly onAnswer?: (id: string | number) => void,
  ) {}

  get idle(): boolean {
    return this.pending === 0;
  }

  write(message: Message, options: { notAnAnswer?: boolean } = {}): Promise<void> {
    const m = message as { method?: unknown; id?: unknown };
    if (!options.notAnAnswer && m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number')) this.onAnswer?.(m.id);
    this.pending++;
    const done = () => {
      if (--this.pending === 0) for (const wake of this.waiters.splice(0)) wake();
    };
    const written = this.inner.write(message);
    written.then(done, done);
    return written;
  }

  /** Resolves when no write is pending. */
  whenIdle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  get onError() {
    return this.inner.onError;
  }
  get onClose() {
    return this.inner.onClose;
  }
  end(): void {
    this.inner.end();
  }
  dispose(): void {
    (this.inner as Partial<Disposable>).dispose?.();
  }
}
