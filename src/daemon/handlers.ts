import type { Static, TSchema } from '@sinclair/typebox';
import * as P from '../../protocol/index.js';
import { AgentosError, hostFs, tooLarge } from '../errors.js';
import { statOf } from '../fs/vfs.js';
import { checkFs, HOST_ACTOR, type FsOperation } from '../permissions/fs.js';
import type { JsEngine } from '../js/engine.js';
import { isWasm, type WasmEngine } from '../wasm/engine.js';
import { ModuleCache } from '../wasm/module-cache.js';
import { limitHits } from '../log.js';
import { limitRows, outOfRange, type Limits } from '../limits/limits.js';
import { INVENTORY, type LimitSpec } from '../limits/inventory.js';
import type { VmRegistry } from '../vm/registry.js';
import type { CancellationToken } from 'vscode-jsonrpc/node';
import type { OutgoingRequests } from './outgoing.js';
import { cpuShareStats } from '../process/cpu-gate.js';

type Handler<S extends P.RequestSpec<string, TSchema, TSchema>> = (
  params: Static<S['params']>,
  token: CancellationToken,
) => Promise<Static<S['result']>> | Static<S['result']>;

export interface HandlerDeps {
  vms: VmRegistry;
  engine: JsEngine;
  wasm: WasmEngine;
  limits: Limits;
  outgoing: OutgoingRequests;
  version: string;
  startedAt: number;
  /** Sends `$/progress` for a host-supplied work-done token. */
  progress(token: string | number, value: { kind: 'begin'; title: string } | { kind: 'end'; message: string }): void;
}

/** Per-VM limit overrides fall in the same [min, max] as the environment values. */
function checkOverrides(overrides: Readonly<Record<string, number | undefined>> | undefined): void {
  if (!overrides) return;
  for (const spec of Object.values(INVENTORY) as LimitSpec[]) {
    const value = spec.vmOverride === undefined ? undefined : overrides[spec.vmOverride];
    const problem = value === undefined ? undefined : outOfRange(spec, value);
    if (problem) {
      throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `limits.${spec.vmOverride} is ${value}, ${problem} (the range of ${spec.env})`, { field: `/limits/${spec.vmOverride}` });
    }
  }
}

/**
 * The work behind each host request (lifecycle requests live in server.ts). Params are
 * already validated against their schema when these run.
 */
export function createHandlers(d: HandlerDeps) {
  const { vms } = d;
  /** A VM and a host-named path in it, past the one filesystem permission check (permissions/fs.ts). */
  const fsOf = (vmId: string, path: string, operation: FsOperation, syscall: string) => {
    const vm = vms.get(vmId);
    const vmPath = vm.hostPath(path, '/path');
    hostFs(() => checkFs(HOST_ACTOR, operation, vmPath, syscall));
    return { vm, path: vmPath };
  };

  const vmCreate: Handler<typeof P.VmCreate> = (p) => {
    checkOverrides(p.limits);
    return { vmId: vms.create(p).id };
  };
  const vmDispose: Handler<typeof P.VmDispose> = async (p) => {
    const killedProcesses = await vms.dispose(p.vmId);
    d.outgoing.abandonVm(p.vmId);
    return { vmId: p.vmId, killedProcesses };
  };
  const vmList: Handler<typeof P.VmList> = () => ({
    vms: vms.list().map((vm) => ({ vmId: vm.id, createdAt: vm.createdAt.toISOString(), processes: vm.processes.size })),
  });
  const vmStats: Handler<typeof P.VmStats> = (p) => {
    const vm = vms.get(p.vmId);
    const usage = vm.fs.usage;
    return {
      vmId: vm.id,
      fs: { bytes: usage.bytes, inodes: usage.inodes, quotaBytes: vm.fs.bounds.quotaBytes, inodeLimit: vm.fs.bounds.inodeLimit },
      processes: { running: vm.processes.size, started: vm.processes.started },
      cpu: cpuShareStats(vm.cpuShare),
      usage: { cpuMs: Math.round(vm.cpuMs * 1000) / 1000, execs: vm.execs, limitHits: vm.limitHits },
      network: { ...vm.network.usage },
    };
  };

  const fsWriteFile: Handler<typeof P.FsWriteFile> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'write', 'open');
    const data = Buffer.from(p.data, p.encoding ?? 'base64');
    hostFs(() => vm.fs.writeFile(path, data, { mode: p.mode, createParents: p.createParents ?? true }));
    return { size: data.byteLength };
  };
  const fsReadFile: Handler<typeof P.FsReadFile> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'open');
    const bytes = hostFs(() => vm.fs.readFile(path));
    const encoding = p.encoding ?? 'base64';
    return { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding), encoding, size: bytes.byteLength };
  };
  const fsReaddir: Handler<typeof P.FsReaddir> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'scandir');
    // A page at a time (`after` → `next`): one answer is bounded however large the directory.
    const limit = Math.min(p.limit ?? Infinity, d.limits.FS_READDIR_PAGE_MAX.value);
    const page = hostFs(() => vm.fs.readdirPage(path, p.after ?? null, limit));
    const entries = page.entries.map(({ name, node }) => ({ name, type: node.kind }));
    return page.more && entries.length > 0 ? { entries, next: entries[entries.length - 1]!.name } : { entries };
  };
  const fsStat: Handler<typeof P.FsStat> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'read', 'stat');
    return hostFs(() => statOf(vm.fs.lookup(path, p.followSymlinks === false ? 'lstat' : 'stat', p.followSymlinks !== false)));
  };
  const fsMkdir: Handler<typeof P.FsMkdir> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'create', 'mkdir');
    return { created: hostFs(() => vm.fs.mkdir(path, { recursive: p.recursive, mode: p.mode })) };
  };
  const fsRemove: Handler<typeof P.FsRemove> = (p) => {
    const { vm, path } = fsOf(p.vmId, p.path, 'delete', 'rm');
    if (path === '/') throw new AgentosError('ERR_AGENTOS_INVALID_PATH', 'the VM root cannot be removed', { field: '/path', path });
    return { removed: hostFs(() => vm.fs.remove(path, p.recursive)) };
  };

  const processExec: Handler<typeof P.ProcessExec> = (p, token) =>
    vms.get(p.vmId).exec(p, {
      get isCancelled() {
        return token.isCancellationRequested;
      },
      onCancel: (listener) => token.onCancellationRequested(listener),
    });
  const processSpawn: Handler<typeof P.ProcessSpawn> = (p) => ({ pid: vms.get(p.vmId).spawn(p) });
  const processWrite: Handler<typeof P.ProcessWrite> = (p) => ({
    buffered: vms.get(p.vmId).writeStdin(p.pid, Buffer.from(p.data, p.encoding ?? 'utf8')),
  });
  const processCloseStdin: Handler<typeof P.ProcessCloseStdin> = (p) => {
    vms.get(p.vmId).processes.get(p.pid).stdin.close();
    return {};
  };
  const processKill: Handler<typeof P.ProcessKill> = (p) => {
    vms.get(p.vmId).processes.get(p.pid).kill(p.signal ?? 'SIGTERM');
    return {};
  };

  const wasmRegister: Handler<typeof P.WasmRegister> = (p) => {
    if ((p.data === undefined) === (p.path === undefined)) {
      throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', 'wasm/register takes exactly one of `data` and `path`', { field: p.data === undefined ? '/data' : '/path' });
    }
    const vm = p.vmId !== undefined ? vms.get(p.vmId) : undefined;
    if (p.path !== undefined && !vm) throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', '`path` names a file in a VM: give `vmId` too', { field: '/vmId' });
    const bytes = p.data !== undefined ? Buffer.from(p.data, 'base64') : hostFs(() => vm!.fs.readFile(fsOf(vm!.id, p.path!, 'read', 'open').path).slice());
    const max = d.limits.WASM_MODULE_MAX_BYTES.value;
    if (bytes.byteLength > max) throw tooLarge('the module', bytes.byteLength, max, 'WASM_MODULE_MAX_BYTES');
    if (!isWasm(bytes)) throw new AgentosError('ERR_AGENTOS_WASM_COMPILE', `'${p.name}' is not a WebAssembly module (no \\0asm magic)`);
    const command = { name: p.name, bytes, hash: ModuleCache.hash(bytes), source: p.path ?? 'wasm/register' };
    if (vm) vm.commands.set(p.name, command);
    else d.wasm.commands.set(p.name, command);
    // Its /usr/bin file appears in every VM it reaches on first lookup (Vm.provideCommands).
    return { name: p.name, hash: command.hash, size: bytes.byteLength, scope: vm ? 'vm' : 'sidecar' };
  };
  const wasmWarmup: Handler<typeof P.WasmWarmup> = async (p) => {
    const command = p.vmId !== undefined ? vms.get(p.vmId).resolveCommand(p.name) : { kind: 'wasm' as const, module: d.wasm.commands.get(p.name) };
    if (command.kind !== 'wasm' || !command.module) throw new AgentosError('ERR_AGENTOS_COMMAND_NOT_FOUND', `no WASM command '${p.name}'`);
    const compilesBefore = d.wasm.modules.compiles;
    const started = performance.now();
    const vm = p.vmId !== undefined ? vms.get(p.vmId) : undefined;
    const limit = (name: 'WASM_MAX_MEMORY_BYTES' | 'WASM_MAX_FUEL' | 'WASM_MAX_CALL_DEPTH') => vm?.limit(name) ?? d.limits[name].value;
    const compiling = d.wasm.modules.get(command.module.bytes, limit('WASM_MAX_MEMORY_BYTES'), command.module.hash, {
      fuel: BigInt(limit('WASM_MAX_FUEL')),
      maxDepth: limit('WASM_MAX_CALL_DEPTH'),
    });
    const cached = d.wasm.modules.compiles === compilesBefore;
    const token = p.workDoneToken;
    if (token !== undefined && !cached) d.progress(token, { kind: 'begin', title: `compiling ${p.name} (${command.module.bytes.byteLength} bytes)` });
    try {
      const compiled = await compiling;
      return { hash: compiled.hash, compileMs: Math.round((performance.now() - started) * 1000) / 1000, cached };
    } finally {
      if (token !== undefined && !cached) d.progress(token, { kind: 'end', message: `compiled ${p.name} in ${Math.round(performance.now() - started)} ms` });
    }
  };

  const sidecarPing: Handler<typeof P.SidecarPing> = () => ({});
  const sidecarStats: Handler<typeof P.SidecarStats> = (p) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (p.gc && gc) gc();
    const memory = process.memoryUsage();
    return {
      uptimeMs: Math.round(performance.now() - d.startedAt),
      vms: { live: vms.size, created: vms.created, disposed: vms.disposedCount },
      processes: { running: vms.runningProcesses(), started: vms.startedProcesses() },
      isolates: { live: d.engine.pool.liveIsolates, pooled: d.engine.pool.pooled, runnersLive: d.wasm.runners.liveIsolates, runnersPooled: d.wasm.runners.pooled },
      wasm: { commands: d.wasm.commands.size, modulesCached: d.wasm.modules.size, compiles: d.wasm.modules.compiles, cacheHits: d.wasm.modules.hits },
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external },
      droppedResponses: { unmatched: d.outgoing.unmatched, duplicate: d.outgoing.duplicate },
      limitHits: Object.fromEntries(limitHits),
    };
  };

  const initializeResult = (): Static<typeof P.Initialize.result> => ({
    protocolVersion: P.PROTOCOL_VERSION,
    serverInfo: { name: 'agentos-sidecar', version: d.version },
    capabilities: { commands: ['node', ...[...d.wasm.commands.keys()].sort()], guestModules: [...d.engine.builtinNames].sort() },
    limits: limitRows(d.limits),
  });

  return {
    initializeResult,
    requests: new Map<string, (params: never, token: CancellationToken) => unknown>([
      [P.VmCreate.method, vmCreate],
      [P.VmDispose.method, vmDispose],
      [P.VmList.method, vmList],
      [P.VmStats.method, vmStats],
      [P.FsWriteFile.method, fsWriteFile],
      [P.FsReadFile.method, fsReadFile],
      [P.FsReaddir.method, fsReaddir],
      [P.FsStat.method, fsStat],
      [P.FsMkdir.method, fsMkdir],
      [P.FsRemove.method, fsRemove],
      [P.ProcessExec.method, processExec],
      [P.ProcessSpawn.method, processSpawn],
      [P.ProcessWrite.method, processWrite],
      [P.ProcessCloseStdin.method, processCloseStdin],
      [P.ProcessKill.method, processKill],
      [P.WasmRegister.method, wasmRegister],
      [P.WasmWarmup.method, wasmWarmup],
      [P.SidecarPing.method, sidecarPing],
      [P.SidecarStats.method, sidecarStats],
    ]),
  };
}
