// Guest fs checks its arguments with Node's own code (internal/fs/utils.js, validators.js) and
// builds Node's own Stats and Dirent: each script prints the exact errors (class, code,
// message) and results, and must print the same in the VM as under the host's Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-fs-node-');

/** Prints how each call fails: synchronously, through its callback, or as a rejection. */
const PRELUDE = `
const fs = require('fs');
const show = (e) => e ? [e.name, e.code, e.message].join(' | ') : 'no error';
const lines = [];
function sync(label, fn) { try { fn(); lines.push(label + ' -> ok'); } catch (e) { lines.push(label + ' -> ' + show(e)); } }
`;

test('sync and callback forms throw Node\'s argument errors (code, class, message) before touching the filesystem', async () => {
  const out = await same(`${PRELUDE}
    fs.writeFileSync('f', 'hello');
    const fd = fs.openSync('f', 'r+');
    const bad = [undefined, null, 1000, true, {}, [], 'x\\u0000y', -1, 1.5, 2 ** 32, NaN, () => {}];
    const show1 = (v) => typeof v === 'function' ? 'fn' : JSON.stringify(v);
    for (const v of bad) {
      const t = show1(v);
      sync('readFileSync ' + t, () => fs.readFileSync(v));
      sync('statSync ' + t, () => fs.statSync(v));
      // (a number is a valid flag set; the errors it gives name the path, which the VM makes absolute)
      if (typeof v !== 'number') sync('openSync flags ' + t, () => fs.openSync('f', v === undefined ? 'q' : v));
      sync('openSync mode ' + t, () => fs.closeSync(fs.openSync('f', 'r', v)));
      // Node's C++ fd check words two values its own way (a string cut at its NUL byte, a function without its name).
      if (v !== 'x\u0000y' && typeof v !== 'function') sync('closeSync ' + t, () => fs.closeSync(v));
      if (v !== 'x\u0000y' && typeof v !== 'function') sync('fstatSync ' + t, () => fs.fstatSync(v));
      sync('chmodSync ' + t, () => fs.chmodSync('f', v));
      sync('chownSync ' + t, () => fs.chownSync('f', v, 0));
      sync('mkdirSync recursive ' + t, () => fs.mkdirSync('d', { recursive: v }));
      if (v !== 2 ** 32) sync('ftruncateSync ' + t, () => fs.ftruncateSync(fd, v));
      sync('writeSync ' + t, () => fs.writeSync(fd, v));
      sync('writeFileSync data ' + t, () => fs.writeFileSync('g', v));
      sync('readSync offset ' + t, () => fs.readSync(fd, Buffer.alloc(4), v, 1, 0));
      sync('readSync position ' + t, () => fs.readSync(fd, Buffer.alloc(4), 0, 1, v));
      sync('accessSync mode ' + t, () => fs.accessSync('f', v));
      sync('copyFileSync mode ' + t, () => { fs.rmSync('h', { force: true }); fs.copyFileSync('f', 'h', v); });
      sync('utimesSync ' + t, () => fs.utimesSync('f', v, 0));
      sync('stat cb ' + t, () => fs.stat('f', v));
      sync('mkdtemp cb ' + t, () => fs.mkdtemp('p-', {}, v));
      sync('read cb ' + t, () => fs.read(fd, Buffer.alloc(4), 0, 1, v, () => {}));
      sync('readvSync ' + t, () => fs.readvSync(fd, v));
      sync('existsSync ' + t, () => { if (fs.existsSync(v)) throw new Error('exists'); });
    }
    // (not an unknown encoding: Node 20.19's message swaps its two values, the host's 20.20 does not)
    sync('readFileSync options', () => fs.readFileSync('f', 5));
    sync('readSync length', () => fs.readSync(fd, Buffer.alloc(4), 0, 5, 0));
    sync('readSync empty', () => fs.readSync(fd, Buffer.alloc(0), 0, 1, 0));
    sync('writeSync range', () => fs.writeSync(fd, Buffer.alloc(4), 2, 3));
    sync('rmSync dir', () => { fs.mkdirSync('dd'); fs.rmSync('dd'); });
    sync('url host', () => fs.readFileSync(new URL('file://example.com/f')));
    sync('url scheme', () => fs.readFileSync(new URL('http://example.com/f')));
    sync('url slash', () => fs.readFileSync(new URL('file:///a%2fb')));
    fs.closeSync(fd);
    fs.stat('nope', (e) => { lines.push('stat cb error -> ' + e.code); console.log(lines.join('\\n')); });
  `);
  assert.match(out, 'closeSync null -> TypeError | ERR_INVALID_ARG_TYPE | The "fd" argument must be of type number. Received null');
  assert.match(out, 'stat cb error -> ENOENT');
});

test('promise forms reject with the same errors; Stats, BigIntStats, StatFs and Dirent are Node\'s own', async () => {
  await same(`${PRELUDE}
    (async () => {
      for (const [label, p] of [
        ['readFile', () => fs.promises.readFile(null)],
        ['stat', () => fs.promises.stat(1)],
        ['mkdir', () => fs.promises.mkdir('m', { recursive: 'yes' })],
        ['open', () => fs.promises.open('f', 'zz')],
      ]) {
        try { await p(); lines.push(label + ' -> ok'); } catch (e) { lines.push(label + ' -> ' + show(e)); }
      }
      fs.writeFileSync('f', 'hello world');
      fs.mkdirSync('sub');
      fs.writeFileSync('sub/a', '');
      const s = fs.statSync('f');
      lines.push(Object.keys(s).join(','), s instanceof fs.Stats, s.isFile(), s.isDirectory(), s.size, typeof s.mtimeMs, s.mtime instanceof Date);
      const b = fs.statSync('f', { bigint: true });
      lines.push(b.constructor.name, typeof b.size, typeof b.mtimeNs, b.size, b.isFile(), Object.keys(b).length);
      lines.push(fs.statSync('nope', { throwIfNoEntry: false }));
      const sf = fs.statfsSync('.');
      lines.push(sf.constructor.name, Object.keys(sf).join(','), typeof fs.statfsSync('.', { bigint: true }).bsize);
      for (const d of fs.readdirSync('.', { withFileTypes: true })) lines.push(d instanceof fs.Dirent, d.name, d.isDirectory(), d.isFile(), Object.keys(d).join(','));
      lines.push(fs.lchmod, fs.lchmodSync, fs.F_OK, fs.R_OK, fs.W_OK, fs.X_OK, fs.constants.O_DIRECTORY, fs.constants.UV_FS_COPYFILE_FICLONE);
      console.log(lines.join('\\n'));
    })();
  `);
});

test('read, write, readv and writev: offsets, positions, options objects and results as Node gives them', async () => {
  await same(`${PRELUDE}
    const fd = fs.openSync('f', 'w+');
    lines.push(fs.writeSync(fd, 'abcdef'), fs.writeSync(fd, Buffer.from('XYZ'), 1, 2, 0), fs.writeSync(fd, Buffer.from('12'), { position: 4 }));
    lines.push(fs.writevSync(fd, [Buffer.from('p'), Buffer.from('qr')], 6), fs.writevSync(fd, []));
    const b = Buffer.alloc(6);
    lines.push(fs.readSync(fd, b, 0, 6, 0), b.toString());
    lines.push(fs.readSync(fd, b, { position: 2, length: 3 }), b.toString());
    lines.push(fs.readSync(fd, b), fs.readSync(fd, b, 0, 0, 0));
    const parts = [Buffer.alloc(2), Buffer.alloc(0), Buffer.alloc(3)];
    lines.push(fs.readvSync(fd, parts, 1), parts.map(String).join('|'));
    fs.read(fd, (err, n, buf) => {
      lines.push('read(fd, cb)', err, n, buf.length);
      fs.read(fd, { buffer: Buffer.alloc(3), position: 0 }, (err2, n2, buf2) => {
        lines.push('read(fd, params, cb)', err2, n2, String(buf2));
        fs.write(fd, 'w', 0, (err3, n3, s3) => {
          lines.push('write(fd, string, pos, cb)', err3, n3, s3, fs.readFileSync('f', 'utf8'));
          fs.closeSync(fd);
          console.log(lines.join('\\n'));
        });
      });
    });
  `);
});

test('watchFile/unwatchFile: Node\'s change events (current, previous) for a file that appears, grows and goes, then stop', async () => {
  const out = await same(`${PRELUDE}
    sync('watchFile no listener', () => fs.watchFile('w'));
    sync('watchFile bad path', () => fs.watchFile(null, () => {}));
    sync('watchFile bad interval', () => fs.watchFile('w', { interval: -1 }, () => {}));
    fs.unwatchFile('w');
    // Each step is made by the event before it: the first event (the file is missing) shows the watch has its first stat.
    const steps = [
      () => fs.writeFileSync('w', 'abc'),
      () => fs.appendFileSync('w', 'defgh'),
      () => fs.unlinkSync('w'),
      () => { fs.unwatchFile('w', listener); },
    ];
    function listener(curr, prev) {
      lines.push(['change', curr.constructor.name, curr.isFile(), curr.size, prev.size, curr.nlink, prev.nlink, curr.mtimeMs === 0, prev.mtimeMs === 0].join(' '));
      steps.shift()();
    }
    const watcher = fs.watchFile('w', { interval: 10 }, listener);
    lines.push(typeof watcher.ref, typeof watcher.unref, watcher === fs.watchFile('w', () => {}));
    fs.unwatchFile('w', () => {});
    watcher.on('stop', () => { lines.push('stop'); console.log(lines.join('\\n')); });
    // The second listener goes; the first stays until its last step.
    fs.unwatchFile('w', [...watcher.listeners('change')][1]);
  `);
  assert.match(out, 'change Stats true 3 0');
  assert.match(out, 'stop');
});

test('ReadStream/WriteStream are Node\'s own: the `fs` override object, `open` overrides, `flush`, argument errors and write order', async () => {
  const out = await same(`${PRELUDE}
    const steps = [];
    const next = () => { const s = steps.shift(); if (s) s(); else console.log(lines.join('\\n')); };
    for (const [label, make] of [
      ['read fs.open', () => fs.createReadStream('f', { fs: { open: 1 } })],
      ['read fs.read', () => fs.createReadStream('f', { fs: { open() {}, read: null } })],
      ['read fs.close', () => fs.createReadStream('f', { fs: { open() {}, read() {}, close: 'x' } })],
      ['write fs.write', () => fs.createWriteStream('g', { fs: { open() {}, close() {} } })],
      ['write fs.writev', () => fs.createWriteStream('g', { fs: { open() {}, close() {}, writev: 2 } })],
      ['write flush', () => fs.createWriteStream('g', { flush: 'yes' })],
      ['write flush fsync', () => fs.createWriteStream('g', { flush: true, fs: { open() {}, write() {}, close() {} } })],
      ['read start', () => fs.createReadStream('f', { start: '1' })],
      ['read start > end', () => fs.createReadStream('f', { start: 5, end: 2 })],
      ['read end', () => fs.createReadStream('f', { end: -1 })],
      ['read fd', () => fs.createReadStream(null, { fd: 'x' })],
      ['read path', () => fs.createReadStream(42)],
      ['write start', () => fs.createWriteStream('g', { start: -1 })],
      ['write options', () => fs.createWriteStream('g', 5)],
    ]) sync(label, make);
    fs.writeFileSync('f', 'abcdefghij');
    // Every call goes to the override object, with Node's arguments.
    steps.push(() => {
      const calls = [];
      const rec = (name, fn) => (...a) => { calls.push(name + ' ' + a.map((v, i) => (i === 0 && name !== 'open' ? 'fd' : v)).filter((v) => typeof v !== 'function' && !Buffer.isBuffer(v)).join(',')); return fn(...a); };
      const over = { open: rec('open', fs.open), read: rec('read', fs.read), close: rec('close', fs.close) };
      const r = fs.createReadStream('f', { fs: over, start: 2, end: 6, highWaterMark: 2 });
      const got = [];
      r.on('data', (d) => got.push(String(d)));
      r.on('close', () => { lines.push('override read ' + got.join('|') + ' ' + r.bytesRead, ...calls); next(); });
    });
    steps.push(() => {
      const calls = [];
      const rec = (name, fn) => (...a) => { calls.push(name + ' ' + a.map((v, i) => (i === 0 && name !== 'open' ? 'fd' : v)).filter((v) => typeof v !== 'function' && !Buffer.isBuffer(v) && !Array.isArray(v)).join(',')); return fn(...a); };
      const over = { open: rec('open', fs.open), write: rec('write', fs.write), writev: rec('writev', fs.writev), fsync: rec('fsync', fs.fsync), close: rec('close', fs.close) };
      const w = fs.createWriteStream('g', { fs: over, flush: true, start: 1, flags: 'w' });
      w.write('one');
      w.write('two');
      w.end('three', () => {});
      w.on('close', () => { lines.push('override write ' + JSON.stringify(fs.readFileSync('g', 'latin1')) + ' ' + w.bytesWritten, ...calls); next(); });
    });
    // A write made between the stream's open and its next tick comes after the one made in 'open'.
    steps.push(() => {
      const w = fs.createWriteStream('h');
      w.on('open', () => { w.write('hello'); process.nextTick(() => { w.write('world'); w.end(); }); });
      w.on('close', () => { lines.push('order ' + fs.readFileSync('h', 'utf8')); next(); });
    });
    // Code that replaces open() (graceful-fs, old Node's style) opens the stream itself.
    steps.push(() => {
      const patched = fs.createReadStream('f', { end: 3 });
      lines.push('pending ' + patched.pending + ' ' + (typeof fs.ReadStream.prototype.open));
      const R = function (...a) { return Reflect.construct(fs.ReadStream, a, R); };
      Object.setPrototypeOf(R.prototype, fs.ReadStream.prototype);
      R.prototype.open = function () { fs.open(this.path, 'r', (err, fd) => { this.fd = fd; this.emit('open', fd); }); };
      const s = new R('f', { start: 4, end: 5 });
      let text = '';
      s.on('open', (fd) => lines.push('custom open ' + typeof fd));
      s.on('data', (d) => (text += d));
      s.on('close', () => { lines.push('custom read ' + text); patched.destroy(); next(); });
    });
    // A FileHandle's streams read and write through the handle, and close it.
    steps.push(async () => {
      const fh = await fs.promises.open('f', 'r');
      const r = fh.createReadStream({ start: 7 });
      let text = '';
      r.on('data', (d) => (text += d));
      fh.on('close', () => lines.push('handle closed'));
      r.on('close', () => { lines.push('handle read ' + text + ' ' + fh.fd); next(); });
    });
    steps.push(() => {
      const s = fs.createReadStream('nope');
      s.on('error', (e) => lines.push('missing ' + show(e)));
      s.on('close', () => { lines.push('closed after error'); next(); });
    });
    steps.push(() => {
      lines.push(fs.FileReadStream === fs.ReadStream, fs.FileWriteStream === fs.WriteStream, fs.createReadStream('f') instanceof require('stream').Readable);
      const Saved = fs.ReadStream;
      fs.ReadStream = function Other() { this.other = true; };
      lines.push('replaced ' + fs.createReadStream('f').other);
      fs.ReadStream = Saved;
      next();
    });
    next();
  `);
  assert.match(out, 'read fs.open -> TypeError | ERR_INVALID_ARG_TYPE | The "options.fs.open" property must be of type function. Received type number (1)');
  assert.match(out, 'order helloworld');
  assert.match(out, 'override write "\\u0000onetwothree" 11');
});

test('writeFile/appendFile `flush` sync through fs.fsyncSync/fs.fsync; truncate, rmdir on a file, lchmod and promise errors as Node has them', async () => {
  const out = await same(`${PRELUDE}
    process.on('warning', (w) => lines.push('warning ' + [w.name, w.code, w.message].join(' | ')));
    const calls = [];
    const { fsyncSync, fsync } = fs;
    fs.fsyncSync = (...a) => { calls.push('fsyncSync ' + a.length + ' ' + typeof a[0]); return fsyncSync(...a); };
    fs.fsync = (...a) => { calls.push('fsync ' + a.length + ' ' + typeof a[0] + ' ' + typeof a[1]); return fsync(...a); };
    for (const v of ['true', 0, {}, null, false, true]) {
      sync('writeFileSync flush ' + JSON.stringify(v), () => fs.writeFileSync('f', 'abc', { flush: v }));
      sync('appendFileSync flush ' + JSON.stringify(v), () => fs.appendFileSync('f', Buffer.from('d'), { flush: v }));
    }
    lines.push('after sync ' + JSON.stringify(fs.readFileSync('f', 'utf8')), ...calls.splice(0));
    const fd = fs.openSync('g', 'w');
    fs.writeFileSync(fd, 'on fd', { flush: true });
    lines.push('fd flush ' + fs.readFileSync('g', 'utf8'), ...calls.splice(0));
    sync('truncateSync null', () => fs.truncateSync('f', null));
    sync('truncate cb bad len', () => fs.truncate('f', '', () => {}));
    sync('truncate cb no cb', () => fs.truncate('f', 1));
    sync('truncateSync missing', () => fs.truncateSync('missing', 'x'));
    fs.truncateSync(fd, 2);
    sync('rmdirSync file', () => fs.rmdirSync('f', { recursive: true }));
    sync('_toUnixTimestamp', () => fs._toUnixTimestamp(NaN));
    lines.push('_toUnixTimestamp ' + fs._toUnixTimestamp('12') + ' ' + fs._toUnixTimestamp(new Date(1500)));
    lines.push('lchmod ' + typeof fs.lchmod + ' ' + typeof fs.lchmodSync + ' ' + typeof fs.promises.lchmod);
    fs.writeFile('f', 'xyz', { flush: true }, (err) => {
      lines.push('writeFile cb ' + err + ' ' + fs.readFileSync('f', 'utf8'), ...calls.splice(0));
      fs.appendFile('f', '!', { flush: true }, (err2) => {
        lines.push('appendFile cb ' + err2 + ' ' + fs.readFileSync('f', 'utf8'), ...calls.splice(0));
        fs.truncate('f', (err3) => {
          lines.push('truncate cb ' + err3 + ' ' + fs.statSync('f').size + ' ' + fs.statSync('g').size);
          fs.rmdir('f', { recursive: true }, (err4) => {
            lines.push('rmdir cb ' + show(err4));
            (async () => {
              for (const [label, p] of [
                ['promises.rmdir file', () => fs.promises.rmdir('f', { recursive: true })],
                ['promises.lchmod', () => fs.promises.lchmod('f', 0o644)],
                ['promises.writeFile flush', () => fs.promises.writeFile('f', 'p', { flush: 1 })],
                ['promises.access', () => fs.promises.access('missing')],
              ]) {
                try { await p(); lines.push(label + ' -> ok'); } catch (e) { lines.push(label + ' -> ' + show(e) + (e.code === 'ENOENT' ? ' async frames: ' + /\\n    at async /.test(e.stack) : '')); }
              }
              const fh = await fs.promises.open('f');
              try { await fh.stat.call({}); } catch (e) { lines.push('FileHandle method on another object -> ' + show(e)); }
              await fh.close();
              console.log(lines.join('\\n'));
            })();
          });
        });
      });
    });
  `);
  assert.match(out, 'fsync 2 number function');
  assert.match(out, 'rmdir cb Error | ENOTDIR');
  assert.match(out, 'promises.lchmod -> Error | ERR_METHOD_NOT_IMPLEMENTED | The lchmod() method is not implemented');
});

test('fs.watch on a file survives writes to it (no EINVAL), and fs.watch/fs.promises.watch check their options as Node does', async () => {
  const out = await same(`${PRELUDE}
    fs.mkdirSync('d');
    fs.writeFileSync('d/f.txt', 'a');
    sync('watch recursive string', () => fs.watch('d', { recursive: '1' }));
    sync('watch recursive persistent', () => fs.watch('d', { recursive: true, persistent: 'no' }));
    sync('watch options', () => fs.watch('d', 5));
    sync('watch path', () => fs.watch(5));
    const w = fs.watch('d/f.txt', (type, name) => {
      lines.push('event ' + type + ' ' + name);
      w.close();
    });
    w.on('close', async () => {
      for (const [label, make] of [
        ['promises.watch path', () => fs.promises.watch(1)],
        ['promises.watch options', () => fs.promises.watch('d', 1)],
        ['promises.watch persistent', () => fs.promises.watch('d', { persistent: 1 })],
        ['promises.watch encoding', () => fs.promises.watch('d', { encoding: 'nope' })],
        ['promises.watch signal', () => fs.promises.watch('d', { signal: 1 })],
        ['promises.watch aborted', () => fs.promises.watch('d', { signal: AbortSignal.abort(new Error('why')) })],
      ]) {
        const it = make();
        try { await it.next(); lines.push(label + ' -> ok'); } catch (e) { lines.push(label + ' -> ' + show(e) + (e.cause ? ' cause ' + e.cause.message : '')); }
      }
      const ac = new AbortController();
      const aborted = fs.watch('d', { signal: ac.signal });
      aborted.on('close', () => { lines.push('closed by abort'); console.log(lines.join('\\n')); });
      ac.abort();
    });
    setTimeout(() => {
      sync('write 1', () => fs.writeFileSync('d/f.txt', ''));
      sync('write 2', () => fs.writeFileSync('d/f.txt', 'b'));
    }, 20);
  `);
  assert.match(out, 'write 1 -> ok');
  assert.match(out, 'event change f.txt');
  assert.match(out, 'promises.watch aborted -> AbortError | ABORT_ERR | The operation was aborted cause why');
});

test('names come back in the encoding asked for (readdir, realpath, readlink, mkdtemp: hex, base64, latin1, ucs2, buffer), and an unknown one is refused first', async () => {
  await same(`${PRELUDE}
    fs.mkdirSync('dé');
    fs.writeFileSync('dé/ü.txt', '');
    fs.symlinkSync('dé/ü.txt', 'link');
    for (const enc of ['hex', 'base64', 'latin1', 'ucs2', 'ascii', 'utf8', 'buffer']) {
      const show2 = (v) => Buffer.isBuffer(v) ? 'Buffer ' + v.toString('hex') : JSON.stringify(v);
      lines.push(enc + ' readdir ' + fs.readdirSync('dé', enc).map(show2).join(','));
      lines.push(enc + ' readdir types ' + fs.readdirSync('dé', { encoding: enc, withFileTypes: true }).map((d) => show2(d.name)).join(','));
      // (the last 11 bytes, '/dé/ü.txt': the directories above differ between the VM and the host)
      const tail = (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v, enc)).subarray(-11).toString('hex') + ' ' + typeof v;
      lines.push(enc + ' realpath ' + tail(fs.realpathSync('dé/ü.txt', enc)));
      lines.push(enc + ' realpath.native ' + tail(fs.realpathSync.native('dé/ü.txt', { encoding: enc })));
      lines.push(enc + ' readlink ' + show2(fs.readlinkSync('link', enc)));
      const made = fs.mkdtempSync('tmp-é', enc);
      // (ascii does not round-trip 'é', so the directories above would show)
      if (enc !== 'ascii') lines.push(enc + ' mkdtemp ' + (Buffer.isBuffer(made) ? made : Buffer.from(made, enc)).toString().replace(/^.*\\/tmp-é/, 'tmp-é').length);
    }
    for (const [label, fn] of [
      ['readdirSync', () => fs.readdirSync('missing', 'test')],
      ['readdir', () => fs.readdir('missing', 'test', () => {})],
      ['realpathSync', () => fs.realpathSync('missing', { encoding: 'nope' })],
      ['watch', () => fs.watch('missing', 'test', () => {})],
      ['mkdtemp', () => fs.mkdtemp('missing/x', 'test', () => {})],
    ]) sync(label, fn);
    console.log(lines.join('\\n').replace(/The argument '\\w+' is invalid encoding. Received '\\w+'/g, '(invalid encoding: Node 20.19 swaps the two values, 20.20 does not)'));
  `);
});

test('Stats and BigIntStats agree on every time: the milliseconds of one are the other\'s, to the last digit', async () => {
  await same(`${PRELUDE}
    fs.writeFileSync('f', 'x');
    for (const t of [1796254375.313, 1796266981.598, 1e9 + 0.001, 1700000000.5, 86400.25]) {
      fs.utimesSync('f', t, t);
      const s = fs.statSync('f');
      const b = fs.statSync('f', { bigint: true });
      lines.push(t + ' ' + ['atime', 'mtime', 'birthtime'].map((k) => [s[k + 'Ms'], b[k + 'Ms'], Math.floor(s[k + 'Ms']) === Number(b[k + 'Ms']), s[k].getTime() === b[k].getTime()].slice(k === 'birthtime' ? 2 : 0, k === 'birthtime' ? 3 : 4).join(' ')).join(' | '));
      lines.push('ns ' + b.mtimeNs + ' ' + (b.mtimeNs / 1000000n === b.mtimeMs));
    }
    console.log(lines.join('\\n'));
  `);
});

test('reads at a position past 2^53 (a bigint up to 2^63 - 1) find the end of the file, as pread does; 2^63 is out of range', async () => {
  await same(`${PRELUDE}
    fs.writeFileSync('f', 'xyz');
    const fd = fs.openSync('f', 'r');
    const b = Buffer.alloc(3);
    for (const pos of [2n ** 63n - 4n, 2n ** 60n, Number.MAX_SAFE_INTEGER, 2n ** 63n, -2n]) {
      sync('readSync ' + pos, () => lines.push('read ' + fs.readSync(fd, b, 0, 3, pos)));
      sync('readSync options ' + pos, () => lines.push('read ' + fs.readSync(fd, b, { position: pos })));
    }
    fs.read(fd, b, 0, 3, 2n ** 62n, (err, n) => {
      lines.push('read cb ' + err + ' ' + n);
      fs.closeSync(fd);
      console.log(lines.join('\\n'));
    });
  `);
});

test('fs.promises.writeFile/appendFile by path write through a handle as Node\'s: a signal aborted a tick later rejects, (async) iterables, flush, an fd refused', async () => {
  await same(`${PRELUDE}
    const fsp = require('fs/promises');
    const ac = new AbortController();
    process.nextTick(() => ac.abort());
    fsp.writeFile('a.txt', Buffer.alloc(10), { signal: ac.signal }).then(() => lines.push('written'), (e) => lines.push('rejected ' + e.name + ' ' + fs.existsSync('a.txt')));
    (async () => {
      await fsp.writeFile('b.txt', (async function* () { yield 'x'; yield Buffer.from('y'); })());
      await fsp.writeFile('c.txt', ['p', 'q'], { encoding: 'latin1' });
      await fsp.appendFile('b.txt', 'z', { flush: true });
      lines.push('iterables ' + fs.readFileSync('b.txt', 'utf8') + ' ' + fs.readFileSync('c.txt', 'utf8'));
      for (const [label, p] of [
        ['fd', () => fsp.writeFile(1, 'x')],
        ['data', () => fsp.writeFile('d.txt', 42)],
        ['flush', () => fsp.appendFile('d.txt', 'x', { flush: 'yes' })],
        ['missing dir', () => fsp.writeFile('no/such', 'x')],
      ]) {
        try { await p(); lines.push(label + ' -> ok'); } catch (e) { lines.push(label + ' -> ' + show(e)); }
      }
      console.log(lines.join('\\n'));
    })();
  `);
});

test('cpSync/cp take Node\'s options: force: false keeps a file that is there, errorOnExist refuses it (naming the entry as the caller spelled the tree), bad options are refused', async () => {
  await same(`${PRELUDE}
    fs.mkdirSync('s/a', { recursive: true });
    fs.writeFileSync('s/f.txt', 'new');
    fs.mkdirSync('d/a', { recursive: true });
    fs.writeFileSync('d/f.txt', 'old');
    fs.cpSync('s', 'd', { recursive: true, force: false });
    lines.push('kept ' + fs.readFileSync('d/f.txt', 'utf8'));
    sync('errorOnExist', () => fs.cpSync('s', './d/', { recursive: true, force: false, errorOnExist: true }));
    sync('recursive type', () => fs.cpSync('s', 'd', { recursive: 'yes' }));
    sync('force type', () => fs.cpSync('s', 'd', { force: 1 }));
    fs.cpSync('s/f.txt', 'd/f.txt', { errorOnExist: true });
    lines.push('forced ' + fs.readFileSync('d/f.txt', 'utf8'));
    fs.cp('s', 'e', { recursive: true }, (err) => {
      lines.push('cp cb ' + err + ' ' + fs.readdirSync('e'));
      console.log(lines.join('\\n').replace(/SystemError \\| /g, 'Error | '));
    });
  `);
});

test.after(async () => {
  await client.close();
});
test.run();
