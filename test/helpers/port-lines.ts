import type { Readable } from 'node:stream';

/**
 * The output of a server the test runs in a host child process, which prints `port N` once
 * it listens and then one event a line: the port, once printed, and every other line as it
 * comes (in `lines`, which keeps growing).
 */
export function portAndLines(stdout: Readable): { port: Promise<number>; lines: string[] } {
  const lines: string[] = [];
  let pending = '';
  let listening: (port: number) => void;
  let ended: (err: Error) => void;
  const port = new Promise<number>((resolve, reject) => {
    listening = resolve;
    ended = reject;
  });
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) {
      if (line.startsWith('port ')) listening(Number(line.slice(5)));
      else lines.push(line);
    }
  });
  // A server that dies before it listens fails the test instead of leaving it waiting.
  stdout.on('end', () => ended(new Error('the server ended before it printed its port')));
  return { port, lines };
}
