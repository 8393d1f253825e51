// Node's library modules in guest JS (TextDecoder, fs.readdir recursive, stream, events, url,
// querystring, string_decoder, readline ...): each script runs in a VM through the daemon
// and under the host's Node 20 (the same major the guest claims to be), and the two outputs
// must be identical. Scripts print with JSON.stringify so that util.inspect's own layout
// (another part of issue 11) does not enter the comparison.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';
import { sameAsHost } from './helpers/vm-and-host.js';

const { client, logs } = await startSidecar({ env: { AGENTOS_TEXT_DECODERS_PER_PROCESS: '3' } });
const { vmId } = await client.createVm();
await client.mkdir(vmId, '/w', { recursive: true });
const same = sameAsHost(client, vmId, 'node-lib-');


const DECODE = `
const show = (label, bytes, options, decodeOptions) => {
  try { return JSON.stringify(new TextDecoder(label, options).decode(Uint8Array.from(bytes), decodeOptions)); }
  catch (e) { return [e.name, e.code, e.message].join(' | '); }
};
`;

test('TextDecoder decodes legacy encodings as Node does, bytes its tables leave out included', async () => {
  const out = await same(`${DECODE}
const cases = [
  ['windows-1251', [0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x98]], ['cp1251', [0xc0]], ['shift_jis', [0x82, 0xa0, 0x41, 0x80, 0xff, 0x1a, 0x1c, 0x5c, 0x7e]],
  ['sjis', [0x93, 0xfa, 0x96, 0x7b]], ['gbk', [0xc4, 0xe3, 0xff]], ['gb18030', [0x81, 0x30, 0x81, 0x30]], ['big5', [0xa4, 0x40, 0x80, 0x81, 0x40]],
  ['euc-kr', [0xb0, 0xa1, 0x81]], ['euc-jp', [0xa4, 0xa2, 0x80]], ['iso-2022-jp', [0x1b, 0x24, 0x42, 0x24, 0x22, 0x1b, 0x28, 0x42, 0x41]],
  ['koi8-u', [0xae, 0xc1]], ['windows-874', [0xdb, 0xa1]], ['ibm866', [0x1a, 0x80]], ['iso-8859-8-i', [0x00, 0xa1, 0xe0]],
  ['windows-1252', [0x80, 0x41, 0x9f]], ['latin1', [0x80, 0xe9]], ['ascii', [0xe9]], ['utf-16be', [0x00, 0x41, 0xd8, 0x00]], ['utf-16le', [0xff, 0xfe, 0x41, 0x00, 0x42]],
  ['x-user-defined', [0x80]], ['no-such-encoding', []], ['  Shift_JIS\\n', [0x82, 0xa0]],
];
for (const [label, bytes] of cases) console.log(label.trim(), show(label, bytes), (() => { try { return new TextDecoder(label).encoding; } catch { return '-'; } })());
`);
  assert.match(out, /windows-1251 "Привет\u0098" windows-1251/);
  assert.match(out, /no-such-encoding RangeError \| ERR_ENCODING_NOT_SUPPORTED \| The "no-such-encoding" encoding is not supported -/);
});

test('TextDecoder fatal, ignoreBOM and streamed decodes match Node (UTF-8 and multi-byte legacy)', async () => {
  await same(`${DECODE}
console.log(show('utf-8', [0xe2, 0x82, 0x41]), show('utf-8', [0xf0, 0x9f, 0x98], {}), show('utf-8', [0xed, 0xa0, 0x80]));
console.log(show('utf-8', [0xef, 0xbb, 0xbf, 0x41]), show('utf-8', [0xef, 0xbb, 0xbf, 0x41], { ignoreBOM: true }), show('utf-16le', [0xff, 0xfe, 0x41, 0], { ignoreBOM: true }));
console.log(show('utf-8', [0xff], { fatal: true }), show('shift_jis', [0x82], { fatal: true }), show('windows-1251', [0x98], { fatal: true }), show('utf-8', [0x41], { fatal: true }));
const d = new TextDecoder('utf-8', { fatal: true });
console.log(d.fatal, d.ignoreBOM, d.encoding, Object.prototype.toString.call(d));
for (const [label, chunks] of [['utf-8', [[0xe2, 0x82], [0xac, 0xe2], [0x82, 0xac], [0xe2]]], ['shift_jis', [[0x82], [0xa0, 0x93], [0xfa]]], ['big5', [[0xa4], [0x40, 0xa4]]], ['utf-16le', [[0x41], [0x00, 0x3d], [0xd8, 0x00, 0xde], []]], ['iso-2022-jp', [[0x1b, 0x24], [0x42, 0x24, 0x22], [0x1b, 0x28, 0x42, 0x41]]]]) {
  const s = new TextDecoder(label);
  const parts = chunks.map((c, i) => s.decode(Uint8Array.from(c), { stream: i < chunks.length - 1 }));
  console.log(label, JSON.stringify(parts), JSON.stringify(s.decode(Uint8Array.of(0x41))));
}
const big = new Uint8Array(300000).fill(0x82); for (let i = 1; i < big.length; i += 2) big[i] = 0xa0;
const text = new TextDecoder('shift_jis').decode(big);
console.log(text.length, text.slice(0, 3), new Set(text).size);
try { new TextDecoder().decode('str'); } catch (e) { console.log(e.name, e.code); }
const e = new TextEncoder(); const buf = new Uint8Array(5);
console.log(JSON.stringify(e.encodeInto('a€😀', buf)), JSON.stringify([...buf]), JSON.stringify(e.encodeInto('\\ud800x', new Uint8Array(8))), [...e.encode('\\udc00')].join(','));
`);
});

test('a process streams with at most TEXT_DECODERS_PER_PROCESS decoders; flushing one frees its place', async () => {
  const r = await client.exec(vmId, 'node', ['-e', `
const ds = [1, 2, 3, 4].map(() => new TextDecoder('shift_jis'));
for (const [i, d] of ds.entries()) { try { d.decode(Uint8Array.of(0x82), { stream: true }); console.log(i, 'streaming'); } catch (e) { console.log(i, e.code); } }
console.log(JSON.stringify(ds[0].decode(Uint8Array.of(0xa0))));
ds[3].decode(Uint8Array.of(0x82), { stream: true }); console.log(3, 'streaming now');`]);
  assert.is(r.stdout, '0 streaming\n1 streaming\n2 streaming\n3 ERR_AGENTOS_TEXT_DECODER_LIMIT\n"あ"\n3 streaming now\n');
  const warn = logs.find((l) => l.msg === 'bounded limit exhausted' && l.limit === 'text_decoders_per_process');
  assert.ok(warn, 'the limit is logged');
  assert.equal([warn!.capacity, warn!.observed, warn!.env], [3, 4, 'AGENTOS_TEXT_DECODERS_PER_PROCESS']);
});

test('fs.readdir recursive walks the tree in Node\'s order: sync and callback breadth-first, promises depth-first', async () => {
  await same(`
const fs = require('fs');
fs.mkdirSync('rdt/a/b/c', { recursive: true }); fs.mkdirSync('rdt/d');
for (const f of ['rdt/a/x', 'rdt/a/b/y', 'rdt/z', 'rdt/d/w', 'rdt/a/b/c/deep']) fs.writeFileSync(f, '');
fs.symlinkSync('a', 'rdt/la'); fs.symlinkSync('nowhere', 'rdt/dangling');
const names = (list) => JSON.stringify(list.map((e) => typeof e === 'string' ? e : [e.parentPath, e.path, e.name, e.isDirectory(), e.isSymbolicLink()]));
const sorted = (list) => JSON.stringify(list.map(String).sort());
console.log(sorted(fs.readdirSync('rdt', { recursive: true })));
console.log(sorted(fs.readdirSync('rdt/', { recursive: true, withFileTypes: true }).map((d) => d.parentPath + '|' + d.name)));
console.log(names(fs.readdirSync('rdt/a', { recursive: true })), names(fs.readdirSync('rdt/a', { recursive: true, withFileTypes: true })));
console.log(names(fs.readdirSync('rdt/a', { withFileTypes: true })), names(fs.readdirSync('./rdt/d', { recursive: false })));
let order = 'before';
fs.readdir('rdt/a', { recursive: true }, (err, list) => console.log('callback', order, err, names(list)));
order = 'after';
(async () => {
  console.log('promise', names(await fs.promises.readdir('rdt/a', { recursive: true })));
  console.log('promise', names(await fs.promises.readdir('rdt/a', { recursive: true, withFileTypes: true })));
  try { fs.readdirSync('rdt/none', { recursive: true }); } catch (e) { console.log(e.code); }
})();
`);
});

test('stream: Readable, Writable, Transform, pipeline (callback and promise), async iteration, backpressure', async () => {
  await same(`
const { Readable, Writable, Transform, PassThrough, Duplex, pipeline, finished, Stream } = require('stream');
const { pipeline: pipelinePromise } = require('node:stream/promises');
const EventEmitter = require('events');
console.log(typeof Stream, Stream === require('stream'), new PassThrough() instanceof EventEmitter, Readable.prototype instanceof Stream);
const order = [];
const upper = new Transform({ transform(chunk, _enc, cb) { cb(null, chunk.toString().toUpperCase()); } });
const sink = new Writable({ highWaterMark: 2, write(chunk, _enc, cb) { order.push('write ' + chunk); setTimeout(cb, 1); } });
pipeline(Readable.from(['a', 'b', 'c']), upper, sink, (err) => {
  order.push('done ' + err);
  console.log(JSON.stringify(order));
  (async () => {
    const out = [];
    await pipelinePromise(Readable.from([Buffer.from('x'), Buffer.from('y')]), new Writable({ write(c, _e, cb) { out.push(c.toString('hex')); cb(); } }));
    console.log('promise pipeline', out.join(','));
    const w = new Writable({ highWaterMark: 3, write(c, _e, cb) { setTimeout(cb, 1); } });
    console.log('write returns', w.write('ab'), w.write('cd'), w.writableLength, w.writableNeedDrain);
    w.once('drain', () => console.log('drain'));
    const r = new Readable({ read() {} }); r.push('p1'); r.push(null); r.setEncoding('utf8');
    let text = ''; for await (const chunk of r) text += chunk; console.log('iterated', text, r.readableEnded);
    const bad = new Readable({ read() { this.destroy(new Error('broke')); } });
    finished(bad, (err) => console.log('finished with', err && err.message));
    bad.resume();
    const d = new Duplex({ read() { this.push('dup'); this.push(null); }, write(c, _e, cb) { console.log('duplex got', c.toString()); cb(); } });
    d.on('data', (c) => console.log('duplex data', c.toString())); d.end('in');
  })();
});
`);
});

test('events: Node 20 API (once, on, errorMonitor, captureRejections, getEventListeners, the errors Node throws)', async () => {
  await same(`
const EventEmitter = require('events');
const { once, on, errorMonitor, getEventListeners, setMaxListeners, captureRejectionSymbol } = EventEmitter;
console.log(EventEmitter.defaultMaxListeners, String(captureRejectionSymbol), EventEmitter.captureRejections, typeof setMaxListeners);
const e = new EventEmitter();
e.on(errorMonitor, (err) => console.log('monitor', err.message));
e.on('error', (err) => console.log('handled', err.message));
e.emit('error', new Error('boom'));
console.log(getEventListeners(e, 'error').length, e.listenerCount('error'), e.eventNames().map(String).join(','));
for (const bad of ['text', 42, undefined]) { try { new EventEmitter().emit('error', bad); } catch (err) { console.log(err.code || err.name, err.message); } }
const c = new EventEmitter({ captureRejections: true });
c.on('ev', async () => { throw new Error('async fail'); });
c.on('error', (err) => console.log('captured', err.message));
c.emit('ev');
try { e.on('x', 'not a function'); } catch (err) { console.log(err.code, err.message); }
const p = new EventEmitter(); p.prependListener('a', () => console.log('second')); p.prependOnceListener('a', () => console.log('first')); p.emit('a'); p.emit('a');
(async () => {
  const x = new EventEmitter();
  setTimeout(() => x.emit('ready', 1, 2), 1);
  console.log('once', JSON.stringify(await once(x, 'ready')));
  const y = new EventEmitter();
  setTimeout(() => { y.emit('v', 'a'); y.emit('v', 'b'); }, 1);
  const got = []; for await (const [v] of on(y, 'v')) { got.push(v); if (got.length === 2) break; }
  console.log('on', got.join(''), y.listenerCount('v'));
})();
`);
});

test('url: legacy parse/format/resolve, file URLs, domainToASCII, and the URL/URLSearchParams globals', async () => {
  await same(`
const url = require('url');
const show = (v) => JSON.stringify(v);
for (const u of ['http://user:pw@host.com:8080/p/a/t/h?query=string#hash', '//x.com/a?b', 'mailto:A@B.com', '/a/b?c=d&c=e', 'HTTP://EXAMPLE.com/%7Efoo', 'http://ex ample.com/', 'javascript:alert(1)', 'http://xn--espaol-zwa.com/ñ']) {
  try { console.log(show(url.parse(u, true))); } catch (err) { console.log(err.code, err.message); }
}
console.log(url.format({ protocol: 'https', hostname: 'x.org', pathname: '/a b', query: { q: '1 2', r: ['x', 'y'] }, hash: 'h' }));
console.log(url.format(new URL('https://u:p@ünicode.com/p?q#h'), { unicode: true, auth: false, fragment: false, search: false }));
console.log(url.resolve('http://a/b/c/d;p?q', '../g'), url.resolve('/one/two/three', 'four'), url.resolve('http://example.com/', '/one'));
console.log(url.fileURLToPath('file:///tmp/a%20b'), url.pathToFileURL('/tmp/a b#?%').href, url.pathToFileURL('/dir/').href);
for (const bad of ['http://x/', 'file://host/a', 'file:///a%2fb']) { try { url.fileURLToPath(bad); } catch (err) { console.log(err.code, err.message); } }
console.log(url.domainToASCII('español.com'), url.domainToASCII('xn--iñvalid.com') === '', url.domainToUnicode('xn--espaol-zwa.com'));
const u = new URL('https://example.org:443/a/../b?x=1&y=2#h');
console.log(u.href, show(u.port), u.origin, [...u.searchParams].join(';'), u.searchParams.get('y'), URL.canParse('nope'), url.URL === URL);
const sp = new URLSearchParams({ a: '1 2', b: 'é' }); sp.append('a', '3'); sp.sort();
console.log(sp.toString(), sp.getAll('a').join('|'), sp.has('b'));
try { new URL('not a url'); } catch (err) { console.log(err.name, err.code, err.message, err.input); }
try { new URL('/path', 'also bad'); } catch (err) { console.log(err.name, err.code, err.input, err.base); }
console.log(show(url.urlToHttpOptions(new URL('http://a:b@[::1]:81/p?q'))));
`);
});

test('querystring and string_decoder are Node\'s own', async () => {
  await same(`
const qs = require('querystring');
console.log(qs.stringify({ a: [1, 2], b: 'x y', c: 'é', d: null, e: undefined, f: {} }), qs.stringify({ w: 'a b' }, ';', ':'));
console.log(JSON.stringify(qs.parse('a=1&a=2&b=%20x+y&c&d=%zz&=e', null, null, { maxKeys: 4 })), JSON.stringify(qs.parse('x:1;y:2', ';', ':')));
console.log(qs.escape('a b&/é'), qs.unescape('%E9%zz+'), qs.unescapeBuffer('%41%4').toString(), qs.encode === qs.stringify);
const { StringDecoder } = require('string_decoder');
const d = new StringDecoder('utf8');
console.log(JSON.stringify([d.write(Buffer.from([0xe2, 0x82])), d.write(Buffer.from([0xac, 0xf0, 0x9f])), d.end(Buffer.from([0x98])), d.end()]));
const h = new StringDecoder('hex'); const b = new StringDecoder('base64'); const u = new StringDecoder('utf16le');
console.log(h.write(Buffer.from('ab')), b.write(Buffer.from('abcd')), b.end(), JSON.stringify(u.write(Buffer.from([0x41, 0, 0x3d]))), JSON.stringify(u.end()));
try { new StringDecoder('nope'); } catch (err) { console.log(err.name, err.code, err.message); }
`);
});

test('readline: createInterface over a stream and over stdin, line events, async iteration, readline/promises question', async () => {
  await same(`
const readline = require('readline');
const { Readable, PassThrough } = require('stream');
(async () => {
  const rl = readline.createInterface({ input: Readable.from(['one\\ntw', 'o\\r\\nthree\\n\\nlast']), crlfDelay: Infinity });
  const lines = []; for await (const line of rl) lines.push(line);
  console.log(JSON.stringify(lines));
  const events = [];
  const rl2 = readline.createInterface({ input: Readable.from(['a\\nb\\n']) });
  rl2.on('line', (l) => events.push('line ' + l)); rl2.on('close', () => { events.push('close'); console.log(events.join(',')); });
  await new Promise((r) => rl2.on('close', r));
  const input = new PassThrough(); const output = new PassThrough(); let asked = '';
  output.on('data', (c) => asked += c);
  const rlp = require('readline/promises').createInterface({ input, output, terminal: false });
  setTimeout(() => input.end('Ada\\n'), 1);
  const answer = await rlp.question('name? ');
  console.log(JSON.stringify(asked), JSON.stringify(answer)); rlp.close();
  const stdinLines = []; const rl3 = readline.createInterface({ input: process.stdin });
  for await (const l of rl3) stdinLines.push(l);
  console.log('stdin', JSON.stringify(stdinLines));
})();
`, 'first line\nsecond\n');
});

test('fs.createReadStream and createWriteStream are real streams: ranges, encodings, events in order, errors, pipeline', async () => {
  await same(`
const fs = require('fs');
const { pipeline, Readable } = require('stream');
const events = [];
const w = fs.createWriteStream('out.txt');
console.log(w instanceof require('stream').Writable, w.pending, typeof fs.ReadStream, typeof fs.WriteStream);
w.on('open', () => events.push('open')); w.on('ready', () => events.push('ready')); w.on('finish', () => events.push('finish'));
w.on('close', () => {
  events.push('close');
  console.log(events.join(','), w.bytesWritten, JSON.stringify(fs.readFileSync('out.txt', 'utf8')));
  const chunks = [];
  fs.createReadStream('out.txt', { highWaterMark: 4, encoding: 'utf8' }).on('data', (c) => chunks.push(c)).on('end', () => {
    console.log(JSON.stringify(chunks));
    fs.createReadStream('out.txt', { start: 2, end: 6 }).on('data', (c) => console.log('range', JSON.stringify(c.toString()))).on('close', () => {
      fs.createReadStream('missing.txt').on('error', (e) => {
        console.log(e.code, e.syscall);
        pipeline(Readable.from(['p', 'i', 'pe']), fs.createWriteStream('piped.txt'), (err) => {
          console.log('pipeline', err, fs.readFileSync('piped.txt', 'utf8'));
          (async () => { let all = ''; for await (const c of fs.createReadStream('out.txt')) all += c; console.log('iterated', all.length); })();
        });
      });
    });
  });
});
w.write('hello '); w.write(Buffer.from('world')); w.end('\\u00e9!');
`);
});

test.after(async () => {
  await client.close();
});

test.run();
