import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({ env: { APP_MODE: 'test' } });
const node = (args: string[], options: Parameters<typeof client.exec>[3] = {}) => client.exec(vmId, 'node', args, options);

test('console goes to the result\'s stdout and stderr, formatted like Node', async () => {
  const r = await node(['-e', 'console.log("a", 1, true, null, undefined, [1, "x"], { k: { n: 2 } }); console.error("to %s %d", "err", 42); console.info("%j", { j: 1 }); process.stdout.write("no newline")']);
  assert.is(r.stdout, "a 1 true null undefined [ 1, 'x' ] { k: { n: 2 } }\n{\"j\":1}\nno newline");
  assert.is(r.stderr, 'to err 42\n');
  assert.is(r.exitCode, 0);
  assert.ok(r.usage.wallMs > 0 && r.usage.cpuMs > 0 && r.usage.heapBytes > 0, JSON.stringify(r.usage));
});

test('argv, env, cwd and -p', async () => {
  const r = await node(['-e', 'console.log(JSON.stringify([process.argv, process.env.APP_MODE, process.env.EXTRA, process.cwd()]))', 'x', '--flag'], { env: { EXTRA: 'yes' } });
  assert.equal(JSON.parse(r.stdout), [['/usr/bin/node', 'x', '--flag'], 'test', 'yes', '/home/user']);
  assert.is((await node(['-p', '6 * 7'])).stdout, '42\n');
  assert.is((await node(['--version'])).stdout, `${process.version}\n`);
  const bad = await node(['--frobnicate']);
  assert.equal([bad.exitCode, bad.stderr], [9, 'node: bad option: --frobnicate\n']);
});

test('exit codes: exitCode, exit(n), uncaught errors print the guest stack only', async () => {
  assert.is((await node(['-e', 'process.exitCode = 3'])).exitCode, 3);
  const exited = await node(['-e', 'console.log("before"); process.exit(7); console.log("after")']);
  assert.equal([exited.exitCode, exited.stdout], [7, 'before\n']);
  const caught = await node(['-e', 'try { process.exit(4) } catch {} ; while (true) {}']);
  assert.is(caught.exitCode, 4);
  await client.writeFile(vmId, '/home/user/boom.js', 'function inner() {\n  throw new TypeError("boom");\n}\ninner();\n');
  const thrown = await node(['boom.js']);
  assert.is(thrown.exitCode, 1);
  assert.match(thrown.stderr, /^TypeError: boom\n    at inner \(\/home\/user\/boom\.js:2:9\)/);
  assert.not.match(thrown.stderr, /dist\/|src\/|node_modules|isolated-vm/);
  // As Node prints them (less the quoted source line): the error inspected with its own properties, the version last.
  assert.match(thrown.stderr, /\n\nNode\.js v20\.\d+\.\d+\n$/);
  const withCode = await node(['-e', "const e = new RangeError('r'); e.code = 'E_X'; throw e"]);
  assert.match(withCode.stderr, /^RangeError: r\n(    at [^\n]*\n)*    at [^\n]* \{\n  code: 'E_X'\n\}\n\nNode\.js v20\.\d+\.\d+\n$/);
  const nonError = await node(['-e', 'throw 42']);
  assert.equal([nonError.exitCode, nonError.stderr.replace(/v20\.\d+\.\d+/, 'v20')], [1, '42\n(Use `node --trace-uncaught ...` to show where the exception was thrown)\n\nNode.js v20\n']);
  const handled = await node(['-e', 'process.on("uncaughtException", (e) => console.log("handled", e.message)); setTimeout(() => { throw new Error("late") }, 1)']);
  assert.equal([handled.exitCode, handled.stdout], [0, 'handled late\n']);
  const missing = await node(['nope.js']);
  assert.equal([missing.exitCode, /Cannot find module '\/home\/user\/nope.js'/.test(missing.stderr)], [1, true]);
});

test('stdin: data events, async iteration and readFileSync(0)', async () => {
  const events = await node(['-e', 'let s = ""; process.stdin.setEncoding("utf8"); process.stdin.on("data", (d) => s += d); process.stdin.on("end", () => console.log(s.toUpperCase()))'], { stdin: 'hello\nworld' });
  assert.is(events.stdout, 'HELLO\nWORLD\n');
  const iter = await node(['-e', '(async () => { let n = 0; for await (const c of process.stdin) n += c.length; console.log(n) })()'], { stdin: 'x'.repeat(200_000) });
  assert.is(iter.stdout, '200000\n');
  const sync = await node(['-e', 'console.log(require("fs").readFileSync(0, "utf8").split("\\n").length)'], { stdin: 'a\nb\nc' });
  assert.is(sync.stdout, '3\n');
  const binary = await node(['-e', 'const b = require("fs").readFileSync(0); console.log(b.length, b[0], b[255])'], { stdin: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64'), stdinEncoding: 'base64' });
  assert.is(binary.stdout, '256 0 255\n');
  const script = await node(['-'], { stdin: 'console.log("from stdin script")' });
  assert.is(script.stdout, 'from stdin script\n');
});

test('timers run in order; intervals clear; unref does not hold the process', async () => {
  // The line prints when all six have happened (not at a time), so a slow machine changes
  // nothing but the wait. Orders that hold whatever the load are checked: ticks and
  // microtasks before anything else, and t5 before t20 (set together).
  const r = await node(['-e', `
    const order = [];
    const record = (what) => { order.push(what); if (order.length === 6) console.log(order.join(',')); };
    setTimeout(() => record('t20'), 20);
    setTimeout(() => record('t5'), 5);
    setImmediate(() => record('immediate'));
    Promise.resolve().then(() => record('micro'));
    process.nextTick(() => record('tick'));
    let n = 0; const iv = setInterval(() => { if (++n === 3) { clearInterval(iv); record('interval3') } }, 2);
    const cancelled = setTimeout(() => record('never'), 10); clearTimeout(cancelled);
    // Had the process waited for this unref'd timer, its line would be in stdout.
    setTimeout(() => console.log('unref fired'), 5000).unref();
  `]);
  assert.equal([r.exitCode, r.stderr], [0, '']);
  const order = r.stdout.trimEnd().split(',');
  assert.is(r.stdout.split('\n').length, 2, `one line: ${r.stdout}`);
  assert.equal(order.slice(0, 2), ['tick', 'micro']);
  assert.equal([...order.slice(2)].sort(), ['immediate', 'interval3', 't20', 't5']);
  assert.ok(order.indexOf('t5') < order.indexOf('t20'), order.join(','));
});

test('require: relative files, JSON, node_modules, builtins, cycles, module.exports', async () => {
  await client.writeFile(vmId, '/home/user/lib/math.js', 'exports.add = (a, b) => a + b; exports.name = __filename;');
  await client.writeFile(vmId, '/home/user/lib/index.js', 'module.exports = { ...require("./math"), cfg: require("../cfg.json") };');
  await client.writeFile(vmId, '/home/user/cfg.json', '{"level": 3}');
  await client.writeFile(vmId, '/home/user/node_modules/left-pad/package.json', '{"name": "left-pad", "main": "lib/pad.js"}');
  await client.writeFile(vmId, '/home/user/node_modules/left-pad/lib/pad.js', 'module.exports = (s, n) => String(s).padStart(n, "0");');
  await client.writeFile(vmId, '/home/user/a.js', 'exports.fromA = 1; exports.b = require("./b").fromB;');
  await client.writeFile(vmId, '/home/user/b.js', 'exports.fromB = require("./a").fromA;');
  await client.writeFile(vmId, '/home/user/main.js', `
    const lib = require('./lib');
    const pad = require('left-pad');
    const path = require('node:path');
    console.log(lib.add(2, 3), lib.name, lib.cfg.level, pad(7, 3), path.join('/a', '..', 'b'), require('./a').b, require.main === module);
    try { require('./missing') } catch (e) { console.log(e.code) }
    try { require('no-such-package') } catch (e) { console.log(e.code) }
  `);
  const r = await node(['main.js']);
  assert.is(r.stderr, '');
  assert.is(r.stdout, '5 /home/user/lib/math.js 3 007 /b 1 true\nMODULE_NOT_FOUND\nMODULE_NOT_FOUND\n');
});

test('ES modules: static imports of files, builtins and CommonJS; import in -e', async () => {
  await client.writeFile(vmId, '/home/user/esm/util.mjs', 'export const twice = (x) => x * 2; export default "dflt";');
  await client.writeFile(vmId, '/home/user/esm/legacy.cjs', 'module.exports = { old: true };');
  await client.writeFile(vmId, '/home/user/esm/main.mjs', `
    import dflt, { twice } from './util.mjs';
    import legacy from './legacy.cjs';
    import { readFileSync } from 'node:fs';
    import fs from 'fs';
    const n = await Promise.resolve(21);
    console.log(dflt, twice(n), legacy.old, readFileSync === fs.readFileSync, typeof readFileSync('/home/user/esm/util.mjs', 'utf8'));
  `);
  const r = await node(['esm/main.mjs']);
  assert.is(r.stderr, '');
  assert.is(r.stdout, 'dflt 42 true true string\n');
  const inline = await node(['-e', 'import { twice } from "./esm/util.mjs"; console.log(twice(5))']);
  assert.is(inline.stdout, '10\n');
  const broken = await node(['-e', 'import { nothing } from "./esm/util.mjs"']);
  assert.is(broken.exitCode, 1);
  assert.match(broken.stderr, /SyntaxError/);
});

test('the fs bridge: sync, callback and promise forms on the VM filesystem', async () => {
  const r = await node(['-e', `
    const fs = require('fs');
    const fsp = require('fs/promises');
    fs.mkdirSync('/work/deep/er', { recursive: true });
    fs.writeFileSync('/work/deep/a.txt', 'one');
    fs.appendFileSync('/work/deep/a.txt', '+two');
    fs.copyFileSync('/work/deep/a.txt', '/work/deep/b.txt');
    fs.renameSync('/work/deep/b.txt', '/work/deep/er/c.txt');
    const fd = fs.openSync('/work/fd.bin', 'w+');
    fs.writeSync(fd, Buffer.from([1, 2, 3, 4]));
    const buf = Buffer.alloc(2);
    fs.readSync(fd, buf, 0, 2, 1);
    fs.closeSync(fd);
    const st = fs.statSync('/work/deep/er/c.txt');
    console.log(fs.readFileSync('/work/deep/a.txt', 'utf8'), fs.readdirSync('/work/deep').join(','), st.isFile(), st.size, [...buf].join(''));
    console.log(fs.readdirSync('/work/deep', { withFileTypes: true }).map((d) => d.name + (d.isDirectory() ? '/' : '')).join(','));
    fs.readFile('/work/deep/er/c.txt', 'utf8', (err, text) => {
      console.log('cb', err, text);
      fsp.readFile('/work/nope').catch((e) => console.log('promise', e.code, e.syscall));
      fsp.writeFile('/work/p.txt', 'p').then(() => fsp.stat('/work/p.txt')).then((s) => console.log('stat', s.size));
    });
    fs.rmSync('/work/fd.bin');
    console.log(fs.existsSync('/work/fd.bin'));
  `]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, 'one+two a.txt,er true 7 23\na.txt,er/\nfalse\ncb null one+two\npromise ENOENT open\nstat 1\n');
  // What the guest wrote is there for the host, and for the next process.
  assert.is((await client.readFile(vmId, '/work/deep/er/c.txt')).toString(), 'one+two');
  assert.is((await node(['-e', 'console.log(require("fs").readFileSync("/work/p.txt", "utf8"))'])).stdout, 'p\n');
});

test('globals: Buffer, TextEncoder, crypto, URL-less but honest; no WebAssembly', async () => {
  const r = await node(['-e', `
    console.log(Buffer.from('hi').toString('hex'), new TextDecoder().decode(new TextEncoder().encode('✓')), btoa('ab'), atob('YWI='));
    console.log(crypto.randomUUID().length, crypto.getRandomValues(new Uint8Array(8)).length, typeof globalThis.WebAssembly, typeof require('util').promisify);
  `]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, '6869 ✓ YWI= ab\n36 8 undefined function\n');
});

test('each exec is a fresh isolate: globals do not leak between processes', async () => {
  await node(['-e', 'globalThis.leak = 1; Object.prototype.polluted = true']);
  const r = await node(['-e', 'console.log(typeof leak, ({}).polluted)']);
  assert.is(r.stdout, 'undefined undefined\n');
});

test('concurrent execs in one VM run side by side', async () => {
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => node(['-e', `setTimeout(() => console.log(${i}), 50)`])));
  assert.equal(results.map((r) => r.stdout), Array.from({ length: 8 }, (_, i) => `${i}\n`));
  assert.is(new Set(results.map((r) => r.pid)).size, 8);
});

test('binary output in base64 when asked', async () => {
  const r = await node(['-e', 'process.stdout.write(Buffer.from([0, 255, 128]))'], { outputEncoding: 'base64' });
  assert.equal([r.encoding, Buffer.from(r.stdout, 'base64').toJSON().data], ['base64', [0, 255, 128]]);
});

test('unknown commands are an error with a code', async () => {
  const err = await client.exec(vmId, 'python3', ['-c', '1']).catch((e) => e);
  assert.is(err.code, 'ERR_AGENTOS_COMMAND_NOT_FOUND');
});

test.after(async () => {
  await client.close();
});

test.run();
