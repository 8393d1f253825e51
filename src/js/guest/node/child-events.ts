/**
 * Where the host's news about this process's children and jobs goes (the runtime's
 * `childEvent` entry): child_process registers a listener per child pid. Kept apart from
 * child_process itself so the runtime does not load that module until a guest does.
 */
type ChildListener = (kind: string, data: unknown) => void;
const listeners = new Map<number, ChildListener>();

export function onChildEvent(pid: number, listener: ChildListener): void {
  listeners.set(pid, listener);
}

export function dispatchChildEvent(pid: number, kind: string, data: unknown): void {
  const listener = listeners.get(pid);
  if (!listener) return;
  if (kind === 'exit') listeners.delete(pid);
  listener(kind, data);
}
