/**
 * The runtime's own clock: Date.now as it was when the runtime loaded. Timers, hrtime,
 * uptime and performance.now keep real time when a guest replaces the global Date (as
 * node:test's mock timers do), as Node's clocks do.
 */
export const realNow: () => number = Date.now;
