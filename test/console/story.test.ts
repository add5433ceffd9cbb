import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD } from '../support/stack.js';
import { API_TOKEN, OWNER_PASSWORD } from '../sign-in/support.js';
import { browserTestStack, browserUnavailable, createNativeOrganization, screenshot, SCREENSHOT_PORTS, signInWithPassword } from './support.js';

/**
 * Issue 4's whole story, clicked through in Chromium as people would, against the real
 * stack on loopback (Gatehouse and the Okta stand-in):
 *
 * 1. The owner of a new organization signs in with a password, fills in Identity
 *    Management, runs Test Configuration and saves.
 * 2. In Role mapping they map the Okta group `service_admin` (suggested from Okta) to
 *    Gateway Admin.
 * 3. They enable single sign-on after the confirmation, and sign out.
 * 4. Alice opens the organization's sign-in address, signs in at the stand-in's page
 *    and lands in the console as a Gateway Admin.
 * 5. The owner sees Alice in Users, with the rule that granted her role.
 *
 * Each step depends on the one before: one test, with the steps as its parts.
 */
describe('the console story: from a new organization to Okta sign-in', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let acme: { id: string; ownerEmail: string };

  before(async () => {
    acme = await createNativeOrganization(env.stack, 'acme', 'Acme Corporation');
  });

  async function navigateTo(page: Page, label: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label }).click();
    await page.waitForLoadState('domcontentloaded');
  }

  it('the owner connects Okta, maps a group, enables SSO; a person signs in with Okta and shows up in Users', async () => {
    const owner = await env.browser.newPage();

    // 1. Native sign-in, then Identity Management.
    await signInWithPassword(owner, env.consoleUrl, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    assert.equal(new URL(owner.url()).pathname, '/home');
    await navigateTo(owner, 'Identity Management');
    const settings = owner.locator('form#identity');
    await settings.getByLabel('Okta domain').fill(new URL(env.stack.idp.origin).host);
    await settings.getByLabel('Authorization server').fill('default');
    await settings.getByLabel('Client ID').fill(CLIENT_ID);
    await settings.getByLabel('Client secret').fill(CLIENT_SECRET);
    await settings.getByLabel('API token (optional)').fill(API_TOKEN);
    const save = owner.getByRole('button', { name: 'Save', exact: true });
    assert.equal(await save.isDisabled(), true, 'Save waits for a passing test');

    await owner.getByRole('button', { name: 'Test Configuration' }).click();
    const result = owner.locator('#identity-test-result');
    await result.locator('.test-summary').waitFor();
    assert.match(await result.innerText(), /Configuration tested successfully/, await result.innerText());
    assert.doesNotMatch(await result.innerText(), /Failed/, 'no check failed');
    await owner.waitForFunction("!document.getElementById('identity-save').disabled");
    await save.click();
    await owner.getByText(/Identity settings saved/).waitFor();

    // 2. Role mapping, with the group suggested from Okta.
    await navigateTo(owner, 'Role mapping');
    const group = owner.getByLabel('Okta group');
    await group.pressSequentially('service');
    // Okta's groups matching what was typed are offered (a datalist, filled from Okta's API).
    await owner.locator('datalist option[value="service_admin"]').waitFor({ state: 'attached' });
    await group.fill('service_admin');
    await owner.getByLabel('Role', { exact: true }).selectOption({ label: 'Gateway Admin (built-in)' });
    await owner.getByRole('button', { name: 'Add rule' }).click();
    const rules = owner.getByRole('table').filter({ hasText: 'service_admin' });
    await rules.getByText('Gateway Admin').first().waitFor();

    // 3. Enable SSO after the confirmation, and sign out.
    await navigateTo(owner, 'Identity Management');
    await owner.getByRole('switch').click();
    const dialog = owner.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /cannot be undone/i);
    await screenshot(owner, 'console-identity-enable');
    await dialog.getByRole('button', { name: 'Turn on single sign-on' }).click();
    await owner.locator('.sso-state--on').waitFor();
    assert.match(await owner.getByRole('region', { name: 'Single sign-on' }).innerText(), /On since/);
    assert.equal((await env.stack.adminCall('GET', `/organizations/${acme.id}`)).sso_enabled, true);
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.waitForURL((url) => url.href.startsWith(`${env.consoleUrl}/?`));
    assert.match(await owner.getByRole('status').innerText(), /signed out/i);

    // 4. Alice, from the organization's sign-in address, at the stand-in's page.
    const alice = await env.signedOutPage();
    await alice.goto(`${env.stack.proxy}/login/acme`);
    await alice.waitForURL((url) => url.origin === env.stack.idp.origin);
    await alice.getByLabel('Username').fill('alice@example.com');
    await alice.getByLabel('Password').fill(PASSWORD);
    await alice.getByRole('button', { name: 'Sign In' }).click();
    await alice.waitForURL(`${env.consoleUrl}/home`);
    assert.match(await alice.getByRole('region', { name: 'Your roles' }).innerText(), /Gateway Admin\s+from the Okta group “service_admin”/);
    // Her role shapes the console: she may change the gateway, and only read identity settings.
    await navigateTo(alice, 'Gateway');
    assert.equal(await alice.getByRole('link', { name: 'New service' }).count(), 1, 'a Gateway Admin can add services');
    await navigateTo(alice, 'Identity Management');
    assert.equal(await alice.getByRole('button', { name: 'Test Configuration' }).count(), 0, 'identity settings are read-only for her');
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.waitForURL((url) => url.href.startsWith(`${env.consoleUrl}/?`));

    // 5. The owner (the one person who keeps a password) finds Alice in Users.
    await signInWithPassword(owner, env.consoleUrl, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    await navigateTo(owner, 'Users');
    const row = owner.getByRole('row').filter({ hasText: 'alice@example.com' });
    const text = await row.innerText();
    assert.match(text, /Okta/);
    assert.match(text, /Gateway Admin/);
    assert.match(text, /service_admin/);
    await screenshot(owner, 'console-story-users');
    await owner.close();
    await alice.close();
  });
});
