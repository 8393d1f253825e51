/**
 * The part of an error's stack that belongs to the guest: isolated-vm appends the host
 * frames that made the call (they name daemon files a guest has no business seeing), and
 * frames inside the runtime itself say nothing useful to the guest's author. Used on both
 * sides: by the runtime for uncaught errors, and by the host for module errors.
 */
export function trimStack(stack: string): string {
  const lines = stack.split('\n');
  const boundary = lines.findIndex((line) => line.includes('<isolated-vm'));
  return (boundary === -1 ? lines : lines.slice(0, boundary)).filter((line) => !line.includes('agentos:runtime')).join('\n');
}

export function guestStack(err: unknown): string {
  if (!(err instanceof Error)) return `Uncaught ${String(err)}`;
  return trimStack(err.stack ?? `${err.name}: ${err.message}`);
}
