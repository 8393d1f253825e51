import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, frame, parseFrames, startSidecar } from './helpers/sidecar.js';
import { framesSoFar, spawnRaw, started } from './helpers/raw.js';

/**
 * A whole frame whose body is not a JSON-RPC message leaves the stream in step: it is
 * answered (JSON-RPC's reserved code, id null, our code in data.code) and the next
 * request still works.
 */
const answered: Array<[string, Buffer, number, string, RegExp]> = [
  ['invalid JSON', frame('{"jsonrpc": "2.0", "id": 1, "method": '), -32700, 'ERR_AGENTOS_PARSE_ERROR', /not valid JSON/],
  ['a message that is neither request, response nor notification', frame({ jsonrpc: '2.0', id: 7 }), -32600, 'ERR_AGENTOS_INVALID_REQUEST', /neither a request, a notification nor a response/],
  ['a non-object message (a batch)', frame('[1, 2]'), -32600, 'ERR_AGENTOS_INVALID_REQUEST', /not a JSON object \(batches are not supported\)/],
  ['a missing jsonrpc version', frame({ id: 1, method: 'vm/list' }), -32600, 'ERR_AGENTOS_INVALID_REQUEST', /"jsonrpc": "2.0"/],
  ['a request id that is neither string nor integer', frame({ jsonrpc: '2.0', id: 1.5, method: 'vm/list' }), -32600, 'ERR_AGENTOS_INVALID_REQUEST', /request id must be a string or an integer/],
  ['params that are a number', frame({ jsonrpc: '2.0', id: 4, method: 'vm/list', params: 5 }), -32600, 'ERR_AGENTOS_INVALID_REQUEST', /"params" must be an object or an array/],
];

for (const [name, bytes, rpc, code, message] of answered) {
  test(`${name} → answered with ${rpc} and id null; the daemon reads on`, async () => {
    const raw = spawnRaw();
    // 'close' comes after stdout has been read to its end ('exit' may come before).
    const closed = new Promise((resolve) => raw.child.on('close', resolve));
    await started(raw);
    raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } }));
    raw.child.stdin.write(bytes);
    raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 9, method: 'sidecar/ping' }));
    raw.child.stdin.end();
    assert.is((await raw.exited).code, 0);
    await closed;
    const frames = parseFrames(raw.stdout()) as Array<{ id: unknown; result?: unknown; error?: { code: number; message: string; data: { code: string } } }>;
    assert.equal(frames.map((f) => f.id), [0, null, 9]);
    const error = frames[1]!.error!;
    assert.is(error.code, rpc);
    assert.is(error.data.code, code);
    assert.match(error.message, message);
    assert.equal(frames[2]!.result, {});
    await eventually(() => raw.logs.some((l) => l.level === 'warn' && l.code === code));
  });
}

/**
 * A frame with no length to skip by leaves nothing to trust: what came before it is
 * answered, then exit code 2 and one fatal line naming the cause. (A frame over the size
 * limit has a length: it is skipped and answered, see hardening-bounds.test.ts.)
 */
const violations: Array<[string, Buffer, RegExp]> = [
  ['a header without Content-Length', Buffer.from('Content-Type: x\r\n\r\n{}'), /no Content-Length/],
  ['a malformed header', Buffer.from('garbage\r\n\r\n'), /malformed frame header/],
];

for (const [name, bytes, cause] of violations) {
  test(`protocol violation: ${name} → fatal log, exit 2`, async () => {
    const raw = spawnRaw();
    await started(raw);
    raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } }));
    raw.child.stdin.write(bytes);
    const { code } = await raw.exited;
    assert.is(code, 2);
    assert.equal(framesSoFar(raw).map((f) => f.id), [0]);
    const fatal = raw.logs.find((l) => l.level === 'fatal');
    assert.ok(fatal, 'a fatal log line');
    assert.is(fatal!.msg, 'protocol violation');
    assert.match(String(fatal!.cause), cause);
  });
}

test('an answer to an id the sidecar never issued is dropped, logged and counted; work goes on', async () => {
  const { client, logs } = await startSidecar();
  const { vmId } = await client.createVm();
  // A response frame for request 424242, which the sidecar never sent.
  const writer = client.child.stdin!;
  writer.write(frame({ jsonrpc: '2.0', id: 424242, result: { late: true } }));
  writer.write(frame({ jsonrpc: '2.0', id: 'x-1', error: { code: 1, message: 'nope' } }));
  const line = await eventually(() => logs.find((l) => l.reason === 'unmatched_response' && l.id === 424242));
  assert.is(line.level, 'warn');
  const stats = await client.request(P.SidecarStats, {});
  assert.is(stats.droppedResponses.unmatched, 2);
  const r = await client.exec(vmId, 'node', ['-e', 'console.log("still here")']);
  assert.is(r.stdout, 'still here\n');
  assert.is(await client.close(), 0);
});

test.run();
