import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { SidecarClient } from '../../src/client/client.js';

// uvu sets FORCE_COLOR for itself; the host's node must print plain text, as the guest does.
const hostEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete hostEnv.FORCE_COLOR;

/**
 * One script file, t.js, run as `node t.js` in the VM's /home/user or in a host directory of
 * its own (reused, so a test may leave files there for the next script): for suites that
 * compare the guest's output with the host's node line for line, stderr included.
 */
export function scriptPair(client: SidecarClient, vmId: string, hostPrefix: string) {
  const hostDir = mkdtempSync(join(tmpdir(), hostPrefix));
  async function inVm(script: string) {
    await client.writeFile(vmId, '/home/user/t.js', script);
    return client.exec(vmId, 'node', ['t.js']);
  }
  function onHost(script: string): string {
    writeFileSync(join(hostDir, 't.js'), script);
    return execFileSync(process.execPath, ['t.js'], { cwd: hostDir, encoding: 'utf8', timeout: 60_000, env: hostEnv });
  }
  /** The script's output in the VM, which must be exactly the host's node's, with nothing on stderr. */
  async function sameAsHost(script: string): Promise<string> {
    const vm = await inVm(script);
    assert.is(vm.stderr, '');
    assert.is(vm.stdout, onHost(script));
    assert.is(vm.exitCode, 0);
    return vm.stdout;
  }
  return { inVm, onHost, sameAsHost };
}
