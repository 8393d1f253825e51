import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

test('create and dispose 50 VMs; list and stats follow', async () => {
  const { client, logs } = await startSidecar();
  const ids = await Promise.all(Array.from({ length: 50 }, () => client.createVm().then((r) => r.vmId)));
  assert.is(new Set(ids).size, 50);
  assert.is((await client.request(P.VmList, {})).vms.length, 50);
  const r = await client.exec(ids[17]!, 'node', ['-e', 'console.log(17)']);
  assert.is(r.stdout, '17\n');
  const stats = await client.request(P.VmStats, { vmId: ids[17]! });
  assert.is(stats.usage.execs, 1);
  assert.is(stats.processes.running, 0);
  for (const id of ids) await client.disposeVm(id);
  assert.equal(await client.request(P.VmList, {}), { vms: [] });
  const sidecar = await client.request(P.SidecarStats, {});
  assert.equal(sidecar.vms, { live: 0, created: 50, disposed: 50 });
  // Log lines come on stderr, a little after the answers on stdout.
  await eventually(() => logs.filter((l) => l.msg === 'vm disposed').length === 50);
  assert.is(logs.filter((l) => l.msg === 'vm created').length, 50);
  await client.close();
});

test('unknown and disposed VMs get distinct codes', async () => {
  const { client } = await startSidecar();
  assert.is((await rejection(() => client.exec('vm-999', 'node', ['-e', '1']))).code, 'ERR_AGENTOS_VM_NOT_FOUND');
  assert.is((await rejection(() => client.request(P.VmStats, { vmId: 'nonsense' }))).code, 'ERR_AGENTOS_VM_NOT_FOUND');
  const { vmId } = await client.createVm();
  await client.disposeVm(vmId);
  assert.is((await rejection(() => client.exec(vmId, 'node', ['-e', '1']))).code, 'ERR_AGENTOS_VM_DISPOSED');
  assert.is((await rejection(() => client.disposeVm(vmId))).code, 'ERR_AGENTOS_VM_DISPOSED');
  await client.close();
});

test('bad params name the offending field; the daemon keeps serving', async () => {
  const { client, logs } = await startSidecar();
  const cases: Array<[() => Promise<unknown>, string]> = [
    [() => client.request(P.VmCreate, { limits: { heapLimitMb: 'lots' } } as never), '/limits/heapLimitMb'],
    [() => client.request(P.VmCreate, { colour: 'blue' } as never), '/colour'],
    [() => client.request(P.VmCreate, { env: { A: 1 } } as never), '/env/A'],
    [() => client.request(P.ProcessExec, { vmId: 'vm-1' } as never), '/command'],
    [() => client.request(P.FsReadFile, { vmId: 3, path: '/x' } as never), '/vmId'],
    [() => client.connection.sendRequest(P.VmCreate.method, [1, 2]).catch((e) => { throw { code: e.data.code, data: e.data }; }), '/'],
    [() => client.request(P.VmCreate, { limits: { heapLimitMb: 4 } }), '/limits/heapLimitMb'],
  ];
  for (const [call, field] of cases) {
    const err = await rejection(call);
    assert.is(err.code, 'ERR_AGENTOS_INVALID_PARAMS', `${field}: ${err.message}`);
    assert.is(err.data.field, field, err.message);
  }
  assert.ok(logs.some((l) => l.level === 'warn' && l.code === 'ERR_AGENTOS_INVALID_PARAMS'), 'failed requests are logged');
  const { vmId } = await client.createVm();
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log("ok")'])).stdout, 'ok\n');
  await client.close();
});

test('the VM count is bounded: ERR_AGENTOS_VM_LIMIT with the limit and its variable', async () => {
  const { client, logs } = await startSidecar({ env: { AGENTOS_MAX_VMS: '3' } });
  for (let i = 0; i < 3; i++) await client.createVm();
  const err = await rejection(() => client.createVm());
  assert.is(err.code, 'ERR_AGENTOS_VM_LIMIT');
  assert.match(err.message, /AGENTOS_MAX_VMS/);
  assert.equal([err.data.capacity, err.data.observed], [3, 4]);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'max_vms' && l.fill_percent === 133.3));
  assert.ok(logs.some((l) => l.msg === 'bounded limit nearing capacity' && l.limit === 'max_vms'));
  await client.close();
});

test('env, cwd and initial files given at create reach the guest', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({
    env: { FOO: 'bar' },
    cwd: '/work',
    files: [
      { path: '/work/a.txt', data: Buffer.from('from base64').toString('base64') },
      { path: 'b.txt', data: 'from utf8', encoding: 'utf8', mode: 0o600 },
    ],
  });
  const r = await client.exec(vmId, 'node', ['-e', 'const fs = require("fs"); console.log(process.env.FOO, process.cwd(), fs.readFileSync("a.txt", "utf8"), fs.readFileSync("/work/b.txt", "utf8"), (fs.statSync("b.txt").mode & 0o777).toString(8))']);
  assert.is(r.stdout, 'bar /work from base64 from utf8 600\n');
  const perExec = await client.exec(vmId, 'node', ['-e', 'console.log(process.env.FOO, process.cwd())'], { env: { FOO: 'baz' }, cwd: '/tmp' });
  assert.is(perExec.stdout, 'baz /tmp\n');
  await client.close();
});

test.run();
