// What readable-stream's ours/util.js sees as `events`: nothing, so it takes its own copy of
// addAbortListener (Node's code). Node's events.js itself needs ours/util (through the
// validators), so giving it the real module would be a require cycle.
module.exports = {};
