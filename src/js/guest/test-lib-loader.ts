import type * as TestLib from './node/test-entry.js';
import { evalBundle } from './bundle-loader.js';
import { internalBinding } from './node/bindings.js';
import { getPrimordials, nodeRequire } from './node/internal.js';

/**
 * node:test lives in a bundle of its own, dist/guest-test.js (Node's lib/test.js and
 * lib/internal/test_runner), which the daemon hands over the first time a process requires
 * node:test (one blocking call), as the library and zlib bundles are: a process that runs no
 * tests does not compile it.
 */
type TestModule = typeof TestLib;
let loaded: TestModule | undefined;

export function testLibBundle(): TestModule {
  loaded ??= evalBundle<TestModule>('testLib', 'agentos-test', 'agentos.test.host', { nodeRequire, primordials: getPrimordials, internalBinding }, ['__agentosTest']);
  return loaded;
}
