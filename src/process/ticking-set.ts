/**
 * Members and one shared interval that runs exactly while there are any: the budgets that
 * sample running guests (CPU time, WASM memory) cost nothing while nothing runs.
 */
export class TickingSet<T> {
  private readonly members = new Set<T>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly tick: (members: ReadonlySet<T>) => void,
    /** Called when the first member arrives and the interval starts. */
    private readonly onStart?: () => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  add(member: T): void {
    this.members.add(member);
    if (this.timer) return;
    this.onStart?.();
    this.timer = setInterval(() => this.tick(this.members), this.everyMs);
    this.timer.unref();
  }

  delete(member: T): boolean {
    const had = this.members.delete(member);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return had;
  }

  has(member: T): boolean {
    return this.members.has(member);
  }
}
