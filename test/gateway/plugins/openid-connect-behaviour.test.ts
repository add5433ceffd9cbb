import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserFetch } from '../../../testkit/browser-flow.js';
import { stopClock } from '../../support/clock.js';
import { ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/** Who gets redirects and who gets status codes, idle sessions, userinfo checks and configuration refusals. */


describe('openid-connect: clients, redirects and idle sessions', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'], session_idling_timeout: 2, session_rolling_timeout: 0 });
    await protectRoute(
      stack,
      { auth_methods: ['bearer'], unauthorized_redirect_uri: `${stack.proxy}/please-sign-in` },
      { name: 'other', paths: ['/other'] },
    );
    await protectRoute(
      stack,
      {
        auth_methods: ['authorization_code'],
        groups_required: ['auditors'],
        forbidden_redirect_uri: `${stack.proxy}/not-for-you`,
        upstream_user_info_header: 'X-Userinfo',
      },
      { name: 'team', paths: ['/team'] },
    );
  });
  after(() => stack.close());

  it('answers XHR and bearer clients with 401, never a redirect', async () => {
    const xhr = await fetch(`${stack.proxy}/api`, { headers: { 'x-requested-with': 'XMLHttpRequest' }, redirect: 'manual' });
    assert.equal(xhr.status, 401);
    const bearer = await fetch(`${stack.proxy}/api`, { headers: { authorization: 'Bearer abc.def.ghi' }, redirect: 'manual' });
    assert.equal(bearer.status, 401);
    const browser = await fetch(`${stack.proxy}/api`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(browser.status, 302);
  });

  it('sends browsers to unauthorized_redirect_uri and forbidden_redirect_uri, API clients get status codes', async () => {
    const unauthorized = await fetch(`${stack.proxy}/other`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(unauthorized.status, 302);
    assert.equal(unauthorized.headers.get('location'), `${stack.proxy}/please-sign-in`);
    const api = await fetch(`${stack.proxy}/other`, { headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);

    const { jar } = await signInThroughGateway(stack, '/team');
    const forbidden = await browserFetch(jar, `${stack.proxy}/team`);
    assert.equal(forbidden.status, 302);
    assert.equal(forbidden.headers.get('location'), `${stack.proxy}/not-for-you`);
  });

  it('refuses a replayed session cookie after session_absolute_timeout, though the cookie itself lasts to the next second', async (t) => {
    await protectRoute(
      stack,
      { auth_methods: ['authorization_code'], session_absolute_timeout: 2, session_rolling_timeout: 0 },
      { name: 'brief', paths: ['/brief'] },
    );
    // Signed in half a second past a whole second: the session ends 2 s later, half a
    // second before its sealed cookie, whose own expiry is rounded up to a whole second.
    const clock = stopClock(t, Math.ceil(Date.now() / 1000) * 1000 + 500);
    const { jar } = await signInThroughGateway(stack, '/brief');
    // A browser drops the cookie at its Max-Age; a client replaying the header does not.
    const cookie = jar.header(new URL(stack.proxy))!;
    const replay = async () => (await fetch(`${stack.proxy}/brief`, { headers: { cookie, accept: 'application/json' } })).status;
    assert.equal(await replay(), 200);
    clock.advance(1999);
    assert.equal(await replay(), 200, 'in use until its last millisecond');
    clock.advance(2);
    assert.ok(await stack.gatehouse.keyRing.unseal(/(?:^|; )session=([^;]+)/.exec(cookie)![1]!), 'the sealed cookie itself has not expired');
    assert.equal(await replay(), 401, 'not admitted after session_absolute_timeout');
    clock.advance(1000);
    assert.equal(await replay(), 401, 'nor once the cookie has expired too');
  });

  it('ends a session that sits idle longer than session_idling_timeout', async (t) => {
    const clock = stopClock(t);
    const { jar } = await signInThroughGateway(stack, '/api');
    clock.advance(1999);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'used within the idle time');
    clock.advance(1999);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'the last use reset the idle clock');
    clock.advance(2001);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 302, 'idle too long: sign in again');
  });

  it('refuses userinfo that names another subject than the ID token', async () => {
    stack.idp.switches.userinfoSubject = '00uSOMEONEELSE0000001';
    try {
      const { callback } = await signInThroughGateway(stack, '/team');
      assert.equal(callback.status, 401);
      assert.equal(callback.headers.getSetCookie().some((cookie) => /^session=[^;]/.test(cookie)), false);
    } finally {
      stack.idp.resetSwitches();
    }
  });

  it('refuses a plain-http issuer that is not on loopback, naming the field', async () => {
    const response = await fetch(`${stack.admin}/routes/api/plugins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        name: 'openid-connect',
        config: { issuer: 'http://idp.example.com/oauth2/default', client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
      }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { fields: { config: Record<string, string> } };
    assert.match(body.fields.config.issuer ?? '', /loopback/);
  });
});
