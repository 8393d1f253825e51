import type { Static } from '@sinclair/typebox';
import type { ProcessList } from '../../protocol/index.js';
import type { GuestProcess } from '../process/guest-process.js';
import { JsProcess } from '../js/js-process.js';
import { WasmProcess } from '../wasm/wasm-process.js';
import type { Vm } from './vm.js';

type Entry = Static<typeof ProcessList.result>['processes'][number];

const ms = (n: number) => Math.round(n * 1000) / 1000;

/**
 * process/list: every process of a VM, running ones and zombies (a WASM child that ended
 * and that its parent has not waited for yet), in pid order, so a host can draw the
 * process tree and find what an agent left running.
 */
export function listProcesses(vm: Vm): Entry[] {
  const out: Entry[] = [];
  for (const p of vm.processes.all() as GuestProcess[]) {
    const wasm = p instanceof WasmProcess ? p : undefined;
    const js = p instanceof JsProcess ? p : undefined;
    out.push({
      pid: p.pid,
      ppid: wasm?.ppid ?? js?.ppid ?? 0,
      pgid: wasm?.pgid ?? p.pid,
      command: wasm ? wasm.command : 'node',
      argv: wasm ? [...wasm.args] : ['node', ...(js?.args ?? [])],
      state: p.isFinished ? 'zombie' : 'running',
      startedAt: p.startedAt.toISOString(),
      ...(p.tty ? { tty: p.tty.name } : {}),
      usage: { cpuMs: ms(p.cpuMs()), wallMs: ms(p.wallMs) },
    });
    if (wasm) {
      for (const z of wasm.children.zombieList()) {
        out.push({
          pid: z.pid,
          ppid: wasm.pid,
          pgid: z.pgid,
          command: z.command,
          argv: [...z.argv],
          state: 'zombie',
          startedAt: z.startedAt.toISOString(),
          usage: { cpuMs: ms(z.cpuMs), wallMs: ms(z.wallMs) },
        });
      }
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
