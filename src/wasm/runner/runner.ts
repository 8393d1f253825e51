/**
 * The WASI runner runtime: runs first in every runner isolate. It takes the host's hooks
 * off the global object and exposes one entry, `run`, which instantiates a module (moved
 * in from the daemon's cache, already compiled) and runs its `_start`.
 */
import { METER_CALLS, METER_GATE, METER_IN_HOST, METER_PAGES, METER_RUNNING, WASM_PAGE_BYTES, type RunnerHooks, type RunnerInfo, type RunnerResult } from './contract.js';
import { ProcExit } from './errno.js';
import { ExecImage, hostProcessImports } from './host-process.js';
import { hostFsImports } from './host-fs.js';
import { hostNetImports } from './host-net.js';
import { hostTtyImports } from './host-tty.js';
import { hostUserImports } from './host-user.js';
import { SignalExit, Signals } from './signals.js';
import { errnoReturning, Wasi } from './wasi.js';
import { encodeUtf8 } from './utf8.js';
import { askingCall, bytesOf, CallMeter } from '../../process/guest-calls.js';
import { CpuGate } from '../../process/cpu-gate.js';
import type { StatMemo } from './stat-memo.js';
import { setPipeWaits } from '../../process/pipe-ring.js';
import type { HookResult } from '../../process/hook-result.js';

const g = globalThis as unknown as Record<string, unknown>;
const raw = {} as Record<string, (...args: unknown[]) => unknown>;
for (const name of ['write', 'fs', 'random', 'block', 'proc'] as const) {
  raw[name] = g[`__agentos_hook_${name}`] as (...args: unknown[]) => unknown;
  delete g[`__agentos_hook_${name}`];
}
/** The run slot of the process this runner runs (one at a time): given up while it blocks. */
let gate: CpuGate | undefined;
const rawBlock = raw.block as unknown as RunnerHooks['block'];
const block: RunnerHooks['block'] = {
  applySyncPromise(receiver, args) {
    gate?.release();
    const result = rawBlock.applySyncPromise(receiver, args);
    gate?.acquire();
    return result;
  },
};
/** Every call into the daemon goes through the call meter, as a guest JS runtime's do (src/process/guest-calls.ts). */
const callMeter = new CallMeter(() => block.applySyncPromise(undefined, ['turn']));
const waitForAnswer = (id: number) => block.applySyncPromise(undefined, ['permission', id]);
const hooks: RunnerHooks = {
  block,
  write: (fd, data) => {
    raw.write!(fd, data);
    callMeter.sent(bytesOf(data));
  },
  // Both may have to wait for the host's answer to a permission/request (askingCall).
  fs: (op, args, within) => askingCall(() => callMeter.answered(() => raw.fs!(op, args, within) as HookResult), waitForAnswer),
  proc: (op, args) => askingCall(() => callMeter.answered(() => raw.proc!(op, args) as HookResult), waitForAnswer),
  random: (length) => callMeter.answered(() => raw.random!(length) as HookResult),
};

export interface ImportedMemory {
  module: string;
  name: string;
  initial: number;
  maximum: number;
}

/** Every import module a command may use: preview1 and the agentOS host ABI (../shared/COMMAND-ABI.md). */
function importsFor(wasi: Wasi, signals: Signals, info: RunnerInfo): Record<string, Record<string, unknown>> {
  const preview1 = wasi.imports();
  const cwd = () => info.env.PWD?.startsWith('/') ? info.env.PWD : '/';
  return {
    wasi_snapshot_preview1: preview1,
    wasi_unstable: preview1,
    host_process: errnoReturning(hostProcessImports(wasi, hooks, signals, info.process)),
    host_fs: errnoReturning(hostFsImports(wasi, cwd)),
    host_user: errnoReturning(hostUserImports(wasi, info.user)),
    host_tty: errnoReturning(hostTtyImports(wasi)),
    host_net: errnoReturning(hostNetImports(wasi)),
  };
}

/**
 * Every host call publishes the instance's linear-memory size and counts itself, so the
 * daemon can bound memory across processes (isolated-vm cannot see wasm memory at all).
 */
/** Host calls that only stat or list (stat-memo.ts): any other call drops what the memo holds. */
const STAT_FAMILY = new Set(['path_filestat_get', 'fd_readdir', 'path_mode', 'path_size', 'path_blocks', 'path_owner']);

function metered(imports: Record<string, Record<string, unknown>>, meter: Int32Array, publishPages: () => void, slot: CpuGate, memo: StatMemo): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [m, fns] of Object.entries(imports)) {
    out[m] = {};
    for (const [name, fn] of Object.entries(fns)) {
      if (typeof fn !== 'function') {
        out[m]![name] = fn;
        continue;
      }
      const statOnly = (m === 'wasi_snapshot_preview1' || m === 'wasi_unstable' || m === 'host_fs') && STAT_FAMILY.has(name);
      out[m]![name] = (...args: unknown[]) => {
        publishPages();
        meter[METER_CALLS]!++;
        meter[METER_IN_HOST] = 1;
        if (!statOnly) memo.clear();
        memo.active = statOnly;
        try {
          // Where a process whose slice is over lets another process of its VM run.
          slot.checkpoint();
          return (fn as (...a: unknown[]) => unknown)(...args);
        } finally {
          memo.active = false;
          if (!statOnly) memo.clear();
          meter[METER_IN_HOST] = 0;
        }
      };
    }
  }
  return out;
}

/** Where the agentOS libc looks for preopens (found by tracing its fd_prestat_get calls). */
const HIDDEN_PREOPEN_BASE = 0x40000003;

function traced(imports: Record<string, Record<string, unknown>>, wasi: Wasi): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [m, fns] of Object.entries(imports)) {
    out[m] = {};
    for (const [name, fn] of Object.entries(fns)) {
      out[m]![name] = (...args: unknown[]) => {
        const r = (fn as (...a: unknown[]) => unknown)(...args);
        let path = '';
        try {
          if (m === 'host_fs' && name.startsWith('path_') && typeof args[1] === 'number') path = ` "${wasi.string(args[1] as number, args[2] as number)}"`;
        } catch {
          path = ' (an unreadable path)';
        }
        hooks.write(2, encodeUtf8(`[trace] ${m}.${name}(${args.join(',')})${path} = ${String(r)}\n`));
        return r;
      };
    }
  }
  return out;
}

/**
 * Runs one image, with the meter's RUNNING word set for exactly as long as the module can
 * execute (a start function runs during instantiation): before and after, its memory
 * cannot grow, so the daemon's meter takes the pages published last as exact, however long
 * the run waits for a thread or its result for the daemon.
 */
function run(module: WebAssembly.Module, info: RunnerInfo, importedMemory: ImportedMemory | null): RunnerResult {
  const meter = new Int32Array(info.process.meter);
  Atomics.store(meter, METER_RUNNING, 1);
  try {
    return runImage(module, info, importedMemory, meter);
  } finally {
    Atomics.store(meter, METER_RUNNING, 0);
  }
}

function runImage(module: WebAssembly.Module, info: RunnerInfo, importedMemory: ImportedMemory | null, meter: Int32Array): RunnerResult {
  callMeter.configure(info.callWindow);
  const agentosAbi = WebAssembly.Module.imports(module).some((imp) => imp.module.startsWith('host_'));
  const wasi = new Wasi(hooks, info, agentosAbi ? HIDDEN_PREOPEN_BASE : 3);
  const signals = new Signals(info.process);
  wasi.onBrokenPipe = () => signals.raise(13);
  const publishPages = () => {
    meter[METER_PAGES] = (wasi.memory?.buffer.byteLength ?? 0) / WASM_PAGE_BYTES;
  };
  const slot = new CpuGate(info.cpu, meter, METER_GATE);
  let imports = metered(importsFor(wasi, signals, info), meter, publishPages, slot, wasi.statMemo);
  if (info.env.AGENTOS_TRACE_IMPORTS) imports = traced(imports, wasi);
  let memory: WebAssembly.Memory | undefined;
  if (importedMemory) {
    memory = new WebAssembly.Memory({ initial: importedMemory.initial, maximum: importedMemory.maximum });
    (imports[importedMemory.module] ??= {})[importedMemory.name] = memory;
    meter[METER_PAGES] = memory.buffer.byteLength / WASM_PAGE_BYTES;
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'function' && !(imports[imp.module] && imp.name in imports[imp.module]!)) {
      const name = (n: string) => (n.length > 64 ? `${n.slice(0, 64)}…` : n);
      return { exitCode: 127, trap: `the module imports ${name(imp.module)}.${name(imp.name)}, which this runner does not provide` };
    }
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  } catch (err) {
    return { exitCode: 127, trap: `instantiation failed: ${(err as Error).message}` };
  }
  wasi.memory = (instance.exports.memory as WebAssembly.Memory | undefined) ?? memory;
  publishPages();
  const trampoline = instance.exports.__wasi_signal_trampoline;
  if (typeof trampoline === 'function') signals.trampoline = trampoline as (sig: number) => void;
  const start = instance.exports._start;
  if (typeof start !== 'function') return { exitCode: 127, trap: 'the module has no _start export (not a WASI command)' };
  gate = slot;
  setPipeWaits(slot);
  try {
    meter[METER_IN_HOST] = 1;
    slot.acquire();
    meter[METER_IN_HOST] = 0;
    signals.deliver();
    (start as () => void)();
    return { exitCode: 0 };
  } catch (err) {
    if (err instanceof ProcExit) return { exitCode: err.code };
    if (err instanceof SignalExit) return { exitCode: 128 + err.signal, signal: err.signal };
    if (err instanceof ExecImage) {
      return { exitCode: 0, exec: { path: err.path, argv: err.argv, env: err.env, fds: wasi.snapshot(), blocked: signals.blocked, ignored: signals.ignored, umask: wasi.umask } };
    }
    if (err instanceof RangeError && /allocation failed/i.test(err.message)) return { exitCode: 134, trap: err.message, runnerHeapExhausted: true };
    const fuel = instance.exports.__agentos_fuel as WebAssembly.Global | undefined;
    if (fuel && (fuel.value as bigint) < 0n) return { exitCode: 124, fuelExhausted: true, fuelLeft: Number(fuel.value as bigint) };
    const depth = instance.exports.__agentos_depth as WebAssembly.Global | undefined;
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { exitCode: 134, trap: message, ...(depth ? { depthAtTrap: depth.value as number } : {}) };
  } finally {
    slot.release();
    gate = undefined;
    setPipeWaits(undefined);
  }
}

g.__agentos_run = run;
