/** The worker thread of module-prep.ts: prepares and compiles one module per message, in order. */
import { parentPort } from 'node:worker_threads';
import { failureOf, prepare, type PrepJob } from './module-prep.js';

parentPort!.on('message', ({ id, job }: { id: number; job: PrepJob }) => {
  let prepared;
  try {
    prepared = prepare(job);
  } catch (err) {
    parentPort!.postMessage({ id, err: failureOf(err) });
    return;
  }
  const { bytes, ...rest } = prepared;
  // Compiled here too: V8 copies the bytes before compiling, which on the daemon's thread
  // was another stall. The module crosses back shared (its code is not copied).
  WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).then(
    (module) => parentPort!.postMessage({ id, ok: { ...rest, module } }),
    (err: unknown) => parentPort!.postMessage({ id, err: { message: err instanceof Error ? err.message : String(err), compile: true } }),
  );
});
