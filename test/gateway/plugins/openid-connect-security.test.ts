import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import type { TamperIdToken } from '../../../src/dev-idp/index.js';
import { browserFetch } from '../../../testkit/browser-flow.js';
import { stopClock } from '../../support/clock.js';
import { CLIENT_ID, beginSignIn, protectRoute, startStack, type Stack } from '../../support/stack.js';

/**
 * OpenID Connect Core 3.1.3.7 and the rest of the security baseline, each case end to
 * end: the stand-in issues a token with one thing wrong, and the gateway must refuse
 * the sign-in without creating a session.
 */


function sessionCookieOf(response: Response): string | undefined {
  return response.headers.getSetCookie().find((value) => /^session=[^;]+/.test(value));
}

describe('openid-connect: ID token and authorization response validation', () => {
  let stack: Stack;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'] });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  async function callbackWithTamperedIdToken(tamper: TamperIdToken): Promise<Response> {
    const { jar, callbackUrl } = await beginSignIn(stack);
    stack.idp.switches.tamperNextIdToken = tamper;
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(stack.idp.switches.tamperNextIdToken, undefined, 'the stand-in used the tampered token');
    return response;
  }

  it('accepts a token re-signed with the provider key and nothing changed (the control case)', async () => {
    const response = await callbackWithTamperedIdToken({ signWith: 'own-key' });
    assert.equal(response.status, 302);
    assert.ok(sessionCookieOf(response));
  });

  const cases: Array<[string, () => TamperIdToken]> = [
    ['alg none', () => ({ signWith: 'none' })],
    ['a key that is not in the JWKS', () => ({ signWith: 'foreign-key' })],
    ['HS256 with the client secret (algorithm confusion)', () => ({ signWith: 'hs256-client-secret' })],
    ['another issuer', () => ({ signWith: 'own-key', claims: { iss: 'https://evil.example/oauth2/default' } })],
    ['another audience', () => ({ signWith: 'own-key', claims: { aud: 'someone-else' } })],
    ['several audiences with azp of another party', () => ({ signWith: 'own-key', claims: { aud: [CLIENT_ID, 'other'], azp: 'other' } })],
    ['an azp of another party', () => ({ signWith: 'own-key', claims: { azp: 'other' } })],
    ['a wrong nonce', () => ({ signWith: 'own-key', claims: { nonce: 'replayed-nonce' } })],
    ['no nonce', () => ({ signWith: 'own-key', removeClaims: ['nonce'] })],
    ['an expired token', () => ({ signWith: 'own-key', claims: { exp: now() - 600, iat: now() - 900 } })],
    ['iat in the future beyond the leeway', () => ({ signWith: 'own-key', claims: { iat: now() + 600, exp: now() + 1200 } })],
    ['no subject', () => ({ signWith: 'own-key', removeClaims: ['sub'] })],
  ];
  for (const [name, tamper] of cases) {
    it(`refuses an ID token with ${name}`, async () => {
      const response = await callbackWithTamperedIdToken(tamper());
      assert.equal(response.status, 401);
      assert.equal(sessionCookieOf(response), undefined, 'no session is created');
    });
  }

  it('refuses an authorization response whose RFC 9207 iss is not the provider', async () => {
    const { jar, callbackUrl } = await beginSignIn(stack);
    assert.equal(callbackUrl.searchParams.get('iss'), stack.idp.issuer('default'));
    callbackUrl.searchParams.set('iss', 'https://evil.example');
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(response.status, 401);
    assert.equal(sessionCookieOf(response), undefined);
  });

  it('refuses a state that does not match', async () => {
    const { jar, callbackUrl } = await beginSignIn(stack);
    callbackUrl.searchParams.set('state', 'forged');
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(response.status, 401);
  });

  it('uses the state and authorization cookie once only', async () => {
    const { jar, callbackUrl } = await beginSignIn(stack);
    const authorizationCookie = jar.header(new URL(stack.proxy))!;
    const first = await browserFetch(jar, callbackUrl);
    assert.equal(first.status, 302);
    assert.ok(sessionCookieOf(first));
    // Replaying the same callback with the same authorization cookie gets nowhere.
    const replay = await fetch(callbackUrl, { headers: { cookie: authorizationCookie, accept: 'text/html' }, redirect: 'manual' });
    assert.equal(replay.status, 401);
    assert.equal(sessionCookieOf(replay), undefined);
  });

  it('refuses a callback without the authorization cookie', async () => {
    const { callbackUrl } = await beginSignIn(stack);
    const response = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(response.status, 401);
  });

  it('answers each refused sign-in with its error code: JSON to API clients, on the page to browsers', async () => {
    const API = { accept: 'application/json' };
    const expired = await beginSignIn(stack);
    const noCookie = await fetch(expired.callbackUrl, { redirect: 'manual', headers: API });
    assert.equal(noCookie.status, 401);
    assert.equal(((await noCookie.json()) as { error_code: string }).error_code, 'GH-OIDC-SIGN-IN-EXPIRED');
    const page = await fetch(expired.callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(page.status, 401);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /Error code: <code>GH-OIDC-SIGN-IN-EXPIRED<\/code>/);

    const forged = await beginSignIn(stack);
    forged.callbackUrl.searchParams.set('state', 'forged');
    const invalid = await fetch(forged.callbackUrl, { redirect: 'manual', headers: { ...API, cookie: forged.jar.header(new URL(stack.proxy))! } });
    assert.equal(invalid.status, 401);
    assert.equal(((await invalid.json()) as { error_code: string }).error_code, 'GH-OIDC-CALLBACK-INVALID');

    const denied = await beginSignIn(stack);
    const refusal = new URL(denied.callbackUrl);
    refusal.search = new URLSearchParams({
      error: 'access_denied',
      state: denied.location.searchParams.get('state')!,
      iss: stack.idp.issuer('default'),
    }).toString();
    const refused = await fetch(refusal, { redirect: 'manual', headers: { ...API, cookie: denied.jar.header(new URL(stack.proxy))! } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error_code: string }).error_code, 'GH-OIDC-SIGN-IN-REFUSED');
  });

  it('refreshes the JWKS when the provider rotates its signing key', async () => {
    const before = await browserFetch(...(await beginSignIn(stack).then(({ jar, callbackUrl }) => [jar, callbackUrl] as const)));
    assert.ok(sessionCookieOf(before));
    await stack.idp.rotateSigningKey();
    const { jar, callbackUrl } = await beginSignIn(stack);
    const after = await browserFetch(jar, callbackUrl);
    assert.equal(after.status, 302);
    assert.ok(sessionCookieOf(after), 'a token signed with the new kid is accepted');
  });
});

describe('openid-connect: cookies and redirects', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'], authorization_rolling_timeout: 1 }, { name: 'root', paths: ['/'] });
    // No redirect_uri: Kong derives it from the request, and so does the Secure decision.
    await protectRoute(stack, { auth_methods: ['authorization_code'], redirect_uri: undefined }, { name: 'derived', paths: ['/derived'] });
  });
  after(() => stack.close());

  it('returns only to a same-origin path after sign-in, even for a request line like //evil.example', async () => {
    const { jar, callbackUrl } = await beginSignIn(stack, '//evil.example/landing');
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/evil.example/landing');
  });

  it('lets the authorization cookie expire quickly', async (t) => {
    // On a whole second, the sealed cookie's expiry (rounded up to a second) is exactly authorization_rolling_timeout.
    const clock = stopClock(t, Math.ceil(Date.now() / 1000) * 1000);
    const { jar, callbackUrl } = await beginSignIn(stack);
    const authorizationCookie = jar.header(new URL(stack.proxy))!;
    clock.advance(1500);
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(response.status, 401);
    const replay = await fetch(callbackUrl, { headers: { cookie: authorizationCookie, accept: 'text/html' }, redirect: 'manual' });
    assert.equal(replay.status, 401, 'a client that keeps the cookie past its Max-Age gets nowhere either');
  });

  it('marks cookies Secure unless the client is on plain-http loopback', async () => {
    // fetch() may not set Host; undici's request can, as a browser behind DNS would.
    const response = await request(`${stack.proxy}/derived`, { headers: { host: 'gateway.example.com' } });
    await response.body.dump();
    assert.equal(response.statusCode, 302);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    assert.match(cookies.find((value) => value.startsWith('authorization=')) ?? '', /; Secure/i);
    const local = await request(`${stack.proxy}/derived`);
    await local.body.dump();
    const localCookies = ([] as string[]).concat(local.headers['set-cookie'] ?? []);
    assert.doesNotMatch(localCookies.find((value) => value.startsWith('authorization=')) ?? 'missing', /; Secure/i);
  });
});
