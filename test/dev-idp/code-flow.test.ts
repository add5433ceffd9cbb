import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as client from 'openid-client';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { authorizeWithSession, browserFetch, CookieJar, signIn } from '../../testkit/browser-flow.js';
import {
  buildAuthorization,
  decodeJwtParts,
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_PASSWORD,
  DEMO_REDIRECT_URI,
  discover,
  exchangeCode,
  signInAndExchange,
} from './oidc-client.js';

const ALICE_ID = '00ualice000000000001';

describe('dev IdP authorization code flow', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  it('signs alice in with PKCE on the default server; openid-client validates the ID token', async () => {
    // The demo's default server includes the groups claim for the groups scope only.
    const { tokens, claims } = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid profile email groups' });
    assert.equal(claims.iss, idp.issuer('default'));
    assert.equal(claims.sub, ALICE_ID);
    assert.equal(claims.aud, DEMO_CLIENT_ID);
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.name, 'Alice Admin');
    assert.equal(claims.preferred_username, 'alice@example.com');
    assert.equal(claims.login_email, 'alice@example.com');
    assert.deepEqual(claims.groups, ['Everyone', 'service_admin']);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.ver, 1);
    assert.match(String(claims.idp), /^00o/);
    assert.match(String(claims.jti), /^ID\./);
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(typeof claims.nonce, 'string');
    assert.equal(typeof claims.at_hash, 'string');
    assert.match(String(claims.sid), /^[A-Za-z0-9_-]{32}$/, 'the sign-in session id (for back-channel logout)');

    const { header } = decodeJwtParts(tokens.id_token ?? '');
    assert.equal(header.alg, 'RS256');
    assert.equal(typeof header.kid, 'string');
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
  });

  it('issues Okta-shaped JWT access tokens', async () => {
    const { tokens } = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid profile email' });
    const { header, payload } = decodeJwtParts(tokens.access_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, undefined);
    assert.equal(typeof header.kid, 'string');
    assert.equal(payload.aud, 'api://default');
    assert.equal(payload.iss, idp.issuer('default'));
    assert.equal(payload.cid, DEMO_CLIENT_ID);
    assert.equal(payload.uid, ALICE_ID);
    assert.equal(payload.sub, 'alice@example.com');
    assert.equal(payload.ver, 1);
    assert.match(String(payload.jti), /^AT\./);
    assert.deepEqual([...(payload.scp as string[])].sort(), ['email', 'openid', 'profile']);
    assert.equal(typeof payload.auth_time, 'number');
    assert.equal(payload.scope, undefined);
    assert.equal(payload.client_id, undefined);
    assert.equal(Number(payload.exp) - Number(payload.iat), 3600);
  });

  it('serves userinfo for the access token, per granted scope', async () => {
    const { tokens, config } = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid email groups' });
    const info = await client.fetchUserInfo(config, tokens.access_token, ALICE_ID);
    assert.equal(info.sub, ALICE_ID);
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.email_verified, true);
    assert.equal(info.name, undefined, 'no profile scope, no name');
    assert.deepEqual(info.groups, ['Everyone', 'service_admin']);
    assert.equal(info.login_email, 'alice@example.com');

    const bad = await fetch(`${idp.issuer()}/v1/userinfo`, { headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  });

  it('refuses an access token of another authorization server at userinfo', async () => {
    const { tokens } = await signInAndExchange(idp, { username: 'bob@example.com', authServer: 'org', scope: 'openid' });
    const res = await fetch(`${idp.issuer('default')}/v1/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(res.status, 401);
  });

  it('issues a refresh token with offline_access and refreshes with a shortened access token lifetime', async () => {
    const { tokens, config } = await signInAndExchange(idp, { username: 'bob@example.com', scope: 'openid profile offline_access' });
    assert.equal(typeof tokens.refresh_token, 'string');
    idp.switches.accessTokenTtl = 5;
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(refreshed.expires_in, 5);
    const { payload } = decodeJwtParts(refreshed.access_token);
    assert.equal(Number(payload.exp) - Number(payload.iat), 5);
    assert.equal(payload.uid, '00ubob00000000000002');
    // The refresh token is not rotated (Okta's default for web apps).
    assert.equal(refreshed.refresh_token ?? tokens.refresh_token, tokens.refresh_token);
    const refreshedClaims = refreshed.claims();
    assert.equal(refreshedClaims?.sub, '00ubob00000000000002');
    assert.equal(typeof refreshedClaims?.at_hash, 'string');
  });

  it('signs in on the org server with Okta org paths and a groups scope', async () => {
    const config = await discover(idp, { authServer: 'org' });
    assert.equal(config.serverMetadata().authorization_endpoint, `${idp.origin}/oauth2/v1/authorize`);
    const withoutGroups = await signInAndExchange(idp, { username: 'alice@example.com', authServer: 'org', scope: 'openid profile', config });
    assert.equal(withoutGroups.claims.iss, idp.origin);
    assert.equal(withoutGroups.claims.groups, undefined, 'org server: groups only with the groups scope');
    const { payload } = decodeJwtParts(withoutGroups.tokens.access_token);
    assert.equal(payload.aud, idp.origin);

    const withGroups = await signInAndExchange(idp, { username: 'alice@example.com', authServer: 'org', scope: 'openid groups', config });
    assert.deepEqual(withGroups.claims.groups, ['Everyone', 'service_admin']);
  });

  it('accepts client_secret_post at the token endpoint', async () => {
    const { claims } = await signInAndExchange(idp, { username: 'alice@example.com', authMethod: 'post' });
    assert.equal(claims.sub, ALICE_ID);
  });

  it('answers invalid_request without state, as Okta does', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    request.url.searchParams.delete('state');
    const res = await fetch(request.url, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, DEMO_REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description') ?? '', /state/);
    assert.equal(location.searchParams.get('iss'), idp.issuer());
  });

  it('rejects scopes the authorization server does not know', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config, { scope: 'openid okta.users.manage' });
    const res = await fetch(request.url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.searchParams.get('error'), 'invalid_scope');
  });

  it('fails the code exchange on a wrong PKCE verifier with Okta wording', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    const { callbackUrl } = await signIn({ authorizeUrl: request.url, username: 'alice@example.com', password: DEMO_PASSWORD });
    await assert.rejects(exchangeCode(config, { ...request, codeVerifier: client.randomPKCECodeVerifier() }, callbackUrl), (error: unknown) => {
      assert.ok(error instanceof client.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.error_description, 'PKCE verification failed.');
      return true;
    });
  });

  it('answers 401 invalid_client "No client credentials found." at the token endpoint', async () => {
    const res = await fetch(`${idp.issuer()}/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: DEMO_REDIRECT_URI }),
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'invalid_client', error_description: 'No client credentials found.' });

    const wrong = await fetch(`${idp.issuer()}/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: DEMO_REDIRECT_URI, client_id: DEMO_CLIENT_ID, client_secret: 'nope' }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
  });

  it('answers malformed token requests with a 4xx JSON error, never a 500', async () => {
    const json = await fetch(`${idp.issuer()}/v1/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
    const unsupported = await fetch(`${idp.issuer()}/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${DEMO_CLIENT_ID}:${DEMO_CLIENT_SECRET}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(unsupported.status, 400);
    assert.equal(((await unsupported.json()) as { error: string }).error, 'unsupported_grant_type');
  });

  it('keeps the sign-in session: a second authorization needs no form (SSO), across authorization servers too', async () => {
    const config = await discover(idp);
    const first = await buildAuthorization(config);
    const { jar, signInFormShown } = await signIn({ authorizeUrl: first.url, username: 'bob@example.com', password: DEMO_PASSWORD });
    assert.equal(signInFormShown, true);

    const second = await buildAuthorization(config);
    const again = await authorizeWithSession({ authorizeUrl: second.url, jar });
    assert.equal(again.signInFormShown, false);
    const tokens = await exchangeCode(config, second, again.callbackUrl);
    assert.equal(tokens.claims()?.sub, '00ubob00000000000002');

    const orgConfig = await discover(idp, { authServer: 'org' });
    const org = await buildAuthorization(orgConfig);
    const orgResult = await authorizeWithSession({ authorizeUrl: org.url, jar });
    const orgTokens = await exchangeCode(orgConfig, org, orgResult.callbackUrl);
    assert.equal(orgTokens.claims()?.sub, '00ubob00000000000002');
  });

  it('asks for the password again with prompt=login', async () => {
    const config = await discover(idp);
    const first = await buildAuthorization(config);
    const { jar } = await signIn({ authorizeUrl: first.url, username: 'bob@example.com', password: DEMO_PASSWORD });
    const second = await buildAuthorization(config, { extra: { prompt: 'login' } });
    const response = await browserFetch(jar, second.url);
    assert.equal(response.status, 303);
    const page = await browserFetch(jar, new URL(response.headers.get('location') ?? '', second.url));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /type="password"/);
  });

  it('uses a fresh cookie jar per signIn unless one is given', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    const { jar } = await signIn({ authorizeUrl: request.url, username: 'alice@example.com', password: DEMO_PASSWORD });
    assert.ok(jar instanceof CookieJar);
    assert.ok(jar.names().some((name) => name.startsWith('okta_sid')));
  });
});
