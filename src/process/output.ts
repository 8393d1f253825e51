export type StreamName = 'stdout' | 'stderr';

/** Where a process's output goes: collected for process/exec, streamed for process/spawn. */
export interface OutputSink {
  write(stream: StreamName, data: Uint8Array): void;
}

/**
 * Counts a process's output against its budget. Past the budget the rest is dropped and
 * `onExhausted` runs once, so the owner can stop the process (as a closed pipe would).
 */
export class BoundedOutput {
  private used = 0;
  truncated = false;

  constructor(
    private readonly sink: OutputSink,
    readonly capacity: number,
    private readonly onExhausted: (observed: number) => void,
  ) {}

  write(stream: StreamName, data: Uint8Array): void {
    if (this.truncated || data.byteLength === 0) return;
    const room = this.capacity - this.used;
    if (data.byteLength > room) {
      if (room > 0) this.sink.write(stream, data.subarray(0, room));
      this.used = this.capacity;
      this.truncated = true;
      this.onExhausted(this.capacity + (data.byteLength - room));
      return;
    }
    this.used += data.byteLength;
    this.sink.write(stream, data);
  }
}

/** An OutputSink that keeps everything, for process/exec. */
export class CollectedOutput implements OutputSink {
  private readonly chunks: Record<StreamName, Uint8Array[]> = { stdout: [], stderr: [] };
  write(stream: StreamName, data: Uint8Array): void {
    this.chunks[stream].push(data);
  }
  text(stream: StreamName, encoding: 'utf8' | 'base64'): string {
    return Buffer.concat(this.chunks[stream]).toString(encoding);
  }
}
