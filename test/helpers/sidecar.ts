import { SidecarClient, type ClientOptions } from '../../src/client/client.js';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A sidecar for one test, with its stderr log lines parsed and kept. */
export async function startSidecar(options: ClientOptions = {}): Promise<{ client: SidecarClient; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const client = await SidecarClient.start({
    ...options,
    onLog: (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 'unparsed', msg: line });
      }
      options.onLog?.(line);
    },
  });
  return { client, logs };
}

/**
 * How long a wait for an event may take before the test calls it a hang. Not a timing
 * assertion: tests wait for events (output, log lines, exits) and assert on them and their
 * order; this only bounds a wait that would otherwise never end, and is generous so that a
 * loaded machine (other test runs, two busy processes) does not turn slowness into failure.
 */
export const HANG_MS = 60_000;

/** Waits until `predicate` holds (for output and log lines, which arrive asynchronously). */
export async function eventually<T>(predicate: () => T | undefined | false, timeoutMs = HANG_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The same wait, named for what the tests use it for: an event seen before the next step. */
export const waitFor = eventually;

/** Waits until an asynchronous check (a request to the daemon) holds. */
export async function waitForAsync(check: () => Promise<boolean>, timeoutMs = HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `fn` and returns the SidecarError it throws (failing if it does not). */
export async function rejection(fn: () => Promise<unknown>): Promise<{ code: string; message: string; data: Record<string, unknown> }> {
  try {
    await fn();
  } catch (err) {
    return err as { code: string; message: string; data: Record<string, unknown> };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A raw Content-Length frame, for tests that speak the wire format by hand. */
export function frame(body: string | object): Buffer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n`), Buffer.from(text)]);
}

/** Splits raw stdout bytes into frames, failing on anything that is not a valid frame. */
export function parseFrames(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`stdout holds bytes that are not a frame: ${JSON.stringify(rest.subarray(0, 80).toString())}`);
    const header = rest.subarray(0, end).toString('ascii');
    const match = /^Content-Length: (\d+)$/im.exec(header);
    if (!match) throw new Error(`bad frame header on stdout: ${JSON.stringify(header)}`);
    const length = Number(match[1]);
    const body = rest.subarray(end + 4, end + 4 + length);
    if (body.length !== length) throw new Error('truncated frame on stdout');
    out.push(JSON.parse(body.toString('utf8')));
    rest = rest.subarray(end + 4 + length);
  }
  return out;
}
