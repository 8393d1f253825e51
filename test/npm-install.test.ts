import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as P from '../protocol/index.js';
import { startSidecar } from './helpers/sidecar.js';

/**
 * The real npm CLI (the `npm` package, 10.8.2 as Node 20 ships it) run as guest JS, installing
 * from a registry this test serves on 127.0.0.1: the Node and network issues meet here
 * (http, zlib, tar, crypto integrity, fs, dynamic import, the network policy), and the shell
 * meets node (lifecycle scripts, bin links, `npm run`).
 */
const NPM_ROOT = dirname(createRequire(import.meta.url).resolve('npm/package.json'));
const work = mkdtempSync(join(tmpdir(), 'agentos-npm-'));

type Files = Record<string, string>;
const PACKAGES: Record<string, Files> = {
  'tiny-dep@1.0.0': {
    'package.json': JSON.stringify({ name: 'tiny-dep', version: '1.0.0', main: 'index.js' }),
    'index.js': 'module.exports = (s) => s.toUpperCase();\n',
  },
  'tiny-pkg@1.2.0': {
    'package.json': JSON.stringify({
      name: 'tiny-pkg', version: '1.2.0', main: 'index.js', bin: { shout: 'cli.js' }, dependencies: { 'tiny-dep': '^1.0.0' },
      // A lifecycle script: npm runs it with `sh -c`, and the shell starts node.
      scripts: { postinstall: "node -e \"require('fs').writeFileSync('built.txt', process.env.npm_package_name + ' ' + process.env.npm_lifecycle_event)\"" },
    }),
    'index.js': "const up = require('tiny-dep');\nmodule.exports = (s) => up(s) + '!';\n",
    'cli.js': "#!/usr/bin/env node\nconsole.log(require('./index.js')(process.argv[2]));\n",
  },
  'bad-pkg@1.0.0': {
    'package.json': JSON.stringify({ name: 'bad-pkg', version: '1.0.0' }),
    'index.js': 'module.exports = 1;\n',
  },
};

/** A package's tarball as `npm pack` lays it out (everything under package/). */
function tarball(id: string, files: Files): Buffer {
  const dir = join(work, id);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'package'), { recursive: true });
    writeFileSync(join(dir, 'package', name), text);
  }
  execFileSync('tar', ['czf', `${dir}.tgz`, '-C', dir, 'package']);
  return readFileSync(`${dir}.tgz`);
}

const sha512 = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;
const tarballs = new Map<string, Buffer>();
const requests: string[] = [];
let port = 0;
const registry: Server = createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  const tgz = tarballs.get(req.url ?? '');
  if (tgz) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tgz.length });
    res.end(tgz);
    return;
  }
  const name = decodeURIComponent((req.url ?? '/').slice(1));
  const versions: Record<string, unknown> = {};
  for (const [id, files] of Object.entries(PACKAGES)) {
    const [pkg, version] = id.split('@') as [string, string];
    if (pkg !== name) continue;
    const tgz = tarball(id, files);
    const path = `/${pkg}/-/${pkg}-${version}.tgz`;
    tarballs.set(path, tgz);
    // bad-pkg's registry entry names the hash of other bytes: npm must refuse what arrives.
    const integrity = pkg === 'bad-pkg' ? sha512(Buffer.from('other bytes')) : sha512(tgz);
    versions[version] = { ...JSON.parse(files['package.json']!), dist: { tarball: `http://127.0.0.1:${port}${path}`, integrity } };
  }
  if (Object.keys(versions).length === 0) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"Not found"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ name, 'dist-tags': { latest: Object.keys(versions).at(-1) }, versions }));
});

const { client, logs } = await startSidecar();
const allowRegistry = () => ({ network: { default: 'deny' as const, rules: [{ mode: 'allow' as const, operations: ['connect' as const], patterns: [`127.0.0.1:${port}`] }] } });

/** A VM with npm at /opt/npm (imported as one tar stream) and an empty project at /home/user/app. */
async function vmWithNpm(permissions?: ReturnType<typeof allowRegistry>): Promise<string> {
  const { vmId } = await client.createVm(permissions ? { permissions } : {});
  const archive = execFileSync('tar', ['czf', '-', '-C', dirname(NPM_ROOT), 'npm'], { maxBuffer: 256 * 1024 * 1024 });
  const CHUNK = 3 * 1024 * 1024;
  let importId: string | undefined;
  for (let at = 0; at < archive.length; at += CHUNK) {
    const more = at + CHUNK < archive.length;
    const r = await client.request(P.FsImport, { vmId, path: '/opt', archive: archive.subarray(at, at + CHUNK).toString('base64'), more, ...(importId ? { importId } : {}) });
    importId = r.importId;
  }
  await client.writeFile(vmId, '/home/user/app/package.json', JSON.stringify({ name: 'app', version: '1.0.0', scripts: { hello: 'shout hello && node -p process.env.npm_lifecycle_event' } }), { createParents: true });
  return vmId;
}

const npm = (vmId: string, ...args: string[]) =>
  client.exec(vmId, 'node', ['/opt/npm/bin/npm-cli.js', ...args, '--registry', `http://127.0.0.1:${port}/`, '--no-audit', '--no-fund', '--no-update-notifier', '--fetch-retries=0'], { cwd: '/home/user/app' });

test.before(async () => {
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  port = (registry.address() as { port: number }).port;
});

test.after(async () => {
  await client.close();
  registry.close();
  rmSync(work, { recursive: true, force: true });
});

test('npm install fetches a package and its dependency from the registry, checks their integrity, writes the lockfile, and the package runs', async () => {
  const vmId = await vmWithNpm(allowRegistry());
  requests.length = 0;
  const r = await npm(vmId, 'install', 'tiny-pkg');
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^\s*added 2 packages in /m);
  // The packuments, then both tarballs (in either order: npm fetches them in parallel).
  assert.equal(requests.slice(0, 2), ['GET /tiny-pkg', 'GET /tiny-dep']);
  assert.equal(requests.slice(2).sort(), ['GET /tiny-dep/-/tiny-dep-1.0.0.tgz', 'GET /tiny-pkg/-/tiny-pkg-1.2.0.tgz']);
  const run = await client.exec(vmId, 'node', ['-e', "console.log(require('tiny-pkg')('hi'), JSON.stringify(require('./package.json').dependencies))"], { cwd: '/home/user/app' });
  assert.is(run.stdout, 'HI! {"tiny-pkg":"^1.2.0"}\n');
  const lock = JSON.parse((await client.readFile(vmId, '/home/user/app/package-lock.json')).toString('utf8')) as { packages: Record<string, { version: string; integrity: string; resolved: string }> };
  assert.is(lock.packages['node_modules/tiny-pkg']!.version, '1.2.0');
  assert.is(lock.packages['node_modules/tiny-pkg']!.integrity, sha512(tarballs.get('/tiny-pkg/-/tiny-pkg-1.2.0.tgz')!));
  assert.is(lock.packages['node_modules/tiny-dep']!.integrity, sha512(tarballs.get('/tiny-dep/-/tiny-dep-1.0.0.tgz')!));
  assert.is(lock.packages['node_modules/tiny-dep']!.resolved, `http://127.0.0.1:${port}/tiny-dep/-/tiny-dep-1.0.0.tgz`);

  // The postinstall script ran in the package's directory; the bin is linked and runs through
  // `#!/usr/bin/env node`; `npm run` finds it on the PATH npm makes.
  assert.is((await client.readFile(vmId, '/home/user/app/node_modules/tiny-pkg/built.txt')).toString('utf8'), 'tiny-pkg postinstall');
  const bin = await client.exec(vmId, 'sh', ['-c', 'readlink node_modules/.bin/shout; node_modules/.bin/shout hey'], { cwd: '/home/user/app' });
  assert.is(bin.stdout, '../tiny-pkg/cli.js\nHEY!\n', bin.stderr);
  const script = await npm(vmId, 'run', 'hello', '--silent');
  assert.is(script.exitCode, 0, script.stderr);
  assert.is(script.stdout, 'HELLO!\nhello\n');

  // npm ci from that lockfile, with node_modules gone: the same tree again (from npm's cache in the VM).
  await client.exec(vmId, 'node', ['-e', "require('fs').rmSync('node_modules', { recursive: true })"], { cwd: '/home/user/app' });
  const ci = await npm(vmId, 'ci');
  assert.is(ci.exitCode, 0, ci.stderr);
  assert.match(ci.stdout, /^\s*added 2 packages in /m);
  assert.is((await client.exec(vmId, 'node', ['-p', "require('tiny-pkg')('ci')"], { cwd: '/home/user/app' })).stdout, 'CI!\n');
  assert.is((await client.readFile(vmId, '/home/user/app/node_modules/tiny-pkg/built.txt')).toString('utf8'), 'tiny-pkg postinstall');
  await client.disposeVm(vmId);
});

test('a tarball whose bytes do not match the registry\'s integrity is refused (EINTEGRITY) and nothing is installed', async () => {
  const vmId = await vmWithNpm(allowRegistry());
  const r = await npm(vmId, 'install', 'bad-pkg');
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /npm error code EINTEGRITY/);
  const exists = await client.exec(vmId, 'node', ['-p', "require('fs').existsSync('node_modules/bad-pkg')"], { cwd: '/home/user/app' });
  assert.is(exists.stdout, 'false\n');
  await client.disposeVm(vmId);
});

test('without a network rule the registry is refused as a firewall would (ECONNREFUSED), it sees no request, and the denial is logged', async () => {
  const vmId = await vmWithNpm();
  requests.length = 0;
  const r = await npm(vmId, 'install', 'tiny-pkg');
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /npm error code ECONNREFUSED/);
  assert.equal(requests, []);
  assert.ok(logs.some((l) => l.msg === 'permission denied' && l.vmId === vmId && l.scope === 'network'), 'a permission denied line for the VM');
  await client.disposeVm(vmId);
});

test.run();
