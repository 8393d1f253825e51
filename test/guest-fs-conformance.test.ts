// Guest fs failures as Node's own: each script prints every field of the errors it meets
// (class, code, errno, syscall, path, dest, message) and what succeeds, in the VM and under
// the host's Node 20, and the two must print the same. Paths are relative on purpose: Node
// names a path as the caller gave it, never the absolute one the VM makes of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';
import { maskRunNames } from '../scripts/node-conformance/classify.mjs';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-fs-conformance-');

const PRELUDE = `
const fs = require('fs');
const show = (e) => e ? JSON.stringify([e.constructor.name, e.code, e.errno, e.syscall, e.path, e.dest, e.message, Object.keys(e)]) : 'no error';
const lines = [];
function sync(label, fn) { try { const r = fn(); lines.push(label + ' -> ok ' + (r === undefined ? '' : JSON.stringify(r))); } catch (e) { lines.push(label + ' -> ' + show(e)); } }
`;

test('system errors name the path as given, with errno, syscall, dest and Node\'s message', async () => {
  const out = await same(`${PRELUDE}
    fs.writeFileSync('f', 'x');
    fs.mkdirSync('d');
    sync('readFileSync missing', () => fs.readFileSync('missing'));
    sync('readFileSync dotted', () => fs.readFileSync('./d/../missing'));
    sync('readFileSync buffer path', () => fs.readFileSync(Buffer.from('missing')));
    sync('statSync', () => fs.statSync('nope/x'));
    sync('lstatSync', () => fs.lstatSync('nope'));
    sync('openSync', () => fs.openSync('nope', 'r'));
    sync('openSync dir for writing', () => fs.openSync('d', 'w'));
    sync('openSync wx', () => fs.openSync('f', 'wx'));
    sync('mkdirSync exists', () => fs.mkdirSync('d'));
    sync('mkdirSync parent missing', () => fs.mkdirSync('a/b/c'));
    sync('rmdirSync file', () => fs.rmdirSync('f'));
    sync('unlinkSync missing', () => fs.unlinkSync('nope'));
    sync('readdirSync file', () => fs.readdirSync('f'));
    sync('readdirSync missing', () => fs.readdirSync('nope'));
    sync('renameSync', () => fs.renameSync('nope', 'other'));
    sync('linkSync', () => fs.linkSync('nope', 'other'));
    sync('linkSync exists', () => fs.linkSync('f', 'd'));
    sync('symlinkSync exists', () => fs.symlinkSync('target', 'f'));
    sync('copyFileSync', () => fs.copyFileSync('nope', 'other'));
    sync('copyFileSync excl', () => fs.copyFileSync('f', 'f', fs.constants.COPYFILE_EXCL));
    sync('readlinkSync', () => fs.readlinkSync('f'));
    sync('chmodSync', () => fs.chmodSync('nope', 0o644));
    sync('truncateSync dir', () => fs.truncateSync('d'));
    sync('accessSync', () => fs.accessSync('nope'));
    // (Node's realpath names the absolute path it lstats: the VM's cwd is not the host's)
    sync('realpathSync', () => { try { fs.realpathSync('nope'); } catch (e) { e.message = e.message.replace(process.cwd(), '.'); e.path = e.path.replace(process.cwd(), '.'); throw e; } });
    sync('realpathSync.native', () => fs.realpathSync.native('nope'));
    sync('writeFileSync into a file', () => fs.writeFileSync('f/x', 'y'));
    fs.rename('nope', 'other', (e) => {
      lines.push('rename cb -> ' + show(e));
      fs.promises.readFile('missing').catch((e) => {
        lines.push('readFile promise -> ' + show(e));
        console.log(lines.join('\\n'));
      });
    });
  `);
  assert.match(out, `readFileSync missing -> ["Error","ENOENT",-2,"open","missing",null,"ENOENT: no such file or directory, open 'missing'"`);
  assert.match(out, `renameSync -> ["Error","ENOENT",-2,"rename","nope","other","ENOENT: no such file or directory, rename 'nope' -> 'other'"`);
});

test('a directory opens read-only (fstat works, reading it is EISDIR), as on Linux', async () => {
  const out = await same(`${PRELUDE}
    fs.mkdirSync('d');
    fs.writeFileSync('d/f', 'abc');
    const fd = fs.openSync('d', 'r');
    sync('fstat isDirectory', () => fs.fstatSync(fd).isDirectory());
    sync('readSync', () => fs.readSync(fd, Buffer.alloc(4), 0, 4, null));
    sync('readFileSync fd', () => fs.readFileSync(fd));
    // (writeSync's error is the one Node still builds in JavaScript: its keys come in another order)
    sync('writeSync', () => { try { fs.writeSync(fd, 'x'); } catch (e) { throw Object.assign(new Error(e.message), { errno: e.errno, code: e.code, syscall: e.syscall }); } });
    sync('ftruncateSync', () => fs.ftruncateSync(fd, 0));
    sync('fchmodSync', () => { fs.fchmodSync(fd, 0o700); return (fs.statSync('d').mode & 0o777).toString(8); });
    sync('closeSync', () => fs.closeSync(fd));
    sync('openSync r+', () => fs.openSync('d', 'r+'));
    sync('openSync a', () => fs.openSync('d', 'a'));
    sync('readFileSync dir', () => fs.readFileSync('d'));
    sync('entries still there', () => fs.readdirSync('d'));
    fs.open('d', (e, fd2) => {
      lines.push('open cb -> ' + show(e));
      fs.read(fd2, Buffer.alloc(2), 0, 2, 0, (e) => {
        lines.push('read cb -> ' + show(e));
        fs.closeSync(fd2);
        console.log(lines.join('\\n'));
      });
    });
  `);
  assert.match(out, 'fstat isDirectory -> ok true');
  assert.match(out, `readSync -> ["Error","EISDIR",-21,"read",null,null,"EISDIR: illegal operation on a directory, read"`);
});

test('callback forms check their arguments before the callback where Node does, and the callback first where Node does', async () => {
  const out = await same(`${PRELUDE}
    fs.writeFileSync('f', 'x');
    const fd = fs.openSync('f', 'r+');
    sync('fchmod bad mode, no cb', () => fs.fchmod(fd, 'x'));
    sync('fchown bad uid, no cb', () => fs.fchown(fd, 'x', 0));
    sync('fchown ok, no cb', () => fs.fchown(fd, 0, 0));
    sync('chmod bad mode, no cb', () => fs.chmod('f', {}));
    sync('truncate bad len, no cb', () => fs.truncate('f', ''));
    sync('ftruncate bad len, no cb', () => fs.ftruncate(fd, ''));
    sync('futimes bad time, no cb', () => fs.futimes(fd, 'x', 0));
    sync('open bad flags, no cb', () => fs.open('f', 'zz'));
    sync('write bad fd, no cb', () => fs.write('x', Buffer.alloc(1)));
    sync('write stdout, no cb', () => fs.write(1, 'never printed'));
    sync('copyFile bad dest, no cb', () => fs.copyFile('f', 5));
    sync('mkdir bad path, no cb', () => fs.mkdir(5));
    sync('stat bad path, no cb', () => fs.stat(5));
    sync('chown bad uid, no cb', () => fs.chown('f', 'x', 0));
    sync('rename bad path, no cb', () => fs.rename(5, 'g'));
    sync('readFile bad path, no cb', () => fs.readFile(5));
    fs.closeSync(fd);
    sync('f unchanged', () => fs.readFileSync('f', 'utf8'));
    console.log(lines.join('\\n'));
  `);
  assert.match(out, 'fchmod bad mode, no cb -> ["TypeError","ERR_INVALID_ARG_VALUE"');
  assert.match(out, 'mkdir bad path, no cb -> ["TypeError","ERR_INVALID_ARG_TYPE",null,null,null,null,"The \\"cb\\" argument must be of type function');
  assert.not.match(out, 'never printed');
});

test('callbacks get Node\'s arguments; util.promisify of read/write/exists; readFile honours its flag; symlink checks its type', async () => {
  const out = await same(`${PRELUDE}
    const util = require('util');
    fs.writeFileSync('f', 'abcd');
    sync('symlink type', () => fs.symlinkSync('f', 'l', 'nope'));
    sync('symlink cb type', () => fs.symlink('f', 'l', 'nope', () => {}));
    sync('readFileSync ax+', () => fs.readFileSync('f', { encoding: 'utf8', flag: 'ax+' }));
    sync('readFileSync a+ creates', () => fs.readFileSync('new', { encoding: 'utf8', flag: 'a+' }) + String(fs.existsSync('new')));
    sync('readFileSync w+ empties', () => fs.readFileSync('new2', { encoding: 'utf8', flag: 'w+' }));
    (async () => {
      const fd = fs.openSync('f', 'r+');
      await new Promise((r) => fs.close(fs.openSync('f', 'r'), (...args) => { lines.push('close cb args ' + JSON.stringify(args)); r(); }));
      await new Promise((r) => fs.unlink('new2', (...args) => { lines.push('unlink cb args ' + JSON.stringify(args)); r(); }));
      await new Promise((r) => fs.mkdir('m', (...args) => { lines.push('mkdir cb args ' + JSON.stringify(args)); r(); }));
      await new Promise((r) => fs.mkdir('m/n/o', { recursive: true }, (...args) => { lines.push('mkdir -p cb args ' + JSON.stringify(args.map(String))); r(); }));
      const { bytesRead, buffer } = await util.promisify(fs.read)(fd, Buffer.alloc(4), 0, 4, 0);
      lines.push('promisified read ' + bytesRead + ' ' + buffer.toString());
      const w = await util.promisify(fs.write)(fd, Buffer.from('xy'), 0, 2, 0);
      lines.push('promisified write ' + Object.keys(w) + ' ' + w.bytesWritten);
      const wv = await util.promisify(fs.writev)(fd, [Buffer.from('z')], 3);
      lines.push('promisified writev ' + Object.keys(wv));
      lines.push('promisified exists ' + await util.promisify(fs.exists)('f') + ' ' + await util.promisify(fs.exists)('nope'));
      fs.closeSync(fd);
      lines.push('content ' + fs.readFileSync('f', 'utf8'));
      console.log(lines.join('\\n'));
    })();
  `);
  assert.match(out, 'close cb args [null]');
  assert.match(out, 'promisified read 4 abcd');
  assert.match(out, 'symlink type -> ["Error","ERR_FS_INVALID_SYMLINK_TYPE"');
  assert.match(out, 'readFileSync ax+ -> ["Error","EEXIST",-17,"open","f"');
});

test('the conformance classifier masks the names a run makes up (temp directories, socket pids)', () => {
  assert.is(
    maskRunNames("Error: ENOENT: no such file or directory, open '/tmp/node-test-1-43/.tmp.0/x.txt'"),
    "Error: ENOENT: no such file or directory, open '/tmp/node-test-N-N/.tmp.N/x.txt'",
  );
  assert.is(maskRunNames('listen EADDRINUSE /tmp/node-test-2-1015/.tmp.12/node-test.1296.sock-net'), 'listen EADDRINUSE /tmp/node-test-N-N/.tmp.N/node-test.PID.sock-net');
  assert.is(maskRunNames('x.tmp.3 node-test-1-2'), 'x.tmp.3 node-test-1-2');
});

test.after(async () => {
  await client.close();
});
test.run();
