import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, frame, startSidecar } from './helpers/sidecar.js';

let calls = 0;
const { client, logs } = await startSidecar({
  env: { AGENTOS_HOST_CALL_TIMEOUT_MS: '1000' },
  bindings: {
    add: ([a, b]) => {
      calls++;
      return (a as number) + (b as number);
    },
    lookup: async ([key], { vmId, pid }) => ({ key, vmId, pid, found: key === 'yes' }),
    fail: () => {
      throw Object.assign(new Error('no such user'), { code: 'E_NO_USER' });
    },
    never: () => new Promise(() => {}),
  },
});

test('a guest calls a host binding 1,000 times', async () => {
  const { vmId } = await client.createVm({ bindings: ['add', 'lookup'] });
  const r = await client.exec(vmId, 'node', ['-e', `
    (async () => {
      let total = 0;
      for (let i = 0; i < 1000; i++) total = await host.add(total, 1);
      const found = await host.lookup('yes');
      console.log(total, JSON.stringify(found), typeof host.fail);
    })();
  `]);
  assert.is(r.stderr, '');
  assert.is(r.stdout, `1000 {"key":"yes","vmId":"${vmId}","pid":1,"found":true} undefined\n`);
  assert.ok(calls >= 1000);
});

test('a binding that throws rejects in the guest with the host\'s message and code', async () => {
  const { vmId } = await client.createVm({ bindings: ['fail'] });
  const r = await client.exec(vmId, 'node', ['-e', 'host.fail(1).catch((e) => console.log(e instanceof Error, e.message, e.code))']);
  assert.is(r.stdout, 'true no such user E_NO_USER\n');
});

test('a host that never answers: the call times out in the guest, the VM goes on', async () => {
  const { vmId } = await client.createVm({ bindings: ['never'] });
  const r = await client.exec(vmId, 'node', ['-e', 'host.never().catch((e) => console.log(e.code))']);
  assert.is(r.stdout, 'ERR_AGENTOS_HOST_CALL_TIMEOUT\n');
  assert.ok(await eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'host_call_timeout_ms')));
});

/** A second sidecar whose host answers host/call by hand, to answer late or twice. */
test('answers after vm/dispose and duplicate answers are dropped, logged and counted; other VMs keep working', async () => {
  const { client: raw, logs: rawLogs } = await startSidecar();
  const held: Array<{ id: string | number; args: unknown[] }> = [];
  // Never answer through vscode-jsonrpc (not even to a cancellation): the test writes the responses itself.
  raw.connection.onRequest(P.HostCall.method, () => new Promise(() => {}));
  // Watch the raw stdout to learn the ids the sidecar used.
  raw.child.stdout!.on('data', (chunk: Buffer) => {
    for (const m of chunk.toString('utf8').matchAll(/"id":"(s\d+)","method":"host\/call","params":(\{.*?\})\}/g)) held.push({ id: m[1]!, args: [] });
  });
  const { vmId: doomed } = await raw.createVm({ bindings: ['slow'] });
  const { vmId: survivor } = await raw.createVm({ bindings: ['slow'] });
  const running = raw.exec(doomed, 'node', ['-e', 'host.slow().then(() => console.log("answered"))']);
  await eventually(() => held.length === 1);
  await raw.disposeVm(doomed);
  assert.is((await running).signal, 'SIGKILL');
  const write = (body: object) => raw.child.stdin!.write(frame(body));
  write({ jsonrpc: '2.0', id: held[0]!.id, result: 'too late' });
  const late = await eventually(() => rawLogs.find((l) => l.reason === 'unmatched_response'));
  assert.equal([late.level, late.id, late.vmId], ['warn', held[0]!.id, doomed]);

  const second = raw.exec(survivor, 'node', ['-e', 'host.slow().then((v) => console.log("got", v))']);
  await eventually(() => held.length === 2);
  write({ jsonrpc: '2.0', id: held[1]!.id, result: 'first' });
  write({ jsonrpc: '2.0', id: held[1]!.id, result: 'second' });
  assert.is((await second).stdout, 'got first\n');
  const dup = await eventually(() => rawLogs.find((l) => l.reason === 'duplicate_response'));
  assert.equal([dup.id, dup.vmId], [held[1]!.id, survivor]);
  const stats = await raw.request(P.SidecarStats, {});
  assert.equal(stats.droppedResponses, { unmatched: 1, duplicate: 1 });
  assert.is((await raw.exec(survivor, 'node', ['-e', 'console.log("fine")'])).stdout, 'fine\n');
  await raw.close();
});

test('calls in flight per VM are bounded', async () => {
  const { client: small } = await startSidecar({ env: { AGENTOS_MAX_HOST_CALLS_IN_FLIGHT: '4' }, bindings: { wait: () => new Promise((r) => setTimeout(() => r(1), 100)) } });
  const { vmId } = await small.createVm({ bindings: ['wait'] });
  const r = await small.exec(vmId, 'node', ['-e', 'Promise.allSettled(Array.from({ length: 6 }, () => host.wait())).then((rs) => console.log(rs.map((x) => x.status === "fulfilled" ? "ok" : x.reason.code).join(",")))']);
  assert.is(r.stdout, 'ok,ok,ok,ok,ERR_AGENTOS_HOST_CALL_LIMIT,ERR_AGENTOS_HOST_CALL_LIMIT\n');
  await small.close();
});

test.after(async () => {
  await client.close();
});

test.run();
