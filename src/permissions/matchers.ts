import { checkPathPattern, commandMatcher, compileCommandGlob, compileNameGlob, compilePathGlob, exactMatcher, nameMatcher, pathMatcher, type Scope, type ScopeMatching, type TargetMatcher } from './policy.js';

export type { ScopeMatching, TargetMatcher };

/** How each scope matches its targets, and how it refuses a malformed pattern at vm/create. */
export const MATCHERS: Readonly<Record<Scope, ScopeMatching>> = {
  fs: { match: pathMatcher, compile: compilePathGlob, check: checkPathPattern },
  // host:port patterns: src/permissions/network-match.ts (net-broker) replaces this.
  network: { match: exactMatcher },
  childProcess: { match: commandMatcher, compile: compileCommandGlob },
  env: { match: nameMatcher, compile: compileNameGlob },
  hostFunction: { match: nameMatcher, compile: compileNameGlob },
};
