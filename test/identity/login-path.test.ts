import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESERVED_LOGIN_PATHS, loginPathFromName, normalizeLoginPath } from '../../src/identity/login-path.js';

describe('login paths', () => {
  it('lower-cases, drops one leading slash and keeps letters, digits, - and _', () => {
    assert.equal(normalizeLoginPath('Acme'), 'acme');
    assert.equal(normalizeLoginPath('/Acme_Corp-2'), 'acme_corp-2');
    assert.equal(normalizeLoginPath('  abc  '), 'abc');
    assert.equal(normalizeLoginPath('x'.repeat(64)), 'x'.repeat(64));
  });

  it('refuses lengths outside 3..64 and other characters, naming the rule', () => {
    for (const bad of ['ab', '/ab', 'x'.repeat(65), 'a b', 'a/b', '//abc', 'acme.corp', 'ünicode', '']) {
      assert.throws(() => normalizeLoginPath(bad), (error: Error & { code?: string; field?: string; status?: number }) => {
        assert.equal(error.code, 'GH-ORG-LOGIN-PATH-INVALID', bad);
        assert.equal(error.field, 'login_path');
        assert.equal(error.status, 400);
        assert.match(error.message, /login_path/);
        return true;
      });
    }
    assert.throws(() => normalizeLoginPath(42), { code: 'GH-ORG-LOGIN-PATH-INVALID' });
  });

  it('refuses reserved words in any case', () => {
    for (const word of ['login', 'LOGOUT', '/api', 'Admin', 'callback', 'initiate', 'well-known', 'static', 'assets', 'console', 'health', 'status', 'oauth2', 'sso', 'backchannel-logout']) {
      assert.throws(() => normalizeLoginPath(word), { code: 'GH-ORG-LOGIN-PATH-RESERVED' }, word);
    }
    assert.ok(RESERVED_LOGIN_PATHS.has('.well-known'));
  });

  it('suggests a path from a name', () => {
    assert.equal(loginPathFromName('Acme Corp.'), 'acme-corp');
    assert.equal(loginPathFromName('Société Générale'), 'societe-generale');
    assert.equal(loginPathFromName('Login'), undefined, 'reserved');
    assert.equal(loginPathFromName('!!'), undefined);
  });
});
