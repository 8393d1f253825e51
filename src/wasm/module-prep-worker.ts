/** The worker thread of module-prep.ts: prepares one module per message, in order. */
import { parentPort } from 'node:worker_threads';
import { failureOf, prepare, type PrepJob } from './module-prep.js';

parentPort!.on('message', ({ id, job }: { id: number; job: PrepJob }) => {
  try {
    const prepared = prepare(job);
    // A buffer of its own to hand over (Buffer.concat may return a slice of a shared pool).
    const ok = { ...prepared, bytes: new Uint8Array(prepared.bytes) };
    parentPort!.postMessage({ id, ok }, [ok.bytes.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id, err: failureOf(err) });
  }
});
