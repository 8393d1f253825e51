import { compileScope, SCOPE_DEFAULTS, SCOPES, type PermissionsSpec, type Scope, type ScopePolicy, type ScopeSpec } from './policy.js';
import { MATCHERS } from './matchers.js';
import type { ScopeMatching } from './policy.js';
import type { FsPermission } from './fs.js';

/** vm/create's `permissions`, compiled: one policy per scope, and the fs shorthand when one was given. */
export interface VmPolicy {
  readonly scopes: Readonly<Record<Scope, ScopePolicy>>;
  /** `read-write`, `read-only` or `none` when fs was given as one (their errnos and messages differ from a rule's). */
  readonly fsShorthand: FsPermission | undefined;
}

/** The three historical fs modes as rule sets: read-only allows reading only. */
const FS_SHORTHANDS: Record<FsPermission, ScopeSpec> = {
  'read-write': 'allow',
  'read-only': { default: 'deny', rules: [{ mode: 'allow', operations: ['read'] }] },
  none: 'deny',
};

/** Throws ERR_AGENTOS_INVALID_PARAMS (with the field) for a malformed rule or pattern. */
export function compilePolicy(spec: PermissionsSpec | undefined, matchers: Readonly<Record<Scope, ScopeMatching>> = MATCHERS): VmPolicy {
  const fs = spec?.fs;
  const fsShorthand = fs === 'read-write' || fs === 'read-only' || fs === 'none' ? fs : undefined;
  const scopes = {} as Record<Scope, ScopePolicy>;
  for (const scope of SCOPES) {
    const given: ScopeSpec | undefined = scope === 'fs' ? (fsShorthand ? FS_SHORTHANDS[fsShorthand] : (fs as ScopeSpec | undefined)) : spec?.[scope];
    const m = matchers[scope];
    scopes[scope] = compileScope(scope, given ?? SCOPE_DEFAULTS[scope], m, `/permissions/${scope}`);
  }
  return { scopes, fsShorthand };
}
