import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { PermissionAnswer, PermissionRequestParams } from '../src/client/client.js';
import { eventually, frame, startSidecar } from './helpers/sidecar.js';

/**
 * Mode `ask`: permission/request round trips from every kind of entry (a synchronous guest
 * JS call, a WASM command's call, a spawn, a process's start, a binding call), remember,
 * the bounded wait, late and duplicate answers, and a VM disposed while its guest waits.
 */

let answer: (r: PermissionRequestParams) => PermissionAnswer | Promise<PermissionAnswer> = () => ({ allow: false });
const asked: PermissionRequestParams[] = [];
const { client, logs } = await startSidecar({
  bindings: { open: () => 'opened' },
  onPermissionRequest: (r) => {
    asked.push(r);
    return answer(r);
  },
});
const askedAbout = (vmId: string) => asked.filter((r) => r.vmId === vmId).map((r) => [r.pid, r.scope, r.operation, r.target]);

const ASK_TMP = { fs: { default: 'allow' as const, rules: [{ mode: 'ask' as const, paths: ['/tmp/**'] }] } };

test('fs from guest JS: a synchronous read waits for the host; allow and deny each reach the guest', async () => {
  answer = (r) => ({ allow: r.target === '/tmp/yes' });
  const { vmId } = await client.createVm({ permissions: ASK_TMP, files: [{ path: '/tmp/yes', data: 'Y', encoding: 'utf8' }, { path: '/tmp/no', data: 'N', encoding: 'utf8' }] });
  const r = await client.exec(vmId, 'node', ['-e', `
    const fs = require('fs');
    console.log(fs.readFileSync('/tmp/yes', 'utf8'));
    try { fs.readFileSync('/tmp/no') } catch (e) { console.log(e.code, e.message) }
    console.log(fs.readFileSync('/tmp/yes', 'utf8'));
  `]);
  assert.is(r.stdout, "Y\nEACCES EACCES: permission denied, open '/tmp/no'\nY\n");
  // Not remembered: asked again the second time.
  assert.equal(askedAbout(vmId), [[1, 'fs', 'read', '/tmp/yes'], [1, 'fs', 'read', '/tmp/no'], [1, 'fs', 'read', '/tmp/yes']]);
  const stats = (await client.vmStats(vmId)).permissions.fs;
  assert.equal([stats.denied, stats.asked], [1, 3]);
  const denied = await eventually(() => logs.find((l) => l.msg === 'permission denied' && l.vmId === vmId));
  assert.equal([denied.scope, denied.target, denied.decidedBy], ['fs', '/tmp/no', 'asked']);
});

test('remember: the answer holds for the VM (every process), nothing more is sent', async () => {
  answer = (r) => ({ allow: r.target !== '/tmp/no', remember: true });
  const { vmId } = await client.createVm({ permissions: ASK_TMP, files: [{ path: '/tmp/yes', data: 'Y', encoding: 'utf8' }, { path: '/tmp/no', data: 'N', encoding: 'utf8' }] });
  const script = "const fs = require('fs'); for (let i = 0; i < 3; i++) { console.log(fs.readFileSync('/tmp/yes', 'utf8')); try { fs.readFileSync('/tmp/no') } catch (e) { console.log(e.code) } }";
  const first = await client.exec(vmId, 'node', ['-e', script]);
  const second = await client.exec(vmId, 'node', ['-e', script]);
  assert.is(first.stdout, 'Y\nEACCES\nY\nEACCES\nY\nEACCES\n');
  assert.is(second.stdout, first.stdout);
  assert.equal(askedAbout(vmId), [[1, 'fs', 'read', '/tmp/yes'], [1, 'fs', 'read', '/tmp/no']]);
  const stats = (await client.vmStats(vmId)).permissions.fs;
  assert.equal([stats.asked, stats.denied], [2, 6]);
});

test('a WASM command waits too: cat through the shell, its redirection, and the shell\'s spawn of a command', async () => {
  answer = (r) => ({ allow: r.target !== '/tmp/no' && r.target !== '/usr/bin/wc' });
  const { vmId } = await client.createVm({
    permissions: { ...ASK_TMP, childProcess: { default: 'allow', rules: [{ mode: 'ask', patterns: ['wc', 'tr'] }] } },
    files: [{ path: '/tmp/yes', data: 'Y', encoding: 'utf8' }, { path: '/tmp/no', data: 'N', encoding: 'utf8' }],
  });
  const r = await client.exec(vmId, 'sh', ['-c', 'cat /tmp/yes; cat /tmp/no; echo " cat=$?"; echo a | tr a b; echo x | wc -c; echo "wc=$?"']);
  assert.is(r.stdout, 'Y cat=1\nb\nwc=126\n');
  assert.match(r.stderr, 'cat: /tmp/no: Permission denied');
  // Without `remember` each call asks: cat's open, its stat and its read of /tmp/yes are three.
  assert.equal(askedAbout(vmId).map((a) => a.slice(1)), [
    ['fs', 'read', '/tmp/yes'], ['fs', 'read', '/tmp/yes'], ['fs', 'read', '/tmp/yes'], ['fs', 'read', '/tmp/no'],
    ['childProcess', 'spawn', '/usr/bin/tr'], ['childProcess', 'spawn', '/usr/bin/wc'],
  ]);
});

test('JS child_process (spawn on a guest call, spawnSync as a job), env at a process\'s start and a binding call wait for the host', async () => {
  answer = (r) => ({ allow: r.target === '/usr/bin/echo' || r.target === 'KEEP' || r.target === 'open' });
  const { vmId } = await client.createVm({
    env: { KEEP: 'k', DROP: 'd' },
    bindings: ['open'],
    permissions: {
      childProcess: { default: 'allow', rules: [{ mode: 'ask', patterns: ['echo', 'cat'] }] },
      env: { default: 'allow', rules: [{ mode: 'ask', patterns: ['KEEP', 'DROP'] }] },
      hostFunction: 'ask',
    },
  });
  const r = await client.exec(vmId, 'node', ['-e', `
    const cp = require('child_process');
    console.log(process.env.KEEP, process.env.DROP);
    console.log(cp.spawnSync('echo', ['sync']).stdout.toString().trim(), cp.spawnSync('cat').error.code);
    cp.spawn('cat').on('error', (e) => {
      console.log('spawn', e.code);
      host.open().then((v) => console.log(v));
    });
  `]);
  assert.is(r.stdout, 'k undefined\nsync EACCES\nspawn EACCES\nopened\n');
  const about = askedAbout(vmId).map((a) => a.slice(1).join(' '));
  // The child echo's own start asks about the env it was given: the parent's, without DROP.
  assert.equal(about, ['env read KEEP', 'env read DROP', 'childProcess spawn /usr/bin/echo', 'env read KEEP', 'childProcess spawn /usr/bin/cat', 'childProcess spawn /usr/bin/cat', 'hostFunction call open']);
});

test('one process asking the same thing twice at once sends one request', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  answer = async () => {
    await gate;
    return { allow: true };
  };
  const { vmId } = await client.createVm({ bindings: ['open'], permissions: { hostFunction: 'ask' } });
  const running = client.exec(vmId, 'node', ['-e', 'Promise.all([host.open(), host.open()]).then((v) => console.log(v.join(",")))']);
  await eventually(() => askedAbout(vmId).length === 1);
  release();
  assert.is((await running).stdout, 'opened,opened\n');
  assert.equal(askedAbout(vmId), [[1, 'hostFunction', 'call', 'open']]);
});

test('an answer without a boolean `allow`, or an error answer, is a denial', async () => {
  const { vmId } = await client.createVm({ permissions: ASK_TMP, files: [{ path: '/tmp/a', data: 'A', encoding: 'utf8' }] });
  answer = () => ({ allow: 'yes' }) as unknown as PermissionAnswer;
  const bad = await client.exec(vmId, 'node', ['-e', "try { require('fs').readFileSync('/tmp/a') } catch (e) { console.log(e.code) }"]);
  answer = () => {
    throw new Error('no');
  };
  const thrown = await client.exec(vmId, 'node', ['-e', "try { require('fs').readFileSync('/tmp/a') } catch (e) { console.log(e.code) }"]);
  assert.equal([bad.stdout, thrown.stdout], ['EACCES\n', 'EACCES\n']);
  assert.ok(await eventually(() => logs.find((l) => l.vmId === vmId && l.msg === 'permission request answered without a boolean `allow`: denied')));
  assert.ok(await eventually(() => logs.find((l) => l.vmId === vmId && l.msg === 'permission request failed: denied')));
});

test('ES module linking cannot wait: an unremembered ask there is a denial, logged so', async () => {
  answer = () => ({ allow: true });
  const { vmId } = await client.createVm({ permissions: ASK_TMP, files: [{ path: '/tmp/m.mjs', data: 'export default 1', encoding: 'utf8' }] });
  const r = await client.exec(vmId, 'node', ['--input-type=module', '-e', "import('/tmp/m.mjs').then((m) => console.log(m.default), (e) => console.log(e.message))"]);
  assert.is(r.stdout, "EACCES: permission denied, open '/tmp/m.mjs'\n");
  const line = await eventually(() => logs.find((l) => l.vmId === vmId && l.msg === 'permission denied'));
  assert.is(line.decidedBy, 'ask-cannot-wait');
});

test('no answer in time is a denial (the bounded wait, logged); a late answer and a duplicate are dropped and counted; a VM disposed while its guest waits ends the wait', async () => {
  const { client: raw, logs: rawLogs } = await startSidecar({ env: { AGENTOS_PERMISSION_ASK_TIMEOUT_MS: '300' } });
  const held: string[] = [];
  // Never answer through vscode-jsonrpc: the test writes the responses itself.
  raw.connection.onRequest(P.PermissionRequest.method, () => new Promise(() => {}));
  raw.child.stdout!.on('data', (chunk: Buffer) => {
    for (const m of chunk.toString('utf8').matchAll(/"id":"(s\d+)","method":"permission\/request"/g)) held.push(m[1]!);
  });
  const write = (body: object) => raw.child.stdin!.write(frame(body));
  const files = [{ path: '/tmp/a', data: 'A', encoding: 'utf8' as const }];
  const { vmId } = await raw.createVm({ permissions: ASK_TMP, files });

  // 1. The bound: nobody answers, the guest gets EACCES, the warning names the limit.
  const timedOut = await raw.exec(vmId, 'node', ['-e', "try { require('fs').readFileSync('/tmp/a') } catch (e) { console.log(e.code) }"]);
  assert.is(timedOut.stdout, 'EACCES\n');
  const hit = await eventually(() => rawLogs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'permission_ask_timeout_ms'));
  assert.equal([hit.capacity, hit.env, hit.vmId], [300, 'AGENTOS_PERMISSION_ASK_TIMEOUT_MS', vmId]);
  // Its late answer is dropped: the guest already has its denial.
  write({ jsonrpc: '2.0', id: held[0]!, result: { allow: true } });
  const late = await eventually(() => rawLogs.find((l) => l.reason === 'unmatched_response'));
  assert.equal([late.id, late.vmId], [held[0]!, vmId]);

  // 2. Answered twice: the first answer counts, the second is dropped.
  const twice = raw.exec(vmId, 'node', ['-e', "console.log(require('fs').readFileSync('/tmp/a', 'utf8'))"]);
  await eventually(() => held.length === 2);
  write({ jsonrpc: '2.0', id: held[1]!, result: { allow: true } });
  write({ jsonrpc: '2.0', id: held[1]!, result: { allow: false } });
  assert.is((await twice).stdout, 'A\n');
  const dup = await eventually(() => rawLogs.find((l) => l.reason === 'duplicate_response'));
  assert.equal([dup.id, dup.vmId], [held[1]!, vmId]);

  // 3. Disposed while its guest waits: the process ends, the wait with it; a late answer is dropped.
  const { vmId: doomed } = await raw.createVm({ permissions: { fs: { default: 'allow', rules: [{ mode: 'ask', paths: ['/tmp/**'] }] } }, files });
  const waiting = raw.exec(doomed, 'node', ['-e', "require('fs').readFileSync('/tmp/a'); console.log('never')"]);
  await eventually(() => held.length === 3);
  await raw.disposeVm(doomed);
  const ended = await waiting;
  assert.equal([ended.signal, ended.stdout], ['SIGKILL', '']);
  write({ jsonrpc: '2.0', id: held[2]!, result: { allow: true } });
  await eventually(() => rawLogs.filter((l) => l.reason === 'unmatched_response').length === 2);
  const stats = await raw.request(P.SidecarStats, {});
  assert.equal(stats.droppedResponses, { unmatched: 2, duplicate: 1 });
  // The other VM goes on.
  const after = await raw.exec(vmId, 'node', ['-e', 'console.log("fine")']);
  assert.is(after.stdout, 'fine\n');
  await raw.close();
});

test.after(async () => {
  await client.close();
});

test.run();
