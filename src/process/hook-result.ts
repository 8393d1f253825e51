/** What a guest's blocking call to the host returns: a value, or an error shaped like Node's. */
export type HookResult = { ok: unknown } | { err: GuestErrorShape };

/** What a call the VM's permissions may have to ask about returns. */
export type AskingResult = HookResult | AskResult;

/**
 * The VM's policy says to ask the host first (src/permissions/process-permits.ts): the guest
 * waits with block('permission', ask) and makes the same call again.
 */
export interface AskResult {
  ask: number;
}

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
