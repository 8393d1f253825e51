// The few host-provided names the guest runtime relies on (V8 gives the rest).
declare function queueMicrotask(fn: () => void): void;
type BufferEncoding = 'ascii' | 'utf8' | 'utf-8' | 'utf16le' | 'ucs2' | 'ucs-2' | 'base64' | 'base64url' | 'latin1' | 'binary' | 'hex';
interface URL { href: string }
declare module 'buffer' {
  export class Buffer extends Uint8Array {
    static from(data: ArrayBufferLike | ArrayLike<number> | string, encodingOrOffset?: string | number, length?: number): Buffer;
    static concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
    static byteLength(s: string): number;
    toString(encoding?: string, start?: number, end?: number): string;
    readUInt32LE(offset: number): number;
  }
}
declare module 'events' {
  export class EventEmitter {
    on(event: string | symbol, listener: (...args: any[]) => void): this;
    once(event: string | symbol, listener: (...args: any[]) => void): this;
    emit(event: string | symbol, ...args: unknown[]): boolean;
    listenerCount(event: string | symbol): number;
  }
}
