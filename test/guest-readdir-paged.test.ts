// Guest JS readdir of a huge directory: the daemon answers a page at a time
// (AGENTOS_FS_READDIR_PAGE_MAX entries at most), and the guest sees exactly the listing it
// saw before paging (sorted by name), in every form: sync, callback, promise, withFileTypes,
// recursive. The same script under the host's Node gives the same names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

const PAGE = 1000;
const FILES = 20_000;
const SUB_FILES = 1_500;

// Run with the directory's root as argv[1]; prints every listing as JSON.
const script = `const fs = require('fs'); const root = process.argv[1];
const big = root + '/big';
fs.mkdirSync(big + '/sub', { recursive: true });
for (let i = 0; i < ${FILES}; i++) fs.writeFileSync(big + '/f' + i + (i % 997 === 0 ? '\\u00e9\\u{1f600}' : ''), '');
for (let i = 0; i < ${SUB_FILES}; i++) fs.writeFileSync(big + '/sub/s' + i, '');
fs.symlinkSync('sub', big + '/link');
const types = (l) => l.map((d) => d.name + ':' + (d.isFile() ? 'f' : d.isDirectory() ? 'd' : d.isSymbolicLink() ? 'l' : '?'));
(async () => {
  const out = {
    plain: fs.readdirSync(big),
    types: types(fs.readdirSync(big, { withFileTypes: true })),
    buffers: fs.readdirSync(big, { encoding: 'buffer' }).map((b) => b.toString('hex')),
    rec: fs.readdirSync(big, { recursive: true }),
    recTypes: types(fs.readdirSync(big, { recursive: true, withFileTypes: true })),
    promise: await fs.promises.readdir(big),
    promiseRec: await fs.promises.readdir(big, { recursive: true }),
    callback: await new Promise((res, rej) => fs.readdir(big, (e, l) => (e ? rej(e) : res(l)))),
    callbackTypes: types(await new Promise((res, rej) => fs.readdir(big, { withFileTypes: true }, (e, l) => (e ? rej(e) : res(l))))),
  };
  console.log(JSON.stringify(out));
})();`;

type Listings = Record<'plain' | 'types' | 'buffers' | 'rec' | 'recTypes' | 'promise' | 'promiseRec' | 'callback' | 'callbackTypes', string[]>;
const sorted = (l: string[]) => [...l].sort();

test('guest readdir of a 20,000-entry directory is paged, and its listing is exactly what it was and what host Node lists', async () => {
  const { client, logs } = await startSidecar({ env: { AGENTOS_FS_READDIR_PAGE_MAX: String(PAGE), AGENTOS_LOG_LEVEL: 'trace', AGENTOS_FS_INODE_LIMIT: '100000' } });
  const { vmId } = await client.createVm({ cwd: '/' });
  const r = await client.exec(vmId, 'node', ['-e', script, '/w'], { timeoutMs: 120_000 });
  assert.is(r.exitCode, 0, r.stderr);
  const guest = JSON.parse(r.stdout) as Listings;

  // What the guest always got: the names sorted (UTF-16 order, as the VFS lists them).
  const names = [...Array.from({ length: FILES }, (_, i) => `f${i}${i % 997 === 0 ? '\u00e9\u{1f600}' : ''}`), 'link', 'sub'].sort();
  const subNames = Array.from({ length: SUB_FILES }, (_, i) => `s${i}`).sort();
  const typeOf = (n: string) => (n === 'sub' ? 'd' : n === 'link' ? 'l' : 'f');
  assert.equal(guest.plain, names);
  assert.equal(guest.promise, names);
  assert.equal(guest.callback, names);
  assert.equal(guest.types, names.map((n) => `${n}:${typeOf(n)}`));
  assert.equal(guest.callbackTypes, guest.types);
  assert.equal(guest.buffers, names.map((n) => Buffer.from(n).toString('hex')));
  // Recursive, breadth-first: the top level, then link (a symlink to a directory is followed without withFileTypes), then sub.
  assert.equal(guest.rec, [...names, ...subNames.map((n) => `link/${n}`), ...subNames.map((n) => `sub/${n}`)]);
  assert.equal(guest.recTypes, [...guest.types, ...subNames.map((n) => `${n}:f`)]);
  // The promise form walks depth-first from the last directory listed (sub, then link).
  assert.equal(guest.promiseRec, [...names, ...subNames.map((n) => `sub/${n}`), ...subNames.map((n) => `link/${n}`)]);

  // Host Node 20 lists the same names (in its file system's order, so compared sorted).
  const dir = mkdtempSync(join(tmpdir(), 'readdir-paged-'));
  try {
    const host = JSON.parse(execFileSync(process.execPath, ['-e', script, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Listings;
    for (const key of Object.keys(host) as Array<keyof Listings>) assert.equal([key, sorted(guest[key])], [key, sorted(host[key])]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // No answer carried more than a page: /big (20,002 entries) took 21 calls per listing.
  const pages = logs.filter((l) => l.msg === 'guest readdir page');
  assert.ok(pages.length > 0);
  assert.is(Math.max(...pages.map((l) => l.entries as number)), PAGE);
  const bigPages = pages.filter((l) => l.path === '/w/big');
  // Listings of /big: plain, types, buffers, rec, recTypes, promise, promiseRec, callback, callbackTypes.
  assert.is(bigPages.length, 9 * 21);
  assert.equal(bigPages.slice(0, 21).map((l) => [l.entries, l.more]), [...Array.from({ length: 20 }, () => [PAGE, true]), [2, false]]);
  assert.is(bigPages.reduce((n, l) => n + (l.entries as number), 0), 9 * (FILES + 2));
  await client.close();
});

test.run();
