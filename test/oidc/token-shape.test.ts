import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeIfJwt, looksLikeJwt } from '../../src/oidc/token-verification.js';

describe('token shape', () => {
  it('takes three non-empty dot-separated parts for a JWT, and nothing else', () => {
    assert.equal(looksLikeJwt('a.b.c'), true);
    assert.equal(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'), true);
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '.b.c', 'a..c', 'a.b.', '..', 'a.b.c.', '.']) {
      assert.equal(looksLikeJwt(token), false, JSON.stringify(token));
    }
  });

  it('decodes the claims of a JWT and leaves opaque tokens alone', () => {
    assert.deepEqual(decodeIfJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'), { sub: 'a' });
    assert.equal(decodeIfJwt('opaque-token'), undefined);
  });
});
