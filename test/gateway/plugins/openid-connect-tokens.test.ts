import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { signInAndExchange } from '../../dev-idp/oidc-client.js';
import { browserFetch } from '../../../testkit/browser-flow.js';
import { stopClock } from '../../support/clock.js';
import { until } from '../../support/until.js';
import { CLIENT_ID, CLIENT_SECRET, protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/** Bearer JWTs, introspection, client refresh tokens, and session refresh, end to end. */

interface Echo {
  headers: Record<string, string>;
}

const API = { accept: 'application/json' };

async function tokensFor(stack: Stack, username = 'alice@example.com') {
  const { tokens } = await signInAndExchange(stack.idp, {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    username,
    scope: 'openid profile email offline_access',
  });
  return tokens;
}

function bearer(token: string): Record<string, string> {
  return { ...API, authorization: `Bearer ${token}` };
}

describe('openid-connect: bearer tokens, introspection and refresh tokens', () => {
  let stack: Stack;
  let tokens: client.TokenEndpointResponse;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['bearer'], leeway: 0 }, { name: 'bearer', paths: ['/bearer'] });
    await protectRoute(stack, { auth_methods: ['introspection'] }, { name: 'introspect', paths: ['/introspect'] });
    await protectRoute(
      stack,
      { auth_methods: ['introspection'], cache_introspection: false },
      { name: 'introspect-live', paths: ['/introspect-live'] },
    );
    await protectRoute(stack, { auth_methods: ['refresh_token'] }, { name: 'refresh', paths: ['/refresh'] });
    await protectRoute(
      stack,
      { auth_methods: ['bearer'], scopes_claim: 'scp', scopes_required: ['openid email'], audience_required: ['api://default'] },
      { name: 'scoped', paths: ['/scoped'] },
    );
    await protectRoute(
      stack,
      { auth_methods: ['bearer'], scopes_claim: 'scp', scopes_required: ['admin', 'superuser'] },
      { name: 'admin-scope', paths: ['/admin-scope'] },
    );
    tokens = await tokensFor(stack);
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  it('accepts a JWT access token verified against the JWKS and passes it on', async () => {
    const response = await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(tokens.access_token) });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo;
    assert.equal(echo.headers.authorization, `Bearer ${tokens.access_token}`);
    // Okta's access tokens name the user by login in `sub`: the default credential claim.
    assert.equal(echo.headers['x-credential-identifier'], 'alice@example.com');
  });

  it('refuses a bearer token whose signature was tampered with', async () => {
    const [header, payload, signature] = tokens.access_token.split('.');
    const flipped = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    const response = await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(flipped) });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('refuses a bearer token signed by a key the provider does not publish, or not signed at all', async () => {
    const claims = decodeJwt(tokens.access_token);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(tokens.access_token).kid! }).sign(privateKey);
    assert.equal((await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(forged) })).status, 401);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${tokens.access_token.split('.')[1]}.`;
    assert.equal((await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(unsigned) })).status, 401);
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET));
    assert.equal((await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(hs256) })).status, 401);
  });

  it('refuses an expired bearer token', async (t) => {
    const clock = stopClock(t);
    stack.idp.switches.accessTokenTtl = 1;
    const shortLived = await tokensFor(stack);
    clock.advance(2100);
    const response = await fetch(`${stack.proxy}/bearer/x`, { headers: bearer(shortLived.access_token) });
    assert.equal(response.status, 401);
  });

  it('checks required scopes and audience (entries OR, spaces AND)', async () => {
    assert.equal((await fetch(`${stack.proxy}/scoped/x`, { headers: bearer(tokens.access_token) })).status, 200);
    assert.equal((await fetch(`${stack.proxy}/admin-scope/x`, { headers: bearer(tokens.access_token) })).status, 403);
  });

  it('introspects tokens, and caches active answers until the token expires', async () => {
    const fresh = await tokensFor(stack);
    assert.equal((await fetch(`${stack.proxy}/introspect/x`, { headers: bearer(fresh.access_token) })).status, 200);
    assert.equal((await fetch(`${stack.proxy}/introspect-live/x`, { headers: bearer(fresh.access_token) })).status, 200);
    // Revoke at the provider: the live route sees it at once, the caching one keeps its answer.
    const config = await client.discovery(new URL(stack.idp.issuer('default')), CLIENT_ID, CLIENT_SECRET, undefined, {
      execute: [client.allowInsecureRequests],
    });
    await client.tokenRevocation(config, fresh.access_token);
    assert.equal((await fetch(`${stack.proxy}/introspect-live/x`, { headers: bearer(fresh.access_token) })).status, 401);
    assert.equal((await fetch(`${stack.proxy}/introspect/x`, { headers: bearer(fresh.access_token) })).status, 200);
    assert.equal((await fetch(`${stack.proxy}/introspect/x`, { headers: bearer('not-a-token') })).status, 401);
  });

  it("forgets accepted tokens when the route's issuer changes: the new issuer's keys decide", async () => {
    const { pluginId } = await protectRoute(stack, { auth_methods: ['bearer'] }, { name: 'moving', paths: ['/moving'] });
    assert.equal((await fetch(`${stack.proxy}/moving/x`, { headers: bearer(tokens.access_token) })).status, 200);
    // The org authorization server signs with other keys and names another issuer.
    await stack.adminCall('PATCH', `/plugins/${pluginId}`, { config: { issuer: stack.idp.issuer('org') } });
    const status = await until('the new issuer to take over', async () => {
      const answer = (await fetch(`${stack.proxy}/moving/x`, { headers: bearer(tokens.access_token) })).status;
      return answer === 200 ? undefined : answer;
    });
    assert.equal(status, 401, "a token accepted under the old issuer is not admitted on that word");
  });

  it('exchanges a client refresh token (Refresh-Token header) and proxies with the new access token', async () => {
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    const response = await fetch(`${stack.proxy}/refresh/x`, { headers: { ...API, 'refresh-token': tokens.refresh_token! } });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo;
    assert.match(echo.headers.authorization ?? '', /^Bearer ey/);
    assert.notEqual(echo.headers.authorization, `Bearer ${tokens.access_token}`);
    const bad = await fetch(`${stack.proxy}/refresh/x`, { headers: { ...API, 'refresh-token': 'bogus' } });
    assert.equal(bad.status, 401);
  });
});

describe('openid-connect: session refresh', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'], scopes: ['openid', 'email', 'offline_access'] });
  });
  after(() => stack.close());

  it('renews the access token before it expires, with one refresh for many concurrent requests', async (t) => {
    const clock = stopClock(t);
    stack.idp.switches.accessTokenTtl = 4;
    const { jar } = await signInThroughGateway(stack);
    const first = (await (await browserFetch(jar, `${stack.proxy}/api`)).json()) as Echo;
    const firstToken = first.headers.authorization;

    // Within the last half of the token's life, the next requests trigger a refresh.
    clock.advance(2300);
    const answers = await Promise.all(Array.from({ length: 8 }, () => browserFetch(jar, `${stack.proxy}/api`)));
    const seen = new Set<string>();
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      seen.add(((await answer.json()) as Echo).headers.authorization!);
    }
    assert.equal(seen.size, 1, 'every concurrent request saw the same refreshed token: one refresh');
    assert.ok(!seen.has(firstToken!), 'the token was renewed');
  });
});
