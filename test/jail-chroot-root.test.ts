// A process whose preopen `/` is a jail directory sees that directory as its root, as under
// chroot(2): `..` at its root stays there, whatever the spelling (cd, .. chains, /../x,
// symlinks through ..), and nothing names anything outside the jail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

test('.. at the root of a jail preopened as / stays at the jail root, as in a chroot', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({ cwd: '/', files: [
    { path: '/secret/key.txt', data: 'TOP-SECRET', encoding: 'utf8', mode: 0o600 },
    { path: '/key.txt', data: 'VM-ROOT', encoding: 'utf8' },
    { path: '/jail/key.txt', data: 'JAILED', encoding: 'utf8' },
    { path: '/jail/sub/x', data: 'x', encoding: 'utf8' },
  ] });
  const plant = await client.exec(vmId, 'node', ['-e', `const fs = require('fs');
    fs.symlinkSync('../../key.txt', '/jail/sub/up2'); fs.symlinkSync('/../../../secret', '/jail/sdir'); fs.symlinkSync('..', '/jail/dotdot');`]);
  assert.is(plant.exitCode, 0, plant.stderr);
  const jail = { preopens: [{ name: '/', path: '/jail' }, { name: '/usr/bin', path: '/usr/bin' }], cwd: '/' };
  const cases: Array<[string, number, string, string]> = [
    ['cd ..; pwd', 0, '/\n', ''],
    ['cd /; cd ../../..; pwd; ls', 0, '/\ndotdot\nkey.txt\nsdir\nsub\n', ''],
    ['cd /sub; cd ../../..; pwd; cat key.txt', 0, '/\nJAILED', ''],
    ['cat /../key.txt', 0, 'JAILED', ''],
    ['cat /../../x/../key.txt', 0, 'JAILED', ''],
    ['cat ../../key.txt', 0, 'JAILED', ''],
    ['cat /sub/../../../key.txt', 0, 'JAILED', ''],
    ['cat /sub/up2', 0, 'JAILED', ''],
    ['cat /dotdot/dotdot/key.txt', 0, 'JAILED', ''],
    ['cat /sdir/key.txt', 1, '', 'cat: /sdir/key.txt: No such file or directory\n'],
    ['cat /../../secret/key.txt', 1, '', 'cat: /../../secret/key.txt: No such file or directory\n'],
    ['ls /../..', 0, 'dotdot\nkey.txt\nsdir\nsub\n', ''],
    ['echo in > /../../x; cat /x', 0, 'in\n', ''],
    ['mkdir -p /../../d/../e; ls -d /d /e', 0, '/d\n/e\n', ''],
  ];
  for (const [cmd, exitCode, stdout, stderr] of cases) {
    const r = await client.exec(vmId, 'sh', ['-c', cmd], jail);
    assert.equal([cmd, r.exitCode, r.stdout, r.stderr], [cmd, exitCode, stdout, stderr]);
  }
  // Everything the jailed process wrote landed inside /jail; outside, nothing changed.
  const check = await client.exec(vmId, 'node', ['-e', `const fs = require('fs'); console.log(JSON.stringify([fs.readdirSync('/').sort(), fs.readdirSync('/jail').sort(), fs.readFileSync('/key.txt', 'utf8')]))`]);
  assert.is(check.stdout, JSON.stringify([['bin', 'dev', 'etc', 'home', 'jail', 'key.txt', 'opt', 'proc', 'secret', 'tmp', 'usr'], ['d', 'dotdot', 'e', 'key.txt', 'sdir', 'sub', 'x'], 'VM-ROOT']) + '\n');
  await client.close();
});

test.run();
