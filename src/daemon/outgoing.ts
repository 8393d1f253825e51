import type { Message, MessageWriter, ResponseMessage } from 'vscode-jsonrpc/node';
import { AgentosError, tooLarge } from '../errors.js';
import type { Logger } from '../log.js';
import { jsonDepth } from './json-depth.js';

interface Pending {
  vmId: string;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

/** An error answer from the host, passed on to the guest that asked. */
export class HostAnswerError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/**
 * The requests the sidecar sends to the host (host/call), with its own ids and its own
 * record of them: pending ones with the VM that asked, and bounded memories of answered
 * ids and of ids given up on (VM disposed, timed out). Every response passes `admit`
 * first: one for a pending id settles it; any other is dropped with a warning and counted
 * (`unmatched_response`, `duplicate_response`), so no late or repeated answer can disturb
 * the daemon or any VM.
 */
export class OutgoingRequests {
  private readonly pending = new Map<string, Pending>();
  private readonly answered = new Map<string, string>();
  private readonly abandoned = new Map<string, string>();
  private readonly inFlightByVm = new Map<string, number>();
  private nextId = 1;
  unmatched = 0;
  duplicate = 0;

  constructor(
    private readonly writer: MessageWriter,
    private readonly log: Logger,
    private readonly bounds: { remember: number; timeoutMs: number; maxInFlightPerVm: number; payloadBytes: number; maxDepth: number },
  ) {}

  /**
   * `timeout`: a bound of its own for this request (permission/request's ask timeout);
   * by default host/call's (AGENTOS_HOST_CALL_TIMEOUT_MS).
   */
  send(vmId: string, method: string, params: object, timeout?: { ms: number; limit: string; env: string; code: 'ERR_AGENTOS_HOST_CALL_TIMEOUT' | 'ERR_AGENTOS_PERMISSION_ASK_TIMEOUT' }): Promise<unknown> {
    const inFlight = this.inFlightByVm.get(vmId) ?? 0;
    if (inFlight >= this.bounds.maxInFlightPerVm) {
      return Promise.reject(
        new AgentosError('ERR_AGENTOS_HOST_CALL_LIMIT', `VM ${vmId} already waits on ${inFlight} host calls (AGENTOS_MAX_HOST_CALLS_IN_FLIGHT)`, {
          limit: 'max_host_calls_in_flight', capacity: this.bounds.maxInFlightPerVm, observed: inFlight + 1, env: 'AGENTOS_MAX_HOST_CALLS_IN_FLIGHT',
        }),
      );
    }
    const body = JSON.stringify(params);
    if (body.length > this.bounds.payloadBytes) {
      return Promise.reject(tooLarge('the host call as JSON', body.length, this.bounds.payloadBytes, 'HOST_CALL_PAYLOAD_BYTES'));
    }
    const id = `s${this.nextId++}`;
    this.inFlightByVm.set(vmId, inFlight + 1);
    return new Promise((resolve, reject) => {
      const { ms, limit, env, code } = timeout ?? { ms: this.bounds.timeoutMs, limit: 'host_call_timeout_ms', env: 'AGENTOS_HOST_CALL_TIMEOUT_MS', code: 'ERR_AGENTOS_HOST_CALL_TIMEOUT' as const };
      const timer = setTimeout(() => {
        this.abandon(id, new AgentosError(code, `the host did not answer ${method} within ${ms} ms (${env})`, { limit, capacity: ms, observed: ms, env }));
      }, ms);
      timer.unref();
      this.pending.set(id, { vmId, resolve, reject, timer });
      this.writer.write({ jsonrpc: '2.0', id, method, params } as Message).catch((err: unknown) => this.abandon(id, err));
    });
  }

  /** A VM went away: its calls fail now (the guest is gone); late answers are unmatched. */
  abandonVm(vmId: string): void {
    for (const [id, p] of this.pending) {
      if (p.vmId === vmId) this.abandon(id, new AgentosError('ERR_AGENTOS_VM_DISPOSED', `VM ${vmId} was disposed`));
    }
  }

  /** True when the message may go on to the connection (requests and notifications). */
  admit(message: Message): boolean {
    const m = message as Partial<ResponseMessage> & { method?: unknown };
    if (typeof m.method === 'string') return true;
    const id = String(m.id);
    const pending = this.pending.get(id);
    if (pending) {
      this.settle(id, pending);
      if (jsonDepth(m.error ?? m.result) > this.bounds.maxDepth) {
        // Measured first: JSON.stringify (below) and the copy into the guest recurse.
        pending.reject(new HostAnswerError(`the host's answer nests deeper than ${this.bounds.maxDepth} levels (AGENTOS_MAX_PARAMS_DEPTH)`, 'ERR_AGENTOS_ARGS_LIMIT'));
      } else if (m.error) pending.reject(new HostAnswerError(String(m.error.message), String((m.error.data as { code?: unknown } | undefined)?.code ?? m.error.code)));
      else if (JSON.stringify(m.result ?? null).length > this.bounds.payloadBytes) {
        pending.reject(new HostAnswerError(`the host's answer is larger than ${this.bounds.payloadBytes} bytes (AGENTOS_HOST_CALL_PAYLOAD_BYTES)`, 'ERR_AGENTOS_ARGS_LIMIT'));
      } else pending.resolve(m.result ?? null);
      this.remember(this.answered, id, pending.vmId);
      return false;
    }
    if (this.answered.has(id)) {
      this.duplicate++;
      this.log.warn({ reason: 'duplicate_response', id: m.id, vmId: this.answered.get(id) }, 'dropped a response');
    } else {
      this.unmatched++;
      this.log.warn({ reason: 'unmatched_response', id: m.id, vmId: this.abandoned.get(id) }, 'dropped a response');
    }
    return false;
  }

  private abandon(id: string, err: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.settle(id, pending);
    this.remember(this.abandoned, id, pending.vmId);
    pending.reject(err);
    // Tell the host it need not answer any more.
    this.writer.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } } as Message).catch(() => {});
  }

  private settle(id: string, pending: Pending): void {
    clearTimeout(pending.timer);
    this.pending.delete(id);
    const left = (this.inFlightByVm.get(pending.vmId) ?? 1) - 1;
    if (left > 0) this.inFlightByVm.set(pending.vmId, left);
    else this.inFlightByVm.delete(pending.vmId);
  }

  private remember(memory: Map<string, string>, id: string, vmId: string): void {
    memory.set(id, vmId);
    if (memory.size > this.bounds.remember) memory.delete(memory.keys().next().value as string);
  }
}
