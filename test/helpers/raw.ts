import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { SIDECAR_BIN } from '../../src/client/client.js';
import type { LogLine } from './sidecar.js';

/** The daemon spawned bare, for tests that write the wire format by hand. */
export interface RawSidecar {
  child: ChildProcessWithoutNullStreams;
  stdout: () => Buffer;
  logs: LogLine[];
  exited: Promise<{ code: number | null; ms: number }>;
}

export function spawnRaw(env: NodeJS.ProcessEnv = {}, args: string[] = []): RawSidecar {
  const child = spawn(process.execPath, ['--no-node-snapshot', SIDECAR_BIN, ...args], { env: { ...process.env, ...env } });
  const chunks: Buffer[] = [];
  const logs: LogLine[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    pending += c;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 'unparsed', msg: line });
      }
    }
  });
  let endAt = 0;
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, ms: performance.now() - endAt })),
  );
  child.stdin.on('error', () => {});
  return {
    child,
    stdout: () => Buffer.concat(chunks),
    logs,
    exited: exited.then((r) => r),
    get endAt() {
      return endAt;
    },
    set endAt(v: number) {
      endAt = v;
    },
  } as RawSidecar;
}

/** Waits for the daemon's "sidecar started" line, so timings do not include startup. */
export async function started(raw: RawSidecar): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!raw.logs.some((l) => l.msg === 'sidecar started')) {
    if (Date.now() > deadline) throw new Error('the sidecar did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The complete frames the daemon has written so far (a frame still arriving is left out). */
export function framesSoFar(raw: RawSidecar): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let rest = raw.stdout();
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return out;
    const length = Number(/Content-Length: (\d+)/i.exec(rest.subarray(0, end).toString('ascii'))?.[1]);
    if (rest.length < end + 4 + length) return out;
    out.push(JSON.parse(rest.subarray(end + 4, end + 4 + length).toString('utf8')) as Record<string, unknown>);
    rest = rest.subarray(end + 4 + length);
  }
}

/** Waits for the first frame that `match` accepts (a hang guard bounds the wait, not a timing check). */
export async function frameWhere(raw: RawSidecar, match: (f: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = framesSoFar(raw).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such frame within ${timeoutMs} ms; stdout so far: ${raw.stdout().toString().slice(-400)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
