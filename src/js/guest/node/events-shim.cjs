// `require('events')` inside bundled packages (readable-stream): Node's own events.js, as the
// guest gets it. CommonJS (.cjs) so that `require` returns the EventEmitter itself.
module.exports = require('./node-lib.ts').nodeLib('events');
