/**
 * The test-runner bundle's entry (dist/guest-test.js): what src/js/guest/test-lib-loader.ts
 * gets back from evaluating it once in a process, the first time guest code requires node:test.
 */
import './test-host.js';
export { loadTest } from './test-runner.js';
