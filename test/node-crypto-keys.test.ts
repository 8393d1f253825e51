import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptPair } from './helpers/script-pair.js';
import { startSidecar } from './helpers/sidecar.js';

// Small bounds, so each is reached cheaply; every other value is the default.
const { client, logs } = await startSidecar({
  env: { ...process.env, AGENTOS_NODE_HANDLES_PER_PROCESS: '64', AGENTOS_CRYPTO_KEYGEN_MAX_BITS: '4096', AGENTOS_CRYPTO_PRIME_MAX_BITS: '1024', AGENTOS_CRYPTO_KEY_BYTES_PER_VM: String(1024 * 1024) },
});
const { vmId } = await client.createVm({});
const { inVm, onHost, sameAsHost } = scriptPair(client, vmId, 'agentos-crypto-keys-');

/** Prints each thrown error as Node shows its identity: class, code, message. */
const TRY = `
  const lines = [];
  const t = (label, f) => { try { const v = f(); lines.push(label + ' ok ' + (typeof v === 'object' && v !== null && !Buffer.isBuffer(v) ? JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' : x) : String(v && v.toString ? (Buffer.isBuffer(v) ? v.toString('hex') : v) : v))) } catch (e) { lines.push(label + ' ' + e.name + ' ' + e.code + ' ' + e.message) } };
`;

test('key objects from fixed keys: every input and export format, jwk, equals, details, sign/verify, RSA encryption', async () => {
  // The keys come from the host's own node, so both sides start from the same material.
  const keys = onHost(`
    const c = require('crypto');
    const rsa = c.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ec = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = c.generateKeyPairSync('ed25519');
    const enc = rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' });
    console.log(JSON.stringify({ rsa: rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }), ec: ec.privateKey.export({ format: 'jwk' }), ed: ed.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), enc }));
  `);
  const out = await sameAsHost(`
    const c = require('crypto');
    const K = ${keys.trim()};
    ${TRY}
    const rsa = c.createPrivateKey(K.rsa), ec = c.createPrivateKey({ key: K.ec, format: 'jwk' });
    const ed = c.createPrivateKey({ key: Buffer.from(K.ed, 'base64'), format: 'der', type: 'pkcs8' });
    for (const k of [rsa, ec, ed]) {
      const pub = c.createPublicKey(k);
      lines.push(k.type, k.asymmetricKeyType, JSON.stringify(k.asymmetricKeyDetails, (x, v) => typeof v === 'bigint' ? v + 'n' : v), pub.type, String(k instanceof c.KeyObject), Object.prototype.toString.call(k));
      lines.push(pub.export({ format: 'pem', type: 'spki' }), pub.export({ format: 'der', type: 'spki' }).toString('hex'));
      lines.push(JSON.stringify(pub.export({ format: 'jwk' })), JSON.stringify(k.export({ format: 'jwk' })));
      lines.push(String(pub.equals(c.createPublicKey(pub.export({ format: 'pem', type: 'spki' })))), String(pub.equals(k)));
      const alg = k.asymmetricKeyType === 'ed25519' ? null : 'sha256';
      const sig = c.sign(alg, Buffer.from('data'), k);
      lines.push(String(c.verify(alg, Buffer.from('data'), pub, sig)), String(c.verify(alg, Buffer.from('datb'), pub, sig)));
    }
    lines.push(rsa.export({ format: 'pem', type: 'pkcs1' }), rsa.export({ format: 'der', type: 'pkcs8' }).toString('base64'));
    const pss = c.sign('sha256', Buffer.from('x'), { key: rsa, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 10 });
    lines.push(String(c.verify('sha256', Buffer.from('x'), { key: rsa, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 10 }, pss)));
    const s = c.createSign('SHA256'); s.update('part one '); s.update('part two');
    const sig = s.sign(rsa, 'base64');
    lines.push(sig, String(c.createVerify('SHA256').update('part one part two').verify(c.createPublicKey(rsa), sig, 'base64')));
    const der = c.sign('sha256', Buffer.from('x'), { key: ec, dsaEncoding: 'ieee-p1363' });
    lines.push(String(der.length), String(c.verify('sha256', Buffer.from('x'), { key: ec, dsaEncoding: 'ieee-p1363' }, der)));
    const ct = c.publicEncrypt(c.createPublicKey(rsa), Buffer.from('secret'));
    lines.push(c.privateDecrypt(rsa, ct).toString());
    lines.push(c.publicDecrypt(c.createPublicKey(rsa), c.privateEncrypt(rsa, Buffer.from('signed'))).toString());
    const oaep = c.publicEncrypt({ key: c.createPublicKey(rsa), oaepHash: 'sha256', padding: c.constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from('o'));
    lines.push(c.privateDecrypt({ key: rsa, oaepHash: 'sha256', padding: c.constants.RSA_PKCS1_OAEP_PADDING }, oaep).toString());
    t('encrypted without passphrase', () => c.createPrivateKey(K.enc));
    t('encrypted wrong passphrase', () => c.createPrivateKey({ key: K.enc, passphrase: 'no' }));
    t('encrypted', () => c.createPrivateKey({ key: K.enc, passphrase: 'pw' }).asymmetricKeyType);
    const sk = c.createSecretKey(Buffer.from('0123456789abcdef'));
    lines.push(sk.type, String(sk.symmetricKeySize), sk.export().toString(), JSON.stringify(sk.export({ format: 'jwk' })), String(sk.equals(c.createSecretKey('0123456789abcdef', 'utf8'))));
    lines.push(c.createHmac('sha256', sk).update('m').digest('hex'));
    t('new KeyObject', () => new c.KeyObject('secret', {}));
    t('new KeyObject type', () => new c.KeyObject('nope', {}));
    t('equals', () => sk.equals('x'));
    t('export format', () => rsa.export({ format: 'nope' }));
    t('export jwk secret fmt', () => sk.export({ format: 'pem' }));
    t('createPublicKey number', () => c.createPublicKey(1));
    t('createPrivateKey garbage', () => c.createPrivateKey('not a key'));
    t('createSecretKey object', () => c.createSecretKey({}));
    t('sign no key', () => c.sign('sha256', Buffer.from('x')));
    t('sign bad alg', () => c.sign('nope', Buffer.from('x'), rsa));
    t('verify sig type', () => c.verify('sha256', Buffer.from('x'), rsa, 'str'));
    t('publicEncrypt too long', () => c.publicEncrypt(c.createPublicKey(rsa), Buffer.alloc(200)));
    t('class instance', () => c.createPublicKey(new (class Foo {})()));
    t('function', () => c.createPublicKey(function bar() {}));
    t('symbol', () => c.sign('sha256', Symbol('s'), rsa));
    console.log(lines.join('\\n'));
  `);
  assert.match(out, /^private\nrsa\n\{"modulusLength":1024,"publicExponent":"65537n"\}\npublic\ntrue\n\[object KeyObject\]$/m);
});

test('generation, Diffie-Hellman, ECDH, primes, hkdf, x509 and Web Crypto: formats and errors as the host node gives them', async () => {
  await sameAsHost(`
    const c = require('crypto');
    const { promisify } = require('util');
    ${TRY}
    const pem = c.generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
    lines.push(typeof pem.publicKey, pem.publicKey.split('\\n')[0], String(Buffer.isBuffer(pem.privateKey)));
    const ecKeys = c.generateKeyPairSync('ec', { namedCurve: 'secp256k1', publicKeyEncoding: { type: 'spki', format: 'jwk' } });
    lines.push(Object.keys(ecKeys.publicKey).join(), ecKeys.privateKey.asymmetricKeyType, JSON.stringify(ecKeys.privateKey.asymmetricKeyDetails));
    for (const [type, o] of [['rsa-pss', { modulusLength: 1024, hashAlgorithm: 'sha256', saltLength: 16 }], ['dsa', { modulusLength: 1024, divisorLength: 160 }], ['x25519', {}], ['ed448', {}], ['dh', { group: 'modp14' }]]) {
      const k = c.generateKeyPairSync(type, o);
      lines.push(type, k.publicKey.asymmetricKeyType, JSON.stringify(k.privateKey.asymmetricKeyDetails, (x, v) => typeof v === 'bigint' ? v + 'n' : v));
    }
    t('keygen bad type', () => c.generateKeyPairSync('nope'));
    t('keygen no length', () => c.generateKeyPairSync('rsa', {}));
    t('keygen length type', () => c.generateKeyPairSync('rsa', { modulusLength: '1024' }));
    t('keygen encoding', () => c.generateKeyPairSync('rsa', { modulusLength: 512, publicKeyEncoding: { type: 'nope', format: 'pem' } }));
    t('keygen cipher no passphrase', () => c.generateKeyPairSync('rsa', { modulusLength: 512, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc' } }));
    t('keygen callback', () => c.generateKeyPair('rsa', { modulusLength: 512 }));
    t('generateKey hmac', () => c.generateKeySync('hmac', { length: 123 }).symmetricKeySize);
    t('generateKey aes', () => c.generateKeySync('aes', { length: 100 }));
    const a = c.getDiffieHellman('modp14'), b = c.createDiffieHellmanGroup('modp14');
    a.generateKeys(); b.generateKeys();
    lines.push(String(a.computeSecret(b.getPublicKey()).equals(b.computeSecret(a.getPublicKey()))), a.getPrime('hex').slice(0, 16), a.getGenerator('hex'), String(a.verifyError));
    const d1 = c.createDiffieHellman(a.getPrime(), a.getGenerator());
    d1.setPrivateKey(b.getPrivateKey()); d1.setPublicKey(b.getPublicKey());
    lines.push(String(d1.computeSecret(a.getPublicKey()).equals(a.computeSecret(b.getPublicKey()))));
    t('dh size float', () => c.createDiffieHellman(13.37));
    t('dh tiny', () => c.createDiffieHellman(11));
    t('dh group', () => c.getDiffieHellman('nope'));
    t('dh bad key', () => a.computeSecret(Buffer.from([1])));
    const e1 = c.createECDH('prime256v1'), e2 = c.createECDH('prime256v1');
    e1.setPrivateKey(Buffer.alloc(32, 7)); e2.generateKeys();
    lines.push(e1.getPublicKey('hex', 'compressed'), String(e1.computeSecret(e2.getPublicKey()).equals(e2.computeSecret(e1.getPublicKey('hex'), 'hex'))));
    lines.push(c.ECDH.convertKey(e1.getPublicKey(), 'prime256v1', undefined, 'hex', 'compressed'));
    t('ecdh curve', () => c.createECDH('nope'));
    t('ecdh curve type', () => c.createECDH(1));
    t('ecdh bad point', () => e1.computeSecret(Buffer.from([4, 1, 2])));
    const x1 = c.generateKeyPairSync('x25519'), x2 = c.generateKeyPairSync('x25519');
    lines.push(String(c.diffieHellman({ privateKey: x1.privateKey, publicKey: x2.publicKey }).equals(c.diffieHellman({ privateKey: x2.privateKey, publicKey: x1.publicKey }))));
    t('diffieHellman mixed', () => c.diffieHellman({ privateKey: x1.privateKey, publicKey: ecKeys.privateKey }));
    lines.push(Buffer.from(c.hkdfSync('sha256', 'key', 'salt', 'info', 42)).toString('hex'));
    t('hkdf length', () => c.hkdfSync('sha256', 'key', 'salt', 'info', 255 * 32 + 1));
    t('hkdf digest', () => c.hkdfSync('nope', 'key', 'salt', 'info', 10));
    lines.push(String(c.checkPrimeSync(2n ** 127n - 1n)), String(c.checkPrimeSync(Buffer.from([1, 0, 1]))), String(c.generatePrimeSync(32, { bigint: true }) > 2n ** 31n));
    t('prime size', () => c.generatePrimeSync(0));
    t('prime options', () => c.generatePrimeSync(16, { add: 1n, rem: 3n, bigint: true }));
    t('checkPrime type', () => c.checkPrimeSync('7'));
    lines.push(String(c.getCurves().includes('prime256v1')), String(c.getCiphers().includes('aes-256-gcm')));
    (async () => {
      const p = await promisify(c.generateKeyPair)('ec', { namedCurve: 'P-384' });
      lines.push(Object.keys(p).join(), p.privateKey.asymmetricKeyDetails.namedCurve);
      await new Promise((r) => c.generatePrime(24, (err, prime) => { lines.push(String(err), String(prime.byteLength)); r(); }));
      await new Promise((r) => c.checkPrime(15n, (err, v) => { lines.push(String(err), String(v)); r(); }));
      const s = c.webcrypto.subtle;
      const k = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      lines.push(String(k.publicKey), k.publicKey.type, JSON.stringify(k.privateKey.algorithm), k.privateKey.usages.join());
      const sig = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, Buffer.from('m'));
      lines.push(String(sig.byteLength), String(await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, k.publicKey, sig, Buffer.from('m'))));
      const jwk = await s.exportKey('jwk', k.publicKey);
      lines.push(Object.keys(jwk).sort().join());
      const ko = c.KeyObject.from(k.privateKey);
      lines.push(ko.type, ko.asymmetricKeyType, String(c.createPublicKey(ko).equals(c.KeyObject.from(k.publicKey))));
      const aes = await s.importKey('raw', Buffer.alloc(16, 1), 'AES-GCM', false, ['encrypt']);
      lines.push(Buffer.from(await s.encrypt({ name: 'AES-GCM', iv: Buffer.alloc(12) }, aes, Buffer.from('text'))).toString('hex'));
      for (const [label, f] of [['unknown', () => s.generateKey({ name: 'NOPE' }, true, [])], ['usages', () => s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['encrypt'])],
        ['export', () => s.exportKey('raw', aes)], ['new CryptoKey', async () => new CryptoKey()], ['digest big', () => s.digest('SHA-256', Buffer.alloc(200000, 1)).then((d) => Buffer.from(d).toString('hex'))]]) {
        try { lines.push(label + ' ok ' + await f()) } catch (e) { lines.push(label + ' ' + e.name + ' ' + e.code + ' ' + e.message) }
      }
      console.log(lines.join('\\n'));
    })();
  `);
});

test('async generateKey and generateKeyPair throw argument errors at the call, as Node checks them before the job', async () => {
  const out = await sameAsHost(`
    const { generateKey, generateKeyPair } = require('crypto');
    const tries = [
      () => generateKey(1, 1, () => {}), () => generateKey('aes', 1, () => {}),
      () => generateKey('hmac', { length: 1 }, () => {}), () => generateKey('hmac', { length: 7 }, () => {}),
      () => generateKey('aes', { length: 256 }), () => generateKeyPair('rsa', { modulusLength: -1 }, () => {}),
      () => generateKeyPair('nope', {}, () => {}),
    ];
    tries.forEach((f, i) => { try { f(); console.log(i, 'no throw'); } catch (e) { console.log(i, e.code); } });
  `);
  assert.is(out.split('\n').filter(Boolean).length, 7);
  assert.not.match(out, /no throw/);
});

test("hostile arguments: Node's own errors for odd values, the sandbox's bound for costly ones; the daemon answers after each", async () => {
  // What Node itself refuses (or takes), the VM must refuse (or take) the same way.
  await sameAsHost(`
    const c = require('crypto');
    ${TRY}
    const ab = new ArrayBuffer(16); const view = new Uint8Array(ab); structuredClone(ab, { transfer: [ab] });
    // A view whose buffer went elsewhere (when the runtime's structuredClone detaches it) is empty, as in Node.
    t('detached', () => c.createSecretKey(view).symmetricKeySize === view.byteLength);
    t('proxy options', () => c.generateKeyPairSync('ec', new Proxy({ namedCurve: 'P-256' }, {})).privateKey.type);
    t('throwing getter', () => c.createPublicKey({ get key() { throw new Error('getter ran') } }));
    t('deep', () => { let o = {}; const top = o; for (let i = 0; i < 100; i++) { o.key = {}; o = o.key; } return c.createPrivateKey(top); });
    t('forged handle', () => new c.KeyObject('secret', { id: 1 }));
    t('rsa neg', () => c.generateKeyPairSync('rsa', { modulusLength: -1 }));
    t('rsa float', () => c.generateKeyPairSync('rsa', { modulusLength: 1024.5 }));
    t('rsa exponent', () => c.generateKeyPairSync('rsa', { modulusLength: 512, publicExponent: 2 ** 33 }));
    t('dh generator', () => c.createDiffieHellman(512, 'hex', 'ffffffffffffffffff', 'hex'));
    t('sign array', () => c.sign('sha256', [1, 2], 'k'));
    t('export this', () => c.KeyObject.prototype.equals.call({}, {}));
    console.log(lines.join('\\n'));
  `);
  const vm = await inVm(`
    const c = require('crypto');
    ${TRY}
    t('rsa 16384', () => c.generateKeyPairSync('rsa', { modulusLength: 16384 }));
    t('rsa-pss 65536', () => c.generateKeyPairSync('rsa-pss', { modulusLength: 65536 }));
    t('dsa huge', () => c.generateKeyPairSync('dsa', { modulusLength: 1 << 20 }));
    t('dh prime 10000', () => c.createDiffieHellman(10000));
    t('dh keygen prime', () => c.generateKeyPairSync('dh', { primeLength: 10000 }));
    t('prime 10000', () => c.generatePrimeSync(10000));
    t('prime checks', () => c.checkPrimeSync(7n, { checks: 2 ** 30 }));
    t('prime checks async', () => c.checkPrime(7n, { checks: 2 ** 30 }, () => {}));
    t('too big input', () => c.publicEncrypt('x', Buffer.alloc(200000)));
    c.webcrypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 16384, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign'])
      .then(() => lines.push('huge generated'), (e) => lines.push('subtle ' + e.name + ' ' + e.code + ' ' + e.message)).then(() => console.log(lines.join('\\n')));
  `);
  assert.is(vm.stderr, '');
  assert.is(vm.exitCode, 0);
  const bound = (what: string, max: number, env: string, got: number) => `RangeError ERR_OUT_OF_RANGE The value of "${what}" is out of range. It must be <= ${max} in this sandbox (${env}). Received ${got}`;
  assert.equal(vm.stdout.trim().split('\n'), [
    `rsa 16384 ${bound('options.modulusLength', 4096, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 16384)}`,
    `rsa-pss 65536 ${bound('options.modulusLength', 4096, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 65536)}`,
    `dsa huge ${bound('options.modulusLength', 4096, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 1048576)}`,
    `dh prime 10000 ${bound('sizeOrKey', 1024, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', 10000)}`,
    `dh keygen prime ${bound('options.primeLength', 1024, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', 10000)}`,
    `prime 10000 ${bound('size', 1024, 'AGENTOS_CRYPTO_PRIME_MAX_BITS', 10000)}`,
    `prime checks ${bound('options.checks', 1024, 'AGENTOS_CRYPTO_PRIME_MAX_CHECKS', 2 ** 30)}`,
    `prime checks async ${bound('options.checks', 1024, 'AGENTOS_CRYPTO_PRIME_MAX_CHECKS', 2 ** 30)}`,
    'too big input RangeError ERR_OUT_OF_RANGE The arguments of one crypto call may hold at most 65536 bytes in this sandbox (AGENTOS_NODE_CALL_MAX_BYTES)',
    `subtle RangeError ERR_OUT_OF_RANGE ${bound('modulusLength', 4096, 'AGENTOS_CRYPTO_KEYGEN_MAX_BITS', 16384).replace('RangeError ERR_OUT_OF_RANGE ', '')}`,
  ]);
  assert.equal(await client.ping(), {});
  for (const limit of ['crypto_keygen_max_bits', 'crypto_prime_max_bits', 'crypto_prime_max_checks']) {
    assert.ok(logs.some((l) => l.msg === 'bounded limit exhausted' && l.limit === limit), limit);
  }
});

test('a key file that asks for more PBKDF2 rounds than the sandbox allows is refused before OpenSSL runs them', async () => {
  // The host's node writes an encrypted PKCS#8 key; its iteration count is then raised in place.
  const der = onHost(`
    const c = require('crypto');
    const { privateKey } = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    console.log(privateKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString('hex'));
  `).trim();
  // PBKDF2's OID, its params SEQUENCE, the salt, then INTEGER 2048 (02 02 08 00): made 02 04 7f ff ff ff.
  const at = der.indexOf('06092a864886f70d01050c');
  assert.ok(at > 0);
  const iter = der.indexOf('02020800', at);
  assert.ok(iter > at);
  const vm = await inVm(`
    const c = require('crypto');
    const der = Buffer.from('${der}', 'hex');
    try { console.log(c.createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: 'pw' }).asymmetricKeyType) } catch (e) { console.log(e.code, e.message) }
    const pem = '-----BEGIN ENCRYPTED PRIVATE KEY-----\\n' + der.toString('base64') + '\\n-----END ENCRYPTED PRIVATE KEY-----\\n';
    try { console.log(c.createPrivateKey({ key: pem, passphrase: 'pw' }).asymmetricKeyType) } catch (e) { console.log(e.code, e.message) }
  `.replace(der, der.slice(0, iter) + '02047fffffff' + der.slice(iter + 8)).replace(/'[0-9a-f]+'/, (m) => m));
  // The sequence lengths around it changed by two: OpenSSL would fail to parse it, but the bound reads it first.
  assert.is(vm.stdout, [
    'ERR_OUT_OF_RANGE The value of "iterations" is out of range. It must be <= 5000000 in this sandbox (AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS). Received 2147483647',
    'ERR_OUT_OF_RANGE The value of "iterations" is out of range. It must be <= 5000000 in this sandbox (AGENTOS_CRYPTO_PBKDF2_MAX_ITERATIONS). Received 2147483647',
    '',
  ].join('\n'));
  const ok = await inVm(`
    const c = require('crypto');
    console.log(c.createPrivateKey({ key: Buffer.from('${der}', 'hex'), format: 'der', type: 'pkcs8', passphrase: 'pw' }).asymmetricKeyType);
  `);
  assert.is(ok.stdout, 'ec\n');
  assert.equal(await client.ping(), {});
});

test.after(async () => {
  await client.close();
});
test.run();
