import type { Disposable, Message, MessageWriter } from 'vscode-jsonrpc/node';

/**
 * The protocol writer with a count of writes not yet taken by stdout, so the daemon can
 * wait, before it exits, until every answer it owes has left (bounded by the shutdown
 * deadline).
 */
export class TrackedWriter implements MessageWriter {
  private pending = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly inner: MessageWriter) {}

  get idle(): boolean {
    return this.pending === 0;
  }

  write(message: Message): Promise<void> {
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
