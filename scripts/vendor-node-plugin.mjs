// Node's own lib/ files (vendor/node/lib, from Node 20.19.2's tarball) run as Node runs its
// builtins: each is a function of (exports, require, module, process, internalBinding,
// primordials) that src/js/guest/node/node-lib.ts calls on first require. Wrapping them
// here keeps the vendored files byte-identical to Node's. The wrapper is the file's default
// export: this package is "type": "module", so esbuild reads every .js in it as ESM.
import { readFile } from 'node:fs/promises';

export const vendorNodePlugin = {
  name: 'vendor-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]vendor[\\/]node[\\/]lib[\\/].*\.js$/ }, async (args) => ({
      contents: `export default function (exports, require, module, process, internalBinding, primordials) {\n${await readFile(args.path, 'utf8')}\n};`,
      loader: 'js',
    }));
  },
};
