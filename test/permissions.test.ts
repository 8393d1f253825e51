import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePolicy } from '../src/permissions/vm-policy.js';
import type { PermissionAnswer, PermissionRequestParams } from '../src/client/client.js';
import { eventually, rejection, startSidecar, type LogLine } from './helpers/sidecar.js';

// uvu sets FORCE_COLOR for itself; the host's node must print plain text, as the guest does.
const hostEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NODE_OPTIONS'));

/**
 * Issue 12's permissions: how rules combine, and every scope at every entry point (guest
 * JS, a WASM command through the shell, the protocol), with denials as Linux and Node give
 * them, the log line and the counts. The `ask` round trips are in permissions-ask.test.ts.
 */

// ---- how rules combine (protocol/README.md "Permissions") ----

const decide = (spec: Parameters<typeof compilePolicy>[0], scope: 'fs' | 'childProcess' | 'env' | 'hostFunction', op: string, target: string) =>
  compilePolicy(spec).scopes[scope].decide(op, target);

test('rules: the most specific matching target wins, whatever the order', () => {
  const rules = [
    { mode: 'allow' as const, operations: ['read' as const], paths: ['/**'] },
    { mode: 'allow' as const, paths: ['/home/user/**'] },
    { mode: 'deny' as const, paths: ['/home/user/.ssh/**'] },
  ];
  for (const ordered of [rules, [...rules].reverse()]) {
    const fs = { default: 'deny' as const, rules: ordered };
    assert.equal(
      [decide({ fs }, 'fs', 'read', '/etc/passwd'), decide({ fs }, 'fs', 'write', '/etc/passwd'), decide({ fs }, 'fs', 'write', '/home/user/a/b'),
        decide({ fs }, 'fs', 'read', '/home/user/.ssh/id'), decide({ fs }, 'fs', 'read', '/home/user/.ssh'), decide({ fs }, 'fs', 'read', '/home/user/.sshx')],
      ['allow', 'deny', 'allow', 'deny', 'deny', 'allow'],
    );
  }
});

test('rules: on a tie deny beats ask beats allow; a rule naming the operation beats one covering all', () => {
  const same = (modes: Array<'allow' | 'deny' | 'ask'>) => decide({ fs: { default: 'allow', rules: modes.map((mode) => ({ mode, paths: ['/x/*'] })) } }, 'fs', 'write', '/x/y');
  assert.equal([same(['allow', 'deny']), same(['deny', 'allow']), same(['allow', 'ask']), same(['ask', 'deny', 'allow'])], ['deny', 'deny', 'ask', 'deny']);
  const named = { fs: { default: 'deny' as const, rules: [{ mode: 'deny' as const, paths: ['/etc/**'] }, { mode: 'allow' as const, operations: ['read' as const], paths: ['/etc/**'] }] } };
  assert.equal([decide(named, 'fs', 'read', '/etc/hosts'), decide(named, 'fs', 'write', '/etc/hosts')], ['allow', 'deny']);
});

test('rules: no operations covers all; no targets matches everything, below any pattern; no match takes the default', () => {
  const fs = { default: 'ask' as const, rules: [{ mode: 'deny' as const, operations: ['delete' as const] }, { mode: 'allow' as const, paths: ['/tmp/**'] }] };
  assert.equal(
    [decide({ fs }, 'fs', 'delete', '/tmp/a'), decide({ fs }, 'fs', 'delete', '/home/a'), decide({ fs }, 'fs', 'chmod', '/tmp/a'), decide({ fs }, 'fs', 'read', '/home/a')],
    ['allow', 'deny', 'allow', 'ask'],
  );
});

test('rules: glob forms, and how specific each is', () => {
  const one = (pattern: string, target: string) => decide({ fs: { default: 'deny', rules: [{ mode: 'allow', paths: [pattern] }] } }, 'fs', 'read', target);
  assert.equal(
    [one('/a/**', '/a'), one('/a/**', '/a/b/c'), one('/a/**/z', '/a/z'), one('/a/**/z', '/a/b/c/z'), one('/a/*', '/a/b/c'), one('/a/?.txt', '/a/b.txt'), one('/a/?.txt', '/a/bb.txt'), one('/a/', '/a'), one('/', '/'), one('/', '/a')],
    ['allow', 'allow', 'allow', 'allow', 'deny', 'allow', 'deny', 'allow', 'allow', 'deny'],
  );
  // An exact path beats a glob of as many literal characters, `*` beats `**`.
  const two = (a: string, b: string, target: string) => decide({ fs: { default: 'ask', rules: [{ mode: 'allow', paths: [a] }, { mode: 'deny', paths: [b] }] } }, 'fs', 'read', target);
  assert.equal([two('/a/b', '/a/*', '/a/b'), two('/a/*', '/a/**', '/a/b'), two('/a/b/*', '/a/**', '/a/b/c')], ['allow', 'allow', 'allow']);
});

test('rules: commands by name or path, variables and bindings by name glob', () => {
  const cp = { childProcess: { default: 'allow' as const, rules: [{ mode: 'deny' as const, patterns: ['py*', '/opt/**'] }, { mode: 'allow' as const, patterns: ['/usr/bin/python3'] }] } };
  assert.equal(
    [decide(cp, 'childProcess', 'spawn', '/usr/bin/python'), decide(cp, 'childProcess', 'spawn', '/usr/bin/python3'), decide(cp, 'childProcess', 'spawn', '/opt/x/ls'), decide(cp, 'childProcess', 'spawn', '/usr/bin/ls')],
    ['deny', 'allow', 'deny', 'allow'],
  );
  const env = { env: { default: 'deny' as const, rules: [{ mode: 'allow' as const, patterns: ['PATH', 'LC_*'] }] } };
  assert.equal([decide(env, 'env', 'read', 'PATH'), decide(env, 'env', 'read', 'LC_ALL'), decide(env, 'env', 'read', 'XPATH')], ['allow', 'allow', 'deny']);
});

test('no policy: fs, childProcess, env and bindings allowed, the network denied', () => {
  const p = compilePolicy(undefined);
  assert.equal([p.scopes.fs.uniform, p.scopes.childProcess.uniform, p.scopes.env.uniform, p.scopes.hostFunction.uniform, p.scopes.network.uniform], ['allow', 'allow', 'allow', 'allow', 'deny']);
});

// ---- one sidecar for the entry points ----

let answer: (r: PermissionRequestParams) => PermissionAnswer | Promise<PermissionAnswer> = () => ({ allow: false });
const asked: PermissionRequestParams[] = [];
const { client, logs } = await startSidecar({
  bindings: { open: () => 'opened', secret: () => 'the secret' },
  onPermissionRequest: (r) => {
    asked.push(r);
    return answer(r);
  },
});

const denials = (vmId: string) => logs.filter((l) => l.msg === 'permission denied' && l.vmId === vmId);
const fields = (l: LogLine) => [l.level, l.pid, l.scope, l.operation, l.target, l.decidedBy];

test('a malformed policy is refused at vm/create with the field', async () => {
  const relative = await rejection(() => client.createVm({ permissions: { fs: { default: 'allow', rules: [{ mode: 'deny', paths: ['/ok', 'etc/**'] }] } } }));
  assert.equal([relative.code, relative.data.field], ['ERR_AGENTOS_INVALID_PARAMS', '/permissions/fs/rules/0/paths/1']);
  assert.match(relative.message, 'must be absolute');
  const wrongOp = await rejection(() => client.createVm({ permissions: { env: { default: 'allow', rules: [{ mode: 'deny', operations: ['write' as never] }] } } }));
  assert.is(wrongOp.code, 'ERR_AGENTOS_INVALID_PARAMS');
  const wrongKey = await rejection(() => client.createVm({ permissions: { fs: { default: 'allow', rules: [{ mode: 'deny', patterns: ['/x'] } as never] } } }));
  assert.is(wrongKey.code, 'ERR_AGENTOS_INVALID_PARAMS');
});

const SECRETS = { default: 'allow' as const, rules: [{ mode: 'deny' as const, paths: ['/etc/secrets/**'] }, { mode: 'deny' as const, operations: ['write' as const, 'truncate' as const, 'delete' as const], paths: ['/srv/ro/**'] }] };
const seeded = [
  { path: '/etc/secrets/key', data: 'k3y', encoding: 'utf8' as const },
  { path: '/srv/ro/data.txt', data: 'data', encoding: 'utf8' as const },
  { path: '/srv/ro/mod.js', data: 'module.exports = 1', encoding: 'utf8' as const },
];

test('fs from guest JS: sync, callback and promise forms get EACCES as Node words it; a symlink, a copy, a rename or a hard link cannot reach a refused path', async () => {
  const { vmId } = await client.createVm({ permissions: { fs: SECRETS }, files: seeded });
  const r = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.code + ' ' + e.syscall + ' ' + e.message; } };
    console.log(t(() => fs.readFileSync('/etc/secrets/key')));
    console.log(t(() => fs.readdirSync('/etc/secrets')));
    console.log(t(() => fs.readFileSync('/srv/ro/data.txt', 'utf8')));
    console.log(t(() => fs.writeFileSync('/srv/ro/data.txt', 'x')));
    console.log(t(() => fs.unlinkSync('/srv/ro/data.txt')));
    fs.symlinkSync('/etc/secrets/key', '/tmp/link');
    console.log(t(() => fs.readFileSync('/tmp/link')));
    console.log(t(() => fs.readFileSync('/etc/secrets/../secrets/key')));
    console.log(t(() => fs.copyFileSync('/etc/secrets/key', '/tmp/copy')));
    console.log(t(() => fs.linkSync('/etc/secrets/key', '/tmp/hard')));
    console.log(t(() => fs.renameSync('/etc', '/tmp/etc')));
    console.log(t(() => fs.rmSync('/etc', { recursive: true })));
    console.log(t(() => fs.cpSync('/etc', '/tmp/etc2', { recursive: true })));
    console.log(fs.existsSync('/etc/secrets/key'), fs.existsSync('/tmp/copy'), fs.existsSync('/tmp/hard'), fs.existsSync('/tmp/etc2/secrets/key'));
    fs.readFile('/etc/secrets/key', (e) => {
      console.log('callback', e.code, e.syscall);
      fs.promises.readFile('/etc/secrets/key').catch((e) => console.log('promise', e.code, e.syscall));
    });
  `]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, [
    "EACCES open EACCES: permission denied, open '/etc/secrets/key'",
    "EACCES scandir EACCES: permission denied, scandir '/etc/secrets'",
    'ok',
    "EACCES open EACCES: permission denied, open '/srv/ro/data.txt'",
    "EACCES unlink EACCES: permission denied, unlink '/srv/ro/data.txt'",
    "EACCES open EACCES: permission denied, open '/tmp/link'",
    // Named as the caller gave it, as Node does (an ENOENT does the same); two-path calls name both.
    "EACCES open EACCES: permission denied, open '/etc/secrets/../secrets/key'",
    "EACCES copyfile EACCES: permission denied, copyfile '/etc/secrets/key' -> '/tmp/copy'",
    "EACCES link EACCES: permission denied, link '/etc/secrets/key' -> '/tmp/hard'",
    "EACCES rename EACCES: permission denied, rename '/etc' -> '/tmp/etc'",
    "EACCES rm EACCES: permission denied, rm '/etc'",
    "EACCES cp EACCES: permission denied, cp '/etc'",
    // existsSync is a read of metadata, which the policy refuses: false, as for a path Node cannot stat.
    'false false false false',
    'callback EACCES open',
    'promise EACCES open',
    '',
  ].join('\n'));
});

test('fs denials from guest JS read as the host\'s Node reads a file it may not (uid nobody)', async () => {
  const script = `
    const fs = require('fs');
    for (const f of ['secret.txt', 'ro.txt']) fs.closeSync(fs.openSync(f, fs.constants.O_CREAT | fs.constants.O_RDONLY, 0o644));
    fs.chmodSync('secret.txt', 0); fs.chmodSync('ro.txt', 0o444); fs.chmodSync('.', 0o755);
    if (process.getuid() === 0) process.setuid(65534);
    // Paths relative to the cwd: the guest runtime names them absolute (as for any errno), Node as given.
    const rel = (s) => String(s).split(process.cwd() + '/').join('');
    const t = (f) => { try { f(); return 'ok'; } catch (e) { return [e.code, e.syscall, rel(e.path), rel(e.message)].join(' | '); } };
    console.log(t(() => fs.readFileSync('secret.txt')));
    console.log(t(() => fs.openSync('secret.txt', 'r')));
    console.log(t(() => fs.writeFileSync('ro.txt', 'y')));
    console.log(t(() => fs.appendFileSync('ro.txt', 'y')));
    console.log(t(() => fs.openSync('ro.txt', 'r+')));
    console.log(t(() => fs.truncateSync('ro.txt', 0)));
    console.log(t(() => fs.readFileSync('ro.txt', 'utf8')));
    fs.readFile('secret.txt', (e) => console.log('callback', e.code, e.syscall, rel(e.path)));
  `;
  const { vmId } = await client.createVm({
    permissions: { fs: { default: 'allow', rules: [{ mode: 'deny', operations: ['read'], paths: ['/w/secret.txt'] }, { mode: 'deny', operations: ['write', 'truncate'], paths: ['/w/ro.txt'] }] } },
  });
  await client.mkdir(vmId, '/w');
  await client.writeFile(vmId, '/w/main.js', script);
  const vm = await client.exec(vmId, 'node', ['main.js'], { cwd: '/w' });
  const hostDir = mkdtempSync(join(tmpdir(), 'perms-'));
  try {
    writeFileSync(join(hostDir, 'main.js'), script);
    chmodSync(hostDir, 0o755);
    const host = execFileSync(process.execPath, ['main.js'], { cwd: hostDir, env: hostEnv, encoding: 'utf8' });
    assert.is(vm.stderr, '');
    assert.is(vm.stdout, host);
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test('fs from a WASM command through the shell: cat, a redirection (spawn file actions), rm -r, ls; as coreutils and the shell word it', async () => {
  const { vmId } = await client.createVm({ permissions: { fs: SECRETS }, files: seeded });
  // (the set's `ln -s` cannot make links yet: guest JS makes this one)
  await client.exec(vmId, 'node', ['-e', "require('fs').symlinkSync('/etc/secrets/key', '/tmp/l')"]);
  const r = await client.exec(vmId, 'sh', ['-c', [
    'cat /etc/secrets/key; echo "cat=$?"',
    'cat /srv/ro/data.txt; echo " cat=$?"',
    'echo x > /srv/ro/data.txt; echo "redirect=$?"',
    'cat /dev/null > /srv/ro/data.txt; echo "action=$?"',
    'ls /etc/secrets; echo "ls=$?"',
    'rm -rf /etc; echo "rm=$?"',
    'cat /tmp/l; echo "link=$?"',
    'cat /srv/ro/data.txt',
  ].join('\n')]);
  const lines = r.stdout.split('\n');
  assert.equal(lines, ['cat=1', 'data cat=0', 'redirect=1', 'action=1', 'ls=2', 'rm=1', 'link=1', 'data']);
  assert.is(r.stderr, [
    'cat: /etc/secrets/key: Permission denied',
    // The shell's own words for a redirection it cannot open (WASI's errno 2 is EACCES).
    'error: failed to redirect to /srv/ro/data.txt: Permission denied (os error 2)',
    'error: failed to redirect to /srv/ro/data.txt: Permission denied (os error 2)',
    "ls: cannot open file '/etc/secrets': Permission denied",
    "rm: cannot remove '/etc/secrets': Permission denied",
    'cat: /tmp/l: Permission denied',
    '',
  ].join('\n'));
  assert.is((await client.readFile(vmId, '/etc/secrets/key')).toString(), 'k3y');
});

test('fs for modules and the main script: require, import and node FILE are reads under the policy', async () => {
  const { vmId } = await client.createVm({ permissions: { fs: { default: 'allow', rules: [{ mode: 'deny', operations: ['read'], paths: ['/srv/**'] }] } }, files: seeded });
  const req = await client.exec(vmId, 'node', ['-e', "try { require('/srv/ro/mod.js') } catch (e) { console.log(e.code, e.message) }"]);
  assert.is(req.stdout, "EACCES EACCES: permission denied, open '/srv/ro/mod.js'\n");
  const imp = await client.exec(vmId, 'node', ['--input-type=module', '-e', "import('/srv/ro/mod.js').catch((e) => console.log(e.code ?? e.errno, e.message))"]);
  assert.match(imp.stdout, "EACCES: permission denied, open '/srv/ro/mod.js'");
  const main = await client.exec(vmId, 'node', ['/srv/ro/mod.js']);
  assert.equal([main.exitCode, main.stderr.split('\n').find((l) => l.startsWith('Error'))], [1, "Error: EACCES: permission denied, open '/srv/ro/mod.js'"]);
});

test('fs from the protocol: the host is not a guest, its fs/* calls are not judged', async () => {
  const { vmId } = await client.createVm({ permissions: { fs: 'deny' }, files: seeded });
  assert.is((await client.readFile(vmId, '/etc/secrets/key')).toString(), 'k3y');
  await client.writeFile(vmId, '/etc/secrets/new', 'n');
  const guest = await client.exec(vmId, 'node', ['-e', "try { require('fs').readFileSync('/etc/secrets/new') } catch (e) { console.log(e.code) }"]);
  assert.is(guest.stdout, 'EACCES\n');
});

test('the fs shorthands keep their errnos: read-only is EROFS (devices usable), none is EACCES', async () => {
  const ro = (await client.createVm({ permissions: { fs: 'read-only' }, files: seeded })).vmId;
  const r = await client.exec(ro, 'node', ['-e', "const fs = require('fs'); fs.writeFileSync('/dev/null', 'x'); try { fs.writeFileSync('/tmp/x', 'y') } catch (e) { console.log(e.code, fs.readFileSync('/srv/ro/data.txt', 'utf8')) }"]);
  assert.is(r.stdout, 'EROFS data\n');
  const denyAll = (await client.createVm({ permissions: { fs: 'deny' }, files: seeded })).vmId;
  const d = await client.exec(denyAll, 'node', ['-e', "try { require('fs').readFileSync('/srv/ro/data.txt') } catch (e) { console.log(e.code) }"]);
  assert.is(d.stdout, 'EACCES\n');
});

// ---- childProcess ----

const CHILD = { default: 'allow' as const, rules: [{ mode: 'deny' as const, patterns: ['cat', '/usr/bin/wc'] }] };

test('childProcess from guest JS: spawn, spawnSync, exec and execFileSync of a refused command fail as a non-executable file does (EACCES)', async () => {
  const { vmId } = await client.createVm({ permissions: { childProcess: CHILD } });
  const r = await client.exec(vmId, 'node', ['-e', `
    const cp = require('child_process');
    const s = cp.spawnSync('cat', ['/dev/null']);
    console.log('spawnSync', s.error.code, s.error.errno, s.error.syscall, s.error.path, s.error.message, s.status);
    try { cp.execFileSync('/usr/bin/wc', ['-c']) } catch (e) { console.log('execFileSync', e.code, e.syscall, e.message) }
    console.log('allowed', cp.execFileSync('echo', ['hi']).toString().trim());
    cp.spawn('cat').on('error', (e) => {
      console.log('spawn', e.code, e.errno, e.syscall, e.path, e.message);
      cp.exec('cat /dev/null', (err, out) => console.log('exec via sh', err && err.code, JSON.stringify(out)));
    });
  `]);
  assert.is(r.stdout, [
    'spawnSync EACCES -13 spawnSync cat cat spawnSync cat EACCES null',
    'execFileSync EACCES spawnSync /usr/bin/wc spawnSync /usr/bin/wc EACCES',
    'allowed hi',
    'spawn EACCES -13 spawn cat cat spawn cat EACCES',
    'exec via sh 126 ""',
    '',
  ].join('\n'));
});

test('childProcess errors read as the host\'s Node starting a file it may not execute', async () => {
  const script = `
    const cp = require('child_process');
    const s = cp.spawnSync('./tool', []);
    console.log(s.error.code, s.error.errno, s.error.syscall, s.error.path, s.error.message);
    cp.spawn('./tool').on('error', (e) => console.log(e.code, e.errno, e.syscall, e.path, e.message));
  `;
  const { vmId } = await client.createVm({ permissions: { childProcess: { default: 'allow', rules: [{ mode: 'deny', patterns: ['tool'] }] } } });
  await client.mkdir(vmId, '/w');
  await client.writeFile(vmId, '/w/main.js', script);
  // A program the VM could run: the shell, under another name.
  await client.exec(vmId, 'node', ['-e', "require('fs').copyFileSync('/usr/bin/sh', '/w/tool'); require('fs').chmodSync('/w/tool', 0o755)"]);
  const vm = await client.exec(vmId, 'node', ['main.js'], { cwd: '/w' });
  const hostDir = mkdtempSync(join(tmpdir(), 'perms-'));
  try {
    writeFileSync(join(hostDir, 'main.js'), script);
    writeFileSync(join(hostDir, 'tool'), '#!/bin/sh\n', { mode: 0o644 });
    const host = execFileSync(process.execPath, ['main.js'], { cwd: hostDir, env: hostEnv, encoding: 'utf8' });
    assert.is(vm.stderr, '');
    assert.is(vm.stdout, host);
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test('childProcess from the shell (a WASM command\'s posix_spawn and exec): 126 and "Permission denied" as bash gives for a file without x', async () => {
  const { vmId } = await client.createVm({ permissions: { childProcess: CHILD } });
  const r = await client.exec(vmId, 'sh', ['-c', 'cat /dev/null; echo "cat=$?"; /usr/bin/wc -c < /dev/null; echo "wc=$?"; echo hi | tr h H; (exec cat); echo "exec=$?"']);
  assert.is(r.stdout, 'cat=126\nwc=126\nHi\nexec=126\n');
  assert.match(r.stderr, "failed to execute command 'cat': Permission denied");
  // As in bash, the redirection is made before the start is refused.
  const redirect = await client.exec(vmId, 'sh', ['-c', 'cat /dev/null > /tmp/made; echo "$?"; ls /tmp']);
  assert.is(redirect.stdout, '126\nmade\n');
});

test('childProcess and the protocol: the host is not a guest, process/exec of a refused command runs', async () => {
  const { vmId } = await client.createVm({ permissions: { childProcess: CHILD } });
  const r = await client.exec(vmId, 'cat', [], { stdin: 'from the host' });
  assert.equal([r.exitCode, r.stdout], [0, 'from the host']);
});

// ---- env ----

const ENV = { env: { API_TOKEN: 't0ken', AWS_SECRET: 's', AWS_REGION: 'eu', VISIBLE: 'v' }, permissions: { env: { default: 'allow' as const, rules: [{ mode: 'deny' as const, patterns: ['API_TOKEN', 'AWS_*'] }, { mode: 'allow' as const, patterns: ['AWS_REGION'] }] } } };

test('env: guest JS, the shell and its children, and JS child_process see only the variables the policy allows', async () => {
  const { vmId } = await client.createVm(ENV);
  const js = await client.exec(vmId, 'node', ['-e', `
    const names = (env) => Object.keys(env).filter((k) => /^(API|AWS|VIS)/.test(k)).sort().join(',');
    console.log(names(process.env), process.env.API_TOKEN);
    process.env.API_TOKEN = 'set by the guest';
    const cp = require('child_process');
    console.log(cp.execFileSync('node', ['-e', 'console.log(process.env.API_TOKEN, process.env.VISIBLE)']).toString().trim());
    console.log(cp.execSync('echo "$API_TOKEN|$AWS_SECRET|$AWS_REGION|$VISIBLE"').toString().trim());
  `]);
  assert.is(js.stdout, 'AWS_REGION,VISIBLE undefined\nundefined v\n||eu|v\n');
  const sh = await client.exec(vmId, 'sh', ['-c', 'echo "$API_TOKEN|$AWS_SECRET|$AWS_REGION|$VISIBLE"; env | grep -c -e API_TOKEN -e AWS_SECRET; API_TOKEN=x sh -c \'echo "child:$API_TOKEN"\'']);
  assert.is(sh.stdout, '||eu|v\n0\nchild:\n');
});

test('env and the protocol: process/exec env and inheritEnv pass through the same filter', async () => {
  const { vmId } = await client.createVm(ENV);
  const r = await client.exec(vmId, 'node', ['-e', 'console.log(process.env.API_TOKEN, process.env.AWS_SECRET, process.env.EXTRA, process.env.AWS_REGION)'], { env: { AWS_SECRET: 'from host', EXTRA: 'e' } });
  assert.is(r.stdout, 'undefined undefined e eu\n');
  const bare = await client.exec(vmId, 'printenv', [], { inheritEnv: false, env: { API_TOKEN: 'x', OK: '1' } });
  assert.is(bare.stdout.split('\n').filter((l) => l.startsWith('API') || l.startsWith('OK')).join(','), 'OK=1');
});

// ---- hostFunction ----

test('hostFunction: a refused binding rejects in the guest with ERR_AGENTOS_PERMISSION_DENIED; the host is never called', async () => {
  const { vmId } = await client.createVm({ bindings: ['open', 'secret'], permissions: { hostFunction: { default: 'allow', rules: [{ mode: 'deny', patterns: ['sec*'] }] } } });
  const r = await client.exec(vmId, 'node', ['-e', "host.secret().catch((e) => console.log(e.code, e.message)).then(() => host.open()).then((v) => console.log(v))"]);
  assert.is(r.stdout, "ERR_AGENTOS_PERMISSION_DENIED host.secret: permission denied by the VM's hostFunction policy\nopened\n");
});

// ---- the log line and the counts ----

test('each denial logs one warn line per VM, scope and target a second (repeats counted); vm/stats counts every scope', async () => {
  const { vmId } = await client.createVm({ ...ENV, bindings: ['open', 'secret'], permissions: { ...ENV.permissions, fs: SECRETS, childProcess: CHILD, hostFunction: { default: 'deny', rules: [{ mode: 'allow', patterns: ['open'] }] } }, files: seeded });
  const r = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    for (let i = 0; i < 50; i++) try { fs.readFileSync('/etc/secrets/key') } catch {}
    try { fs.readFileSync('/srv/ro/data.txt'); fs.writeFileSync('/srv/ro/data.txt', 'x') } catch {}
    require('child_process').spawnSync('cat');
    host.secret().catch(() => host.open()).then(() => console.log('done'));
  `]);
  assert.is(r.stdout, 'done\n');
  const lines = await eventually(() => denials(vmId).length >= 6 && denials(vmId));
  const bySecret = lines.filter((l) => l.target === '/etc/secrets/key');
  assert.equal(bySecret.map(fields), [['warn', 1, 'fs', 'read', '/etc/secrets/key', 'policy']]);
  assert.equal(lines.filter((l) => l.scope !== 'fs' || l.target !== '/etc/secrets/key').map(fields).sort(), [
    ['warn', 1, 'childProcess', 'spawn', '/usr/bin/cat', 'policy'],
    ['warn', 1, 'env', 'read', 'API_TOKEN', 'policy'],
    ['warn', 1, 'env', 'read', 'AWS_SECRET', 'policy'],
    ['warn', 1, 'fs', 'write', '/srv/ro/data.txt', 'policy'],
    ['warn', 1, 'hostFunction', 'call', 'secret', 'policy'],
  ].sort());
  const stats = (await client.vmStats(vmId)).permissions;
  assert.equal([stats.fs.denied, stats.childProcess, stats.env, stats.hostFunction, stats.network], [
    51, { allowed: 0, denied: 1, asked: 0 }, { allowed: 5, denied: 2, asked: 0 }, { allowed: 1, denied: 1, asked: 0 }, { allowed: 0, denied: 0, asked: 0 },
  ]);
  assert.ok(stats.fs.allowed > 0);
});

test.after(async () => {
  await client.close();
});

test.run();
