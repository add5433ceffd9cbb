import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PASSWORD } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  createNativeOrganization,
  enableSso,
  focusedId,
  focusedText,
  screenshot,
  SCREENSHOT_PORTS,
  signInWithPassword,
} from './support.js';

/**
 * The console's sign-in, as a person uses it, in Debian's Chromium against the real
 * stack on loopback: Gatehouse (proxy, Admin API, console), the Okta stand-in.
 *
 * acme:   signs in with passwords (SSO off); owner + a native Viewer (later deactivated).
 * globex: signs in with Okta (SSO on); owner + a native user created before SSO was enabled.
 */
describe('console sign-in in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let acme: { id: string; ownerEmail: string };
  let globex: { id: string; ownerEmail: string };

  before(async () => {
    acme = await createNativeOrganization(env.stack, 'acme', 'Acme Corporation');
    await addNativeUser(env.stack, acme.id, 'vera@acme.example', 'vera-password-0123456789');
    await addNativeUser(env.stack, acme.id, 'dan@acme.example', 'dan-password-0123456789');
    await env.stack.adminCall('PATCH', `/organizations/${acme.id}/users/dan@acme.example`, { status: 'deactivated' });
    globex = await createNativeOrganization(env.stack, 'globex', 'Globex');
    await addNativeUser(env.stack, globex.id, 'nina@globex.example', 'nina-password-0123456789');
    await enableSso(env.stack, globex.id, [['service_admin', 'Gateway Admin']]);
  });

  it('the owner signs in with a password and sees the organization and their roles', async () => {
    const page = await env.signedOutPage();
    await page.goto(`${env.consoleUrl}/`);
    assert.equal(await page.title(), 'Sign in · Gatehouse');
    await screenshot(page, 'console-sign-in');

    await signInWithPassword(page, env.consoleUrl, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/home');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Acme Corporation');
    const roles = page.getByRole('region', { name: 'Your roles' });
    assert.match(await roles.innerText(), /Organization Admin\s+given by an administrator/);
    assert.match(await page.locator('.lead').innerText(), /Olive Owner \(owner@acme\.example\), the organization’s owner/);
    // Navigation: every section, Home marked as the current page.
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Home' }).getAttribute('aria-current'), 'page');
    for (const label of ['Users', 'Identity Management', 'Role mapping', 'Audit log', 'Gateway', 'Tokens']) {
      assert.match(await nav.innerText(), new RegExp(label));
    }
    await screenshot(page, 'console-home');

    // The console's session is the Admin API's: the same cookie authenticates /api/me.
    const me = (await page.evaluate(async () => (await fetch('/api/me')).json())) as { user: { email: string } };
    assert.equal(me.user.email, acme.ownerEmail);

    // Signing out ends the session everywhere and comes back to the sign-in page.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.has('signed_out'));
    assert.equal(await page.getByRole('status').innerText(), 'You are signed out.');
    assert.equal(await page.getByLabel('Organization').inputValue(), 'acme', 'the organization is remembered');
    assert.equal(await page.evaluate(async () => (await fetch('/api/me')).status), 401);
    await page.goto(`${env.consoleUrl}/home`);
    assert.equal(new URL(page.url()).pathname, '/', 'a page behind sign-in sends the browser to sign in');
    assert.equal(new URL(page.url()).searchParams.get('return_to'), '/home');
    await page.close();
  });

  it('a wrong password is refused with the message next to the form, keeping what was typed but the password', async () => {
    const page = await env.signedOutPage();
    await signInWithPassword(page, env.consoleUrl, 'acme', acme.ownerEmail, 'not-the-password');
    const alert = page.locator('#sign-in-alert');
    assert.equal(await alert.innerText(), 'Wrong email or password.');
    assert.equal(await alert.isVisible(), true);
    assert.equal(await page.getByLabel('Email').inputValue(), acme.ownerEmail);
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    assert.equal(await focusedId(page), 'sign-in-password', 'the focus is where the person has to act');
    assert.match(await page.getByLabel('Password').getAttribute('aria-describedby') ?? '', /\bsign-in-alert\b/, 'and a screen reader reads the reason with it');
    await page.close();
  });

  it('a native user of an organization that signs in with Okta is told so, with the link to sign in with Okta', async () => {
    const page = await env.signedOutPage();
    await signInWithPassword(page, env.consoleUrl, 'globex', 'nina@globex.example', 'nina-password-0123456789');
    const alert = page.locator('#sign-in-alert');
    assert.match(await alert.innerText(), /Globex signs in with Okta; only its owner may use a password/);
    const link = alert.getByRole('link', { name: 'Sign in with Okta' });
    assert.equal(await link.getAttribute('href'), `${env.stack.proxy}/login/globex`);
    await page.close();
  });

  it('explains a deactivated account and an unknown organization', async () => {
    const page = await env.signedOutPage();
    await signInWithPassword(page, env.consoleUrl, 'acme', 'dan@acme.example', 'dan-password-0123456789');
    assert.match(await page.locator('#sign-in-alert').innerText(), /This account is deactivated\. Ask an administrator of Acme Corporation/);

    await signInWithPassword(page, env.consoleUrl, 'initech', 'someone@initech.example', 'whatever-password');
    const organization = page.getByLabel('Organization');
    assert.equal(await organization.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#sign-in-organization-error').innerText(), /No organization signs in at “initech”/);
    await page.close();
  });

  it('the sign-in form works from the keyboard alone: Tab between fields, Enter to submit', async () => {
    const page = await env.signedOutPage();
    await page.goto(`${env.consoleUrl}/`);
    assert.equal(await focusedId(page), 'sign-in-organization', 'the page opens on its first field');
    await page.keyboard.type('acme');
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'sign-in-email');
    await page.keyboard.type('vera@acme.example');
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'sign-in-password');
    await page.keyboard.type('vera-password-0123456789');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/home');
    assert.match(await page.getByRole('region', { name: 'Your roles' }).innerText(), /Viewer/);

    // On every page, the first Tab stop is the skip link, and it moves the focus to the content.
    await page.reload();
    await page.keyboard.press('Tab');
    assert.equal(await focusedText(page), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await focusedId(page), 'main');
    // The sign-out button is reachable and works from the keyboard too.
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.has('signed_out'));
    await page.close();
  });

  it('"Sign in with Okta" takes the person to the organization’s sign-in, and the session it makes works in the console', async () => {
    const page = await env.signedOutPage();
    await page.goto(`${env.consoleUrl}/?organization=globex`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in to Globex');
    await page.getByRole('button', { name: 'Sign in with Okta' }).click();
    // The proxy starts the authorization code flow: the stand-in's sign-in page.
    await page.waitForURL((url) => url.origin === env.stack.idp.origin);
    await page.getByLabel('Username').fill('alice@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    // The proxy completes the sign-in and sends the browser back to the console. Cookies
    // ignore ports: the session the proxy set on this host is the console's too.
    await page.waitForURL(`${env.consoleUrl}/home`);
    assert.match(await page.getByRole('region', { name: 'Your roles' }).innerText(), /Gateway Admin\s+from the Okta group “service_admin”/);
    await page.close();
  });

  it('a person whose Okta groups map to no role comes back to the console’s sign-in with the reason', async () => {
    const page = await env.signedOutPage();
    // The organization's sign-in address, as a person would open it from a bookmark.
    await page.goto(`${env.stack.proxy}/login/globex`);
    await page.waitForURL((url) => url.origin === env.stack.idp.origin);
    await page.getByLabel('Username').fill('bob@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${env.consoleUrl}/?`));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in to Globex');
    assert.match(await page.locator('#sign-in-alert').innerText(), /Your Okta groups give you no role in this organization/);
    await page.close();
  });

  it('refuses "Sign in with Okta" for an organization that does not use Okta yet', async () => {
    const page = await env.signedOutPage();
    await page.goto(`${env.consoleUrl}/`);
    await page.getByLabel('Organization').fill('acme');
    await page.getByRole('button', { name: 'Sign in with Okta' }).click();
    await page.waitForLoadState('domcontentloaded');
    assert.match(await page.locator('#sign-in-alert').innerText(), /Acme Corporation does not sign in with Okta yet/);
    await page.close();
  });

  it('shows why an Okta sign-in failed, by code only: no text is taken from the URL', async () => {
    const page = await env.signedOutPage();
    await page.goto(`${env.consoleUrl}/?organization=globex&error=no-mapped-group`);
    assert.match(await page.locator('#sign-in-alert').innerText(), /Your Okta groups give you no role in this organization/);
    await page.goto(`${env.consoleUrl}/?error=%3Cscript%3Ealert(1)%3C/script%3E`);
    assert.equal(await page.locator('#sign-in-alert').isVisible(), false, 'unknown codes show nothing: no text is taken from the URL');
    await page.goto(`${env.consoleUrl}/?error=constructor`);
    assert.equal(await page.locator('#sign-in-alert').isVisible(), false, 'only the console’s own codes');
    await page.close();
  });

  it('refuses a state-changing request without the CSRF token, in the browser too', async () => {
    const page = await env.signedOutPage();
    await signInWithPassword(page, env.consoleUrl, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    const withoutToken = (await page.evaluate(async () => {
      const response = await fetch('/api/me/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }) });
      return { status: response.status, body: await response.json() };
    })) as { status: number; body: { error_code: string } };
    assert.equal(withoutToken.status, 403);
    assert.equal(withoutToken.body.error_code, 'GH-CONSOLE-CSRF');

    // The page's own helper sends the token: the Admin API answers, errors and all.
    const helper = (await page.evaluate(`(async () => {
      const { api } = await import('/assets/console.js');
      const created = await api('POST', '/me/tokens', { name: 'from the console' });
      const invalid = await api('POST', '/me/tokens', { name: '' });
      return { created, invalid };
    })()`)) as { created: { status: number; body: { token: string } }; invalid: { status: number; body: { fields?: { name?: string } } } };
    assert.equal(helper.created.status, 201, JSON.stringify(helper.created));
    assert.match(helper.created.body.token, /^ghp_/);
    assert.equal(helper.invalid.status, 400);
    assert.ok(helper.invalid.body.fields?.name, JSON.stringify(helper.invalid.body));
    await page.close();
  });

  it('shows Admin API errors on the fields they concern (forms marked data-api)', async () => {
    const page = await env.signedOutPage();
    await signInWithPassword(page, env.consoleUrl, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    // A form as the next pages render it (forms.ts markup), submitted by console.js.
    const markup = `<form id="t" data-api="/me/tokens" data-method="POST">
      <div class="form-alert" id="t-alert" role="alert" tabindex="-1" hidden></div>
      <div class="field"><label for="t-name">Name</label><input id="t-name" name="name" aria-describedby="t-name-error">
      <p class="field-error" id="t-name-error" data-error-for="name"></p></div>
      <button type="submit">Create</button></form>`;
    await page.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', ${JSON.stringify(markup)})`);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#t-name[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#t-name-error').innerText(), /length must be at least 1/);
    assert.equal(await focusedId(page), 't-name', 'the focus moves to the field in error');

    const done = page.evaluate(`new Promise((resolve) => document.getElementById('t').addEventListener('gatehouse:done', (event) => resolve(event.detail)))`) as Promise<{ name: string }>;
    await page.getByLabel('Name').fill('deploy bot');
    await page.getByRole('button', { name: 'Create' }).click();
    const created = await done;
    assert.equal(created.name, 'deploy bot');
    assert.equal(await page.locator('#t-name').getAttribute('aria-invalid'), null, 'errors are cleared on success');
    await page.close();
  });
});
