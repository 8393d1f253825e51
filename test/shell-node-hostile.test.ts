import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejection, startSidecar } from './helpers/sidecar.js';

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

test.run();
