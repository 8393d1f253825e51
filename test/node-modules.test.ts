import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eventually, startSidecar } from './helpers/sidecar.js';

/**
 * Module loading as Node 20 does it: each case writes the same small package tree into the
 * VM (under /home/user/<case>) and into a host directory, runs the same command in both, and
 * compares stdout, stderr and the exit code, with the host directory's name replaced by the
 * VM's.
 */
const { client } = await startSidecar();
const { vmId } = await client.createVm({});
const hostRoot = mkdtempSync(join(tmpdir(), 'agentos-node-modules-'));

type Tree = Record<string, string>;

async function both(name: string, tree: Tree, args: string[]) {
  const vmDir = `/home/user/${name}`;
  const hostDir = join(hostRoot, name);
  for (const [rel, text] of Object.entries(tree)) {
    await client.writeFile(vmId, `${vmDir}/${rel}`, text, { createParents: true });
    mkdirSync(dirname(join(hostDir, rel)), { recursive: true });
    writeFileSync(join(hostDir, rel), text);
  }
  const vm = await client.exec(vmId, 'node', args, { cwd: vmDir });
  let host: { stdout: string; stderr: string; exitCode: number };
  try {
    host = { stdout: execFileSync(process.execPath, args, { cwd: hostDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: '/home/user' } }), stderr: '', exitCode: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; status: number };
    host = { stdout: e.stdout, stderr: e.stderr, exitCode: e.status };
  }
  const norm = (s: string) => s.split(hostDir).join(vmDir).split(`file://${hostDir}`).join(`file://${vmDir}`);
  return { vm, host: { stdout: norm(host.stdout), stderr: norm(host.stderr), exitCode: host.exitCode } };
}

/** Same stdout and exit code as host Node (stderr is compared where the case prints its errors to stdout). */
async function same(name: string, tree: Tree, args: string[]): Promise<string> {
  const { vm, host } = await both(name, tree, args);
  assert.is(vm.stderr, '', `VM stderr: ${vm.stderr}`);
  assert.is(vm.stdout, host.stdout);
  assert.is(vm.exitCode, host.exitCode);
  return vm.stdout;
}

/** Prints `code: message` of whatever `fn` throws (or `ok <value>`). */
const report = `const report = (label, fn) => { try { const v = fn(); console.log(label, 'ok', typeof v === 'string' ? v : JSON.stringify(v)); } catch (e) { console.log(label, e.code, JSON.stringify(e.message), JSON.stringify(e.requireStack)); } };\n`;
const reportAsync = `const reportAsync = async (label, p) => { try { const ns = await p; console.log(label, 'ok', JSON.stringify(Object.keys(ns)), JSON.stringify(ns.default ?? null)); } catch (e) { console.log(label, e.code, JSON.stringify(e.message)); } };\n`;

const exportsTree: Tree = {
  'node_modules/csvish/package.json': JSON.stringify({
    name: 'csvish',
    exports: {
      '.': { import: './lib/index.mjs', require: './lib/index.cjs' },
      './sync': { node: { import: './lib/sync.mjs', default: './lib/sync.cjs' } },
      './feature/*': './lib/features/*.js',
      './feature/private/*': null,
      './package.json': './package.json',
    },
  }),
  'node_modules/csvish/lib/index.mjs': 'export const kind = "esm-main";\n',
  'node_modules/csvish/lib/index.cjs': 'exports.kind = "cjs-main";\n',
  'node_modules/csvish/lib/sync.mjs': 'export const kind = "esm-sync";\n',
  'node_modules/csvish/lib/sync.cjs': 'exports.kind = "cjs-sync";\n',
  'node_modules/csvish/lib/features/a.js': 'exports.kind = "feature-a";\n',
  'node_modules/csvish/lib/features/private/b.js': 'exports.kind = "private";\n',
  'node_modules/plain/package.json': JSON.stringify({ name: 'plain', main: 'lib/main' }),
  'node_modules/plain/lib/main.js': 'exports.kind = "plain-main";\n',
  'node_modules/plain/extra.js': 'exports.kind = "plain-extra";\n',
};

test('package exports: subpaths, patterns, null targets, conditions for require and import', async () => {
  const cjs = `${report}
report('main', () => require('csvish').kind);
report('sync', () => require('csvish/sync').kind);
report('pattern', () => require('csvish/feature/a').kind);
report('null', () => require('csvish/feature/private/b'));
report('unexported', () => require('csvish/lib/index.cjs'));
report('missing', () => require('nothing-here'));
report('plain', () => require('plain').kind);
report('plain-sub', () => require('plain/extra').kind);
report('json', () => require('csvish/package.json').name);
report('resolve', () => require.resolve('csvish/sync'));
`;
  const esm = `import { kind } from 'csvish';
import { kind as sync } from 'csvish/sync';
import feature from 'csvish/feature/a';
import plain from 'plain';
console.log(kind, sync, feature.kind, plain.kind);
for (const s of ['csvish/lib/index.mjs', 'csvish/feature/private/b', 'nothing-here', './nope.mjs', 'plain/extra']) {
  try { const ns = await import(s); console.log(s, 'ok', ns.default?.kind); } catch (e) { console.log(s, e.code, e.message); }
}
`;
  const out = await same('exports', { ...exportsTree, 'main.js': cjs, 'main.mjs': esm }, ['main.js']);
  assert.match(out, /^main ok cjs-main\nsync ok cjs-sync\npattern ok feature-a\nnull ERR_PACKAGE_PATH_NOT_EXPORTED/);
  const esmOut = await same('exports', {}, ['main.mjs']);
  assert.match(esmOut, /^esm-main esm-sync feature-a plain-main\n/);
});

test('package imports (#name), as chalk uses them, from CommonJS and ES modules', async () => {
  const tree: Tree = {
    'node_modules/chalkish/package.json': JSON.stringify({
      name: 'chalkish',
      type: 'module',
      exports: './source/index.js',
      imports: { '#ansi-styles': './source/vendor/ansi-styles/index.js', '#supports-color': { node: './source/vendor/supports-color/index.js', default: './source/vendor/supports-color/browser.js' }, '#dep': 'plain' },
    }),
    'node_modules/chalkish/source/index.js': "import styles from '#ansi-styles';\nimport { level } from '#supports-color';\nimport dep from '#dep';\nexport default { red: styles.red, level, dep: dep.kind };\nexport async function missing() { return import('#nope'); }\n",
    'node_modules/chalkish/source/vendor/ansi-styles/index.js': 'export default { red: [31, 39] };\n',
    'node_modules/chalkish/source/vendor/supports-color/index.js': 'export const level = "node";\n',
    'node_modules/chalkish/source/vendor/supports-color/browser.js': 'export const level = "browser";\n',
    'node_modules/chalkish/node_modules/plain/package.json': JSON.stringify({ name: 'plain' }),
    'node_modules/chalkish/node_modules/plain/index.js': 'exports.kind = "nested-plain";\n',
    'main.mjs': "import chalk, { missing } from 'chalkish';\nconsole.log(JSON.stringify(chalk));\ntry { await missing(); } catch (e) { console.log(e.code, e.message); }\n",
  };
  const out = await same('imports', tree, ['main.mjs']);
  assert.match(out, /^\{"red":\[31,39\],"level":"node","dep":"nested-plain"\}\nERR_PACKAGE_IMPORT_NOT_DEFINED /);
});

test('named imports from CommonJS, found as Node finds them (cjs-module-lexer, re-exports)', async () => {
  const tree: Tree = {
    'node_modules/semverish/package.json': JSON.stringify({ name: 'semverish', main: 'index.js' }),
    'node_modules/semverish/index.js': "const inc = require('./functions/inc');\nconst constants = { SEMVER_SPEC_VERSION: '2.0.0' };\nconst valid = (v) => /^\\d+\\.\\d+\\.\\d+$/.test(v);\nmodule.exports = { inc, valid, SEMVER_SPEC_VERSION: constants.SEMVER_SPEC_VERSION, later: (x) => x };\n",
    'node_modules/semverish/functions/inc.js': "module.exports = (v) => v.split('.').map((n, i) => i === 2 ? +n + 1 : n).join('.');\n",
    'node_modules/reex/index.js': "module.exports = require('./inner');\n",
    // A getter form both Node 20.19's lexer (1.4.1) and the host's newer one read.
    'node_modules/reex/inner.js': "const internal = { c: 3 };\nexports.a = 1; exports.b = 2; Object.defineProperty(exports, 'c', { enumerable: true, get: function () { return internal.c; } });\n",
    'node_modules/esmodule/index.js': "'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\nexports.default = 'dflt';\nexports.named = 'nm';\n",
    'main.mjs': "import { inc, valid, SEMVER_SPEC_VERSION } from 'semverish';\nimport semver from 'semverish';\nimport * as reex from 'reex';\nimport * as esm from 'esmodule';\nimport dflt, { named } from 'esmodule';\nconsole.log(inc('1.2.3'), valid('1.0.0'), SEMVER_SPEC_VERSION, typeof semver.inc);\nconsole.log(JSON.stringify(Object.keys(reex)), reex.a, reex.b, reex.c);\nconsole.log(JSON.stringify(Object.keys(esm)), JSON.stringify(dflt), named);\n",
    'bad.mjs': "import { nope } from 'semverish';\n",
  };
  const out = await same('cjs-named', tree, ['main.mjs']);
  assert.is(out, '1.2.4 true 2.0.0 function\n["a","b","c","default"] 1 2 3\n["__esModule","default","named"] {"default":"dflt","named":"nm"} nm\n');
  const bad = await both('cjs-named', {}, ['bad.mjs']);
  assert.is(bad.vm.exitCode, 1);
  assert.is(bad.host.exitCode, 1);
  assert.match(bad.vm.stderr, /SyntaxError: .*'nope'/);
});

test('dynamic import() from CommonJS, ES modules and -e; one module instance per process', async () => {
  const tree: Tree = {
    'counter.mjs': 'export let count = 0;\nexport function bump() { count++; }\nconsole.log("counter evaluated");\n',
    'data.json': '{"x": 1}\n',
    'throws.mjs': 'const e = new RangeError("at load"); e.code = "E_CUSTOM"; throw e;\n',
    'cjs.js': `${reportAsync}
(async () => {
  const a = await import('./counter.mjs');
  const b = await import('./counter.mjs');
  a.bump();
  console.log(a === b, b.count);
  await reportAsync('cjs', import('./cjs-dep.js'));
  await reportAsync('builtin', import('node:path').then((m) => ({ default: typeof m.join })));
  await reportAsync('json', import('./data.json', { with: { type: 'json' } }));
  await reportAsync('json-no-attr', import('./data.json'));
  await reportAsync('missing', import('./missing.mjs'));
  // The error of a module that throws while it is evaluated reaches the importer as a copy
  // (isolated-vm hands it over so): its class, message and stack, not its own properties.
  const t = await import('./throws.mjs').catch((e) => e);
  console.log(t.name, t.message, t instanceof RangeError);
  console.log(typeof import.meta);
})();
`.replace('console.log(typeof import.meta);', ''),
    'cjs-dep.js': 'module.exports = { from: "cjs" };\n',
    'main.mjs': "import { count, bump } from './counter.mjs';\nbump();\nconst again = await import('./counter.mjs');\nconsole.log(count, again.count, again.bump === bump);\nconst { default: cjs } = await import('./cjs-dep.js');\nconsole.log(cjs.from);\n",
  };
  await same('dynamic', tree, ['cjs.js']);
  await same('dynamic', {}, ['main.mjs']);
  await same('dynamic', {}, ['-e', "import('./counter.mjs').then((m) => { m.bump(); console.log(m.count) })"]);
  await same('dynamic', {}, ['--input-type=module', '-e', "const m = await import('./counter.mjs'); console.log(m.count)"]);
});

test('concurrent import()s of graphs that share modules link one at a time, each module once (npm loads chalk and supports-color so)', async () => {
  const tree: Tree = {
    'shared.mjs': 'console.log("shared evaluated");\nexport const s = "s";\n',
    'a.mjs': "import { s } from './shared.mjs';\nimport { c } from './c.mjs';\nexport const a = 'a' + s + c;\n",
    'b.mjs': "import { s } from './shared.mjs';\nexport const b = 'b' + s;\n",
    'c.mjs': "import { s } from './shared.mjs';\nexport const c = 'c' + s;\n",
    'broken.mjs': "import { nope } from './shared.mjs';\nexport const x = nope;\n",
    'main.js': `Promise.allSettled([import('./a.mjs'), import('./b.mjs'), import('./broken.mjs'), import('./c.mjs'), import('./a.mjs')])
  .then((all) => console.log(all.map((r) => r.status === 'fulfilled' ? Object.values(r.value).join() : r.reason.name)));
`,
  };
  await same('concurrent-import', tree, ['main.js']);
});

test('stack positions on a CommonJS file\'s first line are the file\'s own columns (the wrapper is not counted)', async () => {
  const tree: Tree = {
    'col.js': "const e = new Error('x'); const f = () => new Error('y'); console.log(e.stack.split('\\n')[1].trim(), f().stack.split('\\n')[1].trim()); require('./dep.js');\n",
    'dep.js': "console.log(new Error('z').stack.split('\\n')[1].trim());\n",
  };
  await same('first-line-columns', tree, ['col.js']);
});

test('import.meta: url, dirname, filename, resolve', async () => {
  const tree: Tree = {
    'node_modules/pkg/package.json': JSON.stringify({ name: 'pkg', exports: { '.': './main.js' } }),
    'node_modules/pkg/main.js': '',
    'sub dir/meta.mjs': "console.log(import.meta.url);\nconsole.log(import.meta.dirname, import.meta.filename);\nconsole.log(JSON.stringify(Object.keys(import.meta)));\nconsole.log(import.meta.resolve('./x.js'), import.meta.resolve('node:fs'), import.meta.resolve('fs'));\nconsole.log(import.meta === import.meta);\ntry { import.meta.resolve('nope') } catch (e) { console.log(e.code) }\n",
  };
  await same('meta', tree, ['sub dir/meta.mjs']);
});

test('require: resolve with paths, resolve.paths, cache, main, children, module.paths, MODULE_NOT_FOUND with its require stack', async () => {
  const tree: Tree = {
    'lib/a.js': "exports.b = require('./b');\nexports.loaded = module.loaded;\n",
    'lib/b.js': "require('./c');\n",
    'lib/c.js': "require('missing-pkg');\n",
    'other/node_modules/dep/index.js': 'module.exports = "dep";\n',
    'main.js': `${report}
report('stack', () => require('./lib/a'));
report('paths', () => require.resolve('dep', { paths: [__dirname + '/other'] }));
report('paths-rel', () => require.resolve('./index.js', { paths: [__dirname + '/other/node_modules/dep'] }));
report('paths-miss', () => require.resolve('dep', { paths: ['/nowhere'] }));
report('resolve.paths', () => [require.resolve.paths('fs'), require.resolve.paths('./x'), require.resolve.paths('x')[0], require.resolve.paths('x').slice(-3)]);
report('module.paths', () => [module.paths[0], module.paths.at(-1)]);
console.log(require.main === module, module.id, module.filename.endsWith('main.js'), module.loaded, typeof module.exports);
const d = require('./other/node_modules/dep');
console.log(d, Object.keys(require.cache).filter((k) => k.includes('dep')).length, module.children.length);
delete require.cache[require.resolve('./other/node_modules/dep')];
console.log(require('./other/node_modules/dep') === d);
report('bad-id', () => require(42));
report('empty-id', () => require(''));
report('no-builtin', () => require('node:nope'));
`,
  };
  const out = await same('require', tree, ['main.js']);
  assert.match(out, /^stack MODULE_NOT_FOUND "Cannot find module 'missing-pkg'\\nRequire stack:\\n- \/home\/user\/require\/lib\/c.js\\n- \/home\/user\/require\/lib\/b.js\\n- \/home\/user\/require\/lib\/a.js\\n- \/home\/user\/require\/main.js" \[/);
});

test('the module builtin: createRequire, builtinModules, isBuiltin, Module', async () => {
  const tree: Tree = {
    'node_modules/dep/index.js': 'module.exports = "dep";\n',
    'main.mjs': "import { createRequire, isBuiltin, builtinModules } from 'node:module';\nimport Module from 'module';\nconst require = createRequire(import.meta.url);\nconsole.log(require('dep'), require.resolve('dep'), isBuiltin('fs'), isBuiltin('node:path'), isBuiltin('nope'), builtinModules.includes('fs'));\nconsole.log(typeof Module, Module.createRequire === createRequire, typeof Module._resolveFilename, Module.wrap('x'));\nconsole.log(JSON.stringify(Module._nodeModulePaths('/a/node_modules/b')));\nconsole.log(createRequire('/x/y.js').resolve.paths('q')[0]);\n",
  };
  await same('module-builtin', tree, ['main.mjs']);
});

test('a CommonJS file that does not compile: a SyntaxError of the requiring realm, the file and line first', async () => {
  const tree: Tree = { 'bad.js': 'const ok = 1;\nmodule.exports = { a: (1 };\n', 'main.js': "try { require('./bad.js') } catch (e) { console.log(e instanceof SyntaxError, e.name, e.message, e.stack.split('\\n')[0]) }\n" };
  const out = await same('syntax', tree, ['main.js']);
  assert.is(out, "true SyntaxError Unexpected token '}' /home/user/syntax/bad.js:2\n");
});

test('-e: module, require and __filename as Node gives them', async () => {
  await same('eval', { 'x.js': 'module.exports = 1;\n' }, ['-e', "console.log(module.id, module.filename.endsWith('/[eval]'), __filename, __dirname, require('./x.js'), module.paths[0].endsWith('/eval/node_modules'))"]);
});

test('V8 code cache: produced once by the daemon, used by later processes of any VM, same results and stack lines', async () => {
  const { client: cached, logs } = await startSidecar({ env: { AGENTOS_LOG_LEVEL: 'debug', AGENTOS_MODULE_CODE_CACHE_MIN_SOURCE_BYTES: '1000' } });
  const body = `${Array.from({ length: 60 }, (_, i) => `exports.f${i} = (x) => x + ${i};`).join('\n')}\nexports.boom = function boom() { throw new Error('from line 62'); };\n`;
  const script = "const m = require('/lib/big.js'); let s = 0; for (let i = 0; i < 60; i++) s += m['f' + i](1); try { m.boom(); } catch (e) { console.log(s, e.stack.split('\\n')[1].trim()); }";
  const run = async (vm: string) => {
    const r = await cached.exec(vm, 'node', ['-e', script]);
    assert.is(r.stderr, '');
    return r.stdout;
  };
  const { vmId: a } = await cached.createVm({});
  const { vmId: b } = await cached.createVm({});
  for (const vm of [a, b]) await cached.writeFile(vm, '/lib/big.js', body, { createParents: true });
  const expected = '1830 at Object.boom (/lib/big.js:61:40)\n';
  assert.is(await run(a), expected);
  const stored = await eventually(() => logs.find((l) => l.msg === 'module code cache stored' && l.filename === '/lib/big.js'));
  assert.ok((stored.bytes as number) > 0);
  assert.is(logs.filter((l) => l.msg === 'module code cache used').length, 0);
  assert.is(await run(a), expected);
  assert.is(await run(b), expected);
  assert.equal(logs.filter((l) => l.msg === 'module code cache used').map((l) => l.filename), ['/lib/big.js', '/lib/big.js']);
  assert.is(logs.filter((l) => l.msg === 'module code cache stored').length, 1);
  await cached.close();
});

test('require() of ES modules as Node 20.19: named and default (with its __esModule facade), "module.exports", one instance with import(), JSON and CommonJS in the graph, top-level await and cycles refused', async () => {
  const tree: Tree = {
    'm.mjs': 'export const a = 1;\nexport default function f() {}\nconsole.log("evaluated m");\n',
    'nodefault.mjs': 'import dep from "./dep.cjs";\nimport data from "./d.json" with { type: "json" };\nexport const z = dep.v + data.n;\nconsole.log("evaluated nodefault");\n',
    'dep.cjs': 'module.exports = { v: 10 };\n',
    'd.json': '{"n": 5}\n',
    'me.mjs': 'const x = { hi: 1 };\nexport { x as "module.exports" };\nexport const ignored = 2;\n',
    'tla.mjs': 'await 1;\nexport const t = 1;\n',
    'cyc.mjs': 'import "./cyc.cjs";\nexport const q = 1;\n',
    'cyc.cjs': 'try { require("./cyc.mjs"); } catch (e) { console.log("inner", e.code); }\n',
    'node_modules/esm-only/package.json': JSON.stringify({ name: 'esm-only', type: 'module', exports: './index.js' }),
    'node_modules/esm-only/index.js': 'export const color = (s) => `<${s}>`;\nexport default { level: 1 };\n',
    'main.cjs': [
      "const m = require('./m.mjs');",
      "console.log(m, m.__esModule, require('./m.mjs') === m);",
      "const nd = require('./nodefault.mjs');",
      "console.log(nd.z, Object.keys(nd), nd.__esModule);",
      "console.log(require('./me.mjs'));",
      "try { require('./tla.mjs'); } catch (e) { console.log(e.code, JSON.stringify(e.message)); }",
      "require('./cyc.mjs');",
      "const only = require('esm-only');",
      "console.log(only.color('x'), only.default.level, require.cache[require.resolve('esm-only')].exports === only);",
      "import('./nodefault.mjs').then((x) => console.log('same instance', x === nd));",
      "import('./m.mjs').then((x) => console.log('facade', x !== m, x.default === m.default));",
    ].join('\n'),
  };
  const out = await same('require-esm', tree, ['main.cjs']);
  assert.ok(out.startsWith('evaluated m\n'), out);
  assert.ok(out.includes('ERR_REQUIRE_ASYNC_MODULE') && out.includes('inner ERR_REQUIRE_CYCLE_MODULE') && out.includes('same instance true'), out);
});

test('require() of an ES module left in its top-level await by an earlier require() is ERR_REQUIRE_ASYNC_MODULE again, as is a graph that imports it', async () => {
  const tree: Tree = {
    'tla.mjs': 'await new Promise((r) => setTimeout(r, 5));\nexport const t = 1;\n',
    'uses.mjs': 'import { t } from "./tla.mjs";\nexport const u = t;\n',
    'main.cjs': "for (const f of ['./tla.mjs', './tla.mjs', './uses.mjs']) { try { require(f); console.log(f, 'loaded'); } catch (e) { console.log(f, e.code); } }\n",
  };
  assert.is(await same('require-esm-async-again', tree, ['main.cjs']), './tla.mjs ERR_REQUIRE_ASYNC_MODULE\n./tla.mjs ERR_REQUIRE_ASYNC_MODULE\n./uses.mjs ERR_REQUIRE_ASYNC_MODULE\n');
});

test('require() of ES modules inside another evaluation: a module on its stack is refused as a cycle, as Node, and the daemon lives on', async () => {
  const tree: Tree = {
    'main2.mjs': 'import "./a2.cjs";\nexport const m = 1;\nconsole.log("main2 done");\n',
    'a2.cjs': 'try { require("./main2.mjs"); } catch (e) { console.log("a2", e.code); }\n',
    'main3.cjs': 'try { console.log(require("./x3.mjs").x); } catch (e) { console.log("main3", e.code); }\n',
    'x3.mjs': 'import "./y3.cjs";\nexport const x = 3;\n',
    'y3.cjs': 'try { require("./z3.mjs"); } catch (e) { console.log("y3", e.code); }\n',
    'z3.mjs': 'import { x } from "./x3.mjs";\nexport const z = 1;\n',
    'main4.mjs': 'import "./a4.cjs";\nconsole.log("main4 done");\n',
    'a4.cjs': 'try { console.log("a4", require("./fresh4.mjs").f); } catch (e) { console.log("a4", e.code, e.message); }\n',
    'fresh4.mjs': 'import "./inner4.cjs";\nexport const f = 4;\n',
    'inner4.cjs': 'try { require("./fresh4.mjs"); } catch (e) { console.log("inner4", e.code); }\n',
  };
  assert.is(await same('require-esm-nested', tree, ['main2.mjs']), 'a2 ERR_REQUIRE_CYCLE_MODULE\nmain2 done\n');
  assert.is(await same('require-esm-nested', tree, ['main3.cjs']), 'y3 ERR_REQUIRE_CYCLE_MODULE\n3\n');
  assert.is(await same('require-esm-nested', tree, ['main4.mjs']), 'inner4 ERR_REQUIRE_CYCLE_MODULE\na4 4\nmain4 done\n');
});

test('require() of an ES module that throws: the process ends with the module\'s own error, as in Node', async () => {
  const { vm, host } = await both('require-esm-throws', { 'boom.mjs': 'export const x = 1;\nthrow new RangeError("boom at load");\n', 'main.cjs': "require('./boom.mjs');\n" }, ['main.cjs']);
  assert.is(vm.exitCode, 1);
  assert.is(host.exitCode, 1);
  const first = (stderr: string) => stderr.split('\n').find((line) => line.startsWith('RangeError'));
  assert.is(first(vm.stderr), 'RangeError: boom at load');
  assert.is(first(vm.stderr), first(host.stderr));
});

test.after(async () => {
  rmSync(hostRoot, { recursive: true, force: true });
  await client.close();
});

test.run();
