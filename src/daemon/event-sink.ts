import type { MessageConnection, NotificationType } from 'vscode-jsonrpc/node';

/**
 * The one path for sidecar → host notifications. Everything goes through one FIFO
 * (vscode-jsonrpc's writer), so one process's events never overtake each other; the
 * bytes written but not yet taken by the host are counted, and `whenWritable` lets
 * producers wait while that count is over the bound.
 */
export class EventSink {
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly connection: MessageConnection,
    private readonly capacity: number,
  ) {}

  get bufferedBytes(): number {
    return this.inFlight;
  }

  notify<P>(type: NotificationType<P>, params: P, bytes: number): void {
    this.inFlight += bytes;
    const done = () => {
      this.inFlight -= bytes;
      if (this.inFlight < this.capacity) for (const wake of this.waiters.splice(0)) wake();
    };
    this.connection.sendNotification(type.method, params).then(done, done);
  }

  whenWritable(): Promise<void> {
    if (this.inFlight < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
