import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OWNER_PASSWORD, organizationSignIn } from '../sign-in/support.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  createNativeOrganization,
  enableSso,
  focusedId,
  screenshot,
  SCREENSHOT_PORTS,
  withApiToken,
} from './support.js';

/**
 * Organization → Users in Debian's Chromium against the real stack.
 *
 * acme:   signs in with passwords; owner Olive, Vera (Viewer), Ada (Organization Admin), Sam (Viewer).
 * globex: signs in with Okta; owner, Nina (native, made before SSO was on), and Alice and
 *         Carol of the stand-in's demo directory, signed in through Okta so they exist as
 *         SSO users with their groups.
 */
describe('console users page in a browser', { skip: browserUnavailable }, () => {
  const env = browserTestStack({ preferredPorts: SCREENSHOT_PORTS });
  let acme: { id: string; ownerEmail: string };
  let globex: { id: string; ownerEmail: string };
  let veraId: string;
  let samId: string;
  const VERA_PASSWORD = 'vera-password-0123456789';
  const ADA_PASSWORD = 'ada-password-0123456789';

  before(async () => {
    acme = await createNativeOrganization(env.stack, 'acme', 'Acme Corporation');
    veraId = await addNativeUser(env.stack, acme.id, 'vera@acme.example', VERA_PASSWORD, ['Viewer']);
    await addNativeUser(env.stack, acme.id, 'ada@acme.example', ADA_PASSWORD, ['Organization Admin']);
    samId = await addNativeUser(env.stack, acme.id, 'sam@acme.example', 'sam-password-0123456789', ['Viewer']);

    globex = await createNativeOrganization(env.stack, 'globex', 'Globex');
    await addNativeUser(env.stack, globex.id, 'nina@globex.example', 'nina-password-0123456789');
    await enableSso(env.stack, globex.id, [
      ['service_admin', 'Gateway Admin'],
      ['developers', 'Viewer'],
    ]);
    // Carol is in more groups than a groups claim carries (the stand-in sends the first
    // 100, as Okta can): Gatehouse reads them all with the API token.
    await withApiToken(env.stack, globex.id);
    env.stack.idp.switches.groupsOverLimit = 'truncate';
    for (const username of ['alice@example.com', 'carol@example.com']) {
      const { callback } = await organizationSignIn(env.stack, 'globex', username);
      assert.equal(callback.status, 302, `${username} signs in with Okta`);
    }
    env.stack.idp.resetSwitches();
    const signedUp = (await env.stack.adminCall('GET', `/organizations/${globex.id}/users?source=sso`)).data as Array<{ email: string }>;
    assert.deepEqual(signedUp.map((user) => user.email).sort(), ['alice@example.com', 'carol@example.com'], 'both exist as SSO users');
  });

  async function signedIn(organization: string, email: string, password: string): Promise<Page> {
    const page = await env.signedInPage(organization, email, password);
    assert.equal(new URL(page.url()).pathname, '/home', `${email} is signed in`);
    return page;
  }

  /** The visible text of the row of a user in the list, cells separated by tabs. */
  async function row(page: Page, email: string): Promise<string> {
    return page.locator(`tr[data-user="${email}"]`).innerText();
  }

  /** A session cookie from a password sign-in (as the sign-in page makes it), for Admin API calls. */
  async function passwordSessionCookie(loginPath: string, email: string, password: string): Promise<string> {
    const answer = await fetch(`${env.stack.proxy}/login/${loginPath}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(answer.status, 200, `${email} signs in`);
    return answer.headers.getSetCookie().find((cookie) => cookie.startsWith('gatehouse_session='))!.split(';')[0]!;
  }

  /** A personal access token made with the session `cookie` carries. */
  async function tokenWithCookie(cookie: string): Promise<string> {
    const answer = await fetch(`${env.stack.admin}/me/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-gatehouse-csrf': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'laptop' }),
    });
    assert.equal(answer.status, 201);
    return ((await answer.json()) as { token: string }).token;
  }

  const tokenStatus = async (token: string) => (await fetch(`${env.stack.admin}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  async function listedEmails(page: Page): Promise<string[]> {
    return Promise.all((await page.locator('tr[data-user]').all()).map(async (element) => (await element.getAttribute('data-user')) ?? ''));
  }

  it('lists every user with status, source, roles and the rule that granted each, Okta groups and last sign-in', async () => {
    const page = await signedIn('globex', globex.ownerEmail, OWNER_PASSWORD);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL((url) => url.pathname === '/users');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Users');
    assert.equal(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');
    assert.deepEqual((await listedEmails(page)).sort(), ['alice@example.com', 'carol@example.com', globex.ownerEmail, 'nina@globex.example'].sort());

    const alice = await row(page, 'alice@example.com');
    assert.match(alice, /Alice Admin/);
    assert.match(alice, /Active/);
    assert.match(alice, /\tOkta\t/);
    assert.match(alice, /Gateway Admin\s+from the Okta group “service_admin”/);
    assert.match(alice, /Everyone, service_admin|service_admin, Everyone/);
    assert.match(alice, /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/, 'the last sign-in is shown');

    const nina = await row(page, 'nina@globex.example');
    assert.match(nina, /\tPassword\t/);
    assert.match(nina, /Viewer\s+given by an administrator/);
    assert.match(nina, /never/, 'Nina never signed in');

    assert.match(await row(page, globex.ownerEmail), /\(owner, you\)/);

    // Carol is in more than a hundred groups: the first few inline, the rest behind a disclosure.
    const carol = page.locator('tr[data-user="carol@example.com"]');
    assert.match(await carol.innerText(), /Viewer\s+from the Okta group “developers”/);
    const more = carol.locator('details');
    assert.equal(await more.locator('summary').innerText(), `All 122 groups`);
    assert.equal(await more.locator('p').isVisible(), false);
    await more.locator('summary').focus();
    await page.keyboard.press('Enter');
    assert.match(await more.locator('p').innerText(), /team-120/);

    // Why SSO roles cannot be edited here, with the way to change them.
    assert.match(await page.locator('main').innerText(), /Roles of people who sign in with Okta come from their Okta groups and are re-synced at every sign-in/);
    await page.keyboard.press('Enter');
    await page.locator('main').focus();
    await screenshot(page, 'console-users');
    await page.close();
  });

  it('filters by status and source and searches, with a plain GET form that keeps what was chosen', async () => {
    const page = await signedIn('globex', globex.ownerEmail, OWNER_PASSWORD);
    await page.goto(`${env.consoleUrl}/users`);
    await page.getByLabel('Signs in with').selectOption('sso');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('source') === 'sso');
    assert.deepEqual((await listedEmails(page)).sort(), ['alice@example.com', 'carol@example.com']);
    assert.equal(await page.getByLabel('Signs in with').inputValue(), 'sso', 'the filter shows what it is filtering by');

    // From the keyboard: type in the search field and press Enter.
    await page.getByLabel('Email or name contains').fill('CAROL');
    await page.getByLabel('Email or name contains').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === 'CAROL');
    assert.deepEqual(await listedEmails(page), ['carol@example.com']);
    assert.match(await page.locator('.list-count').innerText(), /1 user match these filters/);

    await page.getByLabel('Status').selectOption('deactivated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'deactivated');
    assert.deepEqual(await listedEmails(page), []);
    assert.match(await page.locator('main').innerText(), /No user matches these filters\./);

    await page.getByRole('link', { name: 'Clear filters' }).click();
    await page.waitForURL((url) => url.pathname === '/users' && url.search === '');
    assert.equal((await listedEmails(page)).length, 4);

    // Search by name and native source, by URL (a filtered view is a link one can share).
    await page.goto(`${env.consoleUrl}/users?source=native&q=nina`);
    assert.deepEqual(await listedEmails(page), ['nina@globex.example']);

    // A search the Admin API refuses is said on its field, the form kept.
    await page.goto(`${env.consoleUrl}/users?q=${'x'.repeat(201)}`);
    assert.match(await page.locator('#user-filter-q-error').innerText(), /length must be at most 200/);
    assert.equal(await page.getByLabel('Email or name contains').getAttribute('aria-invalid'), 'true');
    await page.close();
  });

  it('pages through the list with "Next page" (the Admin API cursor), filters kept', async () => {
    const page = await signedIn('globex', globex.ownerEmail, OWNER_PASSWORD);
    await page.goto(`${env.consoleUrl}/users?size=3`);
    const first = await listedEmails(page);
    assert.equal(first.length, 3);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((url) => url.searchParams.has('offset'));
    assert.equal(new URL(page.url()).searchParams.get('size'), '3');
    const second = await listedEmails(page);
    assert.equal(second.length, 1);
    assert.equal(new Set([...first, ...second]).size, 4, 'every user once across the pages');
    assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0, 'the last page has no next');
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL((url) => !url.searchParams.has('offset'));
    assert.deepEqual(await listedEmails(page), first);

    await page.goto(`${env.consoleUrl}/users?source=sso&size=1`);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((url) => url.searchParams.has('offset'));
    assert.equal(new URL(page.url()).searchParams.get('source'), 'sso', 'the filter is kept across pages');
    assert.equal((await listedEmails(page)).length, 1);
    await page.close();
  });

  it('shows an SSO user’s roles read-only, with the reason, and lets an admin deactivate and reactivate them', async () => {
    const page = await signedIn('globex', globex.ownerEmail, OWNER_PASSWORD);
    await page.goto(`${env.consoleUrl}/users`);
    await page.getByRole('link', { name: 'Alice Admin' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/users/'));
    assert.equal(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');
    const roles = page.getByRole('region', { name: 'Roles' });
    assert.match(await roles.innerText(), /Gateway Admin\s+from the Okta group “service_admin”/);
    assert.match(await roles.innerText(), /These roles are read-only here\. Roles of people who sign in with Okta come from their Okta groups/);
    assert.equal(await roles.locator('form').count(), 0, 'no roles form for an SSO user');
    assert.equal(await roles.getByRole('checkbox').count(), 0);
    assert.match(await page.getByRole('region', { name: 'Account' }).innerText(), /Okta groups at last sign-in\s+(Everyone, service_admin|service_admin, Everyone)/);

    // Alice's own token, made before the deactivation.
    const aliceSignIn = await organizationSignIn(env.stack, 'globex', 'alice@example.com');
    const token = await tokenWithCookie(aliceSignIn.jar.header(new URL(env.stack.admin)) ?? '');
    assert.equal(await tokenStatus(token), 200);

    // Deactivate and reactivate an SSO user from the console.
    await page.getByRole('button', { name: 'Deactivate user' }).click();
    await page.getByRole('button', { name: 'Reactivate user' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Account' }).innerText(), /Status\s+Deactivated/);
    assert.equal(await tokenStatus(token), 401, 'the console’s deactivation revoked the token');
    // Kept as they were, and marked so.
    assert.match(await roles.innerText(), /as of deactivation, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s+Gateway Admin\s+from the Okta group “service_admin”/);
    assert.match(await roles.innerText(), /They give no permission while the account is deactivated, and a reactivation does not bring them back/);
    assert.match(await page.getByRole('region', { name: 'Account' }).innerText(), /Okta groups at last sign-in\s+as of deactivation, [^\n]*UTC\s*(Everyone, service_admin|service_admin, Everyone)/);
    await page.goto(`${env.consoleUrl}/users?status=deactivated`);
    const listed = await row(page, 'alice@example.com');
    assert.match(listed, /as of deactivation[^\t]*Gateway Admin/, 'the roles cell is marked');
    assert.match(listed, /as of deactivation[^\t]*(Everyone, service_admin|service_admin, Everyone)/, 'and so is the groups cell');
    await page.goBack();

    const refused = await organizationSignIn(env.stack, 'globex', 'alice@example.com');
    assert.notEqual(refused.callback.status, 302, 'a deactivated SSO user cannot sign in with Okta');
    await page.getByRole('button', { name: 'Reactivate user' }).click();
    await page.getByRole('button', { name: 'Deactivate user' }).waitFor();
    assert.match(await roles.innerText(), /No role/, 'an SSO user’s old roles do not come back');
    assert.doesNotMatch(await roles.innerText(), /as of deactivation/);
    assert.equal(await tokenStatus(token), 401, 'nor does the token');
    const again = await organizationSignIn(env.stack, 'globex', 'alice@example.com');
    assert.equal(again.callback.status, 302, 'reactivated, Alice signs in again');
    await page.reload();
    assert.match(await roles.innerText(), /Gateway Admin\s+from the Okta group “service_admin”/, 'with fresh roles from her groups');
    assert.equal(await tokenStatus(await tokenWithCookie(again.jar.header(new URL(env.stack.admin)) ?? '')), 200, 'a new token works');
    await page.close();
  });

  it('an Organization Admin deactivates and reactivates a native user, whose sign-in follows', async () => {
    const page = await signedIn('acme', 'ada@acme.example', ADA_PASSWORD);
    await page.goto(`${env.consoleUrl}/users`);
    assert.match(await row(page, 'vera@acme.example'), /Active/);
    await page.getByRole('link', { name: 'vera@acme.example' }).click();
    await page.waitForURL((url) => url.pathname === `/users/${veraId}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'vera@acme.example');

    // From the keyboard: focus the button and press Enter.
    // Vera's own token, made before the deactivation.
    const token = await tokenWithCookie(await passwordSessionCookie('acme', 'vera@acme.example', VERA_PASSWORD));
    assert.equal(await tokenStatus(token), 200);

    await page.getByRole('button', { name: 'Deactivate user' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Reactivate user' }).waitFor();
    assert.equal(await tokenStatus(token), 401, 'the console’s deactivation revoked the token');
    const roles = page.getByRole('region', { name: 'Roles' });
    assert.match(await roles.innerText(), /as of deactivation, [^\n]*UTC\s+Viewer\s+given by an administrator/);
    assert.match(await roles.innerText(), /They give no permission while the account is deactivated; a reactivation gives them back/);
    assert.equal(await roles.locator('form').count(), 0, 'no roles form while the roles are a record');
    await page.goto(`${env.consoleUrl}/users?status=deactivated`);
    assert.deepEqual(await listedEmails(page), ['vera@acme.example']);
    assert.match(await row(page, 'vera@acme.example'), /Deactivated\s+since \d{4}-\d{2}-\d{2}/);
    assert.match(await row(page, 'vera@acme.example'), /as of deactivation[^\t]*Viewer/);

    await page.close();

    // The tabs share one cookie jar: each sign-in below replaces the previous session.
    const vera = await env.signedInPage('acme', 'vera@acme.example', VERA_PASSWORD);
    assert.match(await vera.locator('#sign-in-alert').innerText(), /This account is deactivated/);
    await vera.close();

    const admin = await signedIn('acme', 'ada@acme.example', ADA_PASSWORD);
    await admin.goto(`${env.consoleUrl}/users/${veraId}`);
    await admin.getByRole('button', { name: 'Reactivate user' }).click();
    await admin.getByRole('button', { name: 'Deactivate user' }).waitFor();
    assert.match(await admin.getByRole('region', { name: 'Account' }).innerText(), /Status\s+Active/);
    assert.match(await admin.getByRole('region', { name: 'Roles' }).innerText(), /Viewer\s+given by an administrator/, 'a native user has her roles again');
    assert.doesNotMatch(await admin.getByRole('region', { name: 'Roles' }).innerText(), /as of deactivation/);
    await admin.close();
    assert.equal(await tokenStatus(token), 401, 'the reactivation did not bring the token back');

    const back = await signedIn('acme', 'vera@acme.example', VERA_PASSWORD);
    await back.close();
    assert.equal(await tokenStatus(await tokenWithCookie(await passwordSessionCookie('acme', 'vera@acme.example', VERA_PASSWORD))), 200, 'a new token works');
  });

  it('edits a native user’s roles, and shows the Admin API’s refusal next to the roles', async () => {
    const page = await signedIn('acme', acme.ownerEmail, OWNER_PASSWORD);
    await page.goto(`${env.consoleUrl}/users/${samId}`);
    const form = page.locator('#roles-form');
    assert.equal(await form.getByLabel('Viewer').isChecked(), true);
    await form.getByLabel('Gateway Admin').check();
    await form.getByLabel('Viewer').uncheck();
    await form.getByRole('button', { name: 'Save roles' }).click();
    const roles = page.getByRole('region', { name: 'Roles' });
    await assertEventually(async () => /Gateway Admin\s+given by an administrator/.test(await roles.innerText()), 'the new role is shown');
    assert.doesNotMatch(await roles.locator('.roles').innerText(), /Viewer/);
    const sam = await env.stack.adminCall('GET', `/organizations/${acme.id}/users/${samId}`);
    assert.deepEqual(sam.roles.map((role: { role_name: string }) => role.role_name), ['Gateway Admin']);

    // The owner keeps Organization Admin: the Admin API's refusal lands on the roles.
    const me = await page.evaluate('fetch("/api/me").then((answer) => answer.json())') as { user: { id: string } };
    await page.goto(`${env.consoleUrl}/users/${me.user.id}`);
    assert.match(await page.getByRole('region', { name: 'Access' }).innerText(), /The owner of the organization cannot be deactivated/);
    assert.equal(await page.getByRole('button', { name: 'Deactivate user' }).count(), 0, 'no button that can only fail');
    await page.locator('#roles-form').getByLabel('Organization Admin').uncheck();
    await page.locator('#roles-form').getByLabel('Viewer').check();
    await page.locator('#roles-form').getByRole('button', { name: 'Save roles' }).click();
    const error = page.locator('#roles-form-roles-error');
    await assertEventually(async () => /always keeps Organization Admin/.test(await error.innerText()), 'the refusal is shown on the roles');
    assert.match(await page.locator('#roles-form-alert').innerText(), /Correct the marked fields/);
    assert.match((await page.locator('#roles-form fieldset').getAttribute('aria-describedby')) ?? '', /roles-form-roles-error/);
    assert.equal(await focusedId(page), 'roles-form-alert', 'the focus moves to the error summary');
    await page.close();
  });

  it('a Viewer reads users but sees no edit controls, and the Admin API refuses a direct write', async () => {
    const page = await signedIn('acme', 'vera@acme.example', VERA_PASSWORD);
    await page.goto(`${env.consoleUrl}/users`);
    assert.equal((await listedEmails(page)).length, 4);
    // The only form is the filter (GET); no button but its "Filter".
    const forms = page.locator('main form');
    assert.equal(await forms.count(), 1);
    assert.equal(await forms.getAttribute('id'), 'user-filter');
    assert.equal(await forms.getAttribute('method'), 'get');
    assert.deepEqual(await page.locator('main button').allInnerTexts(), ['Filter']);

    await page.goto(`${env.consoleUrl}/users/${samId}`);
    // Sam's roles, whatever the tests before gave him, are there to read.
    const roles = ((await env.stack.adminCall('GET', `/organizations/${acme.id}/users/${samId}`)).roles as Array<{ role_name: string }>).map((role) => role.role_name);
    assert.ok(roles.length > 0);
    for (const role of roles) assert.match(await page.getByRole('region', { name: 'Roles' }).innerText(), new RegExp(role));
    assert.equal(await page.locator('main form').count(), 0, 'no forms on a user’s page for a Viewer');
    assert.equal(await page.locator('main button').count(), 0);
    assert.equal(await page.getByRole('region', { name: 'Access' }).count(), 0);

    const write = (await page.evaluate(`(async () => {
      const { api } = await import(document.querySelector('script[src$="/console.js"]').src);
      return api('PATCH', '/organizations/${acme.id}/users/${samId}', { status: 'deactivated' });
    })()`)) as { status: number; body: { error_code?: string; message?: string } };
    assert.equal(write.status, 403, JSON.stringify(write.body));
    assert.match(write.body.message ?? '', /users:write/);
    const sam = await env.stack.adminCall('GET', `/organizations/${acme.id}/users/${samId}`);
    assert.equal(sam.status, 'active', 'nothing changed');
    await page.close();
  });

  it('says so for a user that does not exist, rather than a blank page', async () => {
    const page = await signedIn('acme', 'vera@acme.example', VERA_PASSWORD);
    await page.goto(`${env.consoleUrl}/users/00000000-0000-4000-8000-000000000000`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'User not found');
    assert.match(await page.getByRole('alert').innerText(), /Acme Corporation has no user with this id/);
    await page.close();
  });
});

async function assertEventually(check: () => Promise<boolean>, message: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(message);
}
