// Web streams meet Node streams (issue 11): Readable/Writable/Duplex.toWeb and fromWeb and
// CompressionStream/DecompressionStream are Node's own internal/webstreams/adapters.js and
// compression.js. Each script runs in a VM and under the host's Node 20; the output must match.
import { test } from 'uvu';
import { scriptPair } from './helpers/script-pair.js';
import { startSidecar } from './helpers/sidecar.js';

const { client } = await startSidecar();
const { vmId } = await client.createVm({});
const { sameAsHost } = scriptPair(client, vmId, 'agentos-web-streams-');

test('toWeb and fromWeb both ways for Readable, Writable and Duplex; Duplex.from a web stream; Compression and DecompressionStream with Node\'s errors', async () => {
  await sameAsHost("const { Readable, Writable, Duplex, PassThrough } = require('stream');\nconst zlib = require('zlib');\n(async () => {\n  const chunks = [];\n  for await (const c of Readable.toWeb(Readable.from(['a', 'b', 'c']))) chunks.push(c);\n  console.log(chunks);\n  const r = Readable.fromWeb(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.enqueue(new Uint8Array([33])); c.close(); } }));\n  let s = ''; for await (const c of r) s += c; console.log(s, r instanceof Readable);\n  const got = [];\n  const w = Writable.fromWeb(new WritableStream({ write(c) { got.push(Buffer.from(c).toString()); } }));\n  w.write('x'); w.end('y', () => console.log('written', got));\n  await new Promise((res) => w.on('finish', res));\n  const ws = Writable.toWeb(new Writable({ write(c, e, cb) { console.log('node got', String(c)); cb(); } }));\n  const wr = ws.getWriter(); await wr.write(new Uint8Array([65])); await wr.close();\n  const { readable, writable } = Duplex.toWeb(new PassThrough());\n  const dw = writable.getWriter(); dw.write(new Uint8Array([66])); dw.close();\n  for await (const c of readable) console.log('duplex', c);\n  const gz = new CompressionStream('gzip');\n  const text = 'hello '.repeat(1000);\n  const compressed = [];\n  const writer = gz.writable.getWriter(); writer.write(new TextEncoder().encode(text)); writer.close();\n  for await (const c of gz.readable) compressed.push(c);\n  const all = Buffer.concat(compressed);\n  console.log(all.length < 200, zlib.gunzipSync(all).toString() === text);\n  const ds = new DecompressionStream('deflate');\n  const dwr = ds.writable.getWriter(); dwr.write(zlib.deflateSync('round trip')); dwr.close();\n  let out = ''; for await (const c of ds.readable.pipeThrough(new TextDecoderStream())) out += c; console.log(out);\n  try { new CompressionStream('br'); } catch (e) { console.log(e.code, e.message); }\n  const bad = new DecompressionStream('gzip'); const bw = bad.writable.getWriter(); bw.write(new Uint8Array([1, 2, 3])).catch(() => {}); bw.close().catch(() => {});\n  try { for await (const c of bad.readable); } catch (e) { console.log(e.code, e.message); }\n  console.log(Object.prototype.toString.call(gz), typeof globalThis.CompressionStream);\n  const viaFrom = Duplex.from(new ReadableStream({ start(c) { c.enqueue('q'); c.close(); } }));\n  for await (const c of viaFrom) console.log('from', String(c));\n})();\n");
});

test('a fetch body piped to a file through Readable.fromWeb, and a file through CompressionStream', async () => {
  await sameAsHost(`const http = require('http');
const fs = require('fs');
const { Readable } = require('stream');
const { pipeline } = require('stream/promises');
const server = http.createServer((req, res) => res.end('line\\n'.repeat(5000))).listen(0, '127.0.0.1', async () => {
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/');
  await pipeline(Readable.fromWeb(res.body), fs.createWriteStream('dl.txt'));
  console.log(fs.statSync('dl.txt').size);
  const gz = Readable.toWeb(fs.createReadStream('dl.txt')).pipeThrough(new CompressionStream('gzip'));
  await pipeline(Readable.fromWeb(gz), fs.createWriteStream('dl.txt.gz'));
  console.log(require('zlib').gunzipSync(fs.readFileSync('dl.txt.gz')).length);
  server.close();
});`);
});

test.after(async () => {
  await client.close();
});

test.run();
