import type { Static } from '@sinclair/typebox';
import { PERMISSION_OPERATIONS, type PermissionScope, type VmPermissions } from '../../protocol/vm.js';
import { AgentosError } from '../errors.js';

/**
 * A VM's permission policy, compiled once at vm/create: for each scope, `decide(operation,
 * target)` says allow, deny or ask. How rules combine (protocol/README.md, "Permissions"):
 * 1. a rule applies when it covers the operation (no `operations`: all of them) and one of
 *    its targets matches (no `paths`/`patterns`: every target, at specificity 0);
 * 2. the applying rule whose best target is the most specific wins (the scope's matcher
 *    says how specific a match is);
 * 3. on equal specificity, a rule that names the operation beats one that covers all;
 * 4. still equal: deny beats ask, ask beats allow;
 * 5. no rule applies: the scope's `default`.
 * Matching is pluggable per scope (`TargetMatcher`), so the network scope's `host:port`
 * patterns (src/permissions/network-match.ts) plug in beside the path and name globs here.
 */
export type Mode = 'allow' | 'deny' | 'ask';
export type Scope = PermissionScope;
export type PermissionsSpec = Static<typeof VmPermissions>;

/** How specifically `pattern` matches `target`: a number ≥ 0 (higher: more specific), or < 0: no match. */
export type TargetMatcher = (pattern: string, target: string) => number;

/**
 * How a scope matches its targets: `match`, or `compile` (done once per pattern at
 * vm/create, for matchers that parse their pattern), and `check`, which refuses a
 * malformed pattern (returns why).
 */
export interface ScopeMatching {
  readonly match: TargetMatcher;
  readonly compile?: (pattern: string) => (target: string) => number;
  readonly check?: (pattern: string) => string | undefined;
}

export interface RuleSpec {
  readonly mode: Mode;
  readonly operations?: readonly string[];
  readonly paths?: readonly string[];
  readonly patterns?: readonly string[];
}
export type ScopeSpec = Mode | { readonly default: Mode; readonly rules: readonly RuleSpec[] };

export const SCOPES: readonly Scope[] = ['fs', 'network', 'childProcess', 'env', 'hostFunction'];

/** With no policy: fs, childProcess, env and declared bindings allowed; the network denied. */
export const SCOPE_DEFAULTS: Readonly<Record<Scope, Mode>> = { fs: 'allow', network: 'deny', childProcess: 'allow', env: 'allow', hostFunction: 'allow' };

export interface ScopePolicy {
  readonly scope: Scope;
  /** Set when every operation on every target gets this answer (a plain mode): callers may skip the target. */
  readonly uniform: Mode | undefined;
  decide(operation: string, target: string): Mode;
}

const MODE_RANK: Record<Mode, number> = { allow: 0, ask: 1, deny: 2 };

interface CompiledRule {
  readonly mode: Mode;
  readonly operations: ReadonlySet<string> | undefined;
  readonly targets: ReadonlyArray<(target: string) => number> | undefined;
}

/** Compiles one scope. `field` is where the scope sits in vm/create's params, for errors. */
export function compileScope(scope: Scope, spec: ScopeSpec, matching: ScopeMatching, field: string): ScopePolicy {
  if (typeof spec === 'string') return { scope, uniform: spec, decide: () => spec };
  const known: ReadonlySet<string> = new Set(PERMISSION_OPERATIONS[scope]);
  const key = scope === 'fs' ? 'paths' : 'patterns';
  const other = scope === 'fs' ? 'patterns' : 'paths';
  const rules: CompiledRule[] = spec.rules.map((rule, i) => {
    if (rule[other] !== undefined) invalid(`${field}/rules/${i}/${other}`, `a ${scope} rule names its targets in \`${key}\`, not \`${other}\``);
    for (const [j, op] of (rule.operations ?? []).entries()) {
      if (!known.has(op)) invalid(`${field}/rules/${i}/operations/${j}`, `'${op}' is not a ${scope} operation (${[...known].join(', ')})`);
    }
    const targets = rule[key];
    for (const [j, pattern] of (targets ?? []).entries()) {
      const problem = matching.check?.(pattern);
      if (problem) invalid(`${field}/rules/${i}/${key}/${j}`, `${key} '${pattern}': ${problem}`);
    }
    const compiled = targets?.map((pattern) => matching.compile?.(pattern) ?? ((target: string) => matching.match(pattern, target)));
    return { mode: rule.mode, operations: rule.operations ? new Set(rule.operations) : undefined, targets: compiled };
  });
  const fallback = spec.default;
  return {
    scope,
    uniform: rules.length === 0 ? fallback : undefined,
    decide(operation, target) {
      let best: Mode | undefined;
      let bestSpecificity = -1;
      let bestNamed = false;
      for (const rule of rules) {
        if (rule.operations && !rule.operations.has(operation)) continue;
        let specificity = rule.targets ? -1 : 0;
        for (const test of rule.targets ?? []) specificity = Math.max(specificity, test(target));
        if (specificity < 0) continue;
        const named = rule.operations !== undefined;
        const better =
          best === undefined ||
          specificity > bestSpecificity ||
          (specificity === bestSpecificity && (named && !bestNamed || (named === bestNamed && MODE_RANK[rule.mode] > MODE_RANK[best])));
        if (better) {
          best = rule.mode;
          bestSpecificity = specificity;
          bestNamed = named;
        }
      }
      return best ?? fallback;
    },
  };
}

function invalid(field: string, message: string): never {
  throw new AgentosError('ERR_AGENTOS_INVALID_PARAMS', `permissions: ${message}`, { field });
}

// ---- matchers ----

/**
 * A glob: `*` any run of characters (within one path segment when `paths`), `?` one
 * character, and for paths `**` as a whole segment any number of segments, none included
 * (`/home/**` matches /home itself). Specificity: more literal characters is more specific;
 * then a pattern without wildcards; then one without `**`.
 */
function compileGlob(pattern: string, paths: boolean): (target: string) => number {
  let source = '';
  let literal = 0;
  let wild = false;
  let deep = false;
  const segments = paths ? pattern.split('/') : [pattern];
  segments.forEach((segment, i) => {
    if (paths && segment === '**') {
      deep = wild = true;
      // Zero or more segments: `/a/**` is /a and all below it, `/a/**/b` is /a/b, /a/x/b, …
      source += '(?:/[^]*)?';
      return;
    }
    if (paths && i > 0) {
      source += '/';
      literal++;
    }
    for (const ch of segment) {
      if (ch === '*') {
        wild = true;
        source += paths ? '[^/]*' : '[^]*';
      } else if (ch === '?') {
        wild = true;
        source += paths ? '[^/]' : '[^]';
      } else {
        literal++;
        source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      }
    }
  });
  const re = new RegExp(`^${source}$`);
  const specificity = 1 + 4 * literal + (wild ? 0 : 2) + (deep ? 0 : 1);
  return (target) => (re.test(target) ? specificity : -1);
}

/** fs: absolute path globs against normalized absolute paths. A trailing `/` is ignored. */
export function compilePathGlob(pattern: string): (target: string) => number {
  const p = pattern.length > 1 && pattern.endsWith('/') ? pattern.slice(0, -1) : pattern;
  return p === '/' ? (target) => (target === '/' ? 8 : -1) : compileGlob(p, true);
}

/** env, hostFunction: names, with `*` and `?`. */
export function compileNameGlob(pattern: string): (target: string) => number {
  return compileGlob(pattern, false);
}

/**
 * childProcess: the target is the absolute path of the program that would run
 * (`/usr/bin/ls`; `node` for guest JS). A pattern with a `/` is a path glob against it;
 * one without, a name glob against its last segment (`ls`, `py*`).
 */
export function compileCommandGlob(pattern: string): (target: string) => number {
  if (pattern.includes('/')) return compilePathGlob(pattern);
  const byName = compileNameGlob(pattern);
  return (target) => byName(target.slice(target.lastIndexOf('/') + 1));
}

/** Each matcher as a TargetMatcher (compiling on each call: the compiled forms are what policies use). */
export const pathMatcher: TargetMatcher = (pattern, target) => compilePathGlob(pattern)(target);
export const nameMatcher: TargetMatcher = (pattern, target) => compileNameGlob(pattern)(target);
export const commandMatcher: TargetMatcher = (pattern, target) => compileCommandGlob(pattern)(target);

/** Until network-match.ts plugs in: a pattern matches its own text exactly. */
export const exactMatcher: TargetMatcher = (pattern, target) => (pattern === target ? 1 + 4 * pattern.length + 3 : -1);

export function checkPathPattern(pattern: string): string | undefined {
  if (!pattern.startsWith('/')) return 'must be absolute (start with /)';
  if (pattern.includes('\0')) return 'contains a NUL byte';
  return undefined;
}
