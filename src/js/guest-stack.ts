/**
 * The part of an error's stack that belongs to the guest: isolated-vm appends the host
 * frames that made the call, and those name daemon files a guest has no business seeing.
 */
export function guestStack(err: unknown): string {
  if (!(err instanceof Error)) return `Uncaught ${String(err)}`;
  const lines = (err.stack ?? `${err.name}: ${err.message}`).split('\n');
  const boundary = lines.findIndex((line) => line.includes('<isolated-vm boundary>') || line.includes('<isolated-vm>'));
  return (boundary === -1 ? lines : lines.slice(0, boundary)).filter((line) => !line.includes('agentos:runtime')).join('\n');
}
