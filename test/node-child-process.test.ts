import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { startSidecar, waitForAsync } from './helpers/sidecar.js';

const { client, logs } = await startSidecar();
const { vmId } = await client.createVm({});
const hostDir = mkdtempSync(join(tmpdir(), 'agentos-cp-'));
// The host's node prints without colours, as the VM's does (the test runner may force them).
const hostEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete hostEnv.FORCE_COLOR;

/** Runs a script as /home/user/t.js in the VM. */
async function inVm(script: string, vm = vmId) {
  await client.writeFile(vm, '/home/user/t.js', script);
  return client.exec(vm, 'node', ['t.js']);
}

/** The same script under the host's node (Node 20), in a scratch directory. */
function onHost(script: string): string {
  writeFileSync(join(hostDir, 't.js'), script);
  return execFileSync(process.execPath, ['t.js'], { cwd: hostDir, encoding: 'utf8', timeout: 30_000, env: hostEnv });
}

async function sameAsHost(script: string): Promise<string> {
  const vm = await inVm(script);
  assert.is(vm.stderr, '');
  assert.is(vm.stdout, onHost(script));
  return vm.stdout;
}

test('execSync runs a pipeline through the VM\'s sh, and the files it sees are the VM\'s', async () => {
  await client.writeFile(vmId, '/home/user/d/a', '1');
  await client.writeFile(vmId, '/home/user/d/b', '2');
  await client.writeFile(vmId, '/home/user/d/c', '3');
  const r = await inVm('const { execSync } = require("child_process"); process.stdout.write(execSync("ls d | wc -l")); console.log(execSync("echo $0 && pwd", { encoding: "utf8", cwd: "/home/user/d" }))');
  assert.equal([r.exitCode, r.stdout, r.stderr], [0, '3\n/bin/sh\n/home/user/d\n\n', '']);
});

test('spawnSync: status, signal, stdout and stderr, input, encoding, and stdio as Node gives them', async () => {
  const out = await sameAsHost(`
    const { spawnSync } = require('child_process');
    const r = spawnSync('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    console.log(r.status, r.signal, Buffer.isBuffer(r.stdout), JSON.stringify([String(r.stdout), String(r.stderr)]), r.output.length, r.output[0]);
    const c = spawnSync('cat', { input: 'piped in\\n', encoding: 'utf8' });
    console.log(c.status, JSON.stringify(c.stdout));
    const k = spawnSync('sh', ['-c', 'kill -TERM $$; echo never']);
    console.log(k.status, k.signal, JSON.stringify(String(k.stdout)));
    const i = spawnSync('sh', ['-c', 'echo ignored'], { stdio: 'ignore' });
    console.log(i.status, i.stdout, i.stderr);
  `);
  assert.match(out, /^3 null true \["out\\n","err\\n"\] 3 null\n0 "piped in\\n"\nnull SIGTERM ""\n0 null null\n$/);
});

test('a command that does not exist: the error Node gives (code, errno, syscall, path, spawnargs), sync and async', async () => {
  await sameAsHost(`
    const cp = require('child_process');
    const r = cp.spawnSync('no-such-command', ['a']);
    console.log(r.status, r.error.code, r.error.errno, r.error.syscall, r.error.path, r.error.spawnargs, r.error.message);
    try { cp.execFileSync('no-such-command'); } catch (e) { console.log('threw', e.code, e.message) }
    const c = cp.spawn('no-such-command', ['x']);
    console.log('pid', c.pid);
    const events = [];
    c.on('error', (e) => events.push('error ' + e.code + ' ' + e.syscall + ' ' + JSON.stringify(e.spawnargs)));
    c.on('close', (code, signal) => { events.push('close ' + code + ' ' + signal); console.log(events.join('; ')) });
  `);
});

test('spawn: Node\'s events in Node\'s order, stdin piped in, exit code and streams', async () => {
  await sameAsHost(`
    const { spawn } = require('child_process');
    const c = spawn('sh', ['-c', 'cat; echo done; echo oops >&2; exit 4']);
    const events = [];
    c.on('spawn', () => events.push('spawn ' + typeof c.pid));
    let out = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d) => out += d);
    c.stdout.on('end', () => events.push('stdout end'));
    c.stderr.on('data', (d) => events.push('stderr ' + JSON.stringify(String(d))));
    c.on('exit', (code, signal) => events.push('exit ' + code + ' ' + signal + ' ' + c.exitCode));
    c.on('close', (code, signal) => {
      events.push('close ' + code + ' ' + signal);
      console.log(JSON.stringify(out));
      console.log(events.filter((e) => !e.startsWith('stdout end')).join('\\n'));
    });
    c.stdin.write('line 1\\n');
    c.stdin.end('line 2\\n');
  `);
});

test('kill: the child ends by the signal; exitCode null, signalCode and killed set', async () => {
  await sameAsHost(`
    const { spawn } = require('child_process');
    const c = spawn('sleep', ['30']);
    c.on('spawn', () => console.log('killed?', c.kill(), c.killed));
    c.on('exit', (code, signal) => console.log('exit', code, signal, c.exitCode, c.signalCode));
    c.on('close', (code, signal) => console.log('close', code, signal));
  `);
  await sameAsHost(`
    const { spawn } = require('child_process');
    // stdio ignored: on the host, the orphaned sleep would hold a piped stdout open for 30 s.
    const c = spawn('sh', ['-c', 'sleep 30'], { stdio: 'ignore' });
    c.on('spawn', () => c.kill('SIGKILL'));
    c.on('exit', (code, signal) => console.log('exit', code, signal));
  `);
});

test('exec and execFile: callback values, Command failed errors, maxBuffer, timeout, env, shell: true', async () => {
  await sameAsHost(`
    const cp = require('child_process');
    cp.exec('echo $FOO; exit 3', { env: { FOO: 'bar', PATH: process.env.PATH } }, (err, stdout, stderr) => {
      console.log(err.message, JSON.stringify(err.code), err.killed, err.signal, err.cmd, JSON.stringify([stdout, stderr]));
      cp.execFile('sh', ['-c', 'printf 0123456789'], { maxBuffer: 4 }, (err, stdout) => {
        console.log(err.code, err.message, err instanceof RangeError, JSON.stringify(stdout));
        cp.exec('sleep 30', { timeout: 100 }, (err, stdout) => {
          console.log(err.killed, err.signal, err.code, err.message);
          cp.execFile('echo', ['a', 'b'], { encoding: 'buffer' }, (err, stdout) => {
            console.log(err, Buffer.isBuffer(stdout), String(stdout));
            cp.spawn('echo $((6 * 7))', { shell: true, stdio: ['ignore', 'pipe', 'inherit'] }).stdout.on('data', (d) => console.log('shell', String(d).trim()));
          });
        });
      });
    });
  `);
});

test('execSync: errors carry status, stdout, stderr; stderr shows on the parent\'s; timeout is ETIMEDOUT', async () => {
  const script = `
    const cp = require('child_process');
    try { cp.execSync('echo partial; echo bad >&2; exit 5') } catch (e) {
      console.log(e.status, e.signal, JSON.stringify(e.message), JSON.stringify(String(e.stdout)), JSON.stringify(String(e.stderr)), e.output.length);
    }
    try { cp.execSync('sleep 30', { timeout: 100 }) } catch (e) {
      console.log(e.code, e.errno, e.signal, e.status, e.syscall, e.message);
    }
    console.log(cp.execFileSync('sh', ['-c', 'echo "$1"', 'x', 'one arg'], { encoding: 'utf8' }).trim());
  `;
  const vm = await inVm(script);
  writeFileSync(join(hostDir, 't.js'), script);
  const host = execFileSync(process.execPath, ['-e', `const r = require('child_process').spawnSync(process.execPath, ['t.js'], { encoding: 'utf8' }); process.stdout.write(JSON.stringify([r.stdout, r.stderr]))`], { cwd: hostDir, encoding: 'utf8', env: hostEnv });
  assert.equal([vm.stdout, vm.stderr], JSON.parse(host));
});

test('a node child: argv, env, cwd and exit code; the child is another process of the VM (pid, ppid)', async () => {
  const r = await inVm(`
    const cp = require('child_process');
    const out = cp.execFileSync('node', ['-e', 'console.log(JSON.stringify([process.argv.slice(1), process.env.X, process.cwd(), process.ppid])); process.exitCode = 0'], { env: { X: 'y' }, cwd: '/tmp', encoding: 'utf8' });
    const [argv, x, cwd, ppid] = JSON.parse(out);
    console.log(JSON.stringify(argv), x, cwd, ppid === process.pid);
    const r = cp.spawnSync('node', ['-e', 'process.exit(7)']);
    console.log(r.status, r.pid > process.pid);
  `);
  assert.equal([r.stdout, r.exitCode], ['[] y /tmp true\n7 true\n', 0]);
});

test('the host sees a JS process\'s children as processes of the VM (process/exit with ppid and command)', async () => {
  const exits: Array<{ pid: number; exitCode: number; ppid?: number; command?: string }> = [];
  const off = client.onExit((e) => {
    if (e.vmId === vmId) exits.push(e);
  });
  const r = await inVm('const cp = require("child_process"); console.log(process.pid, cp.spawnSync("sh", ["-c", "exit 9"]).pid, cp.spawnSync("node", ["-e", "0"]).pid)');
  off();
  const [parent, sh, node] = r.stdout.trim().split(' ').map(Number);
  const seen = (pid: number) => exits.find((e) => e.pid === pid);
  assert.equal([seen(sh!)?.exitCode, seen(sh!)?.ppid, seen(sh!)?.command], [9, parent, 'sh']);
  assert.equal([seen(node!)?.exitCode, seen(node!)?.ppid, seen(node!)?.command], [0, parent, 'node']);
});

test('children count against the VM\'s process limit: past it, spawn fails with EAGAIN and the VM goes on', async () => {
  const { vmId: small } = await client.createVm({ limits: { maxProcesses: 3 } });
  const r = await inVm(`
    const cp = require('child_process');
    const kids = [cp.spawn('sleep', ['30']), cp.spawn('sleep', ['30'])];
    const third = cp.spawnSync('echo', ['x']);
    console.log(third.error.code, third.error.errno, third.error.syscall);
    const c = cp.spawn('echo', ['y']);
    c.on('error', (e) => { console.log('async', e.code); for (const k of kids) k.kill('SIGKILL'); });
  `, small);
  assert.equal([r.stdout, r.exitCode], ['EAGAIN -11 spawnSync echo\nasync EAGAIN\n', 0]);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'max_processes_per_vm'));
  const after = await inVm('console.log(String(require("child_process").execSync("echo still here")).trim())', small);
  assert.is(after.stdout, 'still here\n');
});

test('a parent that ends takes its running children with it; the VM is left with no processes', async () => {
  const r = await inVm('require("child_process").spawn("sleep", ["30"]).unref(); console.log("parent done")');
  assert.equal([r.stdout, r.exitCode], ['parent done\n', 0]);
  await waitForAsync(async () => (await client.request(P.VmStats, { vmId })).processes.running === 0);
});

test.after(async () => {
  await client.close();
});
test.run();
