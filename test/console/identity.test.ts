import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CLIENT_ID, CLIENT_SECRET } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  clipboardText,
  createNativeOrganization,
  screenshot,
  SCREENSHOT_PORTS,
} from './support.js';

/**
 * Settings → Identity Management in Debian's Chromium, against the real stack and the
 * Okta stand-in: Test Configuration and the Save button's state, how a failed test is
 * shown, the copy buttons, read-only pages for Viewers and Gateway Admins, and the
 * switch to single sign-on behind its confirmation dialog.
 *
 * initech: signs in with passwords (SSO off until the last test); the owner, a Viewer and
 * a Gateway Admin. The tests run in order: the connection is saved by the first.
 */
describe('console Identity Management in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let initech: { id: string; ownerEmail: string };
  let oktaDomain: string;

  before(async () => {
    oktaDomain = new URL(env.stack.idp.origin).host;
    initech = await createNativeOrganization(env.stack, 'initech', 'Initech');
    await addNativeUser(env.stack, initech.id, 'vera@initech.example', 'vera-password-0123456789', ['Viewer']);
    await addNativeUser(env.stack, initech.id, 'gary@initech.example', 'gary-password-0123456789', ['Gateway Admin']);
  });

  async function ownerPage(): Promise<Page> {
    const page = await env.signedInPage('initech', initech.ownerEmail, OWNER_PASSWORD);
    await page.goto(`${env.consoleUrl}/settings/identity`);
    return page;
  }

  /** Each check shown: its name → its outcome and message. */
  async function shownChecks(page: Page): Promise<Map<string, { outcome: string; detail: string }>> {
    const checks = new Map<string, { outcome: string; detail: string }>();
    const items = page.locator('#identity-test-result .test-check');
    for (let index = 0; index < (await items.count()); index += 1) {
      const item = items.nth(index);
      checks.set(await item.locator('.test-check-name').innerText(), {
        outcome: await item.locator('.test-check-outcome').innerText(),
        detail: await item.locator('.test-check-detail').innerText(),
      });
    }
    return checks;
  }

  async function runTest(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Test Configuration' }).click();
    const summary = page.locator('#identity-test-result .test-summary');
    await summary.waitFor();
    return summary.innerText();
  }

  const save = (page: Page) => page.getByRole('button', { name: 'Save', exact: true });

  /**
   * The settings the first test saves through the page. When that test did not run (a
   * test run alone), the same values are tested and saved through the Admin API.
   */
  async function theSavedSettings(): Promise<void> {
    const path = `/organizations/${initech.id}/identity`;
    if ((await env.stack.adminCall('GET', path)).configured) return;
    const values = { provider: 'okta', okta_domain: oktaDomain, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, login_claim: 'email', scopes: 'openid profile email offline_access' };
    assert.equal((await env.stack.adminCall('POST', `${path}/test`, values)).passed, true);
    await env.stack.adminCall('PUT', path, values);
  }

  /**
   * Saves, then waits for the page the save loads. The notice of an earlier save is still
   * on the page until then, so waiting for a notice alone could return early, and closing
   * a page in the middle of its navigation can leave Chromium's close pending for good.
   */
  async function saveAndReload(page: Page): Promise<void> {
    const reloaded = page.waitForEvent('load');
    await save(page).click();
    await reloaded;
    await page.locator('#page-notice.notice').waitFor();
  }

  it('enables Save only while the form holds values that passed Test Configuration', async () => {
    const page = await ownerPage();
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Identity Management');
    assert.equal(await save(page).isDisabled(), true, 'disabled at first');

    await page.getByLabel('Okta domain').fill(oktaDomain);
    assert.equal(await page.getByLabel('Authorization server').inputValue(), 'default', 'the custom server Okta creates is proposed');
    await page.getByLabel('Client ID').fill(CLIENT_ID);
    await page.getByLabel('Client secret').fill(CLIENT_SECRET);
    assert.equal(await save(page).isDisabled(), true, 'filling the form is not enough');

    assert.equal(await runTest(page), 'Configuration tested successfully');
    const checks = await shownChecks(page);
    assert.deepEqual(
      [...checks].map(([name, check]) => [name, check.outcome]),
      [
        ['Discovery document', 'Passed'],
        ['Signing keys', 'Passed'],
        ['Client ID and secret', 'Passed'],
        ['API token', 'Skipped'],
        ['Mapped groups', 'Skipped'],
        ['Groups claim (people in over 100 groups)', 'Skipped'],
      ],
    );
    assert.match(checks.get('Client ID and secret')!.detail, /accepted the client ID and secret/);
    assert.equal(await page.locator('#identity-test-result').getAttribute('role'), 'status', 'the results are announced');
    assert.equal(await save(page).isEnabled(), true, 'enabled after a passing test');
    await screenshot(page, 'console-identity');

    // Any change disables it again, and says why.
    await page.getByLabel('Login claim').fill('email');
    assert.equal(await save(page).isDisabled(), true, 'disabled again after an edit');
    assert.match(await page.locator('#identity-save-why').innerText(), /changed after the test passed: run Test Configuration again/);
    // Changing a value back to the tested one is the tested configuration again.
    await page.getByLabel('Login claim').fill('login_email');
    assert.equal(await save(page).isEnabled(), true);
    await page.getByLabel('Login claim').fill('email');
    assert.equal(await save(page).isDisabled(), true);

    // The server enforces it too: a Save forced past the disabled button is refused, and the refusal shown.
    // (Leaving the field first: its change event would disable the button again.)
    await page.getByLabel('Login claim').blur();
    await page.evaluate(`document.getElementById('identity-save').disabled = false`);
    await save(page).click();
    const alert = page.locator('#identity-alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /have not passed a connection test: run Test Configuration with these values first/);

    // Re-tested: enabled again, and saved.
    assert.equal(await runTest(page), 'Configuration tested successfully');
    assert.equal(await save(page).isEnabled(), true, 'enabled again after re-testing');
    await saveAndReload(page);
    assert.equal(await page.locator('#page-notice').innerText(), 'Identity settings saved.');

    const stored = await env.stack.adminCall('GET', `/organizations/${initech.id}/identity`);
    assert.equal(stored.login_claim, 'email');
    assert.equal(stored.client_id, CLIENT_ID);
    // The secret is never shown back: the field is empty, the hint says it is kept.
    assert.equal(await page.getByLabel('Client secret').inputValue(), '');
    assert.match(await page.locator('#identity-client_secret-hint').innerText(), /Stored, ending in 6789; never shown\. Leave this empty to keep it/);
    assert.equal((await page.content()).includes(CLIENT_SECRET), false, 'the secret is nowhere in the page');
    assert.equal(await save(page).isDisabled(), true, 'a new page starts untested');

    // An empty secret field keeps the stored secret: testing and saving work without typing it again.
    await page.getByLabel('Scopes').fill('openid profile email offline_access');
    assert.equal(await runTest(page), 'Configuration tested successfully');
    await saveAndReload(page);
    const resaved = await env.stack.adminCall('GET', `/organizations/${initech.id}/identity`);
    assert.deepEqual(resaved.scopes, ['openid', 'profile', 'email', 'offline_access']);
    assert.equal(resaved.client_secret.ends_in, '6789');
    await page.close();
  });

  it('shows each check of a failed test with its message, and keeps Save disabled', async () => {
    await theSavedSettings();
    const page = await ownerPage();

    // A wrong client secret: the token endpoint refuses the client.
    await page.getByLabel('Client secret').fill('not-the-secret-0000');
    assert.match(await runTest(page), /^Configuration test failed: client_credentials did not pass/);
    let checks = await shownChecks(page);
    assert.equal(checks.get('Discovery document')!.outcome, 'Passed');
    assert.equal(checks.get('Signing keys')!.outcome, 'Passed');
    assert.equal(checks.get('Client ID and secret')!.outcome, 'Failed');
    assert.match(checks.get('Client ID and secret')!.detail, /invalid_client: the token endpoint refused the client ID and secret/);
    assert.match(checks.get('Client ID and secret')!.detail, /Applications > your app > General > Client Credentials/);
    assert.equal(await save(page).isDisabled(), true);

    // An authorization server Okta does not have: discovery fails, what depends on it is not checked.
    await page.getByLabel('Client secret').fill('');
    await page.getByLabel('Authorization server').fill('ausnosuchserver');
    assert.match(await runTest(page), /^Configuration test failed: discovery, jwks, client_credentials did not pass/);
    checks = await shownChecks(page);
    assert.equal(checks.get('Discovery document')!.outcome, 'Failed');
    assert.match(checks.get('Discovery document')!.detail, /check authorization_server_id/);
    assert.equal(checks.get('Signing keys')!.outcome, 'Not checked');
    assert.match(checks.get('Signing keys')!.detail, /needs a discovery document/);
    assert.equal(checks.get('Client ID and secret')!.outcome, 'Not checked');
    assert.equal(await save(page).isDisabled(), true);

    // Values the API cannot test at all: the error is on the field, the test says it did not run.
    await page.getByLabel('Okta domain').fill('');
    await page.getByRole('button', { name: 'Test Configuration' }).click();
    const error = page.locator('#identity-okta_domain-error');
    await error.filter({ hasText: /required/ }).waitFor();
    assert.match(await error.innerText(), /required for provider okta: your Okta domain/);
    assert.equal(await page.getByLabel('Okta domain').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#identity-test-result').innerText(), /The test did not run: correct the marked fields/);
    assert.equal(await save(page).isDisabled(), true);
    await page.close();
  });

  it('copies the values for the Okta app', async () => {
    await env.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.consoleUrl });
    const page = await ownerPage();
    const expected: Array<[string, string]> = [
      ['Copy the sign-in redirect URI', `${env.stack.proxy}/login/callback`],
      ['Copy the sign-out redirect URI', `${env.stack.proxy}/login/initech`],
      ['Copy the initiate login URI', `${env.stack.proxy}/login/initech/initiate`],
      ['Copy the back-channel logout URI', `${env.stack.proxy}/login/initech/backchannel-logout`],
    ];
    for (const [name, value] of expected) {
      const button = page.getByRole('button', { name });
      assert.equal(await button.getAttribute('data-copy'), value);
      await button.click();
      const status = page.locator(`#${await button.getAttribute('data-copy-status')}`);
      await status.filter({ hasText: 'Copied' }).waitFor();
      assert.equal(await clipboardText(page), value, name);
    }
    // The back-channel logout URI is a real endpoint of the proxy: it answers a request without a token.
    const backchannel = await fetch(`${env.stack.proxy}/login/initech/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.equal(backchannel.status, 400);
    assert.equal(((await backchannel.json()) as { error: string }).error, 'invalid_request');
    await page.close();
  });

  it('shows a Viewer and a Gateway Admin the settings read-only', async () => {
    await theSavedSettings();
    for (const [email, password, role] of [
      ['vera@initech.example', 'vera-password-0123456789', 'Viewer'],
      ['gary@initech.example', 'gary-password-0123456789', 'Gateway Admin'],
    ] as const) {
      const page = await env.signedInPage('initech', email, password);
      await page.goto(`${env.consoleUrl}/settings/identity`);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Identity Management', role);
      const main = page.locator('main');
      assert.equal(await main.locator('form, input, select, textarea').count(), 0, `${role}: no control that could change the settings`);
      for (const name of ['Test Configuration', 'Save', 'Change login path']) {
        assert.equal(await page.getByRole('button', { name }).count(), 0, `${role}: no ${name} button`);
      }
      assert.equal(await page.getByRole('switch').count(), 0, `${role}: no switch`);
      const facts = await main.innerText();
      assert.match(facts, /Client ID\s+gatehouse-test/);
      assert.match(facts, /Client secret\s+set, ending in 6789 \(never shown\)/);
      assert.match(facts, /Single sign-on\s+Off: people sign in with a password/);
      assert.equal((await page.content()).includes(CLIENT_SECRET), false);
      // Copying is still possible: it changes nothing.
      assert.equal(await page.getByRole('button', { name: 'Copy the sign-in redirect URI' }).count(), 1);
      // And the Admin API refuses the writes anyway.
      const refused = (await page.evaluate(`(async () => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const response = await fetch('/api/organizations/${initech.id}/identity/test', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: '{}' });
        return { status: response.status, body: await response.json() };
      })()`)) as { status: number; body: { error_code: string; permission: string } };
      assert.equal(refused.status, 403, role);
      assert.equal(refused.body.permission, 'identity:write');
      await page.close();
    }
  });

  it('turns single sign-on on only after the confirmation, and then shows it on for good', async () => {
    await theSavedSettings();
    const base = `/organizations/${initech.id}`;
    const page = await ownerPage();
    const toggle = page.getByRole('switch', { name: 'Sign in with Okta' });
    assert.equal(await toggle.isDisabled(), true, 'no rule yet: the switch is off and cannot be used');
    assert.match(await page.locator('#sso-switch-hint').innerText(), /Map at least one Okta group to a role first/);

    const roles = (await env.stack.adminCall('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
    await env.stack.adminCall('POST', `${base}/role-mappings`, { group: 'service_admin', role: roles.find((role) => role.name === 'Gateway Admin')!.id });
    await page.reload();
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');
    const dialog = page.getByRole('dialog', { name: 'Turn on single sign-on?' });

    // Escape cancels.
    await toggle.click();
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /This cannot be undone/);
    assert.match(await dialog.innerText(), /Everyone but the owner signs in with Okta/);
    assert.match(await dialog.innerText(), /Passwords of the other accounts stop working/);
    assert.equal(await page.evaluate('document.activeElement.id'), 'sso-cancel', 'the focus starts on the safe choice');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate('document.activeElement.id'), 'sso-switch', 'the focus goes back to the switch');
    assert.equal((await env.stack.adminCall('GET', base)).sso_enabled, false, 'Escape changed nothing');

    // So does Cancel.
    await toggle.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await env.stack.adminCall('GET', base)).sso_enabled, false, 'Cancel changed nothing');
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');

    // Confirmed: on, with its date, and no switch any more.
    await toggle.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Turn on single sign-on' }).click();
    await page.locator('#page-notice.notice').waitFor();
    assert.match(await page.locator('#page-notice').innerText(), /SSO enabled: members sign in with Okta from now on; only the owner keeps password sign-in/);
    const organization = await env.stack.adminCall('GET', base);
    assert.equal(organization.sso_enabled, true);
    const section = page.getByRole('region', { name: 'Single sign-on' });
    const date = new Date(organization.sso_enabled_at * 1000).toISOString().slice(0, 16).replace('T', ' ');
    assert.match(await section.innerText(), new RegExp(`On since ${date} UTC`));
    assert.match(await section.innerText(), /cannot be turned off/);
    assert.equal(await page.getByRole('switch').count(), 0);

    // The native Viewer's password stops working, as the dialog said.
    const viewer = await env.signedInPage('initech', 'vera@initech.example', 'vera-password-0123456789');
    assert.match(await viewer.locator('#sign-in-alert').innerText(), /Initech signs in with Okta/);
    await viewer.close();
    await page.close();
  });

  it('changes the login path, and with it the values for the Okta app', async () => {
    const page = await ownerPage();
    const writes: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH' && request.url().endsWith(`/api/organizations/${initech.id}`)) writes.push(request.url());
    });
    const loginPath = page.getByLabel('Login path');
    await loginPath.fill('initech corp');
    await page.getByRole('button', { name: 'Change login path' }).click();
    const error = page.locator('#login-path-login_path-error');
    await error.filter({ hasText: /./ }).waitFor();
    assert.match(await error.innerText(), /login_path may contain only letters, digits, '-' and '_'/);
    assert.equal(await loginPath.getAttribute('aria-invalid'), 'true');

    await loginPath.fill('initech-corp');
    await page.getByRole('button', { name: 'Change login path' }).click();
    await page.locator('#page-notice.notice').waitFor();
    assert.equal(await page.locator('#page-notice').innerText(), 'The login path is now “initech-corp”. Enter the new sign-out redirect and initiate login URIs in the Okta app.');
    assert.equal(writes.length, 2, 'each press sent the form once');
    assert.equal(await page.getByRole('button', { name: 'Copy the initiate login URI' }).getAttribute('data-copy'), `${env.stack.proxy}/login/initech-corp/initiate`);
    assert.equal(await page.getByRole('button', { name: 'Copy the sign-in redirect URI' }).getAttribute('data-copy'), `${env.stack.proxy}/login/callback`, 'one callback for every organization');
    assert.equal((await env.stack.adminCall('GET', `/organizations/${initech.id}`)).login_path, 'initech-corp');
    await page.close();
  });
});
