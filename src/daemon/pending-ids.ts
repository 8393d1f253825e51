/**
 * The ids of the host's requests that have not been answered yet. JSON-RPC asks a client
 * for an id unique among its requests in flight; a second request with the same id would
 * make the two answers indistinguishable, and vscode-jsonrpc queues requests by the id's
 * text, so the second silently replaced the first. It is refused while the first runs;
 * 5 and "5" count as one id here, since that queue cannot tell them apart.
 */
export class PendingIds {
  private readonly ids = new Set<string>();

  /** Records `id` as in flight; false when it already is. */
  add(id: string | number): boolean {
    const key = keyOf(id);
    if (this.ids.has(key)) return false;
    this.ids.add(key);
    return true;
  }

  answered(id: string | number): void {
    this.ids.delete(keyOf(id));
  }
}

const keyOf = (id: string | number) => String(id);
