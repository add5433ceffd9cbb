import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { CookieJar, parseForm } from '../../testkit/browser-flow.js';
import { startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import { addNativeUser, createNativeOrganization } from './support.js';

/**
 * The console server over HTTP, against the real stack on loopback: CSRF refusals in
 * every form, what passes through `/api/*`, headers, assets, escaping, and sessions
 * that end (sign-out, deactivation). The browser tests (sign-in.test.ts) cover what a
 * person sees; these cover what a browser cannot easily be made to send.
 */

interface Sent {
  method?: string;
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

/** A client with a cookie jar and no redirects followed, as a browser's requests look on the wire. */
function client(base: string) {
  const jar = new CookieJar();
  const send = async (path: string, init: Sent = {}) => {
    const url = new URL(path, base);
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    jar.store(url, response.headers.getSetCookie());
    return response;
  };
  /** The CSRF token of a page (from its meta tag, as scripts read it). */
  const token = async (path: string) => {
    const html = await (await send(path)).text();
    const match = /<meta name="csrf-token" content="([^"]+)">/.exec(html);
    assert.ok(match, `the page at ${path} carries a CSRF token`);
    return match[1]!;
  };
  return { jar, send, token };
}

describe('console server', () => {
  let stack: Stack;
  let consoleUrl: string;
  let acme: { id: string; ownerEmail: string };

  before(async () => {
    stack = await startStack();
    consoleUrl = stack.gatehouse.consoleUrl;
    acme = await createNativeOrganization(stack, 'acme', 'Acme <Tools> & "Sons"');
    await addNativeUser(stack, acme.id, 'ivan@acme.example', 'ivan-password-0123456789', ['Gateway Admin']);
  });
  after(() => stack?.close());

  async function signedIn(email = acme.ownerEmail, password = OWNER_PASSWORD) {
    const browser = client(consoleUrl);
    const page = await (await browser.send('/')).text();
    const form = parseForm(page, new URL(consoleUrl))!;
    const response = await browser.send('/sign-in', { form: { ...form.fields, organization: 'acme', email, password, method: 'password' } });
    assert.equal(response.status, 303, await response.text());
    assert.equal(response.headers.get('location'), '/home');
    return browser;
  }

  it('listens on GATEHOUSE_CONSOLE_LISTEN, 127.0.0.1:8002 unless told otherwise', () => {
    assert.deepEqual(loadSettings({ env: {} }).console_listen, { host: '127.0.0.1', port: 8002 });
    assert.deepEqual(loadSettings({ env: { GATEHOUSE_CONSOLE_LISTEN: '[::1]:9802' } }).console_listen, { host: '::1', port: 9802 });
    assert.match(consoleUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a sign-in form posted without its token, with a foreign token, or from another site', async () => {
    const browser = client(consoleUrl);
    const fields = { organization: 'acme', email: acme.ownerEmail, password: OWNER_PASSWORD, method: 'password' };

    const withoutCookieOrToken = await browser.send('/sign-in', { form: fields });
    assert.equal(withoutCookieOrToken.status, 403);
    assert.match(await withoutCookieOrToken.text(), /This form has expired/);

    const token = await browser.token('/');
    const withoutToken = await browser.send('/sign-in', { form: fields });
    assert.equal(withoutToken.status, 403, 'the cookie alone is not enough');
    const foreign = await client(consoleUrl).token('/');
    assert.equal((await browser.send('/sign-in', { form: { ...fields, _csrf: foreign } })).status, 403, 'another browser’s token');
    const crossSite = await browser.send('/sign-in', { form: { ...fields, _csrf: token }, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, 403);
    assert.match(await crossSite.text(), /started by another site/);
    assert.equal(browser.jar.names().includes('gatehouse_session'), false, 'no refused request signed anyone in');

    const accepted = await browser.send('/sign-in', { form: { ...fields, _csrf: token } });
    assert.equal(accepted.status, 303);
    assert.ok(browser.jar.names().includes('gatehouse_session'));
  });

  it('ties the token to the session: the signed-out page’s token is refused once signed in', async () => {
    const browser = client(consoleUrl);
    const before = await browser.token('/');
    const page = await (await browser.send('/')).text();
    const form = parseForm(page, new URL(consoleUrl))!;
    await browser.send('/sign-in', { form: { ...form.fields, organization: 'acme', email: acme.ownerEmail, password: OWNER_PASSWORD, method: 'password' } });
    const stale = await browser.send('/sign-out', { form: { _csrf: before } });
    assert.equal(stale.status, 403);
    assert.equal((await browser.send('/home')).status, 200, 'still signed in');

    const current = await browser.token('/home');
    assert.notEqual(current, before);
    const out = await browser.send('/sign-out', { form: { _csrf: current } });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/?signed_out&organization=acme');
    assert.equal(browser.jar.names().includes('gatehouse_session'), false, 'the proxy’s cookie-clearing is relayed');
  });

  it('passes /api/* to the Admin API as the signed-in person, with the token checked on writes', async () => {
    const anonymous = client(consoleUrl);
    const unauthenticated = await anonymous.send('/api/me', { headers: { accept: 'application/json' } });
    assert.equal(unauthenticated.status, 401);
    assert.equal(((await unauthenticated.json()) as { error_code: string }).error_code, 'GH-ADMIN-UNAUTHENTICATED');

    const browser = await signedIn('ivan@acme.example', 'ivan-password-0123456789');
    const me = (await (await browser.send('/api/me', { headers: { accept: 'application/json' } })).json()) as { user: { email: string }; permissions: string[] };
    assert.equal(me.user.email, 'ivan@acme.example');
    assert.ok(me.permissions.includes('gateway:write'));

    const token = await browser.token('/home');
    const refused = await browser.send('/api/services', { json: { name: 'echo', url: stack.upstream.url }, headers: { accept: 'application/json' } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error_code: string }).error_code, 'GH-CONSOLE-CSRF');
    assert.equal((await stack.adminCall('GET', '/services')).data.length, 0, 'nothing was written');

    const created = await browser.send('/api/services', { json: { name: 'echo', url: stack.upstream.url }, headers: { 'x-csrf-token': token } });
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal(((await created.json()) as { name: string }).name, 'echo');

    // Form bodies with Kong's dotted keys pass through as they are.
    const form = await browser.send('/api/routes', { form: { name: 'r1', 'service.name': 'echo', paths: '/r1' }, headers: { 'x-csrf-token': token } });
    assert.equal(form.status, 201, await form.clone().text());

    // The Admin API's refusals come back unchanged: status, error code, fields.
    const invalid = await browser.send('/api/services', { json: { name: 'bad', url: 'not a url' }, headers: { 'x-csrf-token': token } });
    assert.equal(invalid.status, 400);
    const body = (await invalid.json()) as { fields?: Record<string, unknown> };
    assert.ok(body.fields && Object.keys(body.fields).length > 0, JSON.stringify(body));
    const forbidden = await browser.send(`/api/organizations/${acme.id}/roles`, { json: { name: 'Auditor' }, headers: { 'x-csrf-token': token } });
    assert.equal(forbidden.status, 403, 'a Gateway Admin may not change roles');
    assert.equal(((await forbidden.json()) as { permission: string }).permission, 'roles:write');
  });

  it('ends console access when the account is deactivated', async () => {
    const browser = await signedIn('ivan@acme.example', 'ivan-password-0123456789');
    assert.equal((await browser.send('/home')).status, 200);
    await stack.adminCall('PATCH', `/organizations/${acme.id}/users/ivan@acme.example`, { status: 'deactivated' });
    const home = await browser.send('/home');
    assert.equal(home.status, 303);
    assert.equal(home.headers.get('location'), '/?return_to=%2Fhome');
    await stack.adminCall('PATCH', `/organizations/${acme.id}/users/ivan@acme.example`, { status: 'active' });
  });

  it('escapes what it shows: organization names and values from the URL', async () => {
    const browser = await signedIn();
    const home = await (await browser.send('/home')).text();
    assert.ok(home.includes('<h1>Acme &lt;Tools&gt; &amp; &quot;Sons&quot;</h1>'), home.slice(home.indexOf('<main'), home.indexOf('<main') + 300));
    assert.equal(home.includes('<Tools>'), false);

    const signIn = await (await client(consoleUrl).send('/?organization=%22%3E%3Cscript%3Ealert(1)%3C/script%3E')).text();
    assert.ok(signIn.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
    assert.equal(signIn.includes('<script>alert(1)'), false);
  });

  it('sends a strict content security policy and no-store pages', async () => {
    const response = await client(consoleUrl).send('/');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const html = await response.text();
    assert.equal(/<script(?![^>]*\bsrc=)/.test(html), false, 'no inline script');
    assert.equal(/\sstyle=/.test(html), false, 'no inline style');
    assert.equal(/https?:\/\/(?!127\.0\.0\.1|localhost)/.test(html), false, 'nothing loaded from elsewhere');
  });

  it('serves its assets versioned and cacheable for a year, with revalidation otherwise', async () => {
    const browser = client(consoleUrl);
    const page = await (await browser.send('/')).text();
    const css = /href="(\/assets\/[A-Za-z0-9_-]+\/console\.css)"/.exec(page)?.[1];
    const js = /src="(\/assets\/[A-Za-z0-9_-]+\/console\.js)"/.exec(page)?.[1];
    assert.ok(css && js, 'both under one versioned folder');
    assert.equal(css.split('/')[2], js.split('/')[2], 'one version for all, so relative imports between modules name the same URL');
    const versioned = await browser.send(css);
    assert.equal(versioned.status, 200);
    assert.equal(versioned.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(versioned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const script = await browser.send(js);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');

    const plain = await browser.send('/assets/console.css');
    assert.equal(plain.headers.get('cache-control'), 'no-cache');
    const stale = await browser.send('/assets/an-old-version/console.css');
    assert.equal(stale.status, 200, 'a page from before an upgrade still gets the file');
    assert.equal(stale.headers.get('cache-control'), 'no-cache', 'but not cached for a year under the old version');
    const again = await browser.send('/assets/console.css', { headers: { 'if-none-match': plain.headers.get('etag')! } });
    assert.equal(again.status, 304);
    assert.equal((await browser.send('/assets/tsconfig.json')).status, 404, 'only stylesheets, scripts and images are served');
    assert.equal((await browser.send('/assets/..%2Fserver.ts')).status, 404);
  });

  it('answers unknown pages with a console page, and a signed-in person’s home when they open the sign-in page', async () => {
    const missing = await client(consoleUrl).send('/nowhere');
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Page not found/);
    const browser = await signedIn();
    const root = await browser.send('/');
    assert.equal(root.status, 303);
    assert.equal(root.headers.get('location'), '/home');
    const back = await browser.send('/?return_to=//evil.example/');
    assert.equal(back.headers.get('location'), '/home', 'return_to is a console path only');
  });

  it('never logs passwords or session cookies', async () => {
    const browser = await signedIn();
    const session = browser.jar.header(new URL(consoleUrl))!.match(/gatehouse_session=([^;]+)/)![1]!;
    await browser.send('/home');
    const logs = stack.logs.join('');
    assert.equal(logs.includes(OWNER_PASSWORD), false);
    assert.equal(logs.includes(session), false);
  });
});
