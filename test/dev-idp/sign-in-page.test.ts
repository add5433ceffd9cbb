import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { BrowserFlowError, browserFetch, CookieJar, pageError, parseForm, signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, discover } from './oidc-client.js';

describe('dev IdP sign-in page', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());

  /** Follows /authorize to the sign-in page; returns the page and its URL. */
  const openSignInPage = async (extra: Record<string, string> = {}) => {
    const jar = new CookieJar();
    const config = await discover(idp);
    const request = await buildAuthorization(config, { extra });
    const redirect = await browserFetch(jar, request.url);
    assert.equal(redirect.status, 303);
    const pageUrl = new URL(redirect.headers.get('location') ?? '', request.url);
    assert.match(pageUrl.pathname, /^\/oauth2\/default\/signin\//);
    const page = await browserFetch(jar, pageUrl);
    return { jar, pageUrl, status: page.status, html: await page.text(), headers: page.headers };
  };

  it('is plain HTML with a username/password form and no external assets or scripts', async () => {
    const { html, status, headers } = await openSignInPage();
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html, /<input type="text" id="username" name="username"/);
    assert.match(html, /<input type="password" id="password" name="password"/);
    assert.doesNotMatch(html, /<script|<link|src=|@import|https?:\/\//i);
  });

  it('prefills login_hint', async () => {
    const { html } = await openSignInPage({ login_hint: 'bob@example.com' });
    assert.match(html, /value="bob@example\.com"/);
  });

  it('shows an error on the page after a wrong password, and lets the user try again', async () => {
    const { jar, pageUrl, html } = await openSignInPage();
    const form = parseForm(html, pageUrl);
    assert.ok(form);
    const wrong = await browserFetch(jar, form.action, { form: { ...form.fields, username: 'alice@example.com', password: 'wrong' } });
    assert.equal(wrong.status, 200);
    const wrongHtml = await wrong.text();
    assert.equal(pageError(wrongHtml), 'Unable to sign in');
    assert.match(wrongHtml, /value="alice@example\.com"/, 'the username stays');
    assert.doesNotMatch(wrongHtml, /wrong/, 'the password is never echoed');

    const right = await browserFetch(jar, form.action, { form: { ...form.fields, username: 'alice@example.com', password: DEMO_PASSWORD } });
    assert.equal(right.status, 303);
  });

  it('signIn() reports the page error on a wrong password', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    await assert.rejects(signIn({ authorizeUrl: request.url, username: 'alice@example.com', password: 'nope' }), (error: unknown) => {
      assert.ok(error instanceof BrowserFlowError);
      assert.match(error.message, /Unable to sign in/);
      return true;
    });
  });

  it('refuses DEPROVISIONED users with the same message', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    await assert.rejects(signIn({ authorizeUrl: request.url, username: 'dave@example.com', password: DEMO_PASSWORD }), /Unable to sign in/);
  });

  it('accepts the login case-insensitively', async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
    const { callbackUrl } = await signIn({ authorizeUrl: request.url, username: 'Alice@Example.COM', password: DEMO_PASSWORD });
    assert.ok(callbackUrl.searchParams.get('code'));
  });

  it('answers 400 for a sign-in URL without its cookie', async () => {
    const { pageUrl } = await openSignInPage();
    const res = await fetch(pageUrl);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /expired/);
  });
});
