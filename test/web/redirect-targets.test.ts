import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, browserFetch, parseForm } from '../../testkit/browser-flow.js';
import { protectRoute, signInThroughGateway, startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD, organizationSignIn, setUpOrganization } from '../sign-in/support.js';
import { REFUSED_TARGETS, REWRITTEN_TARGETS } from './hostile-targets.js';

/**
 * Every listener that sends a browser somewhere after sign-in or sign-out, over real
 * HTTP, with the table of hostile targets: none may leave the site, none may answer
 * 500 (Node throws on a control character or non-Latin-1 text in `Location`), and a
 * sign-in that succeeded keeps its session cookie whatever the target was.
 */

/** Where a browser goes with this answer's `Location`, from `base`. */
function destination(response: Response, base: string): URL {
  const location = response.headers.get('location');
  assert.ok(location, `a redirect (status ${response.status})`);
  return new URL(location, base);
}

describe('redirect targets over HTTP', () => {
  let stack: Stack;
  let consoleUrl: string;
  let home: string;
  let acme: { id: string; ownerEmail: string };

  before(async () => {
    stack = await startStack();
    consoleUrl = stack.gatehouse.consoleUrl;
    home = new URL('/home', consoleUrl).href;
    acme = await setUpOrganization(stack, { loginPath: 'acme', mappings: [['Everyone', 'Viewer']] });
  });
  after(() => stack?.close());

  /** The console with the owner signed in (password), as a browser holds it. */
  async function consoleSignedIn() {
    const jar = new CookieJar();
    const page = await browserFetch(jar, `${consoleUrl}/`);
    const form = parseForm(await page.text(), new URL(consoleUrl))!;
    const signIn = await consoleSignIn(jar, form.fields, undefined);
    assert.equal(signIn.status, 303);
    return jar;
  }

  function consoleSignIn(jar: CookieJar, fields: Record<string, string>, returnTo: string | undefined) {
    const body = new URLSearchParams({ ...fields, organization: 'acme', email: acme.ownerEmail, password: OWNER_PASSWORD, method: 'password' });
    if (returnTo !== undefined) body.set('return_to', returnTo);
    return browserFetch(jar, `${consoleUrl}/sign-in`, { method: 'POST', form: body });
  }

  it('console: a signed-in person opening the sign-in page with any hostile return_to lands on the console’s home', async () => {
    const jar = await consoleSignedIn();
    for (const target of REFUSED_TARGETS) {
      const response = await browserFetch(jar, `${consoleUrl}/?return_to=${encodeURIComponent(target)}`);
      assert.equal(response.status, 303, JSON.stringify(target));
      assert.equal(destination(response, consoleUrl).href, home, JSON.stringify(target));
    }
    for (const [target, serialized] of REWRITTEN_TARGETS) {
      const response = await browserFetch(jar, `${consoleUrl}/?return_to=${encodeURIComponent(target)}`);
      assert.equal(response.status, 303, JSON.stringify(target));
      assert.equal(response.headers.get('location'), serialized);
    }
  });

  it('console: signing in with a hostile return_to goes to the console’s home, with the session', async () => {
    const targets = ['/%09/evil.example', '/%09%09/evil.example', '/\t/evil.example', '/\t\t/evil.example', '/\n/evil.example', '/\r/evil.example', '/\u2028', '/\0', '//evil.example'];
    for (const target of targets) {
      const jar = new CookieJar();
      const page = await browserFetch(jar, `${consoleUrl}/?return_to=${encodeURIComponent(target)}`);
      const form = parseForm(await page.text(), new URL(consoleUrl))!;
      // What the page carries back is what the console accepted; send the hostile one anyway.
      const response = await consoleSignIn(jar, form.fields, target);
      assert.equal(response.status, 303, JSON.stringify(target));
      assert.equal(destination(response, consoleUrl).href, home, JSON.stringify(target));
      assert.match(response.headers.getSetCookie().join('\n'), /gatehouse_session=[^;]+/);
    }
    const jar = new CookieJar();
    const page = await browserFetch(jar, `${consoleUrl}/`);
    const rewritten = await consoleSignIn(jar, parseForm(await page.text(), new URL(consoleUrl))!.fields, '/。');
    assert.equal(rewritten.headers.get('location'), '/%E3%80%82');
  });

  it('password sign-in on the proxy: never a 500, never off-site, the session cookie always set', async () => {
    for (const target of [...REFUSED_TARGETS, ...REWRITTEN_TARGETS.map(([raw]) => raw)]) {
      const response = await fetch(`${stack.proxy}/login/acme/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ email: acme.ownerEmail, password: OWNER_PASSWORD, return_to: target }).toString(),
        redirect: 'manual',
      });
      assert.equal(response.status, 303, JSON.stringify(target));
      const to = destination(response, stack.proxy);
      assert.ok(to.origin === stack.proxy || to.href === home, `${JSON.stringify(target)} → ${to.href}`);
      assert.match(response.headers.getSetCookie().join('\n'), /gatehouse_session=[^;]+/, JSON.stringify(target));
    }
  });

  it('Okta sign-in: the callback sends the person home for targets the review found, after they signed in at Okta', async () => {
    for (const target of ['/\n', '/\r', '/\0', '/\u2028', '/%09/evil.example', '/\t/evil.example', '//evil.example']) {
      const { callback } = await organizationSignIn(stack, 'acme', 'bob@example.com', `?return_to=${encodeURIComponent(target)}`);
      assert.equal(callback.status, 302, JSON.stringify(target));
      assert.equal(callback.headers.get('location'), home, JSON.stringify(target));
    }
    const { callback } = await organizationSignIn(stack, 'acme', 'bob@example.com', `?return_to=${encodeURIComponent('/。')}`);
    assert.equal(callback.headers.get('location'), '/%E3%80%82');
  });

  it('the sign-in form page carries only what it accepted as its return target', async () => {
    const response = await fetch(`${stack.proxy}/login/acme?signed_out&return_to=${encodeURIComponent('/\t/evil.example')}`);
    assert.equal(response.status, 200);
    const form = parseForm(await response.text(), new URL(stack.proxy))!;
    assert.equal(form.fields.return_to, home);
  });
});

describe('sign-out started by another site', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'], logout_uri_suffix: '/logout', logout_methods: ['GET', 'POST'] });
    await setUpOrganization(stack, { loginPath: 'acme', mappings: [['Everyone', 'Viewer']] });
  });
  after(() => stack?.close());

  it('openid-connect: a GET sign-out with only a foreign Referer is refused, one from this site goes through', async () => {
    const { jar } = await signInThroughGateway(stack, '/api');
    const cookie = jar.header(new URL(stack.proxy))!;
    const foreign = await fetch(`${stack.proxy}/api/logout`, { headers: { cookie, referer: 'https://evil.example/page' }, redirect: 'manual' });
    assert.equal(foreign.status, 403);
    const sameSite = await fetch(`${stack.proxy}/api/logout`, { headers: { cookie, 'sec-fetch-site': 'same-site' }, redirect: 'manual' });
    assert.equal(sameSite.status, 403, 'a sibling site is another site');
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'still signed in');
    const own = await fetch(`${stack.proxy}/api/logout`, { headers: { cookie, referer: `${stack.proxy}/api` }, redirect: 'manual' });
    assert.equal(own.status, 302);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 302, 'signed out: back to the provider');
  });

  it('organization sign-out: Sec-Fetch-Site same-site or a foreign Referer is refused', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'bob@example.com');
    const cookie = jar.header(new URL(stack.proxy))!;
    for (const headers of [{ 'sec-fetch-site': 'same-site' }, { referer: 'https://evil.example/' }, { origin: 'null' }] as Array<Record<string, string>>) {
      const response = await fetch(`${stack.proxy}/logout`, { method: 'POST', headers: { cookie, accept: 'application/json', ...headers }, redirect: 'manual' });
      assert.equal(response.status, 403, JSON.stringify(headers));
      assert.equal(((await response.json()) as { error_code: string }).error_code, 'GH-SIGN-OUT-CROSS-SITE');
    }
    const me = await fetch(`${stack.admin}/me`, { headers: { cookie, 'x-gatehouse-csrf': '1' } });
    assert.equal(me.status, 200, 'the session is intact');
    const own = await fetch(`${stack.proxy}/logout`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
    assert.equal(own.status, 303);
    assert.equal((await fetch(`${stack.admin}/me`, { headers: { cookie } })).status, 401);
  });
});
