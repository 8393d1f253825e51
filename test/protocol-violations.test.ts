import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../protocol/index.js';
import { eventually, frame, startSidecar } from './helpers/sidecar.js';
import { spawnRaw, started } from './helpers/raw.js';

/** Each violation must end the daemon with exit code 2 and one fatal line naming the cause. */
const violations: Array<[string, Buffer, RegExp]> = [
  ['invalid JSON', frame('{"jsonrpc": "2.0", "id": 1, "method": '), /not valid JSON/],
  ['a message that is neither request, response nor notification', frame({ jsonrpc: '2.0', id: 7 }), /neither a request, a notification nor a response/],
  ['a non-object message', frame('[1, 2]'), /not a JSON object/],
  ['a missing jsonrpc version', frame({ id: 1, method: 'vm/list' }), /"jsonrpc": "2.0"/],
  ['a header without Content-Length', Buffer.from('Content-Type: x\r\n\r\n{}'), /no Content-Length/],
  ['a malformed header', Buffer.from('garbage\r\n\r\n'), /malformed frame header/],
  ['a frame over the size limit', Buffer.from('Content-Length: 999999999\r\n\r\n'), /exceeds the \d+-byte limit \(AGENTOS_MAX_FRAME_BYTES\)/],
];

for (const [name, bytes, cause] of violations) {
  test(`protocol violation: ${name} → fatal log, exit 2`, async () => {
    const raw = spawnRaw();
    await started(raw);
    raw.child.stdin.write(frame({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: P.PROTOCOL_VERSION } }));
    raw.child.stdin.write(bytes);
    const { code } = await raw.exited;
    assert.is(code, 2);
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
