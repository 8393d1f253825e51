import { hooks } from './hooks.js';

/**
 * `globalThis.host`: one async function per binding the VM declared. A call goes to the
 * host as a `host/call` request; its answer settles the promise through `settleCall`.
 * Arguments cross as JSON text, made here: one that JSON cannot carry (a BigInt, a cycle)
 * rejects at once with a TypeError saying so, and at most `maxInFlight` calls of this
 * process wait at once (the daemon would refuse more for the whole VM anyway). Arguments
 * longer than `maxPayload` are not sent: only their length goes, and the daemon refuses
 * the call (60 MB of arguments were copied into the daemon and parsed there before).
 */
const pending = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
let nextCall = 1;
const stringify = JSON.stringify;

export function createHostObject(bindings: readonly string[], maxInFlight: number, maxPayload: number): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const host: Record<string, (...args: unknown[]) => Promise<unknown>> = Object.create(null);
  for (const name of bindings) {
    host[name] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        let json: string;
        try {
          json = stringify(args);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          reject(Object.assign(new TypeError(`host.${name}: its arguments are not JSON-serializable (${why})`), { code: 'ERR_INVALID_ARG_TYPE' }));
          return;
        }
        if (pending.size >= maxInFlight) {
          reject(Object.assign(new Error(`host.${name}: this process already waits on ${pending.size} host calls (AGENTOS_MAX_HOST_CALLS_IN_FLIGHT)`), { code: 'ERR_AGENTOS_HOST_CALL_LIMIT' }));
          return;
        }
        const id = nextCall++;
        pending.set(id, { resolve, reject });
        hooks.hostCall(id, name, json.length > maxPayload ? json.length : json);
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
  const shape = (value ?? {}) as { message?: string; code?: string; name?: string };
  const err = new (shape.name === 'TypeError' ? TypeError : Error)(shape.message ?? 'host call failed') as Error & { code?: string };
  if (shape.code !== undefined) err.code = shape.code;
  call.reject(err);
}
