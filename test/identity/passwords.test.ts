import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPasswordAcceptable, generatePassword, hashPassword, needsRehash, verifyPassword } from '../../src/identity/passwords.js';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, in a self-describing format', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    assert.match(first, /^scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first, second, 'a new salt every time');
    assert.equal(first.includes('correct horse'), false);
    assert.equal(needsRehash(first), false);
  });

  it('verifies the right password only', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(await verifyPassword('correct horse battery stapler', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('never matches a missing, malformed or tampered hash', async () => {
    assert.equal(await verifyPassword('x', null), false);
    assert.equal(await verifyPassword('x', undefined), false);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
    assert.equal(await verifyPassword('x', 'scrypt$N=1073741824,r=8,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5'), false, 'absurd cost refused');
    const hash = await hashPassword('secret passphrase');
    const tampered = hash.slice(0, -2) + (hash.endsWith('AA') ? 'BB' : 'AA');
    assert.equal(await verifyPassword('secret passphrase', tampered), false);
  });

  it('generates strong passwords and refuses weak ones', () => {
    const password = generatePassword();
    assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(generatePassword(), password);
    assert.throws(() => assertPasswordAcceptable('short'), { code: 'GH-PASSWORD-WEAK', field: 'password' });
    assert.throws(() => assertPasswordAcceptable(' '.repeat(20), 'owner_password'), { code: 'GH-PASSWORD-WEAK', field: 'owner_password' });
    assert.doesNotThrow(() => assertPasswordAcceptable('a long passphrase'));
  });
});
