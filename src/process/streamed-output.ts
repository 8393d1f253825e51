import { StringDecoder } from 'node:string_decoder';
import type { OutputSink, StreamName } from './output.js';

/**
 * Output of a spawned process, sent as events. Adjacent writes to the same stream within
 * one event-loop turn are coalesced (up to a chunk size), stdout and stderr keep their
 * relative order, and UTF-8 text is never split inside a character.
 */
export class StreamedOutput implements OutputSink {
  private pending: { stream: StreamName; chunks: Uint8Array[]; bytes: number } | undefined;
  private scheduled = false;
  private readonly decoders: Record<StreamName, StringDecoder> | undefined;

  constructor(
    private readonly emit: (stream: StreamName, data: string) => void,
    encoding: 'utf8' | 'base64',
    private readonly chunkBytes: number,
  ) {
    this.decoders = encoding === 'utf8' ? { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') } : undefined;
  }

  write(stream: StreamName, data: Uint8Array): void {
    if (this.pending && this.pending.stream !== stream) this.flush();
    this.pending ??= { stream, chunks: [], bytes: 0 };
    this.pending.chunks.push(data);
    this.pending.bytes += data.byteLength;
    if (this.pending.bytes >= this.chunkBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is pending now (and, at the end, what the decoders still hold). */
  flush(final = false): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      const bytes = pending.chunks.length === 1 ? Buffer.from(pending.chunks[0]!) : Buffer.concat(pending.chunks);
      const text = this.decoders ? this.decoders[pending.stream].write(bytes) : bytes.toString('base64');
      if (text.length > 0) this.emit(pending.stream, text);
    }
    if (final && this.decoders) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = this.decoders[stream].end();
        if (rest.length > 0) this.emit(stream, rest);
      }
    }
  }
}
