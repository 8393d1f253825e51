import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc/node';
import { RequestCancelledError } from './errors.js';

/** What every call accepts besides its params. */
export interface CallOptions {
  /** Aborting sends `$/cancelRequest` and rejects the call at once with RequestCancelledError. */
  signal?: AbortSignal;
}

type Fail = (err: Error) => void;

/**
 * The calls in flight. Each settles exactly once: from its answer, from its AbortSignal,
 * or from failAll when the connection ends, so no call can outlive the sidecar.
 */
export class PendingCalls {
  private readonly calls = new Map<Fail, string>();

  get size(): number {
    return this.calls.size;
  }

  /**
   * Runs `send` with a cancellation token tied to `signal`. A failure of `send` goes
   * through `translate` (the sidecar's answer, or the connection's end).
   */
  track<T>(method: string, signal: AbortSignal | undefined, send: (token: CancellationToken) => Promise<T>, translate: (err: unknown) => Error): Promise<T> {
    if (signal?.aborted) return Promise.reject(new RequestCancelledError(method, { cause: signal.reason }));
    const source = new CancellationTokenSource();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        this.calls.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        source.dispose();
      };
      const fail: Fail = (err) => {
        if (settled) return;
        settle();
        reject(err);
      };
      const onAbort = () => {
        if (settled) return;
        // The token's listener in vscode-jsonrpc writes `$/cancelRequest` for this id.
        source.cancel();
        fail(new RequestCancelledError(method, { cause: signal!.reason }));
      };
      this.calls.set(fail, method);
      signal?.addEventListener('abort', onAbort, { once: true });
      let sent: Promise<T>;
      try {
        sent = send(source.token);
      } catch (err) {
        fail(translate(err));
        return;
      }
      sent.then(
        (value) => {
          if (settled) return;
          settle();
          resolve(value);
        },
        (err: unknown) => fail(translate(err)),
      );
    });
  }

  /** Fails every call in flight (the connection ended); `error` builds each one's error. */
  failAll(error: (method: string) => Error): void {
    for (const [fail, method] of [...this.calls]) fail(error(method));
  }
}
