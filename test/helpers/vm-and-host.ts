import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { SidecarClient } from '../../src/client/client.js';

export interface RunResult { stdout: string; stderr: string; exitCode: number }

// uvu sets FORCE_COLOR for itself; the host's node must print plain text, as the guest does.
const hostEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NODE_OPTIONS'));

/**
 * Runs a script as main.js in a fresh directory of the VM (under /w) and of the host, with the
 * same stdin, so a test compares the guest's Node with the host's. `/w` must exist in the VM.
 */
export function vmAndHost(client: SidecarClient, vmId: string, hostPrefix: string) {
  let serial = 0;
  return async function both(script: string, stdin?: string): Promise<{ vm: RunResult; host: RunResult }> {
    const dir = `/w/t${++serial}`;
    await client.mkdir(vmId, dir);
    await client.writeFile(vmId, `${dir}/main.js`, script);
    const r = await client.exec(vmId, 'node', ['main.js'], { cwd: dir, ...(stdin === undefined ? {} : { stdin }) });
    const hostDir = mkdtempSync(join(tmpdir(), hostPrefix));
    writeFileSync(join(hostDir, 'main.js'), script);
    let host: RunResult;
    try {
      const stdout = execFileSync(process.execPath, ['main.js'], { cwd: hostDir, env: hostEnv, encoding: 'utf8', input: stdin ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
      host = { stdout, stderr: '', exitCode: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; status: number };
      host = { stdout: e.stdout, stderr: e.stderr, exitCode: e.status };
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
    return { vm: { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 }, host };
  };
}

/**
 * A script that must print the same stdout and end with the same code in the VM as under the
 * host's node (where it must succeed); returns that stdout.
 */
export function sameAsHost(client: SidecarClient, vmId: string, hostPrefix: string) {
  const both = vmAndHost(client, vmId, hostPrefix);
  return async function same(script: string, stdin?: string): Promise<string> {
    const { vm, host } = await both(script, stdin);
    assert.is(host.exitCode, 0, `the script fails under the host's node itself: ${host.stderr}`);
    assert.is(vm.stdout, host.stdout, `stderr in the VM: ${vm.stderr}`);
    assert.is(vm.exitCode, host.exitCode);
    return vm.stdout;
  };
}
