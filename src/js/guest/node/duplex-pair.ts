/**
 * stream.duplexPair (Node 20.17): two Duplexes, what one writes the other reads; each write
 * completes when the other side reads it. The same behaviour as Node's
 * lib/internal/streams/duplexpair.js, over the guest's stream.Duplex.
 */
type Cb = (err?: Error | null) => void;
const kOther = Symbol('kOther');
const kCallback = Symbol('kCallback');

export function makeDuplexPair(Duplex: any) {
  class DuplexSide extends Duplex {
    [kOther]: any = null;
    [kCallback]: Cb | null = null;
    _read() {
      const cb = this[kCallback];
      if (cb) {
        this[kCallback] = null;
        cb();
      }
    }
    _write(chunk: { length: number }, _encoding: string, cb: Cb) {
      if (chunk.length === 0) {
        (globalThis as any).process.nextTick(cb);
        return;
      }
      this[kOther].push(chunk);
      this[kOther][kCallback] = cb;
    }
    _final(cb: Cb) {
      this[kOther].on('end', cb);
      this[kOther].push(null);
    }
  }
  return function duplexPair(options?: object) {
    const a = new (DuplexSide as any)(options);
    const b = new (DuplexSide as any)(options);
    a[kOther] = b;
    b[kOther] = a;
    return [a, b];
  };
}
