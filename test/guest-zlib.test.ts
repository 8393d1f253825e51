import { readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SidecarClient } from '../src/client/client.js';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

/**
 * zlib in guest JS is Node's own lib/zlib.js over handles of the daemon's node:zlib
 * (src/js/guest/node/zlib-binding.ts, src/js/node-host/zlib-calls.ts): the same script gives
 * the same bytes, chunks, events and errors as the host's node. A zip bomb's output lives
 * only in the guest (its heap limit stops it), and the native memory a process's handles
 * hold in the daemon is bounded and freed when the process ends.
 */
const MiB = 1024 * 1024;
const { client, logs } = await startSidecar({
  env: { ...process.env, AGENTOS_ZLIB_HANDLE_MEMORY_BYTES: String(8 * MiB), AGENTOS_NODE_HANDLES_PER_PROCESS: '64' },
});
const { vmId } = await client.createVm({});
await client.mkdir(vmId, '/w');
const same = sameAsHost(client, vmId, 'agentos-zlib-');

/** The daemon's peak resident set (VmHWM), in bytes. */
function peakRss(c: SidecarClient): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${c.child.pid}/status`, 'utf8'))![1]) * 1024;
}

// Deterministic data of every kind: text, runs, and incompressible bytes past one call's 64 KiB.
const DATA = `
  const crypto = require('crypto');
  const text = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(5000));
  let x = 12345;
  const noise = Buffer.alloc(300000);
  for (let i = 0; i < noise.length; i++) { x = (x * 1103515245 + 12345) >>> 0; noise[i] = x >>> 24; }
  const mixed = Buffer.concat([text, noise, Buffer.alloc(100000, 7)]);
  const h = (b) => b.length + ':' + crypto.createHash('sha256').update(b).digest('hex').slice(0, 16);
`;

test('sync forms: every engine, level, strategy, window, memLevel and dictionary gives the host\'s bytes', async () => {
  const out = await same(`${DATA}
    const zlib = require('zlib');
    for (const input of [Buffer.alloc(0), Buffer.from('a'), text, noise, mixed]) {
      for (const [c, d] of [['deflateSync', 'inflateSync'], ['gzipSync', 'gunzipSync'], ['deflateRawSync', 'inflateRawSync'], ['gzipSync', 'unzipSync']]) {
        for (const opts of [{}, { level: 0 }, { level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY }, { level: 9, memLevel: 9, windowBits: 9, strategy: zlib.constants.Z_RLE }, { chunkSize: 64 }, { dictionary: Buffer.from('quick brown fox lazy dog') }]) {
          const packed = zlib[c](input, opts);
          const back = zlib[d](packed, opts.dictionary ? { dictionary: opts.dictionary } : {});
          console.log(c, JSON.stringify(opts), h(packed), back.equals(input));
        }
      }
      const br = zlib.brotliCompressSync(input, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
      console.log('brotli', h(br), h(zlib.brotliCompressSync(input)), zlib.brotliDecompressSync(br).equals(input));
      const info = zlib.gzipSync(input, { info: true });
      console.log('info', info.engine.constructor.name, info.engine.bytesWritten, h(info.buffer));
    }
  `);
  assert.ok(out.split('\n').length > 100);
});

test('streams: chunk sizes, flush and params mid-stream, bytesWritten, concatenated gzip members, brotli flush, _processChunk', async () => {
  await same(`${DATA}
    const zlib = require('zlib');
    const run = (engine, writes, done) => {
      const sizes = [];
      const parts = [];
      engine.on('data', (c) => { sizes.push(c.length); parts.push(c); });
      engine.on('end', () => done(sizes, Buffer.concat(parts)));
      writes(engine);
    };
    const steps = [];
    steps.push((next) => run(zlib.createDeflate({ chunkSize: 1024 }), (z) => {
      z.write(text.subarray(0, 70000));
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        z.params(9, zlib.constants.Z_FILTERED, () => {
          z.write(noise);
          z.params(1, zlib.constants.Z_DEFAULT_STRATEGY, () => z.end(mixed));
        });
      });
    }, (sizes, all) => { console.log('deflate', sizes.length, sizes.slice(0, 8).join(','), h(all), zlib.inflateSync(all).length); next(); }));
    steps.push((next) => {
      const g = zlib.createGzip();
      run(g, (z) => { z.write(noise); z.end(text); }, (sizes, all) => { console.log('gzip', sizes.join(','), h(all), g.bytesWritten); next(); });
    });
    steps.push((next) => {
      const two = Buffer.concat([zlib.gzipSync(noise), zlib.gzipSync(text)]);
      const u = zlib.createGunzip();
      run(u, (z) => { for (let i = 0; i < two.length; i += 70001) z.write(two.subarray(i, i + 70001)); z.end(); }, (sizes, all) => { console.log('members', sizes.length, h(all), u.bytesWritten); next(); });
    });
    steps.push((next) => run(zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }), (z) => {
      z.write(text);
      z.flush(() => z.end(noise));
    }, (sizes, all) => { console.log('brotli', sizes.join(','), h(all), zlib.brotliDecompressSync(all).length); next(); }));
    steps.push((next) => {
      const z = zlib.createDeflateRaw();
      console.log('processChunk', h(z._processChunk(mixed, zlib.constants.Z_FINISH)), z.bytesWritten);
      const i = zlib.createInflateRaw();
      i._processChunk(zlib.deflateRawSync(text), zlib.constants.Z_SYNC_FLUSH, () => { console.log('processChunk cb'); next(); });
    });
    steps.push((next) => zlib.gzip(mixed, (err, r) => { console.log('gzip cb', err, h(r)); next(); }));
    steps.push((next) => require('util').promisify(zlib.brotliCompress)(text).then((r) => { console.log('promisified', h(r)); next(); }));
    const go = () => { const s = steps.shift(); if (s) s(go); };
    go();
  `);
});

test('crc32, constants and errors are Node\'s: bad data, truncated input, wrong dictionary, bad options, maxOutputLength', async () => {
  await same(`${DATA}
    'use strict';
    const zlib = require('zlib');
    console.log(zlib.crc32(''), zlib.crc32('', 4294967295), zlib.crc32('héllo'), zlib.crc32(mixed), zlib.crc32(noise, 99), zlib.crc32(new Uint16Array([1, 2, 3])));
    console.log(Object.keys(zlib.constants).length, zlib.constants.Z_MAX_CHUNK, zlib.Z_BEST_COMPRESSION, Object.isFrozen(zlib.codes), zlib.codes.Z_DATA_ERROR);
    try { zlib.constants.Z_OK = 1; } catch (e) { console.log(e.name); }
    const tryIt = (f) => { try { console.log('ok', f()); } catch (e) { console.log(e.name, e.code, e.errno, e.message); } };
    tryIt(() => zlib.inflateSync(Buffer.from('garbage data')));
    tryIt(() => zlib.gunzipSync(zlib.gzipSync(text).subarray(0, 500)));
    tryIt(() => zlib.inflateSync(zlib.deflateSync(text, { dictionary: Buffer.from('abc') }), { dictionary: Buffer.from('abd') }));
    tryIt(() => zlib.inflateSync(zlib.deflateSync(text, { dictionary: Buffer.from('abc') })));
    tryIt(() => zlib.brotliDecompressSync(Buffer.from('not brotli at all')));
    tryIt(() => zlib.createBrotliCompress({ params: { 10000: 0 } }));
    tryIt(() => zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING]: 42 } }));
    tryIt(() => zlib.deflateSync('x', { level: 10 }));
    tryIt(() => zlib.deflateSync('x', { windowBits: 'x' }));
    tryIt(() => zlib.gunzipSync(zlib.gzipSync(text), { maxOutputLength: 1000 }).length);
    tryIt(() => zlib.crc32(1));
    const s = zlib.createInflate();
    s.on('error', (e) => console.log('stream error', e.code, e.errno, e.message, s._closed));
    s.write(Buffer.from('garbage data'));
  `);
});

test('a zip bomb inflated whole stops at the guest\'s heap limit; streamed and discarded, it passes without growing the daemon', async () => {
  // 1 GiB of zeros, gzip'd on the host (~1 MiB).
  const bomb = await new Promise<Buffer>((resolve) => {
    const parts: Buffer[] = [];
    const g = createGzip({ level: 9 });
    g.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts)));
    const chunk = Buffer.alloc(MiB);
    let n = 0;
    const pump = () => {
      while (n < 1024) {
        n++;
        if (!g.write(chunk)) return void g.once('drain', pump);
      }
      g.end();
    };
    pump();
  });
  await client.writeFile(vmId, '/w/bomb.gz', bomb);
  const whole = await client.exec(vmId, 'node', ['-e', "require('zlib').gunzipSync(require('fs').readFileSync('/w/bomb.gz')); console.log('inflated')"]);
  assert.is(whole.stdout, '');
  assert.is(whole.error?.code, 'ERR_AGENTOS_HEAP_LIMIT');
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'guest_heap_limit_mb'));
  const before = peakRss(client);
  const streamed = await client.exec(vmId, 'node', ['-e', `
    const s = require('fs').createReadStream('/w/bomb.gz').pipe(require('zlib').createGunzip());
    let n = 0;
    s.on('data', (c) => { n += c.length; });
    s.on('end', () => console.log('streamed', n));
  `]);
  assert.is(streamed.stdout, `streamed ${1024 * MiB}\n`, streamed.stderr);
  const grown = peakRss(client) - before;
  assert.ok(grown < 256 * MiB, `the daemon's peak RSS grew by ${Math.round(grown / MiB)} MiB while 1 GiB streamed through`);
});

test('the native memory a process\'s zlib handles hold is bounded (ZLIB_HANDLE_MEMORY_BYTES), with its error and log line', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const kept = [];
    try { for (;;) kept.push(zlib.createBrotliDecompress()); } catch (e) { console.log(kept.length, e.name, e.code); }
    for (const k of kept) k.close();
    // An encoder at quality 11 is counted as its window fills: the stream fails where it would pass the bound.
    const enc = zlib.createBrotliCompress();
    enc.on('error', (e) => console.log('stream', e.code, e.errno, enc.destroyed));
    enc.on('data', () => {});
    let x = 1;
    const noise = Buffer.alloc(4 << 20);
    for (let i = 0; i < noise.length; i++) { x = (x * 1103515245 + 12345) >>> 0; noise[i] = x >>> 24; }
    enc.end(noise);
  `]);
  // 8 MiB at 256 KiB per decoder; 1 MiB + 9 bytes per byte seen for the encoder.
  assert.is(r.stdout, '32 RangeError ERR_AGENTOS_ZLIB_MEMORY\nstream ERR_AGENTOS_ZLIB_MEMORY -4 true\n', r.stderr);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'zlib_handle_memory_bytes' && l.capacity === 8 * MiB));
});

test('handles are bounded in count per process, and those never closed are freed when the process exits or is killed', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const kept = [];
    try { for (;;) kept.push(zlib.createInflate()); } catch (e) { console.log(kept.length, e.code); }
  `]);
  assert.is(r.stdout, '64 ERR_AGENTOS_NODE_HANDLES\n', r.stderr);
  // 30 processes that each leave 20 deflate streams of 256 KiB input open (about 300 KiB of
  // zlib state each, 180 MiB in all if they leaked), half ending on their own, half killed.
  const before = peakRss(client);
  const script = `
    const zlib = require('zlib');
    const input = Buffer.alloc(256 * 1024, 'ab');
    const kept = [];
    for (let i = 0; i < 20; i++) { const d = zlib.createDeflate({ level: 1 }); d.write(input); kept.push(d); }
    console.log('open');
    if (process.argv[2] === 'hang') setInterval(() => {}, 1000);
  `;
  await client.writeFile(vmId, '/w/open.js', script);
  for (let i = 0; i < 30; i++) {
    const hang = i % 2 === 1;
    const out = await client.exec(vmId, 'node', ['/w/open.js', ...(hang ? ['hang'] : [])], hang ? { timeoutMs: 1500 } : {});
    assert.is(out.stdout, 'open\n', out.stderr);
  }
  const after = await client.exec(vmId, 'node', ['-e', "const z = require('zlib'); const k = []; for (let i = 0; i < 64; i++) k.push(z.createInflate()); console.log(k.length)"]);
  assert.is(after.stdout, '64\n', after.stderr);
  const grown = peakRss(client) - before;
  assert.ok(grown < 128 * MiB, `the daemon's peak RSS grew by ${Math.round(grown / MiB)} MiB`);
});

test('a guest calling its handles directly with bad arguments gets errors; the daemon (whose binding aborts on them) survives', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const Zlib = zlib.createInflateRaw()._handle.constructor;
    const Encoder = zlib.createBrotliCompress()._handle.constructor;
    const tries = [
      () => new Zlib(99),
      () => new Zlib(zlib.constants.INFLATERAW).init(0, -1, 8, 0, new Uint32Array(2), () => {}),
      () => new Zlib(zlib.constants.DEFLATE).init(15, 42, 8, 0, new Uint32Array(2), () => {}),
      () => new Zlib(zlib.constants.DEFLATE).writeSync(0, Buffer.alloc(1), 0, 1, Buffer.alloc(9), 0, 9),
      () => { const h = new Zlib(zlib.constants.DEFLATE); h.init(15, 1, 8, 0, new Uint32Array(2), () => {}); h.writeSync(6, Buffer.alloc(1), 0, 1, Buffer.alloc(9), 0, 9); },
      () => { const h = new Zlib(zlib.constants.DEFLATE); h.init(15, 1, 8, 0, new Uint32Array(2), () => {}); h.close(); h.reset(); },
      () => new Encoder(zlib.constants.BROTLI_ENCODE).init(new Uint32Array(1000), new Uint32Array(2), () => {}),
      () => new Encoder(zlib.constants.BROTLI_DECODE),
    ];
    for (const t of tries) { try { t(); console.log('no error'); } catch (e) { console.log(e.code); } }
  `]);
  assert.is(r.stdout, ['ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_STATE', 'ERR_OUT_OF_RANGE', 'ERR_CRYPTO_HASH_FINALIZED', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', ''].join('\n'), r.stderr);
  assert.is((await client.exec(vmId, 'node', ['-e', "console.log(require('zlib').gunzipSync(require('zlib').gzipSync('still here')).toString())"])).stdout, 'still here\n');
});

test('more of a hostile guest\'s direct handle calls (edge modes, flushes, shared/detached/resizable buffers, use after close) get errors; the daemon survives', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const C = zlib.constants;
    const Zlib = zlib.createDeflate()._handle.constructor;
    const Encoder = zlib.createBrotliCompress()._handle.constructor;
    const ready = (mode) => { const h = new Zlib(mode); h.init(15, 6, 8, 0, new Uint32Array(2), () => {}); return h; };
    const detached = () => { const ab = new ArrayBuffer(16); const u = new Uint8Array(ab); structuredClone(ab, { transfer: [ab] }); return u; };
    const b3 = Buffer.alloc(3);
    const tries = [
      () => new Zlib(8),
      () => new Zlib(2 ** 32 + 1),
      () => new Zlib(C.GZIP).init(0, 6, 8, 0, new Uint32Array(2), () => {}),
      () => ready(C.DEFLATE).init(15, 6, 8, 0, new Uint32Array(2), () => {}),
      () => ready(C.DEFLATE).writeSync(2 ** 32, b3, 0, 3, Buffer.alloc(10), 0, 10),
      () => { const h = new Encoder(C.BROTLI_ENCODE); h.init(new Uint32Array(0), new Uint32Array(2), () => {}); h.writeSync(C.Z_FINISH, b3, 0, 3, Buffer.alloc(10), 0, 10); },
      () => ready(C.DEFLATE).writeSync(C.Z_FINISH, b3, 0, 3, Buffer.alloc(10), 0, -1),
      () => ready(C.DEFLATE).writeSync(C.Z_FINISH, new Uint8Array(new SharedArrayBuffer(64)), 0, 64, new Uint8Array(new SharedArrayBuffer(100)), 0, 100),
      () => ready(C.DEFLATE).writeSync(C.Z_FINISH, detached(), 0, 16, Buffer.alloc(10), 0, 10),
      () => ready(C.DEFLATE).writeSync(C.Z_FINISH, new Uint8Array(new ArrayBuffer(16, { maxByteLength: 1 << 20 })), 0, 16, Buffer.alloc(30), 0, 30),
      () => { const s = Buffer.alloc(100, 1); ready(C.DEFLATE).writeSync(C.Z_FINISH, s, 0, 50, s, 10, 90); },
      () => ready(C.DEFLATE).params(NaN, 0),
      () => { const h = ready(C.DEFLATE); h.close(); h.params(1, 0); },
      () => { const h = ready(C.DEFLATE); h.close(); h.writeSync(0, b3, 0, 3, Buffer.alloc(10), 0, 10); },
      () => { const h = new Zlib(C.DEFLATE); h.close(); h.init(15, 6, 8, 0, new Uint32Array(2), () => {}); },
      () => new Encoder(C.BROTLI_ENCODE).init(new Float64Array([1.5, -1]), new Uint32Array(2), () => {}),
      () => new Zlib(C.DEFLATE).init(15, 6, 8, 0, new Uint32Array(2), () => {}, Buffer.alloc(70000)),
    ];
    for (const t of tries) { try { t(); console.log('no error'); } catch (e) { console.log(e.code); } }
  `]);
  assert.is(r.stdout, ['ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_STATE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE', 'ERR_OUT_OF_RANGE',
    'no error', 'no error', 'no error', 'no error', 'ERR_OUT_OF_RANGE', 'ERR_CRYPTO_HASH_FINALIZED', 'ERR_CRYPTO_HASH_FINALIZED', 'ERR_CRYPTO_HASH_FINALIZED', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', ''].join('\n'), r.stderr);
  assert.is((await client.exec(vmId, 'node', ['-e', "console.log(require('zlib').gunzipSync(require('zlib').gzipSync('still here')).toString())"])).stdout, 'still here\n');
});

test('a brotli encoder whose parameters would reserve more than ZLIB_HANDLE_RESERVE_BYTES is refused at creation (brotli segfaults the daemon when such an allocation fails)', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const C = zlib.constants;
    const large = (q, w) => ({ [C.BROTLI_PARAM_LARGE_WINDOW]: 1, [C.BROTLI_PARAM_LGWIN]: w, [C.BROTLI_PARAM_QUALITY]: q });
    const tryIt = (f) => { try { console.log('ok', f()); } catch (e) { console.log(e.name, e.code); } };
    tryIt(() => zlib.createBrotliCompress({ params: large(11, 30) }));
    tryIt(() => zlib.brotliCompressSync('x', { params: large(5, 30) }));
    // Straight on the handle: an encoder with data and no way to get its window would take the daemon down.
    const Encoder = zlib.createBrotliCompress()._handle.constructor;
    tryIt(() => {
      const p = new Uint32Array(C.BROTLI_PARAM_LARGE_WINDOW + 1).fill(0xffffffff);
      p[C.BROTLI_PARAM_LARGE_WINDOW] = 1; p[C.BROTLI_PARAM_LGWIN] = 30; p[C.BROTLI_PARAM_QUALITY] = 11;
      const h = new Encoder(C.BROTLI_ENCODE);
      h.init(p, new Uint32Array(2), () => {});
      h.writeSync(C.BROTLI_OPERATION_FLUSH, Buffer.alloc(1000, 1), 0, 1000, Buffer.alloc(1000), 0, 1000);
    });
    // The largest standard window at quality 11, and a large one at a low quality, still work.
    const data = Buffer.alloc(300000, 'ab');
    tryIt(() => zlib.brotliDecompressSync(zlib.brotliCompressSync(data, { params: { [C.BROTLI_PARAM_LGWIN]: 24, [C.BROTLI_PARAM_QUALITY]: 11 } })).equals(data));
    tryIt(() => zlib.brotliDecompressSync(zlib.brotliCompressSync(data, { params: large(5, 26) }), { params: { [C.BROTLI_DECODER_PARAM_LARGE_WINDOW]: 1 } }).equals(data));
  `]);
  assert.is(r.stdout, 'RangeError ERR_AGENTOS_ZLIB_MEMORY\nRangeError ERR_AGENTOS_ZLIB_MEMORY\nRangeError ERR_AGENTOS_ZLIB_MEMORY\nok true\nok true\n', r.stderr);
  // 2^31 ring + 2^24 tail + 8 × 2^30 hasher + 64 MiB of fixed tables.
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'zlib_handle_reserve_bytes' && l.observed === 2 ** 31 + 2 ** 24 + 8 * 2 ** 30 + 64 * MiB && l.capacity === 256 * MiB));
  assert.is((await client.exec(vmId, 'node', ['-e', "console.log(require('zlib').gunzipSync(require('zlib').gzipSync('still here')).toString())"])).stdout, 'still here\n');
});

test('a brotli encoder asking for a block past ZLIB_BROTLI_BLOCK_BYTES (compressed whole in one daemon step) is refused at creation', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
    const zlib = require('zlib');
    const C = zlib.constants;
    const tryIt = (f) => { try { console.log('ok', f()); } catch (e) { console.log(e.name, e.code); } };
    const data = Buffer.alloc(300000, 'ab');
    const round = (params) => zlib.brotliDecompressSync(zlib.brotliCompressSync(data, { params })).equals(data);
    tryIt(() => zlib.createBrotliCompress({ params: { [C.BROTLI_PARAM_LGBLOCK]: 24 } }));
    tryIt(() => round({ [C.BROTLI_PARAM_LGBLOCK]: 19, [C.BROTLI_PARAM_QUALITY]: 5 }));
    // Node's own largest choice, and qualities 0-1 (which ignore the parameter), pass.
    tryIt(() => round({ [C.BROTLI_PARAM_LGBLOCK]: 18 }));
    tryIt(() => round({ [C.BROTLI_PARAM_LGBLOCK]: 24, [C.BROTLI_PARAM_QUALITY]: 1 }));
  `]);
  assert.is(r.stdout, 'RangeError ERR_AGENTOS_ZLIB_BLOCK\nRangeError ERR_AGENTOS_ZLIB_BLOCK\nok true\nok true\n', r.stderr);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'zlib_brotli_block_bytes' && l.observed === 2 ** 24 && l.capacity === 256 * 1024));
});

test.after(async () => {
  await client.close();
});
test.run();
