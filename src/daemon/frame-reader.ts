import type { Readable } from 'node:stream';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import { idFromExcerpt } from './frame-id.js';

/** A violation of the wire protocol: the sidecar cannot trust the stream after one. */
export class ProtocolViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

/**
 * A whole frame whose body is not a JSON-RPC message: the stream is still in step, so the
 * sidecar answers it (JSON-RPC's -32700 parse error or -32600 invalid request, id null)
 * and reads on.
 */
export interface InvalidFrame {
  kind: 'parse' | 'request' | 'too-large';
  message: string;
  /** A frame too large to read: its id when its first bytes hold one, and its length. */
  id?: string | number | null;
  length?: number;
}

/** A stream that cannot be put back in step (no length to skip by): answered up to here, then ended. */
export interface UnreadableStream {
  message: string;
}

/**
 * What the reader itself has to say travels as notifications in the same queue as the
 * messages, so it is acted on in order: an invalid frame is answered after the requests
 * before it, and end of input is handled after every message received before it. Their
 * params objects are kept here, so a host cannot forge one by sending the same method.
 */
const readerNotes = new WeakSet<object>();
export const END_OF_INPUT_METHOD = '$/agentos/endOfInput';
export const INVALID_FRAME_METHOD = '$/agentos/invalidFrame';
export const UNREADABLE_STREAM_METHOD = '$/agentos/unreadableStream';

function note(method: string, params: object): Message {
  readerNotes.add(params);
  return { jsonrpc: '2.0', method, params } as Message;
}

export function isReaderNote(params: unknown): boolean {
  return typeof params === 'object' && params !== null && readerNotes.has(params);
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** How much of a frame too large to read is kept, to find its id in (the rest is skipped unread). */
const ID_EXCERPT_BYTES = 1024;

/** A frame over the size bound, being skipped: its Content-Length says where the next one starts. */
interface Skipping {
  length: number;
  left: number;
  excerpt: Buffer[];
  excerptBytes: number;
  answered: boolean;
}

/**
 * LSP-style `Content-Length` framing with a size bound, and a shape check on every
 * message. vscode-jsonrpc's own reader has neither: it would buffer any declared length
 * and hand on objects that are neither request, response nor notification. A frame over
 * the bound is skipped unread by its length (only its first bytes are kept, for its id),
 * answered in its turn, and reading goes on; a header that gives no length leaves nothing
 * to skip by, so the stream ends there, after everything before it is answered.
 */
export class FrameReader extends AbstractMessageReader {
  /** Bytes received but not yet framed, kept as chunks: joined once a frame is whole. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private skipping: Skipping | undefined;
  /** Set once the stream cannot be read on: nothing after it is framed. */
  private broken = false;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: Readable,
    private readonly maxFrameBytes: number,
    private readonly maxHeaderBytes: number,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    // Not fireClose: everything received before EOF is answered first (the server ends
    // the process when END_OF_INPUT reaches it, behind every earlier message).
    const onEnd = () => {
      if (this.skipping && !this.skipping.answered) this.answerTooLarge(this.skipping);
      this.callback?.(note(END_OF_INPUT_METHOD, {}));
    };
    const onError = (err: Error) => this.fireError(err);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('error', onError);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('end', onEnd);
        this.input.off('error', onError);
      },
    };
  }

  private onData(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      while (this.next()) {}
    } catch (err) {
      this.chunks = [];
      this.buffered = 0;
      this.broken = true;
      this.input.pause();
      // In the queue behind every message framed before it, so those are answered first.
      if (err instanceof ProtocolViolation) this.callback?.(note(UNREADABLE_STREAM_METHOD, { message: err.message } satisfies UnreadableStream));
      else this.fireError(err);
    }
  }

  /** Drops what is buffered of a frame being skipped, keeping its first bytes until its id can be read. */
  private skip(s: Skipping): boolean {
    const n = Math.min(s.left, this.buffered);
    if (n === 0) return false;
    if (s.excerptBytes < ID_EXCERPT_BYTES) {
      const kept = Buffer.from(this.peek(Math.min(ID_EXCERPT_BYTES - s.excerptBytes, n)));
      s.excerpt.push(kept);
      s.excerptBytes += kept.length;
    }
    this.consume(n);
    s.left -= n;
    if (!s.answered && (s.excerptBytes >= ID_EXCERPT_BYTES || s.left === 0)) this.answerTooLarge(s);
    if (s.left === 0) this.skipping = undefined;
    return true;
  }

  private answerTooLarge(s: Skipping): void {
    s.answered = true;
    const id = idFromExcerpt(Buffer.concat(s.excerpt).toString('utf8'));
    const message = `frame of ${s.length} bytes exceeds the ${this.maxFrameBytes}-byte limit (AGENTOS_MAX_FRAME_BYTES); skipped unread`;
    this.callback?.(note(INVALID_FRAME_METHOD, { kind: 'too-large', message, id, length: s.length } satisfies InvalidFrame));
    s.excerpt = [];
  }

  /** The first `n` buffered bytes (all when omitted) as one Buffer, joining chunks only if needed. */
  private peek(n = this.buffered): Buffer {
    if (this.chunks.length > 1 && this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  /** Drops the first `n` buffered bytes, joining nothing. */
  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length > n) {
        this.chunks[0] = first.subarray(n);
        return;
      }
      n -= first.length;
      this.chunks.shift();
    }
  }

  /** Takes one frame off the buffer; false when more bytes are needed. */
  private next(): boolean {
    if (this.skipping) return this.skip(this.skipping);
    if (this.buffered === 0) return false;
    if (this.expected < 0) {
      // A header is small: joining what is buffered to look for its end costs little.
      const head = this.peek();
      const end = head.indexOf(HEADER_END);
      if (end === -1) {
        if (this.buffered > this.maxHeaderBytes) {
          throw new ProtocolViolation(`frame header longer than ${this.maxHeaderBytes} bytes without a blank line (AGENTOS_MAX_FRAME_HEADER_BYTES)`);
        }
        return false;
      }
      const length = parseHeader(head.subarray(0, end).toString('ascii'));
      this.consume(end + HEADER_END.length);
      if (length > this.maxFrameBytes) {
        this.skipping = { length, left: length, excerpt: [], excerptBytes: 0, answered: false };
        return true;
      }
      this.expected = length;
    }
    // A large body arrives in many chunks: wait for all of them before joining (once).
    if (this.buffered < this.expected) return false;
    const body = this.peek(this.expected).toString('utf8');
    this.consume(this.expected);
    this.expected = -1;
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (err) {
      this.callback?.(note(INVALID_FRAME_METHOD, { kind: 'parse', message: `frame body is not valid JSON: ${(err as Error).message}` } satisfies InvalidFrame));
      return true;
    }
    const invalid = shapeError(message);
    if (invalid) this.callback?.(note(INVALID_FRAME_METHOD, { kind: 'request', message: invalid } satisfies InvalidFrame));
    else this.callback?.(message as Message);
    return true;
  }
}

function parseHeader(header: string): number {
  let length = -1;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) throw new ProtocolViolation(`malformed frame header line '${line.slice(0, 80)}'`);
    if (line.slice(0, colon).trim().toLowerCase() === 'content-length') {
      const value = line.slice(colon + 1).trim();
      if (!/^\d+$/.test(value)) throw new ProtocolViolation(`Content-Length '${value.slice(0, 40)}' is not a number`);
      length = Number(value);
      if (!Number.isSafeInteger(length)) throw new ProtocolViolation(`Content-Length '${value.slice(0, 40)}' is too large to skip`);
    }
  }
  if (length < 0) throw new ProtocolViolation('frame header has no Content-Length');
  return length;
}

const isId = (id: unknown) => typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));

/** JSON-RPC 2.0: a request, a notification or a response; for anything else, what is wrong. */
function shapeError(message: unknown): string | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) {
    return `message is not a JSON object${Array.isArray(message) ? ' (batches are not supported)' : ''}`;
  }
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'message lacks "jsonrpc": "2.0"';
  if (typeof m.method === 'string') {
    if ('id' in m && !isId(m.id)) return 'request id must be a string or an integer';
    // null is taken as no params (some LSP clients send it with shutdown and exit).
    if ('params' in m && m.params !== null && typeof m.params !== 'object') return '"params" must be an object or an array';
    return undefined;
  }
  if ('method' in m) return '"method" must be a string';
  if (!('id' in m) || !(isId(m.id) || m.id === null)) return 'message is neither a request, a notification nor a response';
  if (!('result' in m) && !('error' in m)) {
    return `message is neither a request, a notification nor a response (id ${JSON.stringify(m.id)} without "method", "result" or "error")`;
  }
  return undefined;
}
