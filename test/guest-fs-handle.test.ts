// fs.promises' FileHandle, fs.Dir (opendir), fs.ReadStream/WriteStream as functions,
// realpath.native, futimes, lutimes and fchown: each script prints exact results and errors
// (name, code, syscall, message), and must print the same in the VM as under the host's Node.
import { test } from 'uvu';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-fs-handle-');

test('a FileHandle reads, writes, stats and closes as Node\'s, with EBADF after close, streams and readLines over it', async () => {
  await same(String.raw`const fs = require('fs');
const fsp = require('fs/promises');
const out = [];
const show = (e) => [e.name, e.code, e.syscall, e.message].join(' | ');
(async () => {
  out.push(String(fs.promises === fsp));
  fs.writeFileSync('f', 'hello world\nline2\n');
  const fh = await fsp.open('f', 'r+');
  out.push(typeof fh.fd, fh.constructor.name, fh instanceof require('events'), typeof fh.close, Object.keys(fh).join());
  let r = await fh.read(Buffer.alloc(5), 0, 5, 0);
  out.push(r.bytesRead, r.buffer.toString(), Object.getPrototypeOf(r));
  r = await fh.read({ buffer: Buffer.alloc(3), position: 6 });
  out.push(r.bytesRead, r.buffer.toString());
  r = await fh.read();
  out.push(r.bytesRead, r.buffer.length);
  const w = await fh.write('XY', 0);
  out.push(w.bytesWritten, w.buffer);
  const w2 = await fh.write(Buffer.from('ab'), 0, 2, 3);
  out.push(w2.bytesWritten);
  out.push((await fh.readv([Buffer.alloc(2), Buffer.alloc(3)], 0)).bytesRead);
  out.push((await fh.writev([Buffer.from('Q')], 10)).bytesWritten);
  out.push((await fh.stat()).size, typeof (await fh.stat({ bigint: true })).size);
  await fh.truncate(5);
  out.push(fs.readFileSync('f', 'utf8'));
  await fh.chmod(0o600);
  out.push((fs.statSync('f').mode & 0o777).toString(8));
  await fh.utimes(1000, 2000);
  out.push(fs.statSync('f').mtimeMs);
  await fh.datasync(); await fh.sync();
  await fh.writeFile('new content');
  out.push(fs.readFileSync('f', 'utf8'));
  await fh.appendFile('+more');
  out.push(await fsp.readFile('f', 'utf8'));
  const fh2 = await fsp.open('f');
  out.push(await fh2.readFile('utf8'));
  out.push(await fsp.readFile(fh2, 'utf8'));
  await fh2.close();
  fh.on('close', () => out.push('close event'));
  for (const bad of [-1, 'x', {}]) { try { await fh.read(Buffer.alloc(4), bad); } catch (e) { out.push(show(e)); } }
  try { await fh.write(Buffer.alloc(4), 0, 10); } catch (e) { out.push(show(e)); }
  await fh.close();
  out.push(fh.fd);
  for (const m of ['read', 'write', 'stat', 'truncate', 'readFile', 'writeFile', 'chmod', 'sync', 'datasync', 'utimes', 'readv', 'writev', 'appendFile', 'chown']) {
    try { await fh[m](Buffer.alloc(1)); out.push(m + ' ok'); } catch (e) { out.push(m + ': ' + show(e)); }
  }
  out.push(String(await fh.close()));
  try { await fsp.open('nope'); } catch (e) { out.push(show(e).replace(/'.*'/, 'P')); }
  try { await fsp.open(1); } catch (e) { out.push(show(e)); }
  const fh3 = await fsp.open('f');
  const lines = [];
  for await (const l of fh3.readLines()) lines.push(l);
  out.push(lines.join('|'), fh3.fd);
  const fh4 = await fsp.open('f');
  const chunks = [];
  for await (const c of fh4.createReadStream({ encoding: 'utf8', start: 2 })) chunks.push(c);
  out.push(chunks.join(''), fh4.fd);
  const fh5 = await fsp.open('g', 'w');
  const ws = fh5.createWriteStream();
  ws.end('streamed');
  await new Promise((r) => ws.on('close', r));
  out.push(fs.readFileSync('g', 'utf8'), fh5.fd);
  const fh6 = await fsp.open('f');
  const p1 = fh6.read(); const p2 = fh6.close();
  out.push((await p1).bytesRead); await p2; out.push(fh6.fd);
  const rs = fs.ReadStream('f'); out.push(rs instanceof fs.ReadStream);
  rs.destroy();
  function My(p) { fs.WriteStream.call(this, p); } Object.setPrototypeOf(My.prototype, fs.WriteStream.prototype);
  const my = new My('h'); my.end('x'); await new Promise((r) => my.on('close', r)); out.push(fs.readFileSync('h', 'utf8'));
  out.push(fs.realpathSync.native('.') === fs.realpathSync('.'), typeof fs.realpath.native);
  const fd = fs.openSync('f', 'r+'); fs.futimesSync(fd, 5, 6); out.push(fs.fstatSync(fd).mtimeMs); fs.fchownSync(fd, -1, -1); fs.closeSync(fd);
  fs.symlinkSync('f', 'lnk'); fs.lutimesSync('lnk', 7, 8); out.push(fs.lstatSync('lnk').mtimeMs, fs.statSync('f').mtimeMs);
  try { fs.futimesSync(999, 1, 1); } catch (e) { out.push(show(e)); }
  console.log(out.map(String).join('\n'));
})().catch((e) => { console.log(out.join('\n')); console.log('FAIL', e); });
`);
});

test('opendir, opendirSync, promises.opendir and Dir read, iterate (recursively) and close as Node\'s', async () => {
  await same(String.raw`const fs = require('fs');
const out = [];
const show = (e) => [e.name, e.code, e.syscall, e.message].join(' | ');
(async () => {
  fs.mkdirSync('d/sub/deeper', { recursive: true });
  fs.writeFileSync('d/a', '1'); fs.writeFileSync('d/sub/b', '2'); fs.symlinkSync('a', 'd/l');
  const dir = fs.opendirSync('d');
  out.push(dir.path, dir.constructor.name, dir instanceof fs.Dir);
  const names = []; let e; while ((e = dir.readSync()) !== null) names.push([e.name, e.parentPath, e.isFile(), e.isDirectory(), e.isSymbolicLink()].join(','));
  out.push(names.sort().join(' '));
  dir.closeSync();
  try { dir.readSync(); } catch (err) { out.push(show(err)); }
  try { dir.closeSync(); } catch (err) { out.push(show(err)); }
  try { await dir.close(); } catch (err) { out.push(show(err)); }
  const all = []; for await (const d of await fs.promises.opendir('d', { recursive: true })) all.push(d.parentPath + '/' + d.name);
  out.push(all.sort().join(' '));
  const d2 = fs.opendirSync('d', { encoding: 'buffer' }); const first = d2.readSync(); out.push(Buffer.isBuffer(first.name)); await d2.close();
  await new Promise((r) => fs.opendir('d', (err, d3) => { d3.read((err2, ent) => { out.push(err2, ent && typeof ent.name); d3.close((err3) => { out.push(err3); r(); }); }); }));
  try { fs.opendirSync('nope'); } catch (err) { out.push(show(err), err.path); }
  try { fs.opendirSync('d/a'); } catch (err) { out.push(show(err)); }
  try { await fs.promises.opendir('nope'); } catch (err) { out.push(show(err), err.path); }
  await new Promise((r) => fs.opendir('d/a', (err) => { out.push(show(err), err.path); r(); }));
  try { fs.opendirSync('d', { bufferSize: 0 }); } catch (err) { out.push(show(err)); }
  try { fs.opendirSync(1); } catch (err) { out.push(show(err)); }
  try { fs.opendir('d'); } catch (err) { out.push(show(err)); }
  const d4 = await fs.promises.opendir('d'); out.push((await d4.read()) !== null); await d4.close();
  console.log(out.map(String).join('\n'));
})().catch((e) => { console.log(out.join('\n')); console.log('FAIL', e); });
`);
});

test.after(async () => {
  await client.close();
});
test.run();
