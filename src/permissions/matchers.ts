import { checkPathPattern, commandMatcher, compileCommandGlob, compileNameGlob, compilePathGlob, nameMatcher, pathMatcher, type Scope, type ScopeMatching, type TargetMatcher } from './policy.js';

import { networkMatching } from './network-match.js';

export type { ScopeMatching, TargetMatcher };

/** How each scope matches its targets, and how it refuses a malformed pattern at vm/create. */
export const MATCHERS: Readonly<Record<Scope, ScopeMatching>> = {
  fs: { match: pathMatcher, compile: compilePathGlob, check: checkPathPattern },
  network: networkMatching,
  childProcess: { match: commandMatcher, compile: compileCommandGlob },
  env: { match: nameMatcher, compile: compileNameGlob },
  hostFunction: { match: nameMatcher, compile: compileNameGlob },
};
