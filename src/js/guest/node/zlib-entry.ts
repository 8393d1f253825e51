/**
 * The zlib bundle's entry (dist/guest-zlib.js): what src/js/guest/zlib-lib-loader.ts gets
 * back from evaluating it once in a process, the first time guest code requires zlib.
 */
import './zlib-host.js';
export { loadZlib } from './zlib-lib.js';
