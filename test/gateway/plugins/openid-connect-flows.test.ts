import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, browserFetch } from '../../../testkit/browser-flow.js';
import { stopClock } from '../../support/clock.js';
import { ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, beginSignIn, protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/**
 * The three flows of Kong's Okta guide and its four checks, end to end over loopback:
 * blocked without sign-in, allowed after signing in at the stand-in, allowed again by
 * cookie, refused once the session's time is up.
 */

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
}

async function echoOf(response: Response): Promise<Echo> {
  assert.equal(response.status, 200, `expected the upstream's answer, got ${response.status}`);
  return (await response.json()) as Echo;
}


describe('openid-connect: the seed guide flows', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, {
      auth_methods: ['authorization_code'],
      scopes_claim: 'scp',
      session_absolute_timeout: 3,
    });
  });
  after(() => stack.close());

  it('blocks unauthorized access: browsers go to the provider, API clients get 401', async () => {
    const jar = new CookieJar();
    const response = await browserFetch(jar, `${stack.proxy}/api/things?x=1`);
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${stack.idp.issuer('default')}/v1/authorize`);
    assert.equal(location.searchParams.get('response_type'), 'code');
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(location.searchParams.get('state'));
    assert.ok(location.searchParams.get('nonce'));
    assert.equal(location.searchParams.get('redirect_uri'), `${stack.proxy}/api/callback`);
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith('authorization='));
    assert.ok(cookie, 'an authorization cookie is set');
    assert.match(cookie!, /HttpOnly/i);
    assert.match(cookie!, /SameSite=Lax/i);
    assert.doesNotMatch(cookie!, /Secure/i, 'plain http on loopback: not Secure');

    const api = await fetch(`${stack.proxy}/api/things`, { headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);
    assert.match(api.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse"/);
    assert.deepEqual(await api.json(), { message: 'Unauthorized', error_code: 'GH-PLUGIN-UNAUTHORIZED' });
  });

  it('allows access after sign-in, then by cookie without the provider, and refuses it when the session ends', async (t) => {
    const clock = stopClock(t);
    const { jar, callback } = await signInThroughGateway(stack, '/api/things?x=1');
    // The callback answers with the session cookie and sends the browser back to where it was going.
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), '/api/things?x=1');
    const sessionCookie = callback.headers.getSetCookie().find((value) => value.startsWith('session='));
    assert.ok(sessionCookie);
    assert.match(sessionCookie!, /HttpOnly/i);
    assert.match(sessionCookie!, /SameSite=Lax/i);

    const first = await echoOf(await browserFetch(jar, `${stack.proxy}/api/things?x=1`));
    assert.equal(first.path, '/things');
    assert.match(first.headers.authorization ?? '', /^Bearer ey/);
    assert.doesNotMatch(first.headers.cookie ?? '', /(^|; )(session|authorization)=/, 'Gatehouse keeps its own cookies from the upstream');

    // Later requests ride on the cookie alone: even with the provider gone they pass.
    await stack.idp.close().catch(() => undefined);
    const second = await echoOf(await browserFetch(jar, `${stack.proxy}/api/other`));
    assert.equal(second.headers.authorization, first.headers.authorization);

    clock.advance(3200);
    const expired = await browserFetch(jar, `${stack.proxy}/api/other`);
    assert.notEqual(expired.status, 200);
    const api = await fetch(`${stack.proxy}/api/other`, {
      headers: { accept: 'application/json', cookie: jar.header(new URL(stack.proxy))! ?? '' },
    });
    assert.equal(api.status, 401);
  });

  it('never writes tokens, secrets or cookies to the log', () => {
    const all = stack.logs.join('');
    assert.ok(all.length > 0);
    assert.ok(!all.includes(CLIENT_SECRET));
    assert.doesNotMatch(all, /eyJ[\w-]+\.eyJ[\w-]+\./, 'no JWT in the log');
  });
});

describe('openid-connect: the Okta guide’s Admin API call, as written', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('configures the plugin from a form body and serves the callback at the route’s own path', async () => {
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    const route = await stack.adminCall('PUT', '/routes/api', { paths: ['/api'], service: { name: 'echo' } });
    // curl --data ... sends exactly this: repeated keys for lists, dotted keys for config.
    const form = new URLSearchParams();
    form.append('name', 'openid-connect');
    form.append('config.issuer', `${stack.idp.issuer('default')}/.well-known/openid-configuration`);
    form.append('config.client_id', CLIENT_ID);
    form.append('config.client_secret', CLIENT_SECRET);
    form.append('config.redirect_uri', `${stack.proxy}/api`);
    form.append('config.scopes_claim', 'scp');
    form.append('config.scopes', 'openid');
    form.append('config.scopes', 'email');
    form.append('config.scopes', 'profile');
    form.append('config.auth_methods', 'authorization_code');
    const created = await fetch(`${stack.admin}/routes/${route.id}/plugins`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(created.status, 201);
    const plugin = (await created.json()) as { config: Record<string, unknown> };
    assert.deepEqual(plugin.config.scopes, ['openid', 'email', 'profile']);
    assert.deepEqual(plugin.config.client_secret, ['[redacted]']);

    const { jar, callbackUrl, callback } = await signInThroughGateway(stack, '/api');
    assert.equal(callbackUrl.pathname, '/api');
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), '/api');
    const echo = await echoOf(await browserFetch(jar, `${stack.proxy}/api`));
    assert.match(echo.headers.authorization ?? '', /^Bearer /);
  });
});

describe('openid-connect: signing in again', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code', 'session'] });
  });
  after(() => stack.close());

  it('ends the session the browser had before, and keeps the new one', async () => {
    const first = await signInThroughGateway(stack, '/api/things');
    const oldCookie = first.jar.header(new URL(stack.proxy))!;
    assert.match(oldCookie, /(^|; )session=/);
    const withOld = () => fetch(`${stack.proxy}/api/things`, { headers: { accept: 'application/json', cookie: oldCookie } });
    assert.equal((await withOld()).status, 200);

    // The same browser signs in again: its old session cookie rides along to the callback.
    const second = await beginSignIn(stack, '/api/things');
    second.jar.store(new URL(stack.proxy), [`${/(?:^|; )(session=[^;]+)/.exec(oldCookie)![1]}; Path=/`]);
    const callback = await browserFetch(second.jar, second.callbackUrl);
    assert.equal(callback.status, 302);
    const newCookie = second.jar.header(new URL(stack.proxy))!;
    assert.notEqual(newCookie, oldCookie);

    assert.equal((await withOld()).status, 401, 'the old session ended with the new sign-in');
    const withNew = await fetch(`${stack.proxy}/api/things`, { headers: { accept: 'application/json', cookie: newCookie } });
    assert.equal(withNew.status, 200);
  });
});
