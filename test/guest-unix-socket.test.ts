// Guest JS Unix domain sockets (net and http on a path): a path listener lives in the VM's
// own loopback, keyed by a socket inode of the VM's filesystem; processes of the VM reach it
// by path, no other VM can, and the host's filesystem and network never see it. Scripts that
// Linux answers the same way run in the VM and under the host's Node 20 (in a temp dir, with
// relative paths) and must print the same.
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'guest-unix-socket-');

test('echo over a path socket between two processes of one VM (a child started with child_process), as under Node', async () => {
  const out = await same(`const net = require('net');
const { spawn } = require('child_process');
const fs = require('fs');
const server = net.createServer((c) => {
  console.log('server: peer', c.remoteAddress, c.remotePort, c.remoteFamily, JSON.stringify(c.address()));
  c.pipe(c);
});
server.listen('echo.sock', () => {
  const st = fs.statSync('echo.sock');
  console.log('address', JSON.stringify(server.address()), 'isSocket', st.isSocket(), 'isFile', st.isFile(), 'type', (st.mode & 0o170000).toString(8), 'size', st.size);
  console.log('dirent', fs.readdirSync('.', { withFileTypes: true }).filter((d) => d.isSocket()).map((d) => d.name).join(','));
  const child = spawn(process.execPath, ['-e', \`
    const c = require('net').connect('echo.sock', () => console.log('child connected', c.remoteAddress, JSON.stringify(c.address())));
    let got = '';
    c.on('data', (d) => { got += d; if (got.length >= 11) c.end(); });
    c.on('close', () => console.log('child got', got));
    c.write('hello ');
    c.write('world');
  \`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (d) => text += d);
  child.on('close', (code) => {
    process.stdout.write(text);
    console.log('child exit', code);
    server.close(() => console.log('closed; file still there:', fs.existsSync('echo.sock')));
  });
});
`);
  assert.ok(out.includes('child got hello world\n'), out);
});

test('http over socketPath: a request and its answer, the server address is the path', async () => {
  const out = await same(`const http = require('http');
const server = http.createServer((req, res) => res.end(req.method + ' ' + req.url + ' ' + req.headers.host));
server.listen('http.sock', () => {
  console.log('listening on', server.address());
  http.get({ socketPath: 'http.sock', path: '/x?y=1' }, (res) => {
    let body = '';
    res.on('data', (d) => body += d);
    res.on('end', () => {
      console.log(res.statusCode, body);
      server.close(() => console.log('closed'));
    });
  });
});
`);
  assert.is(out, 'listening on http.sock\n200 GET /x?y=1 localhost\nclosed\n');
});

test('the errors of listen and connect on paths are Linux\'s as Node reports them', async () => {
  const out = await same(`const net = require('net');
const fs = require('fs');
const show = (tag) => (e) => console.log(tag, JSON.stringify({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port }));
fs.writeFileSync('regular', 'x');
fs.mkdirSync('sub');
const steps = [
  (next) => net.connect('missing.sock').on('error', show('connect missing')).on('close', next),
  (next) => net.connect({ path: 'regular' }).on('error', show('connect regular file')).on('close', next),
  (next) => net.connect({ path: 'sub' }).on('error', show('connect directory')).on('close', next),
  (next) => net.connect('regular/x.sock').on('error', show('connect through a file')).on('close', next),
  (next) => net.connect('nodir/x.sock').on('error', show('connect missing dir')).on('close', next),
  (next) => net.createServer().listen('regular').on('error', (e) => { show('listen on a file')(e); next(); }),
  (next) => net.createServer().listen('nodir/x.sock').on('error', (e) => { show('listen missing dir')(e); next(); }),
  (next) => {
    const s = net.createServer().listen('a.sock', () => {
      net.createServer().listen('a.sock').on('error', (e) => {
        show('listen twice')(e);
        try { fs.readFileSync('a.sock'); } catch (e2) { show('read the socket file')(e2); }
        s.close(() => { console.log('after close exists:', fs.existsSync('a.sock')); next(); });
      });
    });
  },
  (next) => {
    // A socket file whose server went without close() (the process ended, or as here, its
    // name was made again) refuses connections: ECONNREFUSED, as a stale socket on Linux.
    const s = net.createServer().listen('stale.sock', () => {
      fs.renameSync('stale.sock', 'moved.sock');
      const c = net.connect('moved.sock', () => { console.log('renamed socket still reached'); c.destroy(); s.close(() => {
        console.log('after close: moved exists', fs.existsSync('moved.sock'));
        fs.unlinkSync('moved.sock');
        next();
      }); });
    });
  },
  (next) => {
    const s = net.createServer().listen('gone.sock', () => {
      fs.unlinkSync('gone.sock');
      net.connect('gone.sock').on('error', show('connect unlinked')).on('close', () => s.close(next));
    });
  },
];
const run = () => steps.length ? steps.shift()(run) : console.log('done');
run();
`);
  assert.ok(out.includes('"connect ECONNREFUSED regular"'), out);
  assert.ok(out.includes('"listen EADDRINUSE: address already in use a.sock"'), out);
  assert.ok(out.includes('after close exists: false'), out);
  assert.ok(out.endsWith('done\n'), out);
});

test('another VM cannot reach the path, and the host filesystem never sees a file', async () => {
  const other = await client.createVm();
  await client.mkdir(other.vmId, '/w', { recursive: true });
  // The first VM listens until the test writes /w/stop into its filesystem.
  const listening = client.exec(vmId, 'node', ['-e', `
const fs = require('fs');
const s = require('net').createServer((c) => c.end('from the first VM')).listen('/w/shared.sock');
const poll = setInterval(() => { if (fs.existsSync('/w/stop')) { clearInterval(poll); s.close(() => console.log('closed')); } }, 10);
`]);
  for (let tries = 0; (await client.stat(vmId, '/w/shared.sock').catch(() => undefined))?.type !== 'socket'; tries++) {
    assert.ok(tries < 3000, 'the first VM never listened');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const stat = await client.stat(vmId, '/w/shared.sock');
  assert.is(stat.mode & 0o170000, 0o140000);
  // The other VM has no such file; a file it makes at the same path is not the listener.
  const r = await client.exec(other.vmId, 'node', ['-e', `
const net = require('net');
const fs = require('fs');
net.connect('/w/shared.sock').on('error', (e) => {
  console.log('other VM:', e.code, e.message);
  fs.writeFileSync('/w/shared.sock', '');
  net.connect('/w/shared.sock').on('error', (e2) => console.log('other VM with a file there:', e2.code));
});
`]);
  assert.is(r.stdout, 'other VM: ENOENT connect ENOENT /w/shared.sock\nother VM with a file there: ECONNREFUSED\n', r.stderr);
  // The first VM's own processes do reach it.
  const mine = await client.exec(vmId, 'node', ['-e', `require('net').connect('/w/shared.sock').on('data', (d) => console.log(String(d)))`]);
  assert.is(mine.stdout, 'from the first VM\n', mine.stderr);
  assert.not.ok(existsSync('/w/shared.sock'));
  await client.writeFile(vmId, '/w/stop', '');
  assert.is((await listening).stdout, 'closed\n');
  assert.is(await client.stat(vmId, '/w/shared.sock').then(() => 'there', (e: { code?: string; message?: string }) => e.message?.includes('ENOENT') ? 'gone' : String(e.message)), 'gone');
  await client.disposeVm(other.vmId);
});

test('a read-only VM cannot listen on a path (EROFS), and the fs policy judges listen (create) and connect (write)', async () => {
  const ro = (await client.createVm({ permissions: { fs: 'read-only' } })).vmId;
  const r = await client.exec(ro, 'node', ['-e', `
const net = require('net');
net.createServer().listen('/tmp/ro.sock').on('error', (e) => console.log(e.code, e.syscall, e.address, e.port, e.message));
const s = net.createServer().listen('\\0abstract-in-ro', () => { console.log('abstract listens', JSON.stringify(s.address())); net.connect('\\0abstract-in-ro').on('data', (d) => { console.log('abstract:', String(d)); s.close(); }); });
s.on('connection', (c) => c.end('ok'));
`]);
  assert.is(r.stdout, 'EROFS listen /tmp/ro.sock -1 listen EROFS: read-only file system /tmp/ro.sock\nabstract listens "\\u0000abstract-in-ro"\nabstract: ok\n', r.stderr);
  await client.disposeVm(ro);

  const ruled = (await client.createVm({
    permissions: { fs: { default: 'allow', rules: [
      { mode: 'deny', operations: ['create'], paths: ['/locked/**'] },
      { mode: 'deny', operations: ['write'], paths: ['/w/private.sock'] },
    ] } },
  })).vmId;
  await client.mkdir(ruled, '/locked', { recursive: true });
  await client.mkdir(ruled, '/w', { recursive: true });
  const p = await client.exec(ruled, 'node', ['-e', `
const net = require('net');
net.createServer().listen('/locked/a.sock').on('error', (e) => console.log('listen:', e.message));
const s = net.createServer((c) => c.end('hi')).listen('/w/private.sock', () => {
  net.connect('/w/private.sock').on('error', (e) => { console.log('connect:', e.code, e.message); s.close(); });
});
`]);
  assert.is(p.stdout, 'listen: listen EACCES: permission denied /locked/a.sock\nconnect: EACCES connect EACCES /w/private.sock\n', p.stderr);
  // Linux's own check: connect needs write permission on the socket (the guest is not root).
  const m = await client.exec(ruled, 'node', ['-e', `
const net = require('net');
const fs = require('fs');
const s = net.createServer((c) => c.end('hi')).listen({ path: '/w/mode.sock', readableAll: true, writableAll: true }, () => {
  console.log('mode', (fs.statSync('/w/mode.sock').mode & 0o777).toString(8), 'uid', process.getuid());
  fs.chmodSync('/w/mode.sock', 0);
  net.connect('/w/mode.sock').on('error', (e) => { console.log('after chmod 0:', e.message); s.close(); });
});
`]);
  assert.is(m.stdout, 'mode 777 uid 1000\nafter chmod 0: connect EACCES /w/mode.sock\n', m.stderr);
  await client.disposeVm(ruled);
});

test('a process that ends without close() leaves its socket file (stale: ECONNREFUSED), which ls -l and WASI see as a socket', async () => {
  await client.mkdir(vmId, '/w/stale', { recursive: true });
  const r = await client.exec(vmId, 'node', ['-e', `require('net').createServer().listen('/w/stale/s.sock', () => process.exit(0))`]);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is((await client.stat(vmId, '/w/stale/s.sock')).type, 'socket');
  const ls = await client.exec(vmId, 'ls', ['-l', '/w/stale']);
  assert.match(ls.stdout, /^srwxr-xr-x .* s\.sock$/m, ls.stdout + ls.stderr);
  const stat = await client.exec(vmId, 'stat', ['-c', '%F %A %s', '/w/stale/s.sock']);
  assert.is(stat.stdout, 'socket srwxr-xr-x 0\n', stat.stderr);
  const c = await client.exec(vmId, 'node', ['-e', `
const net = require('net');
net.connect('/w/stale/s.sock').on('error', (e) => {
  console.log(e.message);
  net.createServer().listen('/w/stale/s.sock').on('error', (e2) => console.log(e2.code));
});
`]);
  assert.is(c.stdout, 'connect ECONNREFUSED /w/stale/s.sock\nEADDRINUSE\n', c.stderr);
});

test('path listeners count against the VM listener limit (EMFILE, logged) and leave no file when refused', async () => {
  const small = await startSidecar({ env: { AGENTOS_NET_LISTENERS_PER_VM: '2' } });
  const smallVm = (await small.client.createVm()).vmId;
  const r = await small.client.exec(smallVm, 'node', ['-e', `
const net = require('net');
const fs = require('fs');
const a = net.createServer().listen('/tmp/1.sock');
const b = net.createServer().listen(0);
net.createServer().listen('/tmp/3.sock').on('error', (e) => {
  console.log(e.code, fs.existsSync('/tmp/3.sock'));
  a.close(); b.close();
});
`]);
  assert.is(r.stdout, 'EMFILE false\n', r.stderr);
  const hit = small.logs.find((l) => l.msg === 'bounded limit exhausted');
  assert.is((hit as { limit?: string } | undefined)?.limit, 'net_listeners_per_vm');
  await small.client.close();
});

test.after(async () => {
  await client.close();
});

test.run();
