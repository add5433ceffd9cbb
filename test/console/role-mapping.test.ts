import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OWNER_PASSWORD, organizationSignIn, setUpOrganization } from '../sign-in/support.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  createNativeOrganization,
  screenshot,
  SCREENSHOT_PORTS,
} from './support.js';

/**
 * Role mapping in Debian's Chromium, against the real stack and the Okta stand-in.
 *
 * hooli:  signs in with Okta, with the stand-in's Management API token (group
 *         suggestions); alice (service_admin, Everyone) has signed in once. Its owner
 *         keeps password sign-in and does the changes.
 * initrode: signs in with passwords, no identity settings (no suggestions); a Viewer.
 */
describe('console Role mapping in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let hooli: { id: string; ownerEmail: string };
  let initrode: { id: string; ownerEmail: string };

  before(async () => {
    hooli = await setUpOrganization(env.stack, { loginPath: 'hooli', mappings: [['service_admin', 'Gateway Admin']], apiToken: true });
    await organizationSignIn(env.stack, 'hooli', 'alice@example.com');
    initrode = await createNativeOrganization(env.stack, 'initrode', 'Initrode');
    await addNativeUser(env.stack, initrode.id, 'vera@initrode.example', 'vera-password-0123456789', ['Viewer']);
    const roles = (await env.stack.adminCall('GET', `/organizations/${initrode.id}/roles`)).data as Array<{ id: string; name: string }>;
    await env.stack.adminCall('POST', `/organizations/${initrode.id}/role-mappings`, { group: 'viewers', role: roles.find((role) => role.name === 'Viewer')!.id });
  });

  async function signedIn(loginPath: string, email: string, password: string): Promise<Page> {
    const page = await env.signedInPage(loginPath, email, password);
    await page.goto(`${env.consoleUrl}/role-mapping`);
    return page;
  }

  /** The rules table as [group, role] rows. */
  async function rules(page: Page): Promise<string[][]> {
    const rows = page.locator('.rules-table tbody tr');
    const out: string[][] = [];
    for (let index = 0; index < (await rows.count()); index += 1) {
      const cells = rows.nth(index).locator('td');
      out.push([await cells.nth(0).innerText(), await cells.nth(1).innerText()]);
    }
    return out;
  }

  async function notice(page: Page): Promise<string> {
    const region = page.locator('#page-notice.notice');
    await region.waitFor();
    return region.innerText();
  }

  it('adds a rule for a group Okta suggests, and says whose roles changed', async () => {
    const page = await signedIn('hooli', hooli.ownerEmail, OWNER_PASSWORD);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Role mapping');
    assert.deepEqual(await rules(page), [['service_admin', 'Gateway Admin']]);

    const group = page.getByLabel('Okta group');
    const suggestions = page.locator('#add-rule-suggestions');
    const options = page.locator('#add-rule-groups option');
    // A group that is mapped already says so in its suggestion.
    await group.click();
    await group.pressSequentially('serv');
    await suggestions.filter({ hasText: /1 Okta group matches “serv”/ }).waitFor();
    assert.equal(await options.getAttribute('value'), 'service_admin');
    assert.match((await options.getAttribute('label')) ?? '', /mapped to Gateway Admin/);

    await group.fill('');
    await group.pressSequentially('Every');
    await suggestions.filter({ hasText: /1 Okta group matches “Every”/ }).waitFor();
    assert.equal(await options.count(), 1);
    const suggested = await options.getAttribute('value');
    assert.equal(suggested, 'Everyone', 'the stand-in’s group, from its Management API');
    assert.equal(await group.getAttribute('list'), 'add-rule-groups');
    await group.fill(suggested);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Viewer (built-in)' });
    await page.getByRole('button', { name: 'Add rule' }).click();
    assert.equal(
      await notice(page),
      'Rule added: members of “Everyone” get Viewer. 1 person’s roles changed: alice@example.com (+Viewer). They were signed out, to sign in again with their new roles.',
    );
    // Sorted by group, as the Admin API lists them.
    assert.deepEqual(await rules(page), [
      ['Everyone', 'Viewer'],
      ['service_admin', 'Gateway Admin'],
    ]);
    const alice = await env.stack.adminCall('GET', `/organizations/${hooli.id}/users/alice@example.com`);
    assert.deepEqual(alice.roles.map((role: { role_name: string }) => role.role_name).sort(), ['Gateway Admin', 'Viewer']);
    await page.close();
  });

  it('shows the Admin API’s refusal of a rule on its field', async () => {
    const page = await signedIn('hooli', hooli.ownerEmail, OWNER_PASSWORD);
    await page.getByLabel('Okta group').fill(' padded ');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const error = page.locator('#add-rule-group-error');
    await error.filter({ hasText: /spaces/ }).waitFor();
    assert.match(await error.innerText(), /must not start or end with spaces: group names are compared exactly/);
    assert.equal(await page.getByLabel('Okta group').getAttribute('aria-invalid'), 'true');

    // A rule that exists already.
    await page.getByLabel('Okta group').fill('service_admin');
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Gateway Admin (built-in)' });
    await page.getByRole('button', { name: 'Add rule' }).click();
    await error.filter({ hasText: /already/ }).waitFor();
    assert.equal(await error.innerText(), '“service_admin” is mapped to this role already');
    await page.close();
  });

  it('removes a rule only after the confirmation', async () => {
    // The rule the first test adds, made through the Admin API when that test did not run.
    const base = `/organizations/${hooli.id}`;
    if (!((await env.stack.adminCall('GET', `${base}/role-mappings`)).data as Array<{ group: string }>).some((rule) => rule.group === 'Everyone')) {
      const roles = (await env.stack.adminCall('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
      await env.stack.adminCall('POST', `${base}/role-mappings`, { group: 'Everyone', role: roles.find((role) => role.name === 'Viewer')!.id });
    }
    const page = await signedIn('hooli', hooli.ownerEmail, OWNER_PASSWORD);
    const remove = page.getByRole('button', { name: 'Remove the rule Everyone → Viewer' });
    const dialog = page.getByRole('dialog', { name: 'Remove this rule?' });

    await remove.click();
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Members of Everyone will no longer get Viewer from it/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate('document.activeElement.getAttribute("aria-label")'), 'Remove the rule Everyone → Viewer', 'the focus goes back');
    assert.equal(((await env.stack.adminCall('GET', `/organizations/${hooli.id}/role-mappings`)).data as unknown[]).length, 2, 'Cancel removed nothing');

    await remove.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove rule' }).click();
    assert.match(await notice(page), /^Rule removed: members of “Everyone” no longer get Viewer from it\./);
    assert.deepEqual(await rules(page), [['service_admin', 'Gateway Admin']]);

    // The last rule of an organization that signs in with Okta cannot go: the refusal is shown in the dialog.
    await page.getByRole('button', { name: 'Remove the rule service_admin → Gateway Admin' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove rule' }).click();
    const alert = page.locator('#remove-rule-alert');
    await alert.filter({ hasText: /last group mapping/ }).waitFor();
    assert.match(await alert.innerText(), /this is the last group mapping and SSO is enabled: .* add the new mapping first/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await rules(page), [['service_admin', 'Gateway Admin']]);
    await page.close();
  });

  it('creates a custom role, once, and maps a group to it', async () => {
    const page = await signedIn('hooli', hooli.ownerEmail, OWNER_PASSWORD);
    const roleWrites: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/api/organizations/${hooli.id}/roles`)) roleWrites.push(request.url());
    });
    const roles = page.locator('.roles-table');
    assert.match(await roles.innerText(), /Organization Admin\s+Built-in\s+Everything in the organization/);
    assert.match(await roles.innerText(), /Viewer\s+Built-in\s+Reads everything in the organization; changes nothing\.\s+\(gateway:read, /);

    await page.getByLabel('Name', { exact: true }).fill('Billing reader');
    await page.getByLabel('Description (optional)').fill('Reads invoices in the billing app');
    await page.getByRole('button', { name: 'Create role' }).click();
    assert.equal(await notice(page), 'Custom role “Billing reader” created: map an Okta group to it with a rule.');
    assert.equal(roleWrites.length, 1, 'the form was sent once');
    assert.match(await roles.innerText(), /Billing reader\s+Custom\s+Reads invoices in the billing app\s*Nothing in Gatehouse itself/);

    await page.getByLabel('Okta group').fill('developers');
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Billing reader' });
    await page.getByRole('button', { name: 'Add rule' }).click();
    assert.match(await notice(page), /^Rule added: members of “developers” get Billing reader\. Nobody’s roles changed now/);
    assert.deepEqual(await rules(page), [
      ['developers', 'Billing reader'],
      ['service_admin', 'Gateway Admin'],
    ]);
    await screenshot(page, 'console-role-mapping');

    // A name that is taken (built-in names too) is refused on its field, saying so.
    await page.getByLabel('Name', { exact: true }).fill('Viewer');
    await page.getByRole('button', { name: 'Create role' }).click();
    const error = page.locator('#create-role-name-error');
    await error.filter({ hasText: /./ }).waitFor();
    assert.equal(await error.innerText(), 'a role named “Viewer” exists already (built-in roles included): choose another name');
    assert.equal(await page.locator('#create-role-alert').innerText(), 'Correct the marked fields.');
    await page.close();
  });

  it('says why there are no suggestions without an API token', async () => {
    const page = await signedIn('initrode', initrode.ownerEmail, OWNER_PASSWORD);
    assert.equal(await page.locator('#add-rule').getAttribute('data-suggest'), null);
    assert.match(await page.locator('#add-rule-suggestions').innerText(), /Suggestions from Okta need the identity settings with an API token \(Identity Management\)/);
    // Typing asks nothing of Okta; the name is taken as typed.
    await page.getByLabel('Okta group').fill('auditors');
    assert.equal(await page.locator('#add-rule-groups option').count(), 0);
    await page.close();
  });

  it('shows a Viewer the rules and roles with no control to change them', async () => {
    const page = await signedIn('initrode', 'vera@initrode.example', 'vera-password-0123456789');
    assert.deepEqual(await rules(page), [['viewers', 'Viewer']]);
    assert.match(await page.locator('.roles-table').innerText(), /Gateway Admin\s+Built-in/);
    const main = page.locator('main');
    assert.equal(await main.locator('form, input, select, textarea, button, dialog').count(), 0);
    const refused = (await page.evaluate(`(async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const response = await fetch('/api/organizations/${initrode.id}/role-mappings', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ group: 'x', role: 'Viewer' }) });
      return { status: response.status, body: await response.json() };
    })()`)) as { status: number; body: { permission: string } };
    assert.equal(refused.status, 403);
    assert.equal(refused.body.permission, 'roles:write');
    await page.close();
  });
});
