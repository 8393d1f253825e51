// In the network bundle (dist/guest-net.js), undici's files require Node builtins
// (`node:stream`, `node:zlib`, `string_decoder` ...): each becomes the guest's own builtin,
// looked up when first required through the runtime's loader (src/js/guest/node/net-host.ts),
// not a copy bundled in. undici's global dispatcher (lib/global.js) is the guest's, which
// sends fetch's requests through the guest's http and https (src/js/guest/node/fetch-dispatcher.ts).
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';

const netHost = fileURLToPath(new URL('../src/js/guest/node/net-host.ts', import.meta.url));
const dispatcher = fileURLToPath(new URL('../src/js/guest/node/fetch-dispatcher.ts', import.meta.url));
const fetchStream = fileURLToPath(new URL('../src/js/guest/node/fetch-stream.ts', import.meta.url));
const builtins = new Set(builtinModules);

export const guestBuiltinRequires = {
  name: 'guest-builtin-requires',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!/[\\/]node_modules[\\/]undici[\\/]/.test(args.importer)) return undefined;
      if (args.path.startsWith('.') && /[\\/]undici[\\/]lib[\\/]global(\.js)?$/.test(resolve(dirname(args.importer), args.path))) return { path: dispatcher };
      const name = args.path.replace(/^node:/, '');
      if (args.path.startsWith('node:') || builtins.has(name)) return { path: name, namespace: 'guest-builtin' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'guest-builtin' }, (args) => ({
      // stream: with a finished() that copes with the guest's web streams (fetch-stream.ts).
      contents: args.path === 'stream' ? `module.exports = require(${JSON.stringify(fetchStream)}).streamForUndici();` : `module.exports = require(${JSON.stringify(netHost)}).netHost().nodeRequire(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: '/',
    }));
  },
};
