/**
 * What the runtime hands the test-runner bundle (dist/guest-test.js) as it evaluates it
 * (src/js/guest/test-lib-loader.ts): the runtime's loader of Node's internal modules and the
 * guest's builtins, its primordials and its JavaScript bindings, so the runner shares Node's
 * one internal/errors, assert and util with the rest of the guest.
 */
export interface TestHost {
  nodeRequire: (id: string) => any;
  primordials: () => object;
  internalBinding: (name: string) => unknown;
}

export const TEST_HOST_KEY = 'agentos.test.host';
const g = globalThis as unknown as Record<symbol, unknown>;
export const testHost = g[Symbol.for(TEST_HOST_KEY)] as TestHost;
delete g[Symbol.for(TEST_HOST_KEY)];
