/**
 * Node's internal/js_stream_socket: a socket over any Duplex, which Node puts under a
 * TLSSocket made over a stream that is not a net.Socket (`tls._handle._parentWrap`).
 * Packages take the class from there (http2-wrapper, which got loads, does so at load to
 * run HTTP/1 over an HTTP/2 stream). Here a Duplex, not a net.Socket, whose bytes go to and
 * from the stream it wraps with that stream's flow control; HTTP's client takes any Duplex.
 */
import { netHost } from './net-host.js';

let JSStreamSocket: (new (stream: any) => any) | undefined;

export function jsStreamSocketClass(): new (stream: any) => any {
  if (JSStreamSocket) return JSStreamSocket;
  const { Duplex } = netHost().nodeRequire('stream');
  class Wrapped extends Duplex {
    readonly stream: any;
    constructor(stream: any) {
      super({ allowHalfOpen: true });
      this.stream = stream;
      stream.on('data', (chunk: unknown) => {
        if (!this.push(chunk)) stream.pause();
      });
      stream.on('end', () => this.push(null));
      stream.on('error', (err: Error) => this.destroy(err));
      stream.on('close', () => {
        if (!this.destroyed) this.destroy();
      });
    }
    _read(): void {
      this.stream.resume();
    }
    _write(chunk: unknown, encoding: string, callback: (err?: Error | null) => void): void {
      this.stream.write(chunk, encoding, callback);
    }
    _final(callback: (err?: Error | null) => void): void {
      this.stream.end(callback);
    }
    _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
      if (!this.stream.destroyed) this.stream.destroy(err ?? undefined);
      callback(err);
    }
    // What a socket's user may call: a stream has no TCP options or loop handle.
    setNoDelay() { return this; }
    setKeepAlive() { return this; }
    ref() { return this; }
    unref() { return this; }
  }
  Object.defineProperty(Wrapped, 'name', { value: 'JSStreamSocket' });
  JSStreamSocket = Wrapped;
  return Wrapped;
}
