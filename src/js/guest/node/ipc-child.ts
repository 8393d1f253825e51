/**
 * A forked child's end of its channel to the parent (`process.send`, 'message',
 * `process.disconnect`, `process.channel`), set up before the main program runs, as Node's
 * bootstrap does when NODE_CHANNEL_FD is set: the variables go from `process.env`, and the
 * channel keeps the process alive only while it has 'message' or 'disconnect' listeners.
 */
import { nodeCall } from './bridge.js';
import { onChildEvent } from './child-events.js';
import { setupChannel, type Serialization } from './ipc-channel.js';

/** The pid the daemon's deliveries for the channel to the parent carry. */
const PARENT_CHANNEL = 0;
const COUNTED = ['message', 'disconnect'];
const LISTENER_METHODS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners'] as const;

export function setupParentChannel(proc: Record<string, any>): void {
  const env = proc.env as Record<string, string | undefined>;
  const fd = Number.parseInt(env.NODE_CHANNEL_FD ?? '', 10);
  delete env.NODE_CHANNEL_FD;
  const mode: Serialization = env.NODE_CHANNEL_SERIALIZATION_MODE === 'advanced' ? 'advanced' : 'json';
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  const receive = setupChannel(proc as never, {
    send: (message) => nodeCall<boolean>('ipc.send', [message]),
    disconnect: () => nodeCall('ipc.disconnect', []),
    ref: (refed) => nodeCall('ipc.ref', [refed]),
  }, mode, Number.isNaN(fd) ? 3 : fd);
  onChildEvent(PARENT_CHANNEL, (kind, data) => {
    if (kind === 'ipc') receive(data as Array<string | Uint8Array> | null);
  });
  // Node counts these listeners through newListener/removeListener; the runtime's process
  // emitter has no removeListener event, so the count is taken after every change.
  let counted = 0;
  const recount = () => {
    const now = COUNTED.reduce((n, event) => n + (proc.listenerCount(event) as number), 0);
    const control = proc.channel as { refCounted(): void; unrefCounted(): void } | null;
    for (; counted < now; counted++) control?.refCounted();
    for (; counted > now; counted--) control?.unrefCounted();
  };
  for (const method of LISTENER_METHODS) {
    const original = proc[method] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') continue;
    proc[method] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(proc, args);
      recount();
      return result;
    };
  }
}
