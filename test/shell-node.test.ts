import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { startSidecar } from './helpers/sidecar.js';

/**
 * `node` started by the shell and the other commands (a WASM parent): /usr/bin/node, pipes
 * in both directions, redirections, `#!` scripts, `exec node`, signals and exit statuses,
 * as a Linux shell gives them, through the real daemon.
 */
const { client } = await startSidecar();
const { vmId } = await client.createVm({});
const sh = (script: string, options: { cwd?: string } = {}) => client.exec(vmId, 'sh', ['-c', script], options);

test.after(async () => {
  await client.close();
});

test('node is a command of the shell: on PATH as /usr/bin/node, its output, its exit status', async () => {
  const r = await sh(`which node; ls -l /usr/bin/node | cut -c1-10; node -e 'console.log("hi", process.argv.length)'; echo "s=$?"; node -e 'process.exit(3)'; echo "s=$?"; node -e 'throw new Error("boom")' 2>/dev/null; echo "s=$?"; node -pe '6 * 7'; node --eval='console.log("eq")'`);
  assert.is(r.stdout, '/usr/bin/node\n-rwxr-xr-x\nhi 1\ns=0\ns=3\ns=1\n42\neq\n');
  assert.is(r.exitCode, 0);
});

test('pipes both ways, with more than a pipe holds: a command into node, node into a command', async () => {
  const r = await sh(`echo piped | node -e 'process.stdin.on("data", (d) => process.stdout.write("got " + d))'
yes | head -c 300000 | node -e 'let n = 0; process.stdin.on("data", (d) => n += d.length).on("end", () => console.log(n))'
node -e 'process.stdout.write("x".repeat(500000))' | wc -c
node -e 'for (let i = 0; i < 3; i++) console.log("line", i)' | tail -n 1
yes abcdef | head -c 200000 > /tmp/big.txt; node -e 'process.stdin.pipe(process.stdout)' < /tmp/big.txt | head -c 7; echo`);
  assert.is(r.stdout, 'got piped\n300000\n500000\nline 2\nabcdef\n\n', r.stderr);
});

test('redirections: stdout and stderr to files, append, 2>&1 into a pipe, stdin from a file', async () => {
  const r = await sh(`cd /tmp; node -e 'console.log("out"); console.error("err")' > o.txt 2> e.txt; cat o.txt e.txt
node -e 'console.log("more")' >> o.txt; cat o.txt
node -e 'console.error("both")' 2>&1 | tr a-z A-Z
printf 'abc' > in.txt; node -e 'process.stdin.on("data", (d) => console.log(String(d).length))' < in.txt`);
  assert.is(r.stdout, 'out\nerr\nout\nmore\nBOTH\n3\n', r.stderr);
});

test('a redirection into a full filesystem: node\'s stdout errors with ENOSPC as Node\'s does (a listener sees it; unhandled, exit 1)', async () => {
  const { vmId: small } = await client.createVm({ limits: { fsQuotaBytes: 2_000_000 } });
  const r = await client.exec(small, 'sh', ['-c', `node -e 'process.stdout.on("error", (e) => console.error("caught", e.code, e.errno, e.syscall)); for (let i = 0; i < 30; i++) process.stdout.write("y".repeat(100000))' > /tmp/f; echo "s=$?"
node -e 'for (let i = 0; i < 30; i++) process.stdout.write("y".repeat(100000))' > /tmp/g; echo "s=$?"`]);
  assert.is(r.stdout, 's=0\ns=1\n');
  const lines = r.stderr.split('\n');
  assert.is(lines[0], 'caught ENOSPC -28 write');
  assert.ok(lines.includes('Error: ENOSPC: no space left on device (VM filesystem quota of 2000000 bytes), write'), r.stderr);
});

test('node takes only the stdin bytes it reads: the next reader of the same pipe or file gets the rest, as with read(2)', async () => {
  const r = await sh(`printf "abc\\ndef\\n" | { node -e 'const b = Buffer.alloc(4); const n = require("fs").readSync(0, b, 0, 4); console.log(n, JSON.stringify(String(b)))'; cat; }
printf "123456789\\n" > /tmp/in; { node -e 'const b = Buffer.alloc(3); require("fs").readSync(0, b, 0, 3); console.log(String(b))'; cat; } < /tmp/in`);
  assert.is(r.stdout, '4 "abc\\n"\ndef\n123\n456789\n');
});

test('#! scripts run by node: through env, directly, and through a bin link (the main module is its real path)', async () => {
  const r = await sh(`cd /tmp; printf '#!/usr/bin/env node\\nconsole.log("env", process.argv.slice(2))\\n' > a.js; chmod +x a.js; ./a.js x y
printf '#!/usr/bin/node\\nconsole.log("direct", __filename)\\n' > b.js; chmod +x b.js; ./b.js
mkdir -p pkg bin; printf '#!/usr/bin/env node\\nconsole.log(require("./lib.js"), process.argv[1])\\n' > pkg/cli.js; echo 'module.exports = "lib"' > pkg/lib.js; chmod +x pkg/cli.js; ln -sf ../pkg/cli.js bin/tool; bin/tool`);
  assert.is(r.stdout, "env [ 'x', 'y' ]\ndirect /tmp/b.js\nlib /tmp/bin/tool\n", r.stderr);
});

test('exec node: the process becomes node (its status, its stdin), and a signal sent to it reaches node', async () => {
  const r = await sh(`sh -c 'exec node -e "process.exit(7)"'; echo "s=$?"
echo through | sh -c 'exec node -e "process.stdin.pipe(process.stdout)"'
sh -c 'exec node -e "setTimeout(() => {}, 600000)"' & pid=$!; sleep 0.3; kill $pid; wait $pid; echo "s=$?"`);
  assert.is(r.stdout, 's=7\nthrough\ns=143\n', r.stderr);
});

test('signals and background jobs: kill ends node with 128+signal; a node writing into a pipe that closed dies of SIGPIPE', async () => {
  const r = await sh(`node -e 'setTimeout(() => {}, 600000)' & pid=$!; sleep 0.3; kill -INT $pid; wait $pid; echo "s=$?"
node -e 'for (;;) process.stdout.write("x".repeat(100000))' | head -c 4; echo " s=\${PIPESTATUS[0]}"`);
  assert.is(r.stdout, 's=130\nxxxx s=141\n', r.stderr);
  // Nothing is left running.
  assert.equal((await client.request(P.ProcessList, { vmId })).processes, []);
});

test('the childProcess policy judges node started by the shell as it judges any program', async () => {
  const denied = await client.createVm({ permissions: { childProcess: { default: 'allow', rules: [{ mode: 'deny', patterns: ['node'] }] } } });
  const r = await client.exec(denied.vmId, 'sh', ['-c', 'node -e 1; echo "s=$?"; echo still']);
  assert.match(r.stdout, /^s=126\nstill\n$/);
  assert.match(r.stderr, /Permission denied/);
  await client.disposeVm(denied.vmId);
});

test.run();
