import type { HookResult } from '../process/hook-result.js';

/**
 * The daemon's own TextDecoder (Node's, over ICU) for guest JS, so that every encoding
 * decodes exactly as Node's does, including ICU's answers for bytes the tables leave out.
 * A decoder streaming (`stream: true`) keeps its state here between calls, under the
 * guest's id for it, until a call without `stream` flushes it; a process holds at most
 * `maxLive` such decoders (TEXT_DECODERS_PER_PROCESS), and one call decodes at most
 * `maxBytes` (TEXT_DECODE_CALL_MAX_BYTES; the guest splits larger input into streamed
 * calls), so no call holds the daemon's thread for long.
 */
export class GuestTextDecoders {
  private readonly live = new Map<number, TextDecoder>();

  constructor(
    private readonly maxLive: number,
    private readonly maxBytes: number,
    private readonly onExhausted: (observed: number) => void,
  ) {}

  /** `probe` [label] → the encoding's name, or null where Node refuses the label. */
  call(op: unknown, args: unknown): HookResult {
    if (!Array.isArray(args)) return invalid('text: arguments must be an array');
    if (op === 'probe') {
      try {
        return { ok: new TextDecoder(String(args[0])).encoding };
      } catch {
        return { ok: null };
      }
    }
    if (op === 'free') {
      this.live.delete(Number(args[0]));
      return { ok: null };
    }
    if (op !== 'decode') return invalid(`text: unknown operation ${String(op)}`);
    const [id, label, fatal, ignoreBOM, bytes, stream] = args as [unknown, unknown, unknown, unknown, unknown, unknown];
    if (typeof id !== 'number' || !(bytes instanceof Uint8Array)) return invalid('text: decode takes an id and bytes');
    if (bytes.byteLength > this.maxBytes) return invalid(`text: ${bytes.byteLength} bytes in one call; at most ${this.maxBytes} may be (TEXT_DECODE_CALL_MAX_BYTES)`);
    let decoder = this.live.get(id);
    if (!decoder) {
      if (stream && this.live.size >= this.maxLive) {
        this.onExhausted(this.live.size + 1);
        return { err: { message: `more than ${this.maxLive} TextDecoders are streaming at once (TEXT_DECODERS_PER_PROCESS)`, code: 'ERR_AGENTOS_TEXT_DECODER_LIMIT' } };
      }
      try {
        decoder = new TextDecoder(String(label), { fatal: fatal === true, ignoreBOM: ignoreBOM === true });
      } catch {
        return { err: { message: `The "${String(label)}" encoding is not supported`, code: 'ERR_ENCODING_NOT_SUPPORTED' } };
      }
    }
    try {
      const text = decoder.decode(bytes, { stream: stream === true });
      if (stream === true) this.live.set(id, decoder);
      else this.live.delete(id);
      return { ok: text };
    } catch {
      this.live.delete(id);
      return { err: { message: `The encoded data was not valid for encoding ${decoder.encoding}`, code: 'ERR_ENCODING_INVALID_ENCODED_DATA' } };
    }
  }
}

function invalid(message: string): HookResult {
  return { err: { message, code: 'EINVAL' } };
}
