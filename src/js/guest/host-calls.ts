import { hooks } from './hooks.js';

/**
 * `globalThis.host`: one async function per binding the VM declared. A call goes to the
 * host as a `host/call` request; its answer settles the promise through `settleCall`.
 */
const pending = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
let nextCall = 1;

export function createHostObject(bindings: readonly string[]): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const host: Record<string, (...args: unknown[]) => Promise<unknown>> = Object.create(null);
  for (const name of bindings) {
    host[name] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const id = nextCall++;
        pending.set(id, { resolve, reject });
        try {
          hooks.hostCall(id, name, args);
        } catch (err) {
          pending.delete(id);
          reject(err);
        }
      });
  }
  return Object.freeze(host);
}

export function settleCall(id: number, ok: boolean, value: unknown): void {
  const call = pending.get(id);
  if (!call) return;
  pending.delete(id);
  if (ok) {
    call.resolve(value);
    return;
  }
  const shape = (value ?? {}) as { message?: string; code?: string };
  const err = new Error(shape.message ?? 'host call failed') as Error & { code?: string };
  if (shape.code !== undefined) err.code = shape.code;
  call.reject(err);
}
