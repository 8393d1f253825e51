import type { ExitEvent, SidecarClient, SpawnOptions } from '../../src/client/client.js';
import { waitFor } from './sidecar.js';

/**
 * The host's side of a process spawned with a pty, as a terminal would be: it keeps what
 * the terminal shows (process/output, in order), answers the cursor-position query that
 * brush's line editor sends at each prompt (ESC[6n, answered ESC[row;colR as every
 * terminal does), and types.
 */
export interface Terminal {
  pid: number;
  /** Everything the terminal has shown so far. */
  readonly shown: string;
  /** Every process/exit event of the VM, in order (the terminal's and its children's). */
  readonly exits: ExitEvent[];
  exit: Promise<ExitEvent>;
  type(text: string): Promise<void>;
  /** Waits until `text` is shown after offset `from`; returns the offset just past it. */
  waitFor(text: string | RegExp, from?: number): Promise<number>;
}

export async function openTerminal(
  client: SidecarClient,
  vmId: string,
  command: string,
  args: string[] = [],
  options: SpawnOptions & { cols?: number; rows?: number } = {},
): Promise<Terminal> {
  const { cols = 80, rows = 24, ...spawn } = options;
  let shown = '';
  let pid = 0;
  const early: string[] = [];
  const exits: ExitEvent[] = [];
  const answer = (data: string) => {
    shown += data;
    // One answer per query, as a terminal sends them.
    for (const _ of data.matchAll(/\x1b\[6n/g)) void client.writeStdin(vmId, pid, '\x1b[1;1R').catch(() => {});
  };
  client.onOutput((e) => {
    if (e.vmId !== vmId) return;
    if (pid === 0) early.push(e.data);
    else if (e.pid === pid) answer(e.data);
  });
  client.onExit((e) => e.vmId === vmId && exits.push(e));
  ({ pid } = await client.spawn(vmId, command, args, { pty: { cols, rows }, ...spawn }));
  const exit = client.waitForExit(vmId, pid);
  for (const data of early.splice(0)) answer(data);
  return {
    pid,
    get shown() {
      return shown;
    },
    exits,
    exit,
    async type(text: string) {
      await client.writeStdin(vmId, pid, text);
    },
    async waitFor(text: string | RegExp, from = 0) {
      return waitFor(() => {
        const rest = shown.slice(from);
        if (typeof text === 'string') {
          const at = rest.indexOf(text);
          return at >= 0 ? from + at + text.length : false;
        }
        const m = text.exec(rest);
        return m ? from + m.index + m[0].length : false;
      }).catch((err: Error) => {
        throw new Error(`${err.message}: waiting for ${JSON.stringify(String(text))} after offset ${from}; the terminal shows ${JSON.stringify(shown)}`);
      });
    },
  };
}
