// `require('process')` inside bundled packages: the guest's own process (scripts/guest-node-aliases.mjs).
module.exports = globalThis.process;
