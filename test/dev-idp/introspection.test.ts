import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { demoSeed, startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, discover, signInAndExchange } from './oidc-client.js';

const OTHER_CLIENT = { clientId: 'other-app', clientSecret: 'other-secret' };

describe('dev IdP introspection and revocation', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({
      port: 0,
      seed: {
        ...demoSeed,
        clients: [
          ...(demoSeed.clients ?? []),
          { client_id: OTHER_CLIENT.clientId, client_secret: OTHER_CLIENT.clientSecret, redirect_uris: ['http://localhost:8000/demo/callback'] },
        ],
      },
    });
  });
  after(() => idp.close());

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${idp.issuer()}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  const basic = (id = DEMO_CLIENT_ID, secret = DEMO_CLIENT_SECRET) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

  it('introspects JWT access tokens (client_secret_basic and client_secret_post), Okta shaped', async () => {
    const { tokens, config } = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid email' });
    const viaLibrary = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(viaLibrary.active, true);
    assert.equal(viaLibrary.client_id, DEMO_CLIENT_ID);
    assert.equal(viaLibrary.username, 'alice@example.com');
    assert.equal(viaLibrary.sub, 'alice@example.com');
    assert.equal(viaLibrary.uid, '00ualice000000000001');
    assert.equal(viaLibrary.token_type, 'Bearer');
    assert.equal(viaLibrary.aud, 'api://default');
    assert.deepEqual(String(viaLibrary.scope).split(' ').sort(), ['email', 'openid']);

    const viaPost = await post('/v1/introspect', { token: tokens.access_token, token_type_hint: 'access_token', client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET });
    assert.equal(viaPost.status, 200);
    assert.equal(((await viaPost.json()) as { active: boolean }).active, true);
  });

  it("another client sees someone else's token as inactive", async () => {
    const { tokens } = await signInAndExchange(idp, { username: 'alice@example.com' });
    const res = await post('/v1/introspect', { token: tokens.access_token }, basic(OTHER_CLIENT.clientId, OTHER_CLIENT.clientSecret));
    assert.deepEqual(await res.json(), { active: false });
  });

  it('introspects refresh tokens and ID tokens', async () => {
    const { tokens, config } = await signInAndExchange(idp, { username: 'bob@example.com', scope: 'openid offline_access' });
    const refresh = await client.tokenIntrospection(config, tokens.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    assert.equal(refresh.active, true);
    assert.equal(refresh.sub, 'bob@example.com');
    assert.equal(refresh.uid, '00ubob00000000000002');
    assert.equal(refresh.client_id, DEMO_CLIENT_ID);
    const id = await client.tokenIntrospection(config, tokens.id_token ?? '', { token_type_hint: 'id_token' });
    assert.equal(id.active, true);
    assert.equal(id.sub, '00ubob00000000000002');
    assert.deepEqual(await (await post('/v1/introspect', { token: 'garbage' }, basic())).json(), { active: false });
  });

  it('revokes access tokens: introspection then says inactive and userinfo answers 401', async () => {
    const { tokens, config, claims } = await signInAndExchange(idp, { username: 'alice@example.com' });
    await client.tokenRevocation(config, tokens.access_token);
    const after = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(after.active, false);
    await assert.rejects(client.fetchUserInfo(config, tokens.access_token, claims.sub), (error: unknown) => {
      assert.ok(error instanceof client.WWWAuthenticateChallengeError);
      assert.equal(error.cause[0]?.parameters.error, 'invalid_token');
      return true;
    });
  });

  it('revokes refresh tokens: refreshing then fails', async () => {
    const { tokens, config } = await signInAndExchange(idp, { username: 'bob@example.com', scope: 'openid offline_access' });
    const res = await post('/v1/revoke', { token: tokens.refresh_token ?? '', token_type_hint: 'refresh_token' }, basic());
    assert.equal(res.status, 200);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token ?? ''), (error: unknown) => {
      assert.ok(error instanceof client.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.error_description, 'The refresh token is invalid or expired.');
      return true;
    });
  });

  it('answers 200 when revoking unknown tokens', async () => {
    const res = await post('/v1/revoke', { token: 'never-issued' }, basic());
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  it('requires client authentication with Okta error bodies', async () => {
    for (const path of ['/v1/introspect', '/v1/revoke']) {
      const none = await post(path, { token: 'x' });
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), { error: 'invalid_client', error_description: 'No client credentials found.' });
      const wrong = await post(path, { token: 'x' }, basic(DEMO_CLIENT_ID, 'wrong'));
      assert.equal(wrong.status, 401);
      assert.deepEqual(await wrong.json(), { error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' });
    }
  });

  it('works on the org server too', async () => {
    const { tokens } = await signInAndExchange(idp, { username: 'alice@example.com', authServer: 'org' });
    const config = await discover(idp, { authServer: 'org' });
    assert.equal(config.serverMetadata().introspection_endpoint, `${idp.origin}/oauth2/v1/introspect`);
    const result = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(result.active, true);
    assert.equal(result.aud, idp.origin);
  });
});
