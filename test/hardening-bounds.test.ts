// Bounds on what one request can make the daemon do: the work a WASM module can make the
// engine's compiler allocate, the JSON-RPC edges a host meets, and the jail of a confined
// process. Each attack runs through the real daemon.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, frame, parseFrames, startSidecar, type LogLine } from './helpers/sidecar.js';
import { frameWhere, framesSoFar, spawnRaw, started, type RawSidecar } from './helpers/raw.js';
import { section, str, uleb, vec } from './helpers/wasm-bytes.js';

const MiB = 1024 * 1024;
const I32 = 0x7f;

/** The daemon's peak resident set (VmHWM), in bytes. */
function peakRss(client: SidecarClient): number {
  const pid = (client as unknown as { child: ChildProcess }).child.pid!;
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** A command whose `_start` has `body` (its locals declaration included) and that imports proc_exit. */
function command(body: Uint8Array, extra: { funcs?: number } = {}): Buffer {
  const funcs = extra.funcs ?? 1;
  const fn = Buffer.concat([Buffer.from(uleb(body.length)), body]);
  const code = Buffer.concat([Buffer.from(uleb(funcs)), ...Array<Buffer>(funcs).fill(fn)]);
  return Buffer.concat([
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    Buffer.from(section(1, vec([[0x60, 1, I32, 0], [0x60, 0, 0]]))),
    Buffer.from(section(2, vec([[...str('wasi_snapshot_preview1'), ...str('proc_exit'), 0, 0]]))),
    Buffer.from(section(3, [...uleb(funcs), ...Array<number>(funcs).fill(1)])),
    Buffer.from(section(5, vec([[0, 1]]))),
    Buffer.from(section(7, vec([[...str('memory'), 2, 0], [...str('_start'), 0, 1]]))),
    Buffer.from([10, ...uleb(code.length)]),
    code,
  ]);
}

/** A body (no locals) of `depth` nested control instructions `open` (block, loop, if, try), each empty. */
function nested(depth: number, open = 0x02): Uint8Array {
  const cond = open === 0x04 ? 2 : 0; // `if` pops a condition: i32.const 0 before it
  const body = new Uint8Array(1 + depth * (2 + cond + 1) + 1);
  let at = 1;
  for (let i = 0; i < depth; i++) {
    if (cond) { body[at++] = 0x41; body[at++] = 0; }
    body[at++] = open; body[at++] = 0x40;
  }
  body.fill(0x0b, at);
  return body;
}

const writeModule = (client: SidecarClient, vmId: string, path: string, bytes: Buffer) =>
  client.request(P.FsWriteFile, { vmId, path, data: bytes.toString('base64'), mode: 0o755 });

const limitLine = (logs: LogLine[], limit: string) => eventually(() => logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === limit));

test('2M nested blocks (6 MB, within every size bound), run as 3 processes: refused by nesting depth before V8 compiles; the daemon stays small', async () => {
  const { client, logs } = await startSidecar();
  const vm = (await client.createVm()).vmId;
  const bystander = (await client.createVm()).vmId;
  await writeModule(client, vm, '/tmp/nest.wasm', command(nested(2_000_000)));
  const runs = [0, 1, 2].map(() => client.exec(vm, '/tmp/nest.wasm'));
  assert.is((await client.exec(bystander, 'sh', ['-c', 'echo hi'])).stdout, 'hi\n');
  for (const r of await Promise.all(runs)) {
    assert.equal([r.exitCode, r.error?.code, r.error?.limit, r.error?.observed, r.error?.capacity], [126, 'ERR_AGENTOS_WASM_MODULE_LIMIT', 'wasm_max_control_depth', 65_537, 65_536]);
    assert.is(r.stderr, '/tmp/nest.wasm: cannot load the module: function 0 nests blocks more than 65536 deep (AGENTOS_WASM_MAX_CONTROL_DEPTH)\n');
  }
  const line = await limitLine(logs, 'wasm_max_control_depth');
  assert.equal([line.observed, line.capacity, line.env], [65_537, 65_536, 'AGENTOS_WASM_MAX_CONTROL_DEPTH']);
  // Before the bound: 4,862 MiB for the three compiles.
  const peak = peakRss(client);
  console.log(`    daemon peak RSS with 3 × 2M nested blocks: ${Math.round(peak / MiB)} MiB`);
  assert.ok(peak < 512 * MiB, `daemon peak RSS ${Math.round(peak / MiB)} MiB`);
  await client.close();
});

test('nesting at the bound compiles and runs; one deeper is refused, whichever control instruction nests', async () => {
  const { client } = await startSidecar({ env: { AGENTOS_WASM_MAX_CONTROL_DEPTH: '100' } });
  const vm = (await client.createVm()).vmId;
  // The function body is the outermost of the 100 levels.
  for (const [open, name] of [[0x02, 'block'], [0x03, 'loop'], [0x04, 'if'], [0x06, 'try']] as const) {
    await writeModule(client, vm, `/tmp/${name}-ok.wasm`, command(nested(99, open)));
    await writeModule(client, vm, `/tmp/${name}-deep.wasm`, command(nested(100, open)));
    const ok = await client.exec(vm, `/tmp/${name}-ok.wasm`);
    assert.equal([name, ok.exitCode, ok.stderr], [name, 0, '']);
    const deep = await client.exec(vm, `/tmp/${name}-deep.wasm`);
    assert.equal([name, deep.exitCode, deep.error?.limit, deep.error?.observed, deep.error?.capacity], [name, 126, 'wasm_max_control_depth', 101, 100]);
  }
  await client.close();
});

/** A body declaring `locals` i32 locals in `groups` groups, then `end`. */
function withLocals(locals: number, groups: number): Uint8Array {
  const per = Math.ceil(locals / groups);
  const decl: number[] = [...uleb(groups)];
  for (let g = 0, left = locals; g < groups; g++, left -= per) decl.push(...uleb(Math.min(per, left)), I32);
  return Uint8Array.from([...decl, 0x0b]);
}

/** A body with one br_table of `entries` entries (all to the body's label), then `end`. */
function brTable(entries: number): Uint8Array {
  const table: number[] = [0x41, 0, 0x0e, ...uleb(entries)];
  for (let i = 0; i <= entries; i++) table.push(0);
  return Uint8Array.from([0, ...table, 0x0b]);
}

test('locals, br_table entries and function size: at V8\'s own bounds they run, past them our limit refuses with its figures', async () => {
  const { client, logs } = await startSidecar();
  const vm = (await client.createVm()).vmId;
  const cases: Array<[string, Uint8Array, number, string?, number?, number?]> = [
    ['locals-ok', withLocals(50_000, 3), 0],
    // Split over groups so no one count is past it: the sum is what counts.
    ['locals-over', withLocals(50_001, 3), 126, 'wasm_max_function_locals', 50_001, 50_000],
    ['br-ok', brTable(65_520), 0],
    ['br-over', brTable(65_521), 126, 'wasm_max_br_table_targets', 65_521, 65_520],
    // 7,654,322 bytes: nops, then end.
    ['size-over', Uint8Array.from({ length: 7_654_322 }, (_, i) => (i === 0 ? 0 : i === 7_654_321 ? 0x0b : 0x01)), 126, 'wasm_max_function_bytes', 7_654_322, 7_654_321],
  ];
  for (const [name, body, exitCode, limit, observed, capacity] of cases) {
    await writeModule(client, vm, `/tmp/${name}.wasm`, command(body));
    const r = await client.exec(vm, `/tmp/${name}.wasm`);
    assert.equal([name, r.exitCode, r.error?.limit, r.error?.observed, r.error?.capacity], [name, exitCode, limit, observed, capacity], r.stderr);
    if (limit) assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === limit && l.observed === observed), limit);
  }
  await client.close();
});

test('a body that cannot be decoded is refused before V8 sees it: an unknown opcode, a body ending inside a block', async () => {
  const { client } = await startSidecar();
  const vm = (await client.createVm()).vmId;
  await writeModule(client, vm, '/tmp/unknown.wasm', command(Uint8Array.from([0, 0xff, 0x0b])));
  await writeModule(client, vm, '/tmp/open.wasm', command(Uint8Array.from([0, 0x02, 0x40, 0x0b])));
  const unknown = await client.exec(vm, '/tmp/unknown.wasm');
  assert.equal([unknown.exitCode, unknown.error?.code, unknown.stderr], [126, 'ERR_AGENTOS_WASM_COMPILE', '/tmp/unknown.wasm: cannot load the module: unknown instruction 0xff\n']);
  const open = await client.exec(vm, '/tmp/open.wasm');
  assert.equal([open.exitCode, open.error?.code, open.stderr], [126, 'ERR_AGENTOS_WASM_COMPILE', '/tmp/open.wasm: cannot load the module: function 0 ends inside a block\n']);
  await client.close();
});


// ---- JSON-RPC edges, over raw stdio ----

const init = (id: number | string = 0) => frame({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } });
const ping = (id: number | string) => frame({ jsonrpc: '2.0', id, method: 'sidecar/ping' });
type Answer = { id: unknown; result?: unknown; error?: { code: number; message: string; data: Record<string, unknown> } };

/** Runs a raw daemon on `input` (written in one go, then stdin closed); its answers and exit code. */
async function rawRun(input: Buffer, env: NodeJS.ProcessEnv = {}): Promise<{ raw: RawSidecar; answers: Answer[]; code: number | null }> {
  const raw = spawnRaw(env);
  const closed = new Promise((resolve) => raw.child.on('close', resolve));
  await started(raw);
  raw.child.stdin.end(input);
  const { code } = await raw.exited;
  await closed;
  return { raw, answers: parseFrames(raw.stdout()) as Answer[], code };
}

const FRAME_MAX = 65_536;
/** A frame over FRAME_MAX whose body starts with `head` and is padded with spaces inside a string. */
function oversized(head: string, padTo = FRAME_MAX + 100): Buffer {
  const tail = '"}}';
  const body = head + ' '.repeat(padTo - Buffer.byteLength(head) - tail.length) + tail;
  return frame(body);
}

test('an oversized frame in the same read as earlier requests: they are answered, it is answered with its id and our code, the daemon reads on', async () => {
  const big = oversized('{"jsonrpc":"2.0","id":"big","method":"fs/writeFile","params":{"vmId":"x","path":"/a","data":"');
  const input = Buffer.concat([init(), ping(1), ping(2), big, ping(3)]);
  const { raw, answers, code } = await rawRun(input, { AGENTOS_MAX_FRAME_BYTES: String(FRAME_MAX) });
  assert.is(code, 0);
  for (const id of [1, 2, 3]) assert.equal(answers.find((a) => a.id === id)!.result, {});
  const error = answers.find((a) => a.id === 'big')!.error!;
  assert.equal(error, {
    code: -32600,
    message: `frame of ${FRAME_MAX + 100} bytes exceeds the ${FRAME_MAX}-byte limit (AGENTOS_MAX_FRAME_BYTES); skipped unread`,
    data: { code: 'ERR_AGENTOS_FRAME_TOO_LARGE', limit: 'max_frame_bytes', observed: FRAME_MAX + 100, capacity: FRAME_MAX, env: 'AGENTOS_MAX_FRAME_BYTES' },
  });
  // Answered in its turn: after the requests before it, before the one after it.
  assert.equal(answers.map((a) => a.id), [0, 1, 2, 'big', 3]);
  const line = raw.logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'max_frame_bytes')!;
  assert.equal([line.observed, line.capacity], [FRAME_MAX + 100, FRAME_MAX]);
  assert.not.ok(raw.logs.some((l) => l.level === 'fatal'));
});

test('an oversized frame\'s id: read only at the top level of its first bytes; otherwise null', async () => {
  const cases: Array<[string, unknown]> = [
    // An "id" inside params comes first: not the message's.
    ['{"jsonrpc":"2.0","method":"fs/writeFile","params":{"id":5,"x":[{"id":6}]},"id":77,"y":"', 77],
    ['{"id" : -4, "jsonrpc":"2.0","method":"fs/writeFile","params":{"data":"', -4],
    ['{"jsonrpc":"2.0","method":"fs/writeFile","params":{"id":5,"data":"', null],
    // The id after the first KiB: not read.
    [`{"jsonrpc":"2.0","method":"fs/writeFile","pad":"${'p'.repeat(2000)}","id":9,"params":{"data":"`, null],
  ];
  const input = Buffer.concat([init(), ...cases.map(([head]) => oversized(head)), ping('after')]);
  const { answers, code } = await rawRun(input, { AGENTOS_MAX_FRAME_BYTES: String(FRAME_MAX) });
  assert.is(code, 0);
  const refused = answers.filter((a) => a.error?.data.code === 'ERR_AGENTOS_FRAME_TOO_LARGE').map((a) => a.id);
  assert.equal(refused, cases.map(([, id]) => id));
  assert.equal(answers.find((a) => a.id === 'after')!.result, {});
});

test('a frame cut short by EOF while being skipped is still answered; a Content-Length too large to skip by ends the stream after answering what came before', async () => {
  const cut = Buffer.concat([init(), ping(1), Buffer.from(`Content-Length: ${FRAME_MAX * 4}\r\n\r\n{"jsonrpc":"2.0","id":12,"method":"x","params":{"a":"`)]);
  const first = await rawRun(cut, { AGENTOS_MAX_FRAME_BYTES: String(FRAME_MAX) });
  assert.is(first.code, 0);
  assert.equal(first.answers.map((a) => [a.id, a.error?.data.code ?? 'ok']), [[0, 'ok'], [1, 'ok'], [12, 'ERR_AGENTOS_FRAME_TOO_LARGE']]);
  // No length to skip by: nothing after can be framed, so the daemon answers what it has and ends (2).
  for (const bad of [Buffer.from('Content-Type: x\r\n\r\n{}'), Buffer.from('Content-Length: 99999999999999999999\r\n\r\n')]) {
    const r = await rawRun(Buffer.concat([init(), ping(1), ping(2), bad, ping(3)]));
    assert.is(r.code, 2);
    assert.equal(r.answers.map((a) => a.id).sort(), [0, 1, 2]);
    const fatal = r.raw.logs.find((l) => l.level === 'fatal')!;
    assert.is(fatal.msg, 'protocol violation');
  }
});

test('a request reusing the id of one still running is refused with that id; the running one is answered; the id is free again after', async () => {
  const raw = spawnRaw();
  await started(raw);
  const send = (m: object) => raw.child.stdin.write(frame(m));
  send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } });
  send({ jsonrpc: '2.0', id: 1, method: 'vm/create', params: {} });
  const vmId = ((await frameWhere(raw, (f) => f.id === 1)).result as { vmId: string }).vmId;
  // One write (under PIPE_BUF, so one read): the exec is pending when its twin arrives.
  raw.child.stdin.write(Buffer.concat([
    frame({ jsonrpc: '2.0', id: 7, method: 'process/exec', params: { vmId, command: 'node', args: ['-e', 'console.log("first")'] } }),
    frame({ jsonrpc: '2.0', id: 7, method: 'sidecar/ping' }),
    frame({ jsonrpc: '2.0', id: '7', method: 'sidecar/ping' }),
  ]));
  const exec = await frameWhere(raw, (f) => f.id === 7 && 'result' in f);
  assert.is((exec.result as { stdout: string }).stdout, 'first\n');
  const sevens = framesSoFar(raw).filter((f) => f.id === 7) as Answer[];
  assert.is(sevens.length, 2);
  assert.equal(sevens.find((f) => f.error)!.error, {
    code: -32600,
    message: "'sidecar/ping' reuses the id 7 of a request not answered yet; not run",
    data: { code: 'ERR_AGENTOS_DUPLICATE_REQUEST_ID' },
  });
  // "7" too: vscode-jsonrpc's queue keys requests by the id's text, so it replaced the exec (never answered).
  assert.equal((framesSoFar(raw).find((f) => f.id === '7') as Answer).error!.data.code, 'ERR_AGENTOS_DUPLICATE_REQUEST_ID');
  // Answered: the id may be used again.
  send({ jsonrpc: '2.0', id: 7, method: 'sidecar/ping' });
  await eventually(() => framesSoFar(raw).filter((f) => f.id === 7).length === 3);
  assert.equal((framesSoFar(raw).filter((f) => f.id === 7)[2] as Answer).result, {});
  assert.ok(raw.logs.some((l) => l.level === 'warn' && l.code === 'ERR_AGENTOS_DUPLICATE_REQUEST_ID' && l.id === 7));
  raw.child.stdin.end();
  assert.is((await raw.exited).code, 0);
});


// ---- smaller bounds ----

test('package.json in module resolution: past its byte or depth bound a require fails with ERR_INVALID_PACKAGE_CONFIG and the limit line; within them it resolves', async () => {
  const { client, logs } = await startSidecar();
  const vm = (await client.createVm()).vmId;
  const write = (path: string, data: string | Buffer) => client.request(P.FsWriteFile, { vmId: vm, path, data: Buffer.from(data).toString('base64') });
  await client.request(P.FsMkdir, { vmId: vm, path: '/app/node_modules/big', recursive: true });
  await client.request(P.FsMkdir, { vmId: vm, path: '/app/node_modules/deep', recursive: true });
  await client.request(P.FsMkdir, { vmId: vm, path: '/app/node_modules/fine', recursive: true });
  // 2 MiB: a main, then padding in a string.
  await write('/app/node_modules/big/package.json', `{"main":"m.js","pad":"${'x'.repeat(2 * MiB)}"}`);
  await write('/app/node_modules/big/m.js', 'module.exports = 1;');
  // 65 levels of arrays (the bound is 64) in 130 bytes.
  await write('/app/node_modules/deep/package.json', `{"main":"m.js","x":${'['.repeat(64)}${']'.repeat(64)}}`);
  await write('/app/node_modules/deep/m.js', 'module.exports = 2;');
  await write('/app/node_modules/fine/package.json', `{"main":"m.js","x":${'['.repeat(63)}${']'.repeat(63)}}`);
  await write('/app/node_modules/fine/m.js', 'module.exports = 3;');
  const script = `for (const m of ['big', 'deep', 'fine']) { try { console.log(m, require(m)); } catch (e) { console.log(m, e.code, e.message); } }`;
  const r = await client.exec(vm, 'node', ['-e', script], { cwd: '/app' });
  assert.is(r.stdout, [
    `big ERR_INVALID_PACKAGE_CONFIG Invalid package config /app/node_modules/big/package.json: ${2 * MiB + 24} bytes, more than ${MiB} (AGENTOS_PACKAGE_JSON_MAX_BYTES)`,
    'deep ERR_INVALID_PACKAGE_CONFIG Invalid package config /app/node_modules/deep/package.json: nests more than 64 levels deep (AGENTOS_PACKAGE_JSON_MAX_DEPTH)',
    'fine 3',
    '',
  ].join('\n'), r.stderr);
  const bytes = logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'package_json_max_bytes')!;
  assert.equal([bytes.observed, bytes.capacity, bytes.env], [2 * MiB + 24, MiB, 'AGENTOS_PACKAGE_JSON_MAX_BYTES']);
  const depth = logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'package_json_max_depth')!;
  assert.equal([depth.observed, depth.capacity], [65, 64]);
  await client.close();
});



test('cp counts what the copy adds: over an existing copy it fits where a count of the whole source did not; a copy that adds too much is still ENOSPC', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({ limits: { fsQuotaBytes: MiB }, files: [
    { path: '/a/f', data: Buffer.alloc(400 * 1024, 1).toString('base64'), encoding: 'base64' },
    { path: '/a/d/g', data: 'new', encoding: 'utf8' },
    { path: '/b/f', data: Buffer.alloc(400 * 1024, 2).toString('base64'), encoding: 'base64' },
  ] });
  const r = await client.exec(vmId, 'node', ['-e', `const fs = require('fs');
    fs.cpSync('/a', '/b', { recursive: true });
    console.log(fs.readFileSync('/b/f')[0], fs.readFileSync('/b/d/g', 'utf8'));
    try { fs.cpSync('/a', '/c', { recursive: true }); } catch (e) { console.log(e.code, fs.existsSync('/c')); }`]);
  assert.is(r.stdout, '1 new\nENOSPC false\n', r.stderr);
  await client.close();
});

// ---- red team: host binding floods ----

test('host binding with huge arguments: refused by length before they cross to the daemon or are parsed there; the limit line; small calls go on', async () => {
  let calls = 0;
  const { client, logs } = await startSidecar({ bindings: { f: (args) => { calls++; return (args[0] as string).length; } } });
  const { vmId } = await client.createVm({ bindings: ['f'] });
  const code = `(async () => {
    for (const n of [1024, 60 * 1024 * 1024, 2 * 1024 * 1024, 10]) {
      try { console.log('ok', await host.f('x'.repeat(n))); } catch (e) { console.log(e.code, e.message); }
    }
  })()`;
  const r = await client.exec(vmId, 'node', ['-e', code]);
  assert.is(r.stdout, [
    'ok 1024',
    `ERR_AGENTOS_ARGS_LIMIT host.f: its arguments as JSON is ${60 * MiB + 4} bytes; the limit is ${MiB} (AGENTOS_HOST_CALL_PAYLOAD_BYTES)`,
    `ERR_AGENTOS_ARGS_LIMIT host.f: its arguments as JSON is ${2 * MiB + 4} bytes; the limit is ${MiB} (AGENTOS_HOST_CALL_PAYLOAD_BYTES)`,
    'ok 10',
    '',
  ].join('\n'), r.stderr);
  assert.is(calls, 2);
  const lines = logs.filter((l) => l.msg === 'bounded limit exhausted' && l.limit === 'host_call_payload_bytes');
  assert.equal(lines.map((l) => l.observed), [60 * MiB + 4, 2 * MiB + 4]);
  await client.close();
});


// ---- red team: the jail of a confined process ----

test('a confined process (preopen / = /jail) cannot leave its jail: symlinks out (absolute, relative, to /), .., /proc/self/fd, /dev/fd, hard links and renames across the edge', async () => {
  const { client } = await startSidecar();
  const { vmId } = await client.createVm({ cwd: '/', files: [
    { path: '/secret/key.txt', data: 'TOP-SECRET', encoding: 'utf8', mode: 0o600 },
    { path: '/jail/ok.txt', data: 'inside', encoding: 'utf8' },
    { path: '/jail/sub/x', data: 'x', encoding: 'utf8' },
  ] });
  // Links planted from outside the jail, as a host or another process could.
  const plant = await client.exec(vmId, 'node', ['-e', `const fs = require('fs');
    for (const [target, at] of [['/secret/key.txt', 'abs'], ['../secret/key.txt', 'rel'], ['../../secret', 'sub/up'], ['/', 'root'], ['..', 'dotdot'], ['/secret', 'sdir']]) fs.symlinkSync(target, '/jail/' + at);`]);
  assert.is(plant.exitCode, 0, plant.stderr);
  const jail = { preopens: [{ name: '/', path: '/jail' }, { name: '/usr/bin', path: '/usr/bin' }], cwd: '/' };
  const cases: Array<[string, number, string]> = [
    ['cat /abs', 1, 'cat: /abs: No such file or directory\n'],
    ['cat /rel', 1, 'cat: /rel: No such file or directory\n'],
    ['cat /sub/up/key.txt', 1, 'cat: /sub/up/key.txt: No such file or directory\n'],
    ['cat /root/secret/key.txt', 1, 'cat: /root/secret/key.txt: No such file or directory\n'],
    ['cat /dotdot/dotdot/secret/key.txt', 1, 'cat: /dotdot/dotdot/secret/key.txt: No such file or directory\n'],
    ['cat /sdir/key.txt', 1, 'cat: /sdir/key.txt: No such file or directory\n'],
    ['cat /../secret/key.txt', 1, 'cat: /../secret/key.txt: No such file or directory\n'],
    ['cat /proc/self/fd/3', 1, 'cat: /proc/self/fd/3: No such file or directory\n'],
    ['cat /dev/fd/3', 1, 'cat: /dev/fd/3: No such file or directory\n'],
    ['cat < /rel', 1, 'error: failed to redirect to /rel: No such file or directory (os error 44)\n'],
    ['link /../secret/key.txt /h; cat /h', 1, "link: cannot create link '/h' to '/../secret/key.txt': No such file or directory\ncat: /h: No such file or directory\n"],
    ['ln /rel /hard; cat /hard', 1, 'cat: /hard: No such file or directory\n'],
    ['cp /abs /copied', 1, "cp: cannot stat '/abs': No such file or directory\n"],
    ['mv /ok.txt /../escaped.txt', 0, ''],
    ['cd /root && cat secret/key.txt', 1, 'cat: secret/key.txt: No such file or directory\n'],
    ['echo pwn > /rel', 1, 'error: failed to redirect to /rel: No such file or directory (os error 44)\n'],
    ['chmod 777 /abs', 1, "chmod: cannot operate on dangling symlink '/abs'\n"],
  ];
  for (const [cmd, exitCode, stderr] of cases) {
    const r = await client.exec(vmId, 'sh', ['-c', cmd], jail);
    assert.equal([cmd, r.exitCode, r.stdout, r.stderr], [cmd, exitCode, '', stderr]);
  }
  // Outside, nothing moved or changed: `/../escaped.txt` is the jail's own /escaped.txt, as under chroot.
  const check = await client.exec(vmId, 'node', ['-e', `const fs = require('fs'); console.log(fs.readFileSync('/secret/key.txt', 'utf8'), (fs.statSync('/secret/key.txt').mode & 0o777).toString(8), fs.existsSync('/escaped.txt'), fs.readFileSync('/jail/escaped.txt', 'utf8'))`]);
  assert.is(check.stdout, 'TOP-SECRET 600 false inside\n');
  await client.close();
});

test.run();
