import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptPair } from './helpers/script-pair.js';
import { startSidecar } from './helpers/sidecar.js';

// A small handle count for this sidecar, so the bound is reached cheaply (zlib's bounds: guest-zlib.test.ts).
const { client, logs } = await startSidecar({ env: { ...process.env, AGENTOS_NODE_HANDLES_PER_PROCESS: '64' } });
const { vmId } = await client.createVm({});
const { inVm, sameAsHost } = scriptPair(client, vmId, 'agentos-crypto-');

test('hashes and HMACs: every algorithm the host has, streaming updates, copy, outputLength, encodings, big inputs', async () => {
  const out = await sameAsHost(`
    const crypto = require('crypto');
    const lines = [];
    for (const a of crypto.getHashes()) {
      let d, m;
      try { d = crypto.createHash(a).update('hello').update(Buffer.from(' world')).digest('hex'); } catch (e) { d = 'error ' + e.message; }
      try { m = crypto.createHmac(a, 'key').update('data').digest('base64'); } catch (e) { m = 'error ' + e.message; }
      lines.push(a + ' ' + d + ' ' + m);
    }
    lines.push(crypto.createHash('shake256', { outputLength: 10 }).update('x').digest('base64'));
    const h = crypto.createHash('sha256').update('a');
    const c = h.copy();
    lines.push(h.digest('hex'), c.update('b').digest('hex'));
    try { h.digest() } catch (e) { lines.push(e.code + ' ' + e.message) }
    lines.push(crypto.createHash('sha512').update('x'.repeat(1000003)).digest('base64'));
    lines.push(crypto.createHash('md5').update('\\u00e9t\\u00e9', 'latin1').digest('hex'));
    lines.push(crypto.hash ? crypto.hash('sha1', 'abc') : 'no hash()');
    try { crypto.createHash('nope') } catch (e) { lines.push(e.message) }
    console.log(lines.join('\\n'));
  `);
  assert.match(out, /^sha256 b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9 /m);
});

test('ciphers with fixed keys and IVs: CBC, CTR, GCM with AAD and tags, chacha20-poly1305, padding, errors', async () => {
  await sameAsHost(`
    const crypto = require('crypto');
    const key = Buffer.alloc(32, 1), iv = Buffer.alloc(16, 2), lines = [];
    for (const alg of ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-256-ctr', 'aes-128-ecb', 'des-ede3-cbc']) {
      const info = crypto.getCipherInfo(alg);
      const k = key.subarray(0, info.keyLength), v = info.ivLength ? iv.subarray(0, info.ivLength) : null;
      const c = crypto.createCipheriv(alg, k, v);
      const enc = c.update('a secret message that spans blocks', 'utf8', 'base64') + c.final('base64');
      const d = crypto.createDecipheriv(alg, k, v);
      lines.push(alg + ' ' + enc + ' ' + d.update(enc, 'base64', 'utf8') + d.final('utf8'));
    }
    const g = crypto.createCipheriv('aes-256-gcm', key, iv.subarray(0, 12));
    g.setAAD(Buffer.from('header'));
    const ct = Buffer.concat([g.update('gcm text'), g.final()]), tag = g.getAuthTag();
    lines.push(ct.toString('hex') + ' ' + tag.toString('hex'));
    const gd = crypto.createDecipheriv('aes-256-gcm', key, iv.subarray(0, 12));
    gd.setAAD(Buffer.from('header')); gd.setAuthTag(tag);
    lines.push(gd.update(ct, undefined, 'utf8') + gd.final('utf8'));
    const bad = crypto.createDecipheriv('aes-256-gcm', key, iv.subarray(0, 12));
    bad.setAuthTag(Buffer.alloc(16)); bad.update(ct);
    try { bad.final() } catch (e) { lines.push('bad tag: ' + e.message) }
    const ch = crypto.createCipheriv('chacha20-poly1305', key, iv.subarray(0, 12), { authTagLength: 16 });
    lines.push(Buffer.concat([ch.update('cc'), ch.final()]).toString('hex') + ' ' + ch.getAuthTag().toString('hex'));
    const np = crypto.createCipheriv('aes-128-cbc', key.subarray(0, 16), iv).setAutoPadding(false);
    lines.push(np.update(Buffer.alloc(16, 7)).toString('hex') + np.final().toString('hex'));
    const short = crypto.createCipheriv('aes-128-cbc', key.subarray(0, 16), iv).setAutoPadding(false);
    short.update(Buffer.alloc(5));
    try { short.final() } catch (e) { lines.push(e.message) }
    try { crypto.createCipheriv('aes-256-cbc', Buffer.alloc(3), iv) } catch (e) { lines.push(e.name + ' ' + e.code + ' ' + e.message) }
    try { crypto.createCipheriv('no-such-cipher', key, iv) } catch (e) { lines.push(e.name + ' ' + e.code + ' ' + e.message) }
    const big = crypto.createCipheriv('aes-256-ctr', key, iv);
    lines.push(crypto.createHash('sha256').update(Buffer.concat([big.update(Buffer.alloc(700000, 3)), big.final()])).digest('hex'));
    console.log(lines.join('\\n'));
  `);
});

test('Hash, Hmac and ciphers are Node\'s Transform streams: pipe, pipeline, setEncoding, read, async iteration, a final() error as the stream\'s', async () => {
  await sameAsHost(`
    const crypto = require('crypto');
    const { Readable, Transform, pipeline } = require('stream');
    const h = crypto.createHash('sha1'); h.write('ab'); h.end('c'); console.log(h.read().toString('hex'));
    crypto.createHash('sha1').setEncoding('base64').on('data', (d) => console.log('b64', d)).end('abc');
    console.log(crypto.createHash('sha256') instanceof Transform, crypto.createHmac('sha1', 'k') instanceof Transform, crypto.createCipheriv('aes-128-cbc', Buffer.alloc(16, 1), Buffer.alloc(16, 2)) instanceof Transform);
    Readable.from(['a', 'b']).pipe(crypto.createHmac('sha256', 'key')).on('data', (d) => console.log('piped', d.toString('hex')));
    pipeline(Readable.from([Buffer.from('x'), Buffer.from('y')]), crypto.createCipheriv('aes-128-cbc', Buffer.alloc(16, 1), Buffer.alloc(16, 2)), async function* (src) { for await (const c of src) console.log('cipher', c.toString('hex')); }, (e) => console.log('done', e ?? null));
    const d = crypto.createDecipheriv('aes-128-cbc', Buffer.alloc(16, 1), Buffer.alloc(16, 2));
    d.on('error', (e) => console.log('decipher error', e.code ?? e.message)); d.end(Buffer.alloc(16, 7));
    (async () => { let out = ''; for await (const c of Readable.from(['a', 'b']).pipe(crypto.createHash('sha256').setEncoding('hex'))) out += c; console.log('iter', out); })();
  `);
});

test('key derivation, random, timingSafeEqual and webcrypto subtle: Node\'s values and errors', async () => {
  await sameAsHost(`
    const crypto = require('crypto');
    const lines = [];
    lines.push(crypto.pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256').toString('hex'));
    lines.push(crypto.pbkdf2Sync(Buffer.from('pw'), Buffer.from('salt'), 1, 64, 'sha512').toString('base64'));
    lines.push(crypto.scryptSync('pw', 'salt', 32, { N: 1024, r: 8, p: 1 }).toString('hex'));
    lines.push(Buffer.from(crypto.hkdfSync('sha256', 'ikm', 'salt', 'info', 42)).toString('hex'));
    try { crypto.pbkdf2Sync('pw', 'salt', 1, 16, 'nope') } catch (e) { lines.push(e.name + ' ' + e.code + ' ' + e.message) }
    try { crypto.pbkdf2Sync('pw', 'salt', 0, 16, 'sha1') } catch (e) { lines.push(e.name + ' ' + e.code + ' ' + e.message) }
    lines.push(crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')), crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ac')));
    try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')) } catch (e) { lines.push(e.name + ' ' + e.code + ' ' + e.message) }
    const ints = Array.from({ length: 200 }, () => crypto.randomInt(3, 7));
    lines.push(ints.every((n) => n >= 3 && n < 7), new Set(ints).size);
    try { crypto.randomInt(5, 5) } catch (e) { lines.push(e.code + ' ' + e.message) }
    lines.push(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
    lines.push(crypto.getCiphers().includes('aes-256-gcm'), crypto.getHashes().includes('sha256'), crypto.createSecretKey(Buffer.from('k')).symmetricKeySize);
    console.log(lines.join('\\n'));
    const order = [];
    crypto.randomBytes(8, (err, b) => {
      order.push('randomBytes ' + err + ' ' + b.length);
      crypto.pbkdf2('pw', 'salt', 1, 16, 'sha1', (err, k) => {
        order.push('pbkdf2 ' + err + ' ' + k.toString('hex'));
        crypto.scrypt('pw', 'salt', 16, (err, k) => {
          order.push('scrypt ' + err + ' ' + k.toString('hex'));
          crypto.randomInt(10, (err, n) => { order.push('randomInt ' + err + ' ' + (n < 10)); console.log(order.join('\\n')); subtle(); });
        });
      });
    });
    async function subtle() {
      const s = crypto.webcrypto.subtle, key = Buffer.alloc(32, 1), iv = Buffer.alloc(12, 2);
      const hex = (b) => Buffer.from(b).toString('hex');
      console.log(hex(await s.digest('SHA-256', Buffer.from('abc'))), hex(await globalThis.crypto.subtle.digest({ name: 'sha-1' }, new Uint8Array([1]))));
      const hk = await s.importKey('raw', Buffer.from('key'), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
      const sig = await s.sign('HMAC', hk, Buffer.from('data'));
      console.log(hex(sig), await s.verify('HMAC', hk, sig, Buffer.from('data')), await s.verify('HMAC', hk, sig, Buffer.from('other')), hex(await s.exportKey('raw', hk)));
      const ak = await s.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
      const e = await s.encrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from('ad') }, ak, Buffer.from('web'));
      console.log(hex(e), Buffer.from(await s.decrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from('ad') }, ak, e)).toString());
      const ck = await s.importKey('raw', key.subarray(0, 16), { name: 'AES-CBC' }, false, ['encrypt']);
      console.log(hex(await s.encrypt({ name: 'AES-CBC', iv: Buffer.alloc(16) }, ck, Buffer.from('cbc data'))));
      const pk = await s.importKey('raw', Buffer.from('pw'), 'PBKDF2', false, ['deriveBits']);
      console.log(hex(await s.deriveBits({ name: 'PBKDF2', salt: Buffer.from('salt'), iterations: 1000, hash: 'SHA-256' }, pk, 256)));
    }
  `);
});

test('a hostile guest cannot make the daemon derive for minutes: pbkdf2 and scrypt past their bounds are refused at once', async () => {
  const r = await inVm(`
    const crypto = require('crypto');
    try { crypto.pbkdf2Sync('pw', 'salt', 1e9, 32, 'sha256') } catch (e) { console.log(e.name, e.code, e.message) }
    try { crypto.scryptSync('pw', 'salt', 32, { N: 2 ** 20, r: 8, maxmem: 2 ** 31 }) } catch (e) { console.log(e.name, e.code, e.message) }
    console.log(crypto.scryptSync('pw', 'salt', 8, { N: 2 ** 14 }).length);
  `);
  assert.equal(r.stdout.split('\n'), [
    'RangeError ERR_OUT_OF_RANGE The value of "iterations" is out of range. It must be >= 1 && <= 5000000 in this sandbox (AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS). Received 1000000000',
    'RangeError ERR_CRYPTO_INVALID_SCRYPT_PARAMS Invalid scrypt params: error:030000AC:digital envelope routines::memory limit exceeded',
    '8',
    '',
  ]);
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'crypto_pbkdf2_max_iterations' && l.capacity === 5_000_000));
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'crypto_scrypt_max_memory_bytes'));
});

test('hash states kept in the daemon are bounded per process; finished ones free their slot', async () => {
  const r = await inVm(`
    const crypto = require('crypto');
    for (let i = 0; i < 1000; i++) crypto.createHash('sha1').update('x').digest();
    const held = [];
    try { for (let i = 0; i < 100; i++) held.push(crypto.createHash('sha1')) } catch (e) { console.log(held.length, e.code) }
  `);
  assert.is(r.stdout, '64 ERR_AGENTOS_NODE_HANDLES\n');
  assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === 'node_handles_per_process'));
});

test('zlib: sync, callback, promisified and stream forms give Node\'s bytes; Node\'s errors for bad input', async () => {
  await sameAsHost(`
    const zlib = require('zlib');
    const input = Buffer.from('hello hello hello hello '.repeat(10000));
    const lines = [];
    for (const [c, d] of [['gzipSync', 'gunzipSync'], ['deflateSync', 'inflateSync'], ['deflateRawSync', 'inflateRawSync'], ['brotliCompressSync', 'brotliDecompressSync']]) {
      const z = zlib[c](input);
      lines.push(c + ' ' + z.length + ' ' + require('crypto').createHash('sha1').update(z).digest('hex') + ' ' + zlib[d](z).equals(input));
    }
    lines.push(zlib.gzipSync('abc', { level: 1 }).toString('hex'), zlib.deflateSync('abc', { level: 9, windowBits: 9, memLevel: 1, strategy: zlib.constants.Z_RLE }).toString('hex'));
    lines.push(zlib.brotliCompressSync('abc', { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }).toString('hex'));
    lines.push(zlib.unzipSync(zlib.deflateSync('unz')).toString(), zlib.unzipSync(zlib.gzipSync('unz2')).toString());
    lines.push(zlib.inflateSync(zlib.deflateSync('dict', { dictionary: Buffer.from('dictionary') }), { dictionary: Buffer.from('dictionary') }).toString());
    try { zlib.gunzipSync(Buffer.from('not gzip')) } catch (e) { lines.push(e.message + ' ' + e.code + ' ' + e.errno) }
    try { zlib.gunzipSync(zlib.gzipSync('abcdef').subarray(0, 10)) } catch (e) { lines.push(e.message + ' ' + e.code + ' ' + e.errno) }
    try { zlib.inflateSync(zlib.deflateSync('x', { dictionary: Buffer.from('d') })) } catch (e) { lines.push(e.message + ' ' + e.code + ' ' + e.errno) }
    lines.push(zlib.crc32('hello'), zlib.crc32(Buffer.from('world'), 12345), zlib.constants.Z_BEST_COMPRESSION, zlib.Z_SYNC_FLUSH, zlib.constants.BROTLI_OPERATION_FINISH);
    console.log(lines.join('\\n'));
    zlib.gzip('cb data', (err, buf) => zlib.gunzip(buf, (err2, back) => {
      console.log('callback', err, err2, back.toString());
      require('util').promisify(zlib.deflate)('p').then((b) => {
        console.log('promisified', b.toString('hex'));
        const g = zlib.createGzip(), chunks = [];
        g.on('data', (c) => chunks.push(c));
        g.on('end', () => {
          const all = Buffer.concat(chunks);
          console.log('stream', all.length, zlib.gunzipSync(all).toString());
          const i = zlib.createInflate(), parts = [];
          i.on('data', (c) => parts.push(c));
          i.on('error', (e) => console.log('stream error', e.code, e.message));
          i.write(Buffer.from('garbage!'));
        });
        g.write('part one, ');
        g.end('part two');
      });
    }));
  `);
});

test.after(async () => {
  await client.close();
});
test.run();
