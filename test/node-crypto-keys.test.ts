import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSidecar } from './helpers/sidecar.js';

// Small bounds, so each is reached cheaply; every other value is the default.
const { client } = await startSidecar({
  env: { ...process.env, AGENTOS_NODE_HANDLES_PER_PROCESS: '64', AGENTOS_CRYPTO_KEYGEN_MAX_BITS: '4096', AGENTOS_CRYPTO_PRIME_MAX_BITS: '1024', AGENTOS_CRYPTO_KEY_BYTES_PER_VM: String(1024 * 1024) },
});
const { vmId } = await client.createVm({});
const hostDir = mkdtempSync(join(tmpdir(), 'agentos-crypto-keys-'));
const hostEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete hostEnv.FORCE_COLOR;

async function inVm(script: string) {
  await client.writeFile(vmId, '/home/user/t.js', script);
  return client.exec(vmId, 'node', ['t.js']);
}

function onHost(script: string): string {
  writeFileSync(join(hostDir, 't.js'), script);
  return execFileSync(process.execPath, ['t.js'], { cwd: hostDir, encoding: 'utf8', timeout: 60_000, env: hostEnv });
}

/** The script's output in the VM, which must be exactly the host's node's. */
async function sameAsHost(script: string): Promise<string> {
  const vm = await inVm(script);
  assert.is(vm.stderr, '');
  assert.is(vm.stdout, onHost(script));
  assert.is(vm.exitCode, 0);
  return vm.stdout;
}

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

test.after(async () => {
  await client.close();
});
test.run();
