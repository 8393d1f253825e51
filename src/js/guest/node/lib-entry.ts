/**
 * The library bundle's entry (dist/guest-lib.js): what guest/node-lib-loader.ts gets back
 * from evaluating it once in a process.
 */
import './lib-host.js';
export { configureNodeLib, nodeLib } from './node-lib.js';
export { loadNet } from './net.js';
export { setNetTransport } from './net-transport.js';
export { loadStream, loadStreamPromises } from './stream.js';
export { loadStreamWeb } from './stream-web.js';
export { loadStringDecoder } from './string-decoder.js';
