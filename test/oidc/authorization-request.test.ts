import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'openid-client';
import { pkceCodeChallenge } from '../../src/oidc/authorization-request.js';

describe('pkceCodeChallenge', () => {
  it('gives RFC 7636 Appendix B’s S256 challenge', () => {
    assert.equal(pkceCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('agrees with openid-client for the verifiers it generates', async () => {
    for (let i = 0; i < 20; i++) {
      const verifier = client.randomPKCECodeVerifier();
      assert.equal(pkceCodeChallenge(verifier), await client.calculatePKCECodeChallenge(verifier));
    }
  });
});
