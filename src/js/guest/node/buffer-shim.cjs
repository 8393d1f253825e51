// `require('buffer')` inside the library bundle: the runtime's own Buffer module (lib-host.ts).
module.exports = require('./lib-host.ts').libHost.buffer;
