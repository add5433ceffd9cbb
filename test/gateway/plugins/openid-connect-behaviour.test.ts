import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { browserFetch } from '../../dev-idp/browser-flow.js';
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

  it('refuses a replayed session cookie after session_absolute_timeout, though the cookie itself lasts to the next second', async () => {
    await protectRoute(
      stack,
      { auth_methods: ['authorization_code'], session_absolute_timeout: 2, session_rolling_timeout: 0 },
      { name: 'brief', paths: ['/brief'] },
    );
    const { jar } = await signInThroughGateway(stack, '/brief');
    // A browser drops the cookie at its Max-Age; a client replaying the header does not.
    // The sealed cookie's own expiry is the session's end rounded up to a whole second.
    const cookie = jar.header(new URL(stack.proxy))!;
    const signedInBy = Date.now();
    let lastAdmitted = signedInBy;
    for (let status = 200; status === 200; await sleep(25)) {
      status = (await fetch(`${stack.proxy}/brief`, { headers: { cookie, accept: 'application/json' } })).status;
      if (status === 200) lastAdmitted = Date.now();
      else assert.equal(status, 401);
      assert.ok(Date.now() - signedInBy < 5000, 'the session ended');
    }
    assert.ok(lastAdmitted - signedInBy >= 1500, `in use until near its end (${lastAdmitted - signedInBy} ms)`);
    assert.ok(lastAdmitted - signedInBy <= 2000, `not admitted after it (${lastAdmitted - signedInBy} ms)`);
  });

  it('ends a session that sits idle longer than session_idling_timeout', async () => {
    const { jar } = await signInThroughGateway(stack, '/api');
    await sleep(1200);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'used within the idle time');
    await sleep(1200);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'the last use reset the idle clock');
    await sleep(2300);
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
