import type { Static } from '@sinclair/typebox';
import type { VmCreate } from '../../protocol/index.js';
import { AgentosError } from '../errors.js';
import type { JsEngine } from '../js/engine.js';
import type { WasmEngine } from '../wasm/engine.js';
import type { Limits } from '../limits/limits.js';
import { FillGauge, ThrottledLimitWarning, type Logger } from '../log.js';
import { SidecarProcesses } from './admission.js';
import { Vm, type VmEvents } from './vm.js';
import type { VmSnapshot } from './snapshots.js';

/**
 * The live VMs. Ids are never reused (`vm-<n>`), so an id that was issued but is no
 * longer live is known to be disposed without remembering it.
 */
export class VmRegistry {
  private readonly vms = new Map<string, Vm>();
  private issued = 0;
  private readonly gauge: FillGauge;
  private readonly processes: SidecarProcesses;
  disposedCount = 0;
  /** Processes started by VMs already disposed (live VMs count their own). */
  private startedByDisposed = 0;

  constructor(
    private readonly limits: Limits,
    private readonly engine: JsEngine,
    private readonly wasm: WasmEngine,
    private readonly events: VmEvents,
    private readonly log: Logger,
  ) {
    this.gauge = new FillGauge(log, 'max_vms', limits.MAX_VMS.value);
    const refused = new ThrottledLimitWarning(log, 'sidecar_max_processes', 'AGENTOS_SIDECAR_MAX_PROCESSES');
    this.processes = new SidecarProcesses(limits.SIDECAR_MAX_PROCESSES.value, (observed, capacity) => refused.hit(observed, capacity));
  }

  get size(): number {
    return this.vms.size;
  }

  get created(): number {
    return this.issued;
  }

  /** `from`: a snapshot to start from (its configuration replaces `params`). */
  create(params: Static<typeof VmCreate.params>, from?: VmSnapshot): Vm {
    const capacity = this.limits.MAX_VMS.value;
    if (this.vms.size >= capacity) {
      throw new AgentosError('ERR_AGENTOS_VM_LIMIT', `the sidecar holds its maximum of ${capacity} VMs; dispose one or raise AGENTOS_MAX_VMS`, {
        limit: 'max_vms', capacity, observed: this.vms.size + 1, env: 'AGENTOS_MAX_VMS',
      });
    }
    const id = `vm-${this.issued + 1}`;
    const config = from ? { env: { ...from.config.env }, cwd: from.config.cwd, limits: from.config.limits, permissions: from.config.permissions, bindings: [...from.config.bindings], ...(from.config.network ? { network: from.config.network } : {}), ...(from.config.dns ? { dns: from.config.dns } : {}) } : params;
    const vm = new Vm(id, config, this.limits, this.engine, this.wasm, this.events, this.log.child({ vmId: id }), this.processes, from?.fs);
    this.issued++;
    this.vms.set(id, vm);
    this.gauge.update(this.vms.size);
    vm.log.info({ cwd: vm.cwd, files: params.files?.length ?? 0, limits: config.limits ?? {}, permissions: config.permissions ?? {}, ...(from ? { fromSnapshot: true } : {}) }, 'vm created');
    return vm;
  }

  get(vmId: string): Vm {
    const vm = this.vms.get(vmId);
    if (vm) return vm;
    const n = /^vm-(\d+)$/.exec(vmId)?.[1];
    if (n !== undefined && Number(n) >= 1 && Number(n) <= this.issued) {
      throw new AgentosError('ERR_AGENTOS_VM_DISPOSED', `VM ${vmId} has been disposed`);
    }
    throw new AgentosError('ERR_AGENTOS_VM_NOT_FOUND', `no VM with id '${vmId}'`);
  }

  async dispose(vmId: string): Promise<number> {
    const vm = this.get(vmId);
    this.vms.delete(vmId);
    this.disposedCount++;
    this.gauge.update(this.vms.size);
    const killed = await vm.dispose();
    // Let the killed processes' own responses go out before the disposal's.
    await new Promise((resolve) => setImmediate(resolve));
    this.startedByDisposed += vm.processes.started;
    vm.log.info({ killedProcesses: killed, execs: vm.execs, cpuMs: Math.round(vm.cpuMs) }, 'vm disposed');
    return killed;
  }

  list(): Vm[] {
    return [...this.vms.values()];
  }

  async disposeAll(): Promise<void> {
    await Promise.all([...this.vms.keys()].map((id) => this.dispose(id)));
  }

  runningProcesses(): number {
    let n = 0;
    for (const vm of this.vms.values()) n += vm.processes.size;
    return n;
  }

  startedProcesses(): number {
    let n = this.startedByDisposed;
    for (const vm of this.vms.values()) n += vm.processes.started;
    return n;
  }
}
