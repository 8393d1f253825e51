// The host reaching a guest server (issue 12, inbound): vm/fetch, small and large (streamed as
// vm/fetchBody), and vm/forward, which a plain node:http GET on the host goes through. The
// guest server is a `net` server speaking HTTP/1.1 by hand (guest `http` is guest-http's).
import { get } from 'node:http';
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SidecarClient } from '../src/client/client.js';
import { eventually, rejection, startSidecar } from './helpers/sidecar.js';

// uvu imports every suite before it runs any: what this one starts is started in test.before,
// when the suite runs, or its server could reach its wall-time limit before the first test.
let client: SidecarClient;
let vmId: string;

const SERVER = `const net = require('net');
const srv = net.createServer((s) => {
  let req = '';
  s.on('data', (d) => {
    req += d;
    const end = req.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    const [line, ...headers] = req.slice(0, end).split('\\r\\n');
    const length = Number((headers.find((h) => /^content-length:/i.test(h)) ?? 'x: 0').split(':')[1]);
    if (req.length < end + 4 + length) return;
    const body = req.slice(end + 4, end + 4 + length);
    const [method, path] = line.split(' ');
    const out = path === '/big' ? 'x'.repeat(200000) + 'end' : JSON.stringify({ method, path, body, host: headers.find((h) => /^host:/i.test(h)) });
    s.end('HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\nx-guest: yes\\r\\ncontent-length: ' + Buffer.byteLength(out) + '\\r\\nconnection: close\\r\\n\\r\\n' + out);
  });
});
srv.listen(3000, () => console.log('listening'));
process.stdin.resume();
process.stdin.on('end', () => srv.close());
`;
let pid: number;
let exited: ReturnType<SidecarClient['waitForExit']>;

test.before(async () => {
  ({ client } = await startSidecar());
  ({ vmId } = await client.createVm());
  await client.writeFile(vmId, '/home/user/server.js', SERVER);
  ({ pid } = await client.spawn(vmId, 'node', ['server.js']));
  exited = client.waitForExit(vmId, pid);
  let out = '';
  client.onOutput((e) => { if (e.vmId === vmId && e.pid === pid) out += e.data; });
  await eventually(() => out.includes('listening'));
});

test('vm/fetch reaches the guest server: status, headers, body; a POST body arrives', async () => {
  const r = await client.fetchVm({ vmId, port: 3000, method: 'POST', path: '/echo?x=1', headers: { 'content-type': 'text/plain' }, body: 'payload' });
  assert.equal([r.status, r.statusText, r.headers['x-guest'], r.chunks], [200, 'OK', 'yes', 0]);
  assert.equal(JSON.parse(r.body.toString()), { method: 'POST', path: '/echo?x=1', body: 'payload', host: 'host: localhost:3000' });
});

test('a large body comes as vm/fetchBody chunks, whole and in order', async () => {
  const r = await client.fetchVm({ vmId, port: 3000, path: '/big' });
  assert.is(r.bodyBytes, 200003);
  assert.is(r.chunks, 4);
  assert.is(r.body.toString(), `${'x'.repeat(200000)}end`);
});

test('vm/fetch to a port nothing listens on: ERR_AGENTOS_NET_REFUSED', async () => {
  const e = await rejection(() => client.fetchVm({ vmId, port: 3001 }));
  assert.is(e.code, 'ERR_AGENTOS_NET_REFUSED');
});

test('vm/forward: a plain node:http GET on the host port reaches the guest; closed by vm/forwardClose', async () => {
  const { hostPort } = await client.forwardVm(vmId, 3000);
  assert.is((await client.vmStats(vmId)).network.forwards, 1);
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port: hostPort, path: '/page' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(`${res.statusCode} ${res.headers['x-guest']} ${text}`));
    }).on('error', reject);
  });
  assert.is(body, `200 yes ${JSON.stringify({ method: 'GET', path: '/page', body: '', host: `Host: 127.0.0.1:${hostPort}` })}`);
  assert.equal(await client.closeForward(vmId, hostPort), { closed: true });
  const refused = await new Promise<string>((resolve) => connect(hostPort, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).on('connect', () => resolve('connected')));
  assert.is(refused, 'ECONNREFUSED');
});

test('forward ports close with the VM', async () => {
  const other = await client.createVm();
  await client.writeFile(other.vmId, '/home/user/server.js', SERVER);
  const s = await client.spawn(other.vmId, 'node', ['server.js']);
  let o = '';
  client.onOutput((e) => { if (e.vmId === other.vmId && e.pid === s.pid) o += e.data; });
  await eventually(() => o.includes('listening'));
  const { hostPort } = await client.forwardVm(other.vmId, 3000);
  await client.disposeVm(other.vmId);
  const refused = await new Promise<string>((resolve) => connect(hostPort, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).on('connect', () => resolve('connected')));
  assert.is(refused, 'ECONNREFUSED');
});

test.after(async () => {
  await client.closeStdin(vmId, pid);
  assert.is((await exited).exitCode, 0);
  await client.close();
});

test.run();
