import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSidecar } from './helpers/sidecar.js';

// Each fixture runs in a VM and under the host's Node 20; stdout, stderr and the exit code
// must be identical. The inspect corpus comes first: silent differences live there.
const FIXTURES = new URL('./fixtures/node-util/', import.meta.url).pathname;
const { client } = await startSidecar();
const { vmId } = await client.createVm({});
const hostDir = mkdtempSync(join(tmpdir(), 'node-util-'));

function onHost(name: string, source: string): { stdout: string; stderr: string; exitCode: number | null } {
  writeFileSync(join(hostDir, name), source);
  const r = spawnSync(process.execPath, [name], { cwd: hostDir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status };
}

const order = ['inspect.cjs'];
const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.cjs')).sort((a, b) => (order.indexOf(b) - order.indexOf(a)) || a.localeCompare(b));
for (const name of names) {
  test(`${name}: same output in the VM as under host Node`, async () => {
    const source = readFileSync(join(FIXTURES, name), 'utf8');
    const host = onHost(name, source);
    await client.writeFile(vmId, `/home/user/${name}`, source);
    const vm = await client.exec(vmId, 'node', [name]);
    assert.ok(host.stdout.length > 0, 'the fixture prints something');
    assert.fixture(vm.stdout, host.stdout);
    assert.fixture(vm.stderr, host.stderr);
    assert.is(vm.exitCode, host.exitCode);
  });
}

test.after(async () => {
  await client.close();
});
test.run();
