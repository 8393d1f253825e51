/**
 * Web globals Node 20 has, defined lazily (nothing loads until a guest first reads the
 * name): Event, EventTarget, CustomEvent, AbortController, AbortSignal, Blob and File are
 * Node's own lib/internal/event_target.js, abort_controller.js, blob.js and file.js (vendored); structuredClone and the
 * in-process MessageChannel/MessagePort/BroadcastChannel are in ./structured-clone.ts and
 * ./message-channel.ts.
 */
import { nodeRequire } from './internal.js';
import { structuredClone } from './structured-clone.js';
import { messaging } from './message-channel.js';

const g = globalThis as Record<string, unknown>;

/** As Node defines them: non-enumerable accessors that a guest may overwrite. */
function lazyGlobal(name: string, load: () => unknown, enumerable = false): void {
  let value: unknown;
  let loaded = false;
  Object.defineProperty(g, name, {
    get: () => {
      if (!loaded) {
        value = load();
        loaded = true;
      }
      return value;
    },
    set: (v: unknown) => {
      value = v;
      loaded = true;
    },
    enumerable,
    configurable: true,
  });
}

export function defineWebGlobals(): void {
  const events = () => nodeRequire('internal/event_target') as Record<string, unknown>;
  const abort = () => nodeRequire('internal/abort_controller') as Record<string, unknown>;
  for (const name of ['Event', 'EventTarget', 'CustomEvent']) lazyGlobal(name, () => events()[name]);
  for (const name of ['AbortController', 'AbortSignal']) lazyGlobal(name, () => abort()[name]);
  for (const name of ['MessageChannel', 'MessagePort', 'MessageEvent', 'BroadcastChannel']) lazyGlobal(name, () => (messaging() as unknown as Record<string, unknown>)[name]);
  lazyGlobal('Blob', () => (nodeRequire('internal/blob') as Record<string, unknown>).Blob);
  lazyGlobal('File', () => (nodeRequire('internal/file') as Record<string, unknown>).File);
  Object.defineProperty(g, 'structuredClone', { value: structuredClone, writable: true, enumerable: true, configurable: true });
}
