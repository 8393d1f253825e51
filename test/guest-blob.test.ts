// Blob and File (issue 11): Node's own lib/internal/blob.js and file.js over the guest's blob
// binding. Each script runs in a VM through the daemon and under the host's Node 20; the
// output must be the same, line for line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptPair } from './helpers/script-pair.js';
import { startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
const { sameAsHost, inVm } = scriptPair(client, vmId, 'agentos-blob-');

test('globals and buffer exports: one Blob and File class, Node\'s inspect, tag and argument errors', async () => {
  await sameAsHost(`const { Blob: B, File: F } = require('buffer');
console.log(typeof Blob, Blob === B, File === F, Object.getPrototypeOf(File) === Blob);
const b = new Blob(['héllo ', new Uint8Array([65, 66]), new Blob(['xyz'])], { type: 'Text/Plain' });
console.log(b, b.size, b.type, String(b), Object.prototype.toString.call(b));
console.log(new File(['abc'], 'a.txt', { lastModified: 5, type: 'a/b' }), new File([], 'x').lastModified > 0);
for (const bad of [() => new Blob('x'), () => new Blob([], { endings: 'odd' }), () => new File([]), () => Blob.prototype.size]) {
  try { bad(); } catch (e) { console.log(e.name, e.code, e.message); }
}`);
});

test('reading: text, arrayBuffer, bytes, slices of slices, a stream, and blobs made of blobs share nothing they should not', async () => {
  await sameAsHost(`(async () => {
  const src = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const b = new Blob(['ab', src, new Blob(['cd', new Blob(['ef'])])]);
  src[0] = 99;
  console.log(Array.from(new Uint8Array(await b.arrayBuffer())), await b.slice(2, 6).bytes());
  console.log(await b.slice(-4).text(), await b.slice(3, -3).slice(1, 4).bytes(), b.slice(5, 2).size, b.slice(0, 100, 'T/X').type);
  const chunks = [];
  for await (const c of new Blob(['x'.repeat(70000), 'y']).stream()) chunks.push(c.length);
  console.log(chunks.reduce((a, n) => a + n, 0));
  console.log(await new Blob(['a\\nb\\r\\nc'], { endings: 'native' }).text() === 'a\\nb\\nc');
})();`);
});

test("object URLs, fs.openAsBlob, and fetch's Response, FormData and File take Node's Blob", async () => {
  await sameAsHost(`const { resolveObjectURL } = require('buffer');
const fs = require('fs');
(async () => {
  const b = new Blob(['object url'], { type: 'text/x' });
  const id = URL.createObjectURL(b);
  console.log(/^blob:nodedata:[0-9a-f-]{36}$/.test(id), resolveObjectURL(id).type, await resolveObjectURL(id).text());
  URL.revokeObjectURL(id);
  console.log(resolveObjectURL(id), resolveObjectURL('blob:nodedata:nope'), resolveObjectURL('http://x'));
  try { URL.createObjectURL({}); } catch (e) { console.log(e.code, e.message); }
  try { URL.revokeObjectURL(); } catch (e) { console.log(e.code, e.message); }
  fs.writeFileSync('ob.txt', 'file bytes');
  const fb = await fs.openAsBlob('ob.txt', { type: 'text/plain' });
  console.log(fb.size, fb.type, await fb.text());
  try { await fs.openAsBlob('ob.txt', { type: 1 }); } catch (e) { console.log(e.code); }
  console.log(await new Response(new Blob(['resp'])).text(), (await new Response('zz').blob()) instanceof Blob);
  const fd = new FormData();
  fd.append('f', new File(['q'], 'q.txt'));
  console.log(fd.get('f').name, fd.get('f') instanceof File);
})();`);
});

test('structuredClone and an in-process MessagePort carry a Blob (a File comes out a Blob, as in Node); a worker refuses one with DataCloneError', async () => {
  await sameAsHost(`const b = new Blob(['abc'], { type: 't/x' });
const c = structuredClone({ b, f: new File(['z'], 'z.txt') });
console.log(c.b instanceof Blob, c.b.size, c.b.type, c.f.constructor.name, c.f.name);
c.b.text().then((t) => console.log('text', t));
const { port1, port2 } = new MessageChannel();
port2.on('message', (m) => { console.log('port got', m instanceof Blob, m.size); port1.close(); });
port1.postMessage(b);`);
  const refused = await inVm(`const { Worker } = require('worker_threads');
const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
try { w.postMessage({ b: new Blob(['x']) }); } catch (e) { console.log(e.name, e.message); }
w.terminate();`);
  assert.is(refused.stdout, 'DataCloneError a Blob cannot be sent to a worker in this runtime (each worker is an isolate of its own); send its bytes (await blob.arrayBuffer()) instead.\n');
});

test.after(async () => {
  await client.close();
});

test.run();
