
/**
 * `stream/web` and the web stream globals Node 20 has: web-streams-polyfill (the WHATWG
 * reference implementation) plus TextEncoderStream/TextDecoderStream over the guest's
 * TextEncoder/TextDecoder, and Node's own CompressionStream/DecompressionStream.
 */
import { nodeLib } from './node-lib.js';

type Ctor = new (...args: any[]) => any;
declare function require(id: 'web-streams-polyfill'): Record<string, Ctor>;

let loaded: Record<string, unknown> | undefined;

export function loadStreamWeb(): Record<string, unknown> {
  if (loaded) return loaded;
  const web = require('web-streams-polyfill');
  const TransformStream = web.TransformStream!;
  // The guest's own codecs (text-codecs.ts), as the runtime put them on the global object.
  const { TextDecoder, TextEncoder } = globalThis as unknown as { TextDecoder: new (label?: unknown, options?: unknown) => { encoding: string; fatal: boolean; ignoreBOM: boolean; decode(input?: unknown, options?: unknown): string }; TextEncoder: new () => { encode(text: string): Uint8Array } };
  class TextEncoderStream {
    readonly encoding = 'utf-8';
    readonly readable: unknown;
    readonly writable: unknown;
    constructor() {
      const encoder = new TextEncoder();
      let pending = '';
      const stream = new TransformStream({
        transform(chunk: unknown, controller: { enqueue(c: Uint8Array): void }) {
          let text = pending + String(chunk);
          pending = '';
          // A lone high surrogate at the end may pair with the next chunk's first unit.
          const last = text.charCodeAt(text.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) {
            pending = text.slice(-1);
            text = text.slice(0, -1);
          }
          if (text) controller.enqueue(encoder.encode(text));
        },
        flush(controller: { enqueue(c: Uint8Array): void }) {
          if (pending) controller.enqueue(encoder.encode(pending));
        },
      });
      this.readable = stream.readable;
      this.writable = stream.writable;
    }
  }
  class TextDecoderStream {
    readonly readable: unknown;
    readonly writable: unknown;
    readonly encoding: string;
    readonly fatal: boolean;
    readonly ignoreBOM: boolean;
    constructor(label?: unknown, options?: unknown) {
      const decoder = new TextDecoder(label, options);
      this.encoding = decoder.encoding;
      this.fatal = decoder.fatal;
      this.ignoreBOM = decoder.ignoreBOM;
      const stream = new TransformStream({
        transform(chunk: unknown, controller: { enqueue(c: string): void }) {
          const text = decoder.decode(chunk, { stream: true });
          if (text) controller.enqueue(text);
        },
        flush(controller: { enqueue(c: string): void }) {
          const text = decoder.decode();
          if (text) controller.enqueue(text);
        },
      });
      this.readable = stream.readable;
      this.writable = stream.writable;
    }
  }
  loaded = { ...web, TextEncoderStream, TextDecoderStream };
  // Node's own (internal/webstreams/compression.js), over the guest's zlib.
  for (const name of ['CompressionStream', 'DecompressionStream']) {
    Object.defineProperty(loaded, name, { get: () => (nodeLib('internal/webstreams/compression') as Record<string, unknown>)[name], enumerable: true, configurable: true });
  }
  return loaded;
}
