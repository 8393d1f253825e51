import type { Message, ResponseMessage } from 'vscode-jsonrpc/node';
import type { Logger } from '../log.js';

/**
 * The sidecar's own record of the requests it sent to the host: pending ones (with the VM
 * that asked) and a bounded memory of completed ids. A response that matches neither is
 * dropped, logged and counted instead of reaching vscode-jsonrpc, so a host answering
 * late or twice never disturbs any VM.
 */
export class ResponseRegistry {
  private readonly pending = new Map<string, { vmId: string | undefined }>();
  private readonly completed = new Map<string, string | undefined>();
  unmatched = 0;
  duplicate = 0;

  constructor(
    private readonly log: Logger,
    private readonly rememberCompleted: number,
  ) {}

  sent(id: number | string, vmId?: string): void {
    this.pending.set(String(id), { vmId });
  }

  /** A VM went away: its requests stop being pending; late answers are then unmatched. */
  forgetVm(vmId: string): void {
    for (const [id, p] of this.pending) if (p.vmId === vmId) this.pending.delete(id);
  }

  /** True when the message may go on to the connection. */
  admit(message: Message): boolean {
    const m = message as Partial<ResponseMessage> & { method?: unknown };
    if (typeof m.method === 'string') return true;
    const id = String(m.id);
    const pending = this.pending.get(id);
    if (pending) {
      this.pending.delete(id);
      this.completed.set(id, pending.vmId);
      if (this.completed.size > this.rememberCompleted) this.completed.delete(this.completed.keys().next().value as string);
      return true;
    }
    if (this.completed.has(id)) {
      this.duplicate++;
      this.log.warn({ reason: 'duplicate_response', id: m.id, vmId: this.completed.get(id) }, 'dropped a response');
    } else {
      this.unmatched++;
      this.log.warn({ reason: 'unmatched_response', id: m.id }, 'dropped a response');
    }
    return false;
  }
}
