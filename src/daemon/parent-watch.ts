/**
 * Calls `onGone` once the daemon's parent has died: the kernel then re-parents it, so
 * `process.ppid` changes. stdin EOF is the usual sign of a dead host, but a host may leave
 * stdin open in another process (a grandchild it spawned); this check needs no help from
 * the host. One getppid() per interval, on an unref'd timer: it never keeps the daemon alive.
 */
export function watchParent(intervalMs: number, onGone: (ppid: number) => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    const now = process.ppid;
    if (now === parent) return;
    clearInterval(timer);
    onGone(now);
  }, intervalMs);
  timer.unref();
}
