/** What a guest's blocking call to the host returns: a value, or an error shaped like Node's. */
export type HookResult = { ok: unknown } | { err: GuestErrorShape };

export interface GuestErrorShape {
  message: string;
  code?: string;
  syscall?: string;
  path?: string;
  errno?: number;
  /** The constructor the guest rebuilds the error with (TypeError, ...), and its stack, for errors of guest code. */
  name?: string;
  stack?: string;
}
