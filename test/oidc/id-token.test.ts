import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { validateIdToken } from '../../src/oidc/id-token.js';
import { ProviderCache } from '../../src/oidc/provider-cache.js';
import { TokenRejected } from '../../src/oidc/token-verification.js';
import { capturedLog } from '../support/captured-log.js';
import { DEMO_CLIENT_ID, signInAndExchange } from '../dev-idp/oidc-client.js';

/**
 * validateIdToken's own options against the stand-in's tokens; the rules every sign-in
 * applies are tested end to end (test/gateway/plugins/openid-connect-security.test.ts,
 * test/sign-in/organization-sign-in.test.ts).
 */
describe('validateIdToken', () => {
  let idp: DevIdp;
  let providers: ProviderCache;

  before(async () => {
    idp = await startDevIdp({ port: 0, log: capturedLog().log });
    providers = new ProviderCache({ log: capturedLog().log });
  });
  after(() => idp.close());

  it('with a subject (a refreshed ID token), accepts only a token about that End-User (OIDC Core 12.2)', async () => {
    const { tokens, claims } = await signInAndExchange(idp, { username: 'alice@example.com' });
    const provider = await providers.get(idp.issuer('default'));
    const options = { clientId: DEMO_CLIENT_ID, origin: 'token-endpoint' } as const;
    assert.equal((await validateIdToken(provider, tokens.id_token!, { ...options, subject: String(claims.sub) })).sub, claims.sub);
    await assert.rejects(validateIdToken(provider, tokens.id_token!, { ...options, subject: 'someone-else' }), TokenRejected);
  });
});
