import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRing } from '../../src/crypto/keyring.js';
import { stopClock } from '../support/clock.js';

const OLD = 'old-secret-old-secret-old-secret-0001';
const NEW = 'new-secret-new-secret-new-secret-0002';

describe('KeyRing', () => {
  it('encrypts secrets so they cannot be read without the key, and decrypts them back', async () => {
    const ring = KeyRing.fromSecrets([NEW]);
    const sealed = await ring.encrypt('client-secret-value');
    assert.ok(!sealed.includes('client-secret-value'));
    assert.equal(await ring.decrypt(sealed), 'client-secret-value');
  });

  it('keeps data sealed with an older key readable after rotation', async () => {
    const before = KeyRing.fromSecrets([OLD]);
    const sealedSecret = await before.encrypt('s3cret');
    const cookie = await before.seal({ sid: 'abc' }, Math.floor(Date.now() / 1000) + 60);
    const after = KeyRing.fromSecrets([NEW, OLD]);
    assert.equal(await after.decrypt(sealedSecret), 's3cret');
    assert.equal((await after.unseal(cookie))?.sid, 'abc');
    // New data is sealed with the first key: a ring without the old key can read it.
    const fresh = await after.seal({ sid: 'def' }, Math.floor(Date.now() / 1000) + 60);
    assert.equal((await KeyRing.fromSecrets([NEW]).unseal(fresh))?.sid, 'def');
  });

  it('refuses cookies that are tampered with, expired, from another purpose, or from an unknown key', async () => {
    const ring = KeyRing.fromSecrets([NEW]);
    const now = Math.floor(Date.now() / 1000);
    const cookie = await ring.seal({ sid: 'abc' }, now + 60);
    const tampered = cookie.slice(0, -4) + (cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal(await ring.unseal(tampered), null);
    assert.equal(await ring.unseal(await ring.seal({ sid: 'abc' }, now - 1)), null);
    assert.equal(await ring.unseal(cookie, 'session-record'), null);
    assert.equal(await KeyRing.fromSecrets([OLD]).unseal(cookie), null);
    assert.equal(await ring.unseal('not-a-token'), null);
  });

  it('remembers what it opened, but still refuses a remembered token once it expires', async (t) => {
    const clock = stopClock(t);
    const ring = KeyRing.fromSecrets([NEW]);
    const expiresAt = Math.floor(Date.now() / 1000) + 1;
    const cookie = await ring.seal({ sid: 'abc' }, expiresAt);
    assert.equal((await ring.unseal(cookie))?.sid, 'abc');
    assert.equal((await ring.unseal(cookie))?.sid, 'abc', 'opened again from memory');
    assert.equal(await ring.unseal(cookie, 'session-record'), null, 'remembered per purpose');
    clock.advance(expiresAt * 1000 - Date.now() + 1);
    assert.equal(await ring.unseal(cookie), null, 'expired, although remembered');
  });

  it('opens a token it opened before without waiting, and only such a token', async (t) => {
    const clock = stopClock(t);
    const ring = KeyRing.fromSecrets([NEW]);
    const expiresAt = Math.floor(Date.now() / 1000) + 1;
    const cookie = await ring.seal({ sid: 'abc' }, expiresAt);
    assert.equal(ring.unsealKnown(cookie), undefined, 'never opened: ask unseal');
    // As a proxied request has it: a slice of a longer Cookie header.
    const header = `other=1; session=${cookie}; more=2`;
    const sliced = header.slice(header.indexOf('session=') + 'session='.length, header.indexOf('; more'));
    assert.equal((await ring.unseal(sliced))?.sid, 'abc');
    assert.equal(ring.unsealKnown(cookie)?.sid, 'abc', 'the same token, however it was cut out');
    assert.equal(ring.unsealKnown(cookie, 'session-record'), undefined, 'remembered per purpose');

    const tampered = cookie.slice(0, -4) + (cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal(await ring.unseal(tampered), null);
    assert.equal(ring.unsealKnown(tampered), undefined, 'refusals are not remembered');

    clock.advance(expiresAt * 1000 - Date.now() + 1);
    assert.equal(ring.unsealKnown(cookie), null, 'expired, although remembered');
    assert.equal(ring.unsealKnown(cookie), undefined, 'and forgotten');
    assert.equal(await ring.unseal(cookie), null);
  });

  it('names the fix when a stored secret was sealed with a key that is gone', async () => {
    const sealed = await KeyRing.fromSecrets([OLD]).encrypt('x');
    await assert.rejects(KeyRing.fromSecrets([NEW]).decrypt(sealed), { code: 'GH-KEYS-UNKNOWN' });
  });
});
