import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { ConnectionClosedError, HOST_REQUEST_WRAPPERS, RequestCancelledError, SidecarError, type HostRequestMethod } from '../src/client/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

/** Records the method of every request the client writes. */
function spyOnRequests(client: SidecarClient): string[] {
  const sent: string[] = [];
  const connection = client.connection as { sendRequest: (method: string, ...rest: unknown[]) => Promise<unknown> };
  const original = connection.sendRequest.bind(connection);
  connection.sendRequest = (method, ...rest) => {
    sent.push(method);
    return original(method, ...rest);
  };
  return sent;
}

/** A sidecar whose guests can say "I am running now" (host.started()) before they block. */
async function sidecarWithStartSignal() {
  const started: Array<() => void> = [];
  let count = 0;
  const { client } = await startSidecar({
    bindings: {
      started: () => {
        count++;
        started.splice(0).forEach((wake) => wake());
        return null;
      },
    },
  });
  /** Resolves once `n` guests in all have called host.started(). */
  const startedCount = async (n: number) => {
    while (count < n) await new Promise<void>((wake) => started.push(wake));
  };
  return { client, startedCount };
}

const BLOCK_AFTER_START = 'host.started().then(() => { for (;;) {} })';

test('every host request in protocol/index.ts has a wrapper, and each wrapper sends its method', async () => {
  const { client } = await startSidecar();
  const sent = spyOnRequests(client);
  const echo = readFileSync(new URL('./fixtures/wasm/echo.wasm', import.meta.url));
  let vmId = '';
  let pid = 0;
  let snapArchive: Buffer = Buffer.alloc(0);
  // Typed as a Record over HostRequests' methods: a method without a call here fails to compile.
  let archive: Buffer = Buffer.alloc(0);
  let watchId = '';
  const calls: Record<HostRequestMethod, () => Promise<unknown>> = {
    initialize: async () => assert.is((await rejection(() => client.initialize())).code, 'ERR_AGENTOS_ALREADY_INITIALIZED'),
    'vm/create': async () => ({ vmId } = await client.createVm({ env: { A: '1' } })),
    'vm/list': async () => assert.equal((await client.listVms()).vms.map((v) => v.vmId), [vmId]),
    // Nothing listens in the VM: each refuses with its code (test/net-inbound.test.ts has them answering).
    'vm/fetch': async () => assert.is((await rejection(() => client.fetchVm({ vmId, port: 3000 }))).code, 'ERR_AGENTOS_NET_REFUSED'),
    'vm/forward': async () => assert.type((await client.forwardVm(vmId, 3000)).hostPort, 'number'),
    'vm/forwardClose': async () => assert.equal(await client.closeForward(vmId, 1), { closed: false }),
    'fs/mkdir': async () => assert.equal(await client.mkdir(vmId, '/d/e', { recursive: true }), { created: true }),
    'fs/writeFile': async () => {
      assert.equal(await client.writeFile(vmId, '/d/e/t.txt', 'héllo'), { size: 6 });
      assert.equal(await client.writeFile(vmId, '/d/e/b.bin', new Uint8Array([0, 255])), { size: 2 });
    },
    'fs/readFile': async () => {
      assert.is((await client.readFile(vmId, '/d/e/t.txt')).toString('utf8'), 'héllo');
      assert.equal([...(await client.readFile(vmId, '/d/e/b.bin'))], [0, 255]);
    },
    'fs/readdir': async () => assert.equal(await client.readdir(vmId, '/d/e'), [{ name: 'b.bin', type: 'file' }, { name: 't.txt', type: 'file' }]),
    'fs/stat': async () => assert.is((await client.stat(vmId, '/d/e/t.txt')).size, 6),
    'fs/rename': async () => assert.equal(await client.rename(vmId, '/d/e/b.bin', '/d/e/c.bin'), {}),
    'fs/copy': async () => assert.equal(await client.copy(vmId, '/d/e/c.bin', '/d/e/b.bin'), {}),
    'fs/symlink': async () => assert.equal(await client.symlink(vmId, 't.txt', '/d/e/l'), {}),
    'fs/readlink': async () => assert.is(await client.readlink(vmId, '/d/e/l'), 't.txt'),
    'fs/chmod': async () => assert.equal(await client.chmod(vmId, '/d/e/c.bin', 0o600), {}),
    'fs/utimes': async () => assert.equal(await client.utimes(vmId, '/d/e/c.bin', 1000n, new Date(2000)), {}),
    'fs/truncate': async () => assert.equal(await client.truncate(vmId, '/d/e/c.bin', 1), {}),
    'fs/export': async () => (archive = await client.exportTree(vmId, '/d')),
    'fs/import': async () => assert.equal((await client.importTree(vmId, '/d2', archive)).entries, 5),
    'fs/watch': async () => ({ watchId } = await client.watch(vmId, '/d2')),
    'fs/unwatch': async () => assert.equal(await client.unwatch(vmId, watchId), { removed: true }),
    'fs/remove': async () => assert.equal(await client.remove(vmId, '/d', { recursive: true }), { removed: 6 }),
    'wasm/register': async () => assert.is((await client.registerWasm({ vmId, name: 'hi', data: echo.toString('base64') })).scope, 'vm'),
    'wasm/warmup': async () => assert.type((await client.warmupWasm({ vmId, name: 'hi' })).hash, 'string'),
    'process/exec': async () => {
      const r = await client.exec(vmId, 'node', ['-e', 'console.log(require("fs").readFileSync(0, "utf8"))'], { stdin: new Uint8Array([104, 105]) });
      assert.equal([r.exitCode, r.stdout], [0, 'hi\n']);
      assert.is((await client.exec(vmId, 'hi', ['from', 'wasm'])).stdout, 'from wasm\n');
    },
    'process/spawn': async () => ({ pid } = await client.spawn(vmId, 'node', ['-e', 'process.stdin.on("data", (d) => console.log("got " + d)); process.stdin.on("end", () => setInterval(() => {}, 1000))'])),
    'process/write': async () => {
      const output = new Promise<string>((resolve) => {
        const off = client.onOutput((e) => e.pid === pid && (off(), resolve(e.data)));
      });
      await client.writeStdin(vmId, pid, 'abc');
      assert.is(await output, 'got abc\n');
    },
    'process/resize': async () => assert.is((await rejection(() => client.resize(vmId, pid, 100, 30))).code, 'ERR_AGENTOS_INVALID_PARAMS'),
    'process/list': async () => assert.equal((await client.listProcesses(vmId)).processes.map((p) => [p.pid, p.command, p.state]), [[pid, 'node', 'running']]),
    'process/closeStdin': async () => assert.equal(await client.closeStdin(vmId, pid), {}),
    'process/kill': async () => {
      const exit = client.waitForExit(vmId, pid);
      await client.kill(vmId, pid, 'SIGKILL');
      assert.is((await exit).signal, 'SIGKILL');
    },
    'vm/stats': async () => assert.is((await client.vmStats(vmId)).processes.running, 0),
    'sidecar/ping': async () => assert.equal(await client.ping(), {}),
    'sidecar/stats': async () => assert.is((await client.stats()).vms.live, 1),
    'vm/snapshot': async () => assert.is((await client.snapshot(vmId)).snapshotId, 'snap-1'),
    'vm/fork': async () => assert.is((await client.fork(vmId)).vmId, 'vm-2'),
    'snapshot/list': async () => assert.equal((await client.listSnapshots()).snapshots.map((s) => s.snapshotId), ['snap-1']),
    'snapshot/export': async () => {
      snapArchive = (await client.exportSnapshot('snap-1')).archive;
      assert.is(snapArchive.subarray(0, 21).toString(), 'agentos-snapshot.json');
    },
    'snapshot/import': async () => assert.is((await client.importSnapshot(snapArchive)).snapshotId, 'snap-2'),
    'snapshot/dispose': async () => assert.equal(await client.disposeSnapshot('snap-2'), { snapshotId: 'snap-2' }),
    'vm/dispose': async () => assert.equal(await client.disposeVm(vmId), { vmId, killedProcesses: 0 }),
    shutdown: async () => assert.is(await client.shutdown(), null),
  };
  const methods = P.HostRequests.map((spec) => spec.method);
  assert.equal(Object.keys(HOST_REQUEST_WRAPPERS).sort(), [...methods].sort());
  for (const method of Object.keys(calls) as HostRequestMethod[]) {
    const name = HOST_REQUEST_WRAPPERS[method];
    assert.type(client[name], 'function', `client.${name}`);
    // Count the named wrapper's own calls, so the call above is known to go through it.
    const wrapper = client[name] as (...args: unknown[]) => unknown;
    let through = 0;
    Object.defineProperty(client, name, { configurable: true, value: (...args: unknown[]) => (through++, wrapper.apply(client, args)) });
    sent.length = 0;
    await calls[method]();
    assert.ok(through > 0, `${method} went through client.${name}`);
    assert.ok(sent.length > 0 && sent.every((m) => m === method), `${method}: sent ${sent.join(', ')}`);
    delete (client as unknown as Record<string, unknown>)[name];
  }
  await client.connection.sendNotification(P.Exit.method, {});
  assert.equal(await client.exited, { code: 0, signal: null });
});

test('calls pending when the sidecar is SIGKILLed fail with ConnectionClosedError, and so does every later call, at once', async () => {
  const { client, startedCount } = await sidecarWithStartSignal();
  const a = (await client.createVm({ bindings: ['started'] })).vmId;
  const b = (await client.createVm({ bindings: ['started'] })).vmId;
  const pending = [a, b].map((vm) => client.exec(vm, 'node', ['-e', BLOCK_AFTER_START]).then(() => null, (err: unknown) => err));
  await startedCount(2);
  // A wait that is not a request fails the same way.
  const { pid } = await client.spawn(a, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  const exit = client.waitForExit(a, pid).then(() => null, (err: unknown) => err);
  process.kill(client.child.pid!, 'SIGKILL');
  for (const err of await Promise.all(pending)) {
    assert.instance(err, ConnectionClosedError);
    assert.instance(err, SidecarError);
    const closed = err as ConnectionClosedError;
    assert.is(closed.code, 'ERR_AGENTOS_CONNECTION_CLOSED');
    assert.is(closed.reason, 'the sidecar was killed by SIGKILL');
    assert.is(closed.message, 'process/exec failed: the sidecar was killed by SIGKILL');
    assert.is(closed.rpcCode, undefined);
  }
  const waitErr = (await exit) as ConnectionClosedError;
  assert.instance(waitErr, ConnectionClosedError);
  assert.is(waitErr.message, `waiting for the exit of ${a}/${pid} failed: the sidecar was killed by SIGKILL`);
  assert.ok(client.closed);
  const sent = spyOnRequests(client);
  const later = await rejection(() => client.ping());
  assert.instance(later, ConnectionClosedError);
  assert.is(later.message, 'sidecar/ping failed: the sidecar was killed by SIGKILL');
  assert.equal(sent, []);
  assert.equal(await client.exited, { code: null, signal: 'SIGKILL' });
  assert.is(await client.close(), null);
});

test('a sidecar that closes its stdout fails the calls pending on it, and is stopped', async () => {
  const { client, startedCount } = await sidecarWithStartSignal();
  const { vmId } = await client.createVm({ bindings: ['started'] });
  const pending = client.exec(vmId, 'node', ['-e', BLOCK_AFTER_START]).then(() => null, (err: unknown) => err);
  await startedCount(1);
  client.child.stdout!.destroy();
  const err = (await pending) as ConnectionClosedError;
  assert.instance(err, ConnectionClosedError);
  assert.is(err.reason, 'the sidecar closed its stdout');
  // The client does not leave a sidecar it cannot hear running (SIGTERM, then SIGKILL).
  await client.exited;
  assert.ok(client.child.exitCode !== null || client.child.signalCode !== null);
});

test('aborting a call sends $/cancelRequest: the call fails at once with RequestCancelledError and the guest is stopped', async () => {
  const { client, startedCount } = await sidecarWithStartSignal();
  const { vmId } = await client.createVm({ bindings: ['started'] });
  const controller = new AbortController();
  const reason = new Error('the user pressed stop');
  const pending = client.exec(vmId, 'node', ['-e', BLOCK_AFTER_START], { signal: controller.signal }).then(() => null, (err: unknown) => err);
  await startedCount(1);
  const cancels: unknown[] = [];
  // vscode-jsonrpc sends the cancel through the connection object, with a NotificationType.
  const connection = client.connection as { sendNotification: (type: string | { method: string }, params?: unknown) => Promise<void> };
  const sendNotification = connection.sendNotification.bind(connection);
  connection.sendNotification = (type, params) => {
    if ((typeof type === 'string' ? type : type.method) === '$/cancelRequest') cancels.push(params);
    return sendNotification(type, params);
  };
  controller.abort(reason);
  const err = (await pending) as RequestCancelledError;
  assert.instance(err, RequestCancelledError);
  assert.instance(err, SidecarError);
  assert.is(err.code, 'ERR_AGENTOS_CANCELLED');
  assert.is(err.method, 'process/exec');
  assert.is(err.cause, reason);
  assert.equal(cancels.length, 1);
  // The sidecar heard the cancel and stopped the guest that was spinning.
  await eventually(async () => (await client.vmStats(vmId)).processes.running === 0);
  assert.is((await client.exec(vmId, 'node', ['-e', 'console.log("after")'])).stdout, 'after\n');
  assert.is(await client.close(), 0);
});

test('a signal already aborted fails the call at once and sends nothing', async () => {
  const { client } = await startSidecar();
  const sent = spyOnRequests(client);
  const err = await rejection(() => client.ping({ signal: AbortSignal.abort('too late') }));
  assert.instance(err, RequestCancelledError);
  assert.is((err as RequestCancelledError).cause, 'too late');
  assert.equal(sent, []);
  const { vmId } = await client.createVm();
  const { pid } = await client.spawn(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  const controller = new AbortController();
  const waiting = client.waitForExit(vmId, pid, { signal: controller.signal }).then(() => null, (e: unknown) => e);
  controller.abort('stop waiting');
  const waitErr = (await waiting) as RequestCancelledError;
  assert.instance(waitErr, RequestCancelledError);
  assert.is(waitErr.cause, 'stop waiting');
  // A signal that never fires changes nothing.
  assert.equal(await client.ping({ signal: new AbortController().signal }), {});
  assert.is(await client.close(), 0);
});

test('kill(vmId, pid) signals a guest process and the sidecar stays; close() ends the sidecar and later calls fail at once', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm();
  const { pid } = await client.spawn(vmId, 'node', ['-e', 'setInterval(() => {}, 1000)']);
  const exit = client.waitForExit(vmId, pid);
  await client.kill(vmId, pid, 'SIGKILL');
  assert.is((await exit).signal, 'SIGKILL');
  assert.equal(await client.ping(), {});
  const closing = client.close();
  const during = await rejection(() => client.ping());
  assert.instance(during, ConnectionClosedError);
  assert.is(during.message, 'sidecar/ping failed: close() was called');
  assert.is(await closing, 0);
  const after = await rejection(() => client.createVm());
  assert.instance(after, ConnectionClosedError);
  assert.is(after.message, 'vm/create failed: the sidecar exited with code 0');
});

test('start() refuses an unknown option by name, before spawning anything', async () => {
  const { SidecarClient } = await import('../src/client/index.js');
  const options = { env: {}, enviroment: { A: '1' } } as Parameters<typeof SidecarClient.start>[0];
  const err = await SidecarClient.start(options).then(() => null, (e: unknown) => e);
  assert.instance(err, TypeError);
  assert.is((err as Error).message, 'Invalid option in SidecarClient.start(): "enviroment"');
});

test('errors the sidecar answers keep their stable code and JSON-RPC number', async () => {
  const { client } = await startSidecar();
  const err = await rejection(() => client.vmStats('vm-404'));
  assert.instance(err, SidecarError);
  assert.is(err.code, 'ERR_AGENTOS_VM_NOT_FOUND');
  assert.is((err as SidecarError).rpcCode, P.ErrorCodes.ERR_AGENTOS_VM_NOT_FOUND.rpc);
  assert.is(await client.close(), 0);
});

test.run();
