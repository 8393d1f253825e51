// The daemon's edges a host meets first: it never outlives its host, whatever the host does
// with stderr; it starts however Node is invoked; it answers what arrived before EOF; and it
// speaks JSON-RPC's reserved codes, LSP's lifecycle, bounded params and checked settings.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { SIDECAR_BIN } from '../src/client/client.js';
import { eventually, frame, startSidecar, type LogLine } from './helpers/sidecar.js';
import { spawnRaw, started } from './helpers/raw.js';

interface Frame {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

/** The whole frames in `bytes` (a partial last one is left for later). */
function wholeFrames(bytes: Buffer): Frame[] {
  const out: Frame[] = [];
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return out;
    const length = Number(/Content-Length: (\d+)/i.exec(rest.subarray(0, end).toString('ascii'))![1]);
    if (rest.length < end + 4 + length) return out;
    out.push(JSON.parse(rest.subarray(end + 4, end + 4 + length).toString('utf8')) as Frame);
    rest = rest.subarray(end + 4 + length);
  }
}

/** Collects a child's stdout frames; `until` waits for a predicate over them (events, not time). */
function frameCollector(child: ChildProcess) {
  const chunks: Buffer[] = [];
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    chunks.push(c);
    for (const l of listeners) l();
  });
  const frames = () => wholeFrames(Buffer.concat(chunks));
  const until = (predicate: (frames: Frame[]) => boolean, what: string) =>
    new Promise<Frame[]>((resolve, reject) => {
      const check = () => {
        const f = frames();
        if (predicate(f)) {
          listeners.delete(check);
          resolve(f);
        }
      };
      listeners.add(check);
      child.once('exit', () => setImmediate(() => (predicate(frames()) ? resolve(frames()) : reject(new Error(`the daemon exited before ${what}`)))));
      check();
    });
  return { frames, until };
}

const request = (id: number | string, method: string, params?: object) => frame({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const initialize = request(0, 'initialize', { protocolVersion: P.PROTOCOL_VERSION });

/**
 * Whether `pid` still runs. A daemon whose host died is re-parented, and until its new
 * parent reaps it, it lingers as a zombie that kill(pid, 0) still finds: that is an ended
 * process (its state in /proc is Z), not a running one.
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** Polls until `pid` is gone; the bound is only the test's patience, not an assertion on speed. */
async function gone(pid: number, patienceMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + patienceMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

/** Enough failing requests that their warn lines (~250 bytes each at trace level) overfill any pipe. */
const FLOOD = 4000;
const flood = () => Buffer.concat(Array.from({ length: FLOOD }, (_, i) => request(i + 1, 'vm/explode', { n: i })));

/**
 * A host as a separate Node process, the daemon's parent: it spawns the daemon with
 * stderr piped and never read, floods it with requests whose every answer logs a line,
 * waits for all the answers (so all those lines were written or dropped: far more than
 * a pipe holds), then reports the daemon's pid and waits to be killed. With `holdStdin`
 * it also passes the daemon's stdin to a `sleep` it starts, so stdin stays open after
 * the host dies (no EOF): only the daemon's own check of its parent can end it then.
 */
function startHost(holdStdin: boolean): Promise<{ host: ChildProcess; daemonPid: number; holderPid?: number }> {
  const script = `
    const { spawn } = require('node:child_process');
    const daemon = spawn(process.execPath, ['--no-node-snapshot', ${JSON.stringify(SIDECAR_BIN)}], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AGENTOS_LOG_LEVEL: 'trace' },
    });
    daemon.stderr.pause();
    let holder;
    if (${holdStdin}) holder = spawn('sleep', ['60'], { stdio: ['ignore', daemon.stdin, 'ignore'] });
    let text = '';
    daemon.stdout.setEncoding('latin1').on('data', (d) => {
      text += d;
      if (text.includes('"id":${FLOOD},')) process.stdout.write(JSON.stringify({ daemon: daemon.pid, holder: holder && holder.pid }) + '\\n');
    });
    process.stdin.on('data', (d) => daemon.stdin.write(d));
    setInterval(() => {}, 1000);
  `;
  const host = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  host.stdin!.write(Buffer.concat([initialize, flood()]));
  return new Promise((resolve, reject) => {
    let out = '';
    host.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) {
        const { daemon, holder } = JSON.parse(out) as { daemon: number; holder?: number };
        resolve({ host, daemonPid: daemon, holderPid: holder });
      }
    });
    host.on('exit', () => reject(new Error('the host ended before its daemon answered')));
  });
}

test('the host is SIGKILLed with the daemon\'s stderr full and unread: the daemon is gone (stdin EOF)', async () => {
  const { host, daemonPid } = await startHost(false);
  assert.ok(alive(daemonPid), 'the daemon runs while its host lives');
  host.kill('SIGKILL');
  const ended = await gone(daemonPid);
  if (!ended) process.kill(daemonPid, 'SIGKILL');
  assert.ok(ended, 'the daemon outlived its host');
});

test('the host is SIGKILLed while another process holds the daemon\'s stdin open: the daemon notices its parent died', async () => {
  const { host, daemonPid, holderPid } = await startHost(true);
  assert.ok(holderPid && alive(holderPid), 'stdin is held open by another process');
  host.kill('SIGKILL');
  const ended = await gone(daemonPid);
  if (!ended) process.kill(daemonPid, 'SIGKILL');
  process.kill(holderPid!, 'SIGKILL');
  assert.ok(ended, 'the daemon outlived its host');
});

/** The daemon spawned by the test itself, stderr piped and never read. */
function spawnUnreadStderr(env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--no-node-snapshot', SIDECAR_BIN], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AGENTOS_LOG_LEVEL: 'trace', ...env } });
  child.stderr.pause();
  child.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, ...frameCollector(child) };
}

test('stdin closed with stderr full and never read: every request is answered, then exit code 0', async () => {
  const d = spawnUnreadStderr();
  d.child.stdin.write(Buffer.concat([initialize, flood()]));
  const frames = await d.until((f) => f.length === FLOOD + 1, 'answering the flood');
  assert.equal(frames.slice(1).map((f) => f.error?.data?.code), Array(FLOOD).fill('ERR_AGENTOS_METHOD_NOT_FOUND'));
  d.child.stdin.end();
  assert.equal(await d.exited, { code: 0, signal: null });
});

test('SIGTERM with stderr full and never read: exit code 0', async () => {
  const d = spawnUnreadStderr();
  d.child.stdin.write(Buffer.concat([initialize, flood()]));
  await d.until((f) => f.length === FLOOD + 1, 'answering the flood');
  d.child.kill('SIGTERM');
  assert.equal(await d.exited, { code: 0, signal: null });
});

/** One JSON-RPC exchange that needs isolated-vm to work: initialize, a guest JS exec, shutdown, exit. */
async function exchange(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  child.stderr!.resume();
  const c = frameCollector(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stdin!.write(Buffer.concat([initialize, request(1, 'vm/create', {})]));
  const vmId = ((await c.until((f) => f.some((x) => x.id === 1), 'vm/create'))!.find((x) => x.id === 1)!.result as { vmId: string }).vmId;
  child.stdin!.write(request(2, 'process/exec', { vmId, command: 'node', args: ['-e', 'console.log(6 * 7)'] }));
  const exec = (await c.until((f) => f.some((x) => x.id === 2), 'process/exec')).find((x) => x.id === 2)!;
  return { child, exited, c, exec: exec.result as { stdout: string; exitCode: number } };
}

test('`node bin/agentos-sidecar` (no --no-node-snapshot) runs guests, and passes the exit code on exactly', async () => {
  const run = await exchange(process.execPath, [SIDECAR_BIN]);
  assert.equal([run.exec.exitCode, run.exec.stdout], [0, '42\n']);
  // exit without shutdown: code 1, through the re-exec.
  run.child.stdin!.write(frame({ jsonrpc: '2.0', method: 'exit' }));
  assert.equal(await run.exited, { code: 1, signal: null });
});

test('`node bin/agentos-sidecar`: SIGTERM reaches the daemon and its code comes back; after shutdown + exit, 0', async () => {
  const run = await exchange(process.execPath, [SIDECAR_BIN]);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, { code: 0, signal: null });
  const again = await exchange(process.execPath, [SIDECAR_BIN]);
  again.child.stdin!.write(request(3, 'shutdown'));
  await again.c.until((f) => f.some((x) => x.id === 3), 'shutdown');
  again.child.stdin!.write(frame({ jsonrpc: '2.0', method: 'exit' }));
  assert.equal(await again.exited, { code: 0, signal: null });
});

test('the shebang path (bin/agentos-sidecar run directly) runs guests', async () => {
  const run = await exchange(SIDECAR_BIN, []);
  assert.equal([run.exec.exitCode, run.exec.stdout], [0, '42\n']);
  run.child.stdin!.end();
  assert.equal(await run.exited, { code: 0, signal: null });
});

test('requests written together with EOF are all answered, then exit 0', async () => {
  const child = spawn(process.execPath, ['--no-node-snapshot', SIDECAR_BIN], { stdio: ['pipe', 'pipe', 'ignore'] });
  const c = frameCollector(child);
  // 'close' comes after stdout has been read to its end ('exit' may come before).
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  // Both frames and the close in one go, as `(initialize; sidecar/ping) | agentos-sidecar` does.
  child.stdin.end(Buffer.concat([request(1, 'initialize'), request(2, 'sidecar/ping'), request(3, 'vm/create', {})]));
  assert.is(await exited, 0);
  const frames = c.frames();
  assert.equal(frames.map((f) => f.id), [1, 2, 3]);
  assert.is((frames[0]!.result as { protocolVersion: string }).protocolVersion, P.PROTOCOL_VERSION);
  assert.equal(frames[1]!.result, {});
  assert.match((frames[2]!.result as { vmId: string }).vmId, /^vm-/);
});

/** A raw daemon with its log lines kept; `send` writes frames, `answers` waits for ids. */
async function rawDaemon(env: NodeJS.ProcessEnv = {}) {
  const raw = spawnRaw(env);
  await started(raw);
  const answers = async (...ids: Array<number | string>): Promise<Frame[]> => {
    for (;;) {
      const frames = wholeFrames(raw.stdout());
      const found = ids.map((id) => frames.find((f) => f.id === id));
      if (found.every(Boolean)) return found as Frame[];
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { raw, send: (...frames: Buffer[]) => raw.child.stdin.write(Buffer.concat(frames)), answers, logs: raw.logs };
}

const warned = (logs: LogLine[], predicate: (l: LogLine) => boolean) => logs.some((l) => l.level === 'warn' && predicate(l));

test('JSON-RPC reserved codes with our code in data.code: -32002, -32601, -32602, -32800', async () => {
  const d = await rawDaemon();
  d.send(request(1, 'vm/list', {}));
  const [early] = await d.answers(1);
  assert.equal([early!.error!.code, early!.error!.data!.code], [-32002, 'ERR_AGENTOS_NOT_INITIALIZED']);
  d.send(initialize, request(2, 'vm/explode', {}), request(3, 'vm/create', { limits: { heapLimitMb: 'lots' } }), request(4, 'vm/create', {}));
  const [unknown, invalid, created] = await d.answers(2, 3, 4);
  assert.equal([unknown!.error!.code, unknown!.error!.data!.code], [-32601, 'ERR_AGENTOS_METHOD_NOT_FOUND']);
  assert.equal([invalid!.error!.code, invalid!.error!.data!.code, invalid!.error!.data!.field], [-32602, 'ERR_AGENTOS_INVALID_PARAMS', '/limits/heapLimitMb']);
  const { vmId } = created!.result as { vmId: string };
  d.send(request(5, 'process/exec', { vmId, command: 'node', args: ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'] }));
  // Cancel once the exec is surely running: the VM counts the process.
  for (let n = 100; ; n++) {
    d.send(request(n, 'vm/stats', { vmId }));
    const [stats] = await d.answers(n);
    if ((stats!.result as { processes: { running: number } }).processes.running === 1) break;
  }
  d.send(frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 5 } }));
  const [cancelled] = await d.answers(5);
  assert.equal([cancelled!.error!.code, cancelled!.error!.data!.code], [-32800, 'ERR_AGENTOS_CANCELLED']);
  d.raw.child.stdin.end();
  assert.is((await d.raw.exited).code, 0);
});

test('initialize, shutdown and exit without params work as in LSP; shutdown before initialize is refused', async () => {
  const d = await rawDaemon();
  d.send(request(1, 'shutdown'));
  const [early] = await d.answers(1);
  assert.equal([early!.error!.code, early!.error!.data!.code], [-32002, 'ERR_AGENTOS_NOT_INITIALIZED']);
  d.send(request(2, 'initialize'), request(3, 'shutdown'));
  const [init, shut] = await d.answers(2, 3);
  assert.is((init!.result as { protocolVersion: string }).protocolVersion, P.PROTOCOL_VERSION);
  assert.is(shut!.result, null);
  d.send(frame({ jsonrpc: '2.0', method: 'exit' }));
  assert.is((await d.raw.exited).code, 0);
});

test('shutdown with params null, and a request method sent as a notification gets a warn line and is not run', async () => {
  const d = await rawDaemon();
  d.send(initialize, frame({ jsonrpc: '2.0', method: 'vm/create', params: {} }), request(1, 'vm/list', {}));
  const [list] = await d.answers(1);
  assert.equal(list!.result, { vms: [] });
  await eventually(() => warned(d.logs, (l) => l.method === 'vm/create' && /arrived as a notification/.test(l.msg)));
  d.send(frame({ jsonrpc: '2.0', id: 2, method: 'shutdown', params: null }));
  const [shut] = await d.answers(2);
  assert.is(shut!.result, null);
  d.send(frame({ jsonrpc: '2.0', method: 'exit', params: null }));
  assert.is((await d.raw.exited).code, 0);
});

test('a $/cancelRequest without params.id is dropped with a warn line; the daemon reads on', async () => {
  const d = await rawDaemon();
  d.send(initialize, frame({ jsonrpc: '2.0', method: '$/cancelRequest' }), frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: {} } }), request(1, 'sidecar/ping'));
  const [ping] = await d.answers(1);
  assert.equal(ping!.result, {});
  // Log lines travel on stderr, beside stdout: wait for them rather than assume an order.
  await eventually(() => d.logs.filter((l) => l.level === 'warn' && l.msg === 'dropped a $/cancelRequest without params.id').length === 2);
  d.raw.child.stdin.end();
  assert.is((await d.raw.exited).code, 0);
});

/** `{"a":{"a":…1…}}`, `depth` levels, built as text: JSON.stringify itself would overflow. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

test('params nested 100,000 deep are invalid params (-32602) with the depth limit, and the daemon goes on', async () => {
  const d = await rawDaemon();
  d.send(initialize, frame(`{"jsonrpc":"2.0","id":1,"method":"vm/create","params":{"env":${nested(100_000)}}}`));
  d.send(frame(`{"jsonrpc":"2.0","id":2,"method":"sidecar/ping","params":${nested(65)}}`), request(3, 'sidecar/ping', {}));
  const [deep, over, ping] = await d.answers(1, 2, 3);
  assert.equal([deep!.error!.code, deep!.error!.data], [-32602, { code: 'ERR_AGENTOS_INVALID_PARAMS', field: '/', limit: 'max_params_depth', capacity: 64, observed: 100_001, env: 'AGENTOS_MAX_PARAMS_DEPTH' }]);
  assert.equal(over!.error!.data, { code: 'ERR_AGENTOS_INVALID_PARAMS', field: '/', limit: 'max_params_depth', capacity: 64, observed: 65, env: 'AGENTOS_MAX_PARAMS_DEPTH' });
  assert.equal(ping!.result, {});
  await eventually(() => warned(d.logs, (l) => l.msg === 'bounded limit exhausted' && l.limit === 'max_params_depth' && l.observed === 100_001));
  d.raw.child.stdin.end();
  assert.is((await d.raw.exited).code, 0);
});

test('a host/call answer nested 100,000 deep fails the guest\'s call; the daemon goes on', async () => {
  const d = await rawDaemon();
  d.send(initialize, request(1, 'vm/create', { bindings: ['deep'] }));
  const { vmId } = (await d.answers(1))[0]!.result as { vmId: string };
  d.send(request(2, 'process/exec', { vmId, command: 'node', args: ['-e', 'host.deep().then(() => console.log("resolved"), (e) => console.log("rejected:", e.message))'] }));
  let call: Frame | undefined;
  while (!(call = wholeFrames(d.raw.stdout()).find((f) => f.method === 'host/call'))) await new Promise((r) => setTimeout(r, 10));
  d.send(frame(`{"jsonrpc":"2.0","id":${JSON.stringify(call.id)},"result":${nested(100_000)}}`));
  const [exec] = await d.answers(2);
  assert.is((exec!.result as { stdout: string }).stdout, "rejected: the host's answer nests deeper than 64 levels (AGENTOS_MAX_PARAMS_DEPTH)\n");
  d.raw.child.stdin.end();
  assert.is((await d.raw.exited).code, 0);
});

test('environment values out of the inventory range take the default with a warn line; a bad log level too', async () => {
  const d = await rawDaemon({ AGENTOS_GUEST_HEAP_LIMIT_MB: '99999999999999999999', AGENTOS_MAX_VMS: '0', AGENTOS_LOG_LEVEL: 'loud' });
  assert.ok(warned(d.logs, (l) => l.env === 'AGENTOS_LOG_LEVEL' && l.rejected === 'loud' && l.using === 'info'));
  assert.ok(warned(d.logs, (l) => l.limit === 'GUEST_HEAP_LIMIT_MB' && l.rejected === '99999999999999999999' && l.reason === 'outside 8..16384' && l.using === 128));
  assert.ok(warned(d.logs, (l) => l.limit === 'MAX_VMS' && l.rejected === '0' && l.reason === 'outside 1..1000000' && l.using === 10_000));
  d.send(initialize, request(1, 'vm/create', {}));
  const [init, created] = await d.answers(0, 1);
  const heap = (init!.result as { limits: Array<{ name: string; value: number; min: number; max: number }> }).limits.find((l) => l.name === 'GUEST_HEAP_LIMIT_MB')!;
  assert.equal([heap.value, heap.min, heap.max], [128, 8, 16_384]);
  const { vmId } = created!.result as { vmId: string };
  d.send(request(2, 'process/exec', { vmId, command: 'node', args: ['-e', 'console.log("ran")'] }));
  d.send(request(3, 'vm/create', { limits: { heapLimitMb: 99_999_999 } }), request(4, 'vm/create', { limits: { maxOpenFiles: 2 } }));
  const [ran, tooBig, tooSmall] = await d.answers(2, 3, 4);
  assert.is((ran!.result as { stdout: string }).stdout, 'ran\n');
  assert.equal([tooBig!.error!.code, tooBig!.error!.data], [-32602, { code: 'ERR_AGENTOS_INVALID_PARAMS', field: '/limits/heapLimitMb' }]);
  assert.match(tooBig!.error!.message, /limits\.heapLimitMb is 99999999, outside 8\.\.16384/);
  assert.equal(tooSmall!.error!.data, { code: 'ERR_AGENTOS_INVALID_PARAMS', field: '/limits/maxOpenFiles' });
  d.raw.child.stdin.end();
  assert.is((await d.raw.exited).code, 0);
});

test('base64 fields that are not base64 are refused with the field; utf8 defaults as declared', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm();
  const refusals: Array<[() => Promise<unknown>, string]> = [
    [() => client.request(P.FsWriteFile, { vmId, path: '/a', data: 'not base64!' }), '/data'],
    [() => client.request(P.FsWriteFile, { vmId, path: '/a', data: 'QQ=A' }), '/data'],
    [() => client.request(P.VmCreate, { files: [{ path: '/x', data: 'ok' }, { path: '/y', data: '%%%' }] }), '/files/1/data'],
    [() => client.exec(vmId, 'node', ['-e', '0'], { stdin: 'a b', stdinEncoding: 'base64' }), '/stdin'],
    [() => client.request(P.WasmRegister, { name: 'w', data: 'AGFzbQ$$' }), '/data'],
  ];
  for (const [call, field] of refusals) {
    const err = await call().then(() => undefined, (e: { code: string; data: { field?: string }; rpcCode?: number }) => e);
    assert.equal([err?.code, err?.data.field, err?.rpcCode], ['ERR_AGENTOS_INVALID_PARAMS', field, -32602], field);
  }
  assert.equal(await client.request(P.FsWriteFile, { vmId, path: '/a', data: Buffer.from('hi\n').toString('base64') }), { size: 3 });
  assert.equal(await client.request(P.FsWriteFile, { vmId, path: '/b', data: 'QQ' }), { size: 1 });
  // stdin and output are utf8 unless said otherwise, as the schema now says.
  const r = await client.exec(vmId, 'node', ['-e', 'process.stdin.on("data", (d) => process.stdout.write(String(d).toUpperCase()))'], { stdin: 'é ok' });
  assert.equal([r.stdout, r.encoding], ['É OK', 'utf8']);
  const schema = P.ExecParams.properties;
  assert.match(String(schema.stdinEncoding.description), /default utf8/);
  assert.match(String(schema.outputEncoding.description), /default utf8/);
  assert.match(String(P.FsWriteFile.params.properties.encoding.description), /default base64/);
  assert.is(await client.close(), 0);
});

test.run();
