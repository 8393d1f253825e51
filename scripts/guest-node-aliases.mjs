// Packages that are Node's own code (readable-stream ...) reach for `process` through the
// npm `process` shim, which schedules nextTick on timers: in the guest they get the guest's
// own process object instead, whose nextTick runs before promise callbacks as Node's does;
// and `events` is Node's own events.js.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const processShim = fileURLToPath(new URL('../src/js/guest/node/process-shim.cjs', import.meta.url));
const abortController = fileURLToPath(new URL('../node_modules/abort-controller/dist/abort-controller.js', import.meta.url));
const bufferShim = fileURLToPath(new URL('../src/js/guest/node/buffer-shim.cjs', import.meta.url));
const eventsNone = fileURLToPath(new URL('../src/js/guest/node/events-none.cjs', import.meta.url));
const eventsShim = fileURLToPath(new URL('../src/js/guest/node/events-shim.cjs', import.meta.url));

export const guestNodeAliases = {
  name: 'guest-node-aliases',
  setup(build) {
    build.onResolve({ filter: /^process\/?$/ }, () => ({ path: processShim }));
    // In the library bundle, Buffer is the runtime's (one Buffer class per isolate).
    if (build.initialOptions.outfile?.endsWith('guest-lib.js')) build.onResolve({ filter: /^buffer\/?$/ }, () => ({ path: bufferShim }));
    // One EventEmitter for the guest: Node's events.js (vendored), which streams extend too.
    build.onResolve({ filter: /^events\/?$/ }, (args) => ({ path: /readable-stream[\\/]lib[\\/]ours[\\/]util\.js$/.test(args.importer) ? eventsNone : eventsShim }));
    // readable-stream falls back to this package where the global AbortController is missing;
    // its browser entry reads `self`, which an isolate has not: take the CommonJS build.
    build.onResolve({ filter: /^abort-controller$/ }, () => ({ path: abortController }));
    // readable-stream reads globalThis.AbortController/AbortSignal when its modules load. The
    // guest's are Node's abort_controller.js, whose event_target.js needs `events` from the
    // library bundle while that bundle's streams are still loading (a require cycle that
    // leaves readable-stream's util half-made): streams take the package's copies instead;
    // its checks of a signal are by shape, so a guest's AbortSignal still works with them.
    build.onLoad({ filter: /[\\/]readable-stream[\\/]lib[\\/].*\.js$/ }, async (args) => {
      let source = (await readFile(args.path, 'utf8')).replace(/globalThis\.(AbortController|AbortSignal) \|\| /g, '');
      // A stream's end of construction as Node 20 has it (nodejs/node#51993): kConstruct is emitted
      // in the same tick as `constructed` is set, not one later (readable-stream has Node 18's), so
      // a write made in between cannot overtake the writes buffered while it was constructing.
      if (/[\\/]internal[\\/]streams[\\/]destroy\.js$/.test(args.path)) source = source.replace('process.nextTick(emitConstructNT, stream)', 'stream.emit(kConstruct)');
      return { contents: source, loader: 'js' };
    });
  },
};
