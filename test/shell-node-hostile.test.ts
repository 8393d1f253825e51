import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { rejection, startSidecar, waitFor, waitForAsync } from './helpers/sidecar.js';

/**
 * `node` started by WASM processes, attacked: a jailed process may not reach the whole VM
 * through node, pipes that are not read, processes that end with output still queued.
 * Through the real daemon; effects asserted exactly.
 */
const { client } = await startSidecar();
const { vmId } = await client.createVm({});

test.after(async () => {
  await client.close();
});

test('a process jailed by preopens cannot start node (node sees the whole VM), by any route', async () => {
  const setup = await client.exec(vmId, 'sh', ['-c', `mkdir -p /jail /secret; echo TOPSECRET > /secret/key.txt
printf '#!/usr/bin/env node\\nconsole.log(require("fs").readFileSync("/secret/key.txt", "utf8"))\\n' > /jail/s.js; chmod +x /jail/s.js`]);
  assert.is(setup.exitCode, 0, setup.stderr);
  const jail = { preopens: [{ name: '/', path: '/jail' }, { name: '/usr/bin', path: '/usr/bin' }], cwd: '/' };
  const read = `-e 'process.stdout.write(require("fs").readFileSync("/secret/key.txt", "utf8"))'`;
  const r = await client.exec(vmId, 'sh', ['-c', `node ${read}; echo "a=$?"; /usr/bin/node ${read}; echo "b=$?"; env node ${read}; echo "c=$?"; /s.js; echo "d=$?"; sh -c "exec node -e 1"; echo "e=$?"`], jail);
  assert.is(r.stdout, 'a=126\nb=126\nc=127\nd=127\ne=126\n');
  assert.not.match(r.stdout + r.stderr, /TOPSECRET/);
  // The host cannot ask for a jailed node either: refused, not silently unconfined.
  const refused = await rejection(() => client.exec(vmId, 'node', ['-e', '1'], jail));
  assert.is(refused.code, 'ERR_AGENTOS_INVALID_PARAMS');
  assert.is(refused.data.field, '/preopens');
  // Preopens that confine nothing (/ is /) still run node.
  const open = await client.exec(vmId, 'sh', ['-c', `node ${read}`], { preopens: [{ name: '/', path: '/' }, { name: '/usr/bin', path: '/usr/bin' }] });
  assert.is(open.stdout, 'TOPSECRET\n', open.stderr);
  const direct = await client.exec(vmId, 'node', ['-e', 'console.log(1)'], { preopens: [{ name: '/', path: '/' }] });
  assert.is(direct.stdout, '1\n');
});

test('a node that never reads its stdin leaves it for the next reader, from a pipe and from a file (as read(2), as host Node)', async () => {
  const r = await client.exec(vmId, 'sh', ['-c', `printf 'a\\nb\\n' | { node -e 0; cat; }
printf 'c\\nd\\n' > /tmp/cd.txt; { node -e 0; cat; } < /tmp/cd.txt
yes abc | head -c 300000 > /tmp/big.txt; { node -e 'let n = 0; process.stdin.on("data", (d) => n += d.length).on("end", () => console.log(n))'; cat | wc -c; } < /tmp/big.txt
node -e 'console.log(require("fs").readFileSync(0).length)' < /tmp/big.txt`]);
  assert.is(r.stdout, 'a\nb\nc\nd\n300000\n0\n300000\n', r.stderr);
});

test('a node that ends with output its pipe has not taken waits for the pipe, as a blocking write does; a signal ends it; dispose does not wait', async () => {
  // 60 of these, each leaving 120 kB queued in the daemon for a reader that never reads,
  // used to end at once: the queued bytes piled up without bound. The shell holds the read
  // end while it waits for the group (it cannot fork), so the daemon may spill the pipe
  // (shell-pipe-spill.test.ts); with no spill budget the pipe blocks its writer as on Linux,
  // every time, not only when the writer fills it before the shell's next poll.
  const { client } = await startSidecar({ env: { AGENTOS_PIPE_SPILL_BYTES_PER_VM: '1' } });
  const v = (await client.createVm({})).vmId;
  let err = '';
  const off = client.onOutput((e) => {
    if (e.vmId === v && e.stream === 'stderr') err += e.data;
  });
  const { pid } = await client.spawn(v, 'sh', ['-c', `{ node -e 'process.stdout.write("x".repeat(120000))'; echo "ended $?" >&2; node -e 'process.stdout.write("y")'; echo "next $?" >&2; } | sleep 600`]);
  const nodePid = async () => (await client.request(P.ProcessList, { vmId: v })).processes.find((p) => p.command === 'node')?.pid;
  await waitForAsync(async () => (await nodePid()) !== undefined);
  const first = (await nodePid())!;
  // Nothing has read the pipe: the node cannot have ended by itself.
  assert.is(err, '');
  await client.request(P.ProcessKill, { vmId: v, pid: first, signal: 'SIGTERM' });
  await waitFor(() => err.includes('ended'));
  assert.is(err.split('\n')[0], 'ended 143');
  // The next node is blocked behind the pipe too; dispose ends the VM anyway.
  await waitForAsync(async () => { const n = await nodePid(); return n !== undefined && n !== first; });
  await client.disposeVm(v);
  off();
  assert.ok(pid > 0);
  assert.is(err, 'ended 143\n');
  await client.close();
});

test('a large stdin file reaches node whole, and an unlinked file node read or wrote is released when node ends', async () => {
  const v = (await client.createVm({})).vmId;
  const bytes = async () => (await client.request(P.VmStats, { vmId: v })).fs.bytes;
  const before = await bytes();
  const r = await client.exec(v, 'sh', ['-c', `yes abc | head -c 5000000 > /tmp/f; { rm /tmp/f; node -e 'let n = 0; process.stdin.on("data", (d) => n += d.length).on("end", () => console.log(n))'; } < /tmp/f
{ rm /tmp/o; node -e 'process.stdout.write("z".repeat(3000000))'; } > /tmp/o; ls /tmp`]);
  assert.is(r.stdout, '5000000\n', r.stderr);
  assert.is(r.stderr, '');
  // Both files are gone from the tree and from the quota (the shell's own small files aside).
  assert.ok((await bytes()) - before < 4096, `fs bytes grew from ${before} to ${await bytes()}`);
  await client.disposeVm(v);
});

test('builtins the guest replaced before its first require do not reach Node\'s lib: path and util work as on host Node', async () => {
  // Node builds its primordials before user code; here they are built on first use, from
  // the builtins as they were at start. Host Node 20 prints the same line.
  const script = `const saved = [String.prototype.slice, String.prototype.toLowerCase, RegExp.prototype.exec, Array.prototype.forEach];
String.prototype.slice = function () { return 'POLLUTED'; };
String.prototype.toLowerCase = function () { return 'zzz'; };
RegExp.prototype.exec = function () { return null; };
Array.prototype.forEach = function () {};
const path = require('path');
const util = require('util');
const out = [path.basename('/a/b.js'), path.join('/x', 'y'), path.extname('f.txt'), path.win32.basename('C:\\\\a\\\\b.js'), util.format('%s=%d', 'n', 4)];
[String.prototype.slice, String.prototype.toLowerCase, RegExp.prototype.exec, Array.prototype.forEach] = saved;
console.log(out.join(' '), String.prototype.slice === saved[0]);`;
  const r = await client.exec(vmId, 'node', ['-e', script]);
  assert.is(r.stdout, 'b.js /x/y .txt b.js n=4 true\n', r.stderr);
  // The guest's replacements are back in place once Node's lib is built.
  const still = await client.exec(vmId, 'node', ['-e', `String.prototype.slice = function () { return 'MINE'; }; require('util'); console.log('abc'.slice(1))`]);
  assert.is(still.stdout, 'MINE\n', still.stderr);
});

test('signals sent to node by kill(2) end it with 128 + n as on Linux, or reach its listener; node ignores SIGUSR1, SIGPIPE, SIGWINCH by default', async () => {
  // Host Node 20: TERM=143 INT=130 HUP=129 KILL=137 USR2=140 QUIT=131 ALRM=142 (every one became SIGKILL, 137, but the first three).
  const r = await client.exec(vmId, 'sh', ['-c', `for s in TERM INT HUP KILL USR2 QUIT ALRM; do node -e 'setTimeout(() => {}, 1e6)' & p=$!; kill -$s $p; wait $p; printf '%s=%s ' $s $?; done; echo
for s in USR2 QUIT; do sh -c 'exec node -e "setTimeout(() => {}, 1e6)"' & p=$!; kill -$s $p; wait $p; printf '%s=%s ' $s $?; done; echo
node -e 'process.on("SIGUSR2", () => { console.log("usr2"); process.exit(4) }); console.log("ready"); setTimeout(() => {}, 1e6)' > /tmp/u & p=$!
until grep -q ready /tmp/u; do sleep 0.05; done; kill -USR1 $p; kill -PIPE $p; kill -WINCH $p; kill -USR2 $p; wait $p; echo "s=$?"; cat /tmp/u`], { timeoutMs: 60_000 });
  assert.is(r.stdout, 'TERM=143 INT=130 HUP=129 KILL=137 USR2=140 QUIT=131 ALRM=142 \nUSR2=140 QUIT=131 \ns=4\nready\nusr2\n', r.stderr);
});

test.run();
