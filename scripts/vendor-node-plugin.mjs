// Node's own lib/ files (vendor/node/lib, from Node 20.19.2's tarball) run as Node runs its
// builtins: each is a function of (exports, require, module, process, internalBinding,
// primordials) that the guest's loaders call on first require (src/js/guest/node/internal.ts
// in the runtime bundle, src/js/guest/node/node-lib.ts in the library bundle). Wrapping them
// here keeps the vendored files byte-identical to Node's. vendor/node/package.json makes them
// CommonJS; the function is also the module's `default`, which the library loader reads.
import { readFile } from 'node:fs/promises';

export const vendorNodePlugin = {
  name: 'vendor-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]vendor[\\/]node[\\/]lib[\\/].*\.js$/ }, async (args) => ({
      contents: `module.exports = function (exports, require, module, process, internalBinding, primordials) {\n${await readFile(args.path, 'utf8')}\n};\nmodule.exports.default = module.exports;`,
      loader: 'js',
    }));
  },
};
