/** A `$/progress` value (LSP work-done progress), as every long request reports it. */
export type ProgressValue =
  | { kind: 'begin'; title: string; percentage?: number }
  | { kind: 'report'; message?: string; percentage?: number }
  | { kind: 'end'; message: string };

/** Sends `$/progress` for a host-supplied work-done token. */
export type SendProgress = (token: string | number, value: ProgressValue) => void;
