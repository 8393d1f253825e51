import { Writable } from 'node:stream';
import { format } from 'node:util';
import type { Logger } from '../log.js';

/**
 * stdout carries the protocol and nothing else. This takes the real stdout for the
 * protocol writer and turns every other way of writing to it (process.stdout.write,
 * console.*) into log lines on stderr.
 */
export function guardStdout(log: Logger): Writable {
  const stdout = process.stdout;
  const rawWrite = stdout.write.bind(stdout) as (chunk: Uint8Array | string, cb: (err?: Error | null) => void) => boolean;
  stdout.write = ((chunk: unknown) => {
    log.warn({ bytes: typeof chunk === 'string' ? chunk.length : (chunk as Uint8Array)?.byteLength }, 'stray write to stdout diverted to the log');
    return true;
  }) as typeof stdout.write;
  for (const level of ['log', 'info', 'debug', 'warn', 'error', 'trace'] as const) {
    const to = level === 'log' ? 'info' : level === 'error' || level === 'warn' ? level : 'debug';
    console[level] = (...args: unknown[]) => log[to]({ source: 'console' }, format(...args));
  }
  return new Writable({
    // Backpressure: the callback waits until the pipe took the bytes.
    write(chunk: Buffer, _encoding, callback) {
      rawWrite(chunk, callback);
    },
  });
}

/** Resolves once everything written so far has left the process. */
export function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0 && process.stdout.writableLength === 0) return resolve();
    stream.write(Buffer.alloc(0), () => resolve());
  });
}
