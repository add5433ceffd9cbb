import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import { nextPageHref } from '../../src/console/format.js';
import { apiTime } from '../../src/console/pages/audit-log.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  createNativeOrganization,
  screenshot,
  SCREENSHOT_PORTS,
} from './support.js';

/**
 * The audit log in Debian's Chromium against the real stack. acme signs in with
 * passwords: the owner, Vera (Viewer) and Dan (Viewer, deactivated from the console).
 */
describe('console audit log in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let acme: { id: string; ownerEmail: string };
  let danId: string;
  const VERA_PASSWORD = 'vera-password-0123456789';

  before(async () => {
    acme = await createNativeOrganization(env.stack, 'acme', 'Acme Corporation');
    await addNativeUser(env.stack, acme.id, 'vera@acme.example', VERA_PASSWORD, ['Viewer']);
    danId = await addNativeUser(env.stack, acme.id, 'dan@acme.example', 'dan-password-0123456789', ['Viewer']);
  });

  async function signedIn(email: string, password: string): Promise<Page> {
    const page = await env.signedInPage('acme', email, password);
    assert.equal(new URL(page.url()).pathname, '/home', `${email} is signed in`);
    return page;
  }

  async function actions(page: Page): Promise<string[]> {
    return Promise.all((await page.locator('tr[data-action]').all()).map(async (row) => (await row.getAttribute('data-action')) ?? ''));
  }

  // What every test reads in the log: a failed sign-in, the owner's sign-in and Dan's deactivation, made in the console.
  let ownerPage: Page;
  before(async () => {
    // A failed attempt first, so the log has a failure to show.
    const failed = await env.signedInPage('acme', acme.ownerEmail, 'not-the-password');
    await failed.close();

    ownerPage = await signedIn(acme.ownerEmail, OWNER_PASSWORD);
    await ownerPage.goto(`${env.consoleUrl}/users/${danId}`);
    await ownerPage.getByRole('button', { name: 'Deactivate user' }).click();
    await ownerPage.getByRole('button', { name: 'Reactivate user' }).waitFor();
  });

  it('shows the sign-in and a deactivation made in the console, newest first, with actor, target, outcome and details', async () => {
    const page = ownerPage;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL((url) => url.pathname === '/audit-log');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Audit log');
    const listed = await actions(page);
    assert.deepEqual(listed.slice(0, 3), ['user.deactivate', 'sign_in', 'sign_in'], 'newest first');
    assert.ok(listed.includes('user.create') && listed.includes('organization.create'), listed.join(', '));

    const deactivation = await page.locator('tr[data-action="user.deactivate"]').innerText();
    assert.match(deactivation, /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    assert.match(deactivation, new RegExp(acme.ownerEmail.replace('.', '\\.')), 'the actor');
    assert.match(deactivation, /user dan@acme\.example/, 'the target, by email');
    assert.match(deactivation, /success\s+deactivated by an administrator/, 'the outcome and its reason');
    assert.match(deactivation, /email:\s*dan@acme\.example/, 'details as key: value');
    assert.equal(await page.locator('tr[data-action="user.deactivate"]').getByRole('link', { name: 'dan@acme.example' }).getAttribute('href'), `/users/${danId}`);

    const signIns = page.locator('tr[data-action="sign_in"]');
    assert.match(await signIns.nth(0).innerText(), /success[\s\S]*method:\s*password/);
    assert.match(await signIns.nth(1).innerText(), /failure\s+wrong email or password/);
    assert.doesNotMatch(await page.locator('main').innerText(), /[{}]"/, 'no raw JSON');
    await page.locator('main').focus();
    await screenshot(page, 'console-audit-log');
    await page.close();
  });

  it('filters by action (exact or prefix), outcome, actor and time, with a GET form that keeps the filter across pages', async () => {
    const page = await signedIn('vera@acme.example', VERA_PASSWORD);
    await page.goto(`${env.consoleUrl}/audit-log`);

    await page.getByLabel('Action').fill('user.deactivate');
    await page.getByLabel('Action').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('action') === 'user.deactivate');
    assert.deepEqual(await actions(page), ['user.deactivate']);
    assert.equal(await page.getByLabel('Action').inputValue(), 'user.deactivate');

    await page.getByLabel('Action').fill('user.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'user.');
    const users = await actions(page);
    assert.deepEqual([...new Set(users)].sort(), ['user.create', 'user.deactivate']);

    await page.getByRole('link', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.search === '');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'failure');
    assert.deepEqual(await actions(page), ['sign_in']);

    await page.goto(`${env.consoleUrl}/audit-log?actor=${encodeURIComponent(acme.ownerEmail)}&action=sign_in`);
    assert.deepEqual(await actions(page), ['sign_in'], 'the owner’s one successful sign-in (the failure has no known actor)');
    await page.goto(`${env.consoleUrl}/audit-log?actor=vera@acme.example`);
    assert.deepEqual(await actions(page), ['sign_in'], 'Vera’s own sign-in');

    // Times as the page shows them (UTC); a bare date covers the whole day.
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`${env.consoleUrl}/audit-log?since=${today}&until=${today}&action=user.deactivate`);
    assert.deepEqual(await actions(page), ['user.deactivate']);
    await page.goto(`${env.consoleUrl}/audit-log?until=2001-01-01`);
    assert.match(await page.locator('main').innerText(), /No entry matches these filters\./);

    // A time the Admin API cannot read: said on its field, the rest of the form kept.
    await page.goto(`${env.consoleUrl}/audit-log`);
    await page.getByLabel('Action').fill('sign_in');
    await page.getByLabel('From').fill('yesterday');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('since') === 'yesterday');
    assert.match(await page.locator('#audit-filter-since-error').innerText(), /expected epoch seconds or an ISO 8601 time/);
    assert.equal(await page.getByLabel('From').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Action').inputValue(), 'sign_in');
    assert.equal(await page.locator('tr[data-action]').count(), 0);

    // Paging keeps the filter: two entries a page.
    await page.goto(`${env.consoleUrl}/audit-log?action=user.&size=2`);
    const first = await actions(page);
    assert.equal(first.length, 2);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((url) => url.searchParams.has('offset'));
    assert.equal(new URL(page.url()).searchParams.get('action'), 'user.');
    const second = await actions(page);
    assert.ok(second.length >= 1 && second.every((action) => action.startsWith('user.')), second.join(', '));
    await page.close();
  });

  it('escapes what people typed: a token named like markup is shown as text', async () => {
    const page = await signedIn('vera@acme.example', VERA_PASSWORD);
    const created = (await page.evaluate(`(async () => {
      const { api } = await import(document.querySelector('script[src$="/console.js"]').src);
      return api('POST', '/me/tokens', { name: '<img src=x id=injected>' });
    })()`)) as { status: number };
    assert.equal(created.status, 201);
    await page.goto(`${env.consoleUrl}/audit-log?action=access_token.create`);
    assert.match(await page.locator('tr[data-action="access_token.create"]').innerText(), /name:\s*<img src=x id=injected>/);
    assert.equal(await page.locator('#injected').count(), 0);
    assert.match(await page.locator('tr[data-action="access_token.create"]').innerText(), /with a personal access token|vera@acme\.example/);
    await page.close();
  });

  it('is refused, with the reason, to a person without audit:read', async () => {
    // Custom roles give no Admin API permission: a person with only one cannot read the log.
    await env.stack.adminCall('POST', `/organizations/${acme.id}/roles`, { name: 'Support' });
    await addNativeUser(env.stack, acme.id, 'sue@acme.example', 'sue-password-0123456789', ['Support']);
    const page = await signedIn('sue@acme.example', 'sue-password-0123456789');
    const answer = await page.goto(`${env.consoleUrl}/audit-log`);
    assert.equal(answer?.status(), 403);
    assert.match(await page.getByRole('alert').innerText(), /Your roles \(Support\) do not allow this page/);
    await page.close();
  });
});

describe('audit log filter times and paging links', () => {
  it('reads times as the page shows them, in UTC; a bare date is the whole day', () => {
    assert.equal(apiTime('2025-01-31', 'since'), '2025-01-31T00:00:00Z');
    assert.equal(apiTime('2025-01-31', 'until'), '2025-01-31T23:59:59Z');
    assert.equal(apiTime(' 2025-01-31 14:30 ', 'since'), '2025-01-31T14:30:00Z');
    assert.equal(apiTime('2025-01-31T14:30', 'until'), '2025-01-31T14:30:59Z');
    assert.equal(apiTime('2025-01-31 14:30:05', 'until'), '2025-01-31T14:30:05Z');
    // Anything else goes as typed, for the Admin API to accept (epoch, full ISO) or explain.
    assert.equal(apiTime('1738330200', 'since'), '1738330200');
    assert.equal(apiTime('2025-01-31T14:30:00+01:00', 'since'), '2025-01-31T14:30:00+01:00');
    assert.equal(apiTime('yesterday', 'since'), 'yesterday');
  });

  it('turns the Admin API’s next page into a console link with the same query', () => {
    assert.equal(nextPageHref('/organizations/o1/users?source=sso&q=a%20b&offset=abc', '/users'), '/users?source=sso&q=a+b&offset=abc');
    assert.equal(nextPageHref(null, '/users'), undefined);
    assert.equal(nextPageHref('/organizations/o1/users', '/users'), undefined);
  });
});
