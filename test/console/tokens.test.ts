import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  clipboardText,
  createNativeOrganization,
  focusedId,
  screenshot,
  SCREENSHOT_PORTS,
} from './support.js';

/**
 * Personal access tokens in Debian's Chromium against the real stack. Vera is a Viewer
 * of acme (passwords): any signed-in person manages their own tokens.
 */
describe('console personal access tokens in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  const VERA_PASSWORD = 'vera-password-0123456789';

  before(async () => {
    const acme = await createNativeOrganization(env.stack, 'acme', 'Acme Corporation');
    await addNativeUser(env.stack, acme.id, 'vera@acme.example', VERA_PASSWORD, ['Viewer']);
    await env.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.consoleUrl });
  });

  async function signedIn(): Promise<Page> {
    const page = await env.signedInPage('acme', 'vera@acme.example', VERA_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/home');
    return page;
  }

  /** `GET /me` on the Admin API's own listener with a token, as a program would call it. */
  async function meWith(token: string): Promise<{ status: number; body: { user?: { email: string }; error_code?: string } }> {
    const response = await fetch(`${env.stack.admin}/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { user?: { email: string } } };
  }

  it('creates a token, shows it once with a copy button, and the token works as a Bearer on the Admin API', async () => {
    const page = await signedIn();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tokens' }).click();
    await page.waitForURL((url) => url.pathname === '/tokens');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Personal access tokens');
    assert.match(await page.locator('#tokens-list').innerText(), /You have no personal access tokens/);

    // The Admin API's field error, on the field.
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#token-form-name[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#token-form-name-error').innerText(), /length must be at least 1/);
    assert.equal(await focusedId(page), 'token-form-name');

    // From the keyboard: type the name, pick the expiry, press Enter.
    await page.keyboard.type('deploy pipeline');
    await page.getByLabel('Expires after').selectOption({ label: '30 days' });
    await page.getByLabel('Name').press('Enter');
    const panel = page.getByRole('region', { name: 'Your new token' });
    await panel.waitFor();
    assert.match(await panel.innerText(), /Copy it now: you will not see it again\./);
    const token = await page.getByLabel('Token “deploy pipeline”').inputValue();
    assert.match(token, /^ghp_/);
    assert.equal(await focusedId(page), 'token-created', 'the focus moves to the new token');
    assert.equal(await page.getByLabel('Name').inputValue(), '', 'the form is ready for another');

    await panel.getByRole('button', { name: 'Copy' }).click();
    await page.locator('#token-created-copied', { hasText: 'Copied' }).waitFor();
    assert.equal(await clipboardText(page), token, 'the clipboard holds the token');

    // The list has it, without the token itself.
    // Cells: ends in, created, last used, expires, state.
    const cells = await page.locator('#tokens-list tr', { hasText: 'deploy pipeline' }).locator('td').allInnerTexts();
    assert.equal(cells[0], `…${token.slice(-4)}`, 'its last characters tell it apart');
    assert.match(cells[1] ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    assert.equal(cells[2], 'never', 'not used yet');
    const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    assert.match(cells[3] ?? '', new RegExp(`^${expires}`), 'expires in 30 days');
    assert.equal(cells[4], 'Active');
    await page.locator('main').focus();
    await screenshot(page, 'console-tokens');

    const me = await meWith(token);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user?.email, 'vera@acme.example');

    // Shown once: after a reload the value is nowhere on the page, and its use shows.
    await page.reload();
    assert.equal(await page.getByRole('region', { name: 'Your new token' }).count(), 0, 'the panel is hidden');
    assert.equal(await page.locator('#token-created-value').inputValue(), '');
    assert.equal((await page.content()).includes(token), false, 'the token is not in the page');
    const used = await page.locator('#tokens-list tr', { hasText: 'deploy pipeline' }).locator('td').allInnerTexts();
    assert.match(used[2] ?? '', /UTC$/, 'last used is now set');
    await page.close();
  });

  it('creates a token that never expires', async () => {
    const page = await signedIn();
    await page.goto(`${env.consoleUrl}/tokens`);
    await page.getByLabel('Name').fill('terraform');
    await page.getByLabel('Expires after').selectOption('never');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('region', { name: 'Your new token' }).waitFor();
    const cells = await page.locator('#tokens-list tr', { hasText: 'terraform' }).locator('td').allInnerTexts();
    assert.equal(cells[3], 'never', 'expires: never');
    await page.close();
  });

  it('revokes a token after a confirmation, and the Admin API refuses it from then on', async () => {
    const page = await signedIn();
    // Another token, which must keep working.
    const other = (await page.evaluate(`(async () => {
      const { api } = await import(document.querySelector('script[src$="/console.js"]').src);
      return api('POST', '/me/tokens', { name: 'kept' });
    })()`)) as { status: number; body: { token: string } };
    assert.equal(other.status, 201);
    await page.goto(`${env.consoleUrl}/tokens`);
    await page.getByLabel('Name').fill('short-lived');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('region', { name: 'Your new token' }).waitFor();
    const token = await page.locator('#token-created-value').inputValue();
    assert.equal((await meWith(token)).status, 200);

    // Cancel first: nothing happens.
    await page.getByRole('button', { name: 'Revoke short-lived' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “short-lived”?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /This cannot be undone/);
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Cancel', 'the safe choice has the focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await meWith(token)).status, 200, 'still valid after a cancel');

    await page.getByRole('button', { name: 'Revoke short-lived' }).click();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.locator('#tokens-list tr', { hasText: 'short-lived' }).getByText('Revoked').waitFor();
    assert.equal(await page.locator('#tokens-list-status').innerText(), 'Token “short-lived” revoked.');
    assert.equal(await page.getByRole('button', { name: 'Revoke short-lived' }).count(), 0, 'a revoked token has no revoke button');

    const refused = await meWith(token);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    // The other tokens still work.
    assert.equal(await page.getByRole('button', { name: 'Revoke kept' }).count(), 1);
    assert.equal((await meWith(other.body.token)).status, 200);
    await page.close();
  });
});
