import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as client from 'openid-client';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { browserFetch, CookieJar, signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, decodeJwtParts, discover, signInAndExchange, signInRaw } from './oidc-client.js';

const POST_LOGOUT = 'http://localhost:8000/';

describe('dev IdP logout', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  const logoutUrl = (params: Record<string, string>, authServer = 'default') => {
    const url = new URL(`${idp.issuer(authServer)}/v1/logout`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  };

  it('requires id_token_hint (400 without it)', async () => {
    const res = await fetch(logoutUrl({ post_logout_redirect_uri: POST_LOGOUT }), { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /id_token_hint/);
  });

  it('rejects a post_logout_redirect_uri not registered for the hint\'s client', async () => {
    const { tokens } = await signInAndExchange(idp, { username: 'alice@example.com' });
    const res = await fetch(logoutUrl({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'https://evil.example/' }), { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /post_logout_redirect_uri/);
  });

  it('rejects a hint from another issuer or with a forged signature', async () => {
    const org = await signInAndExchange(idp, { username: 'alice@example.com', authServer: 'org' });
    const wrongIssuer = await fetch(logoutUrl({ id_token_hint: org.tokens.id_token ?? '' }), { redirect: 'manual' });
    assert.equal(wrongIssuer.status, 400);

    idp.switches.tamperNextIdToken = { signWith: 'foreign-key' };
    const forged = await signInRaw(idp, { username: 'alice@example.com' });
    const res = await browserFetch(forged.jar, logoutUrl({ id_token_hint: String(forged.body.id_token) }));
    assert.equal(res.status, 400);
  });

  it('ends the sign-in session and redirects straight back with state (302, no confirmation page)', async () => {
    const { tokens, config, jar } = await signInAndExchange(idp, { username: 'alice@example.com' });
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT,
      state: 'bye-123',
    });
    assert.equal(endSession.pathname, '/oauth2/default/v1/logout');
    const res = await browserFetch(jar, endSession);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${POST_LOGOUT}?state=bye-123`);
    assert.equal(jar.names().some((name) => name.startsWith('okta_sid')), false, 'session cookies cleared');

    // The next authorization asks for the password again, even with the old cookies.
    const request = await buildAuthorization(config);
    const again = await signIn({ authorizeUrl: request.url, username: 'alice@example.com', password: DEMO_PASSWORD, jar });
    assert.equal(again.signInFormShown, true);
  });

  it('ends the sessions of every authorization server (one Okta session per org)', async () => {
    const jar = new CookieJar();
    const orgConfig = await discover(idp, { authServer: 'org' });
    const org = await buildAuthorization(orgConfig);
    await signIn({ authorizeUrl: org.url, username: 'bob@example.com', password: DEMO_PASSWORD, jar });
    const { tokens } = await signInAndExchange(idp, { username: 'bob@example.com', jar });

    const res = await browserFetch(jar, logoutUrl({ id_token_hint: tokens.id_token ?? '' }));
    assert.equal(res.status, 302);
    const orgAgain = await buildAuthorization(orgConfig);
    const result = await signIn({ authorizeUrl: orgAgain.url, username: 'bob@example.com', password: DEMO_PASSWORD, jar });
    assert.equal(result.signInFormShown, true);
  });

  it('accepts an expired but otherwise valid hint', async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    idp.switches.tamperNextIdToken = { claims: { iat: past - 3600, exp: past }, signWith: 'own-key' };
    // openid-client would refuse the expired token, so take the raw answer.
    const { body, jar } = await signInRaw(idp, { username: 'alice@example.com' });
    const idToken = String(body.id_token);
    assert.equal(decodeJwtParts(idToken).payload.exp, past);

    const res = await browserFetch(jar, logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT }));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), POST_LOGOUT);
  });

  it('without post_logout_redirect_uri, lands on the stand-in\'s signed-out page', async () => {
    const { tokens, jar } = await signInAndExchange(idp, { username: 'alice@example.com' });
    const res = await browserFetch(jar, logoutUrl({ id_token_hint: tokens.id_token ?? '' }));
    assert.equal(res.status, 302);
    const page = await browserFetch(jar, new URL(res.headers.get('location') ?? '', idp.origin));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /signed out/);
  });
});
