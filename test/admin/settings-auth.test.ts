import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretsEqual, withAdminToken } from '../../src/admin/auth.js';
import { loadSettings, publicUrlOf } from '../../src/config/settings.js';
import { KeyRing } from '../../src/crypto/keyring.js';

describe('settings for the Admin API: GATEHOUSE_ADMIN_TOKEN and GATEHOUSE_PUBLIC_URL', () => {
  it('reads both, with the public URL defaulting to the proxy port', () => {
    const settings = loadSettings({ env: { GATEHOUSE_ADMIN_TOKEN: 'x'.repeat(40), GATEHOUSE_PUBLIC_URL: 'https://gw.example.com/' } });
    assert.equal(settings.admin_token, 'x'.repeat(40));
    assert.equal(settings.public_url, 'https://gw.example.com');
    assert.equal(publicUrlOf(loadSettings({ env: { GATEHOUSE_PROXY_LISTEN: '0.0.0.0:8080' } })), 'http://localhost:8080');
    assert.equal(publicUrlOf(loadSettings({ env: {} }), 41234), 'http://localhost:41234');
  });

  it('refuses a short bootstrap token and a bad public URL, without echoing the token', () => {
    assert.throws(
      () => loadSettings({ env: { GATEHOUSE_ADMIN_TOKEN: 'short-secret', GATEHOUSE_PUBLIC_URL: 'ftp://x?y' } }),
      (error: Error) => {
        assert.match(error.message, /GATEHOUSE_ADMIN_TOKEN \(admin_token\): the bootstrap token needs at least 32/);
        assert.match(error.message, /GATEHOUSE_PUBLIC_URL \(public_url\)/);
        assert.equal(error.message.includes('short-secret'), false);
        return true;
      },
    );
  });

  it('generates a bootstrap token for the demo only when none is set', () => {
    const generated = withAdminToken(loadSettings({ env: {} }));
    assert.equal(generated.generated, true);
    assert.ok(generated.token.length >= 32);
    assert.equal(generated.settings.admin_token, generated.token);
    const given = withAdminToken(loadSettings({ env: { GATEHOUSE_ADMIN_TOKEN: 'y'.repeat(32) } }));
    assert.deepEqual([given.generated, given.token], [false, 'y'.repeat(32)]);
  });

  it('compares secrets of any length', () => {
    assert.equal(secretsEqual('abc', 'abc'), true);
    assert.equal(secretsEqual('abc', 'abcd'), false);
    assert.equal(secretsEqual('', 'x'), false);
  });

  it('fingerprints with a key of the key ring: stable, keyed and separated by purpose', () => {
    const ring = KeyRing.fromSecrets(['fingerprint-key-0123456789abcdefghij']);
    const other = KeyRing.fromSecrets(['another-fingerprint-key-0123456789ab']);
    const value = ring.fingerprint('identity-settings', '["a","secret"]');
    assert.match(value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(ring.fingerprint('identity-settings', '["a","secret"]'), value);
    assert.notEqual(ring.fingerprint('identity-settings', '["a","secret2"]'), value);
    assert.notEqual(ring.fingerprint('other-purpose', '["a","secret"]'), value);
    assert.notEqual(other.fingerprint('identity-settings', '["a","secret"]'), value);
  });
});
