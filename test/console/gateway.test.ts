import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserFetch } from '../../testkit/browser-flow.js';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD, signInThroughGateway } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import {
  addNativeUser,
  browserTestStack,
  browserUnavailable,
  createNativeOrganization,
  focusedId,
  focusedText,
  screenshot,
} from './support.js';

/**
 * The Gateway pages as a person uses them, in Debian's Chromium against the real
 * stack (Gatehouse, the Okta stand-in, the echo upstream): an Organization Admin
 * protects an application with openid-connect from the console and a person signs in
 * through it; the Admin API's validation errors land next to their fields; edits keep
 * stored secrets; deletes ask first; a Viewer reads everything and changes nothing.
 *
 * initech: signs in with passwords; its owner (Organization Admin) and Val, a Viewer.
 */

const APP_PATH = '/console-app';
const VIEWER = { email: 'val@initech.example', password: 'val-password-0123456789' };
const ID = '[0-9a-f-]{36}';

describe('console gateway pages in a browser', { skip: browserUnavailable }, () => {
  // The stand-in accepts only registered redirect URIs: register the one the form will name.
  const env = browserTestStack({
    seed: (seed, proxy) => ({
      ...seed,
      clients: (seed.clients ?? []).map((client) =>
        client.client_id === CLIENT_ID ? { ...client, redirect_uris: [...client.redirect_uris, `${proxy}${APP_PATH}/callback`] } : client,
      ),
    }),
  });
  let initech: { id: string; ownerEmail: string };
  /** Set by the first test, used by the later ones (see theApplication). */
  const created: { serviceId?: string; routeId?: string; pluginId?: string } = {};

  before(async () => {
    initech = await createNativeOrganization(env.stack, 'initech', 'Initech');
    await addNativeUser(env.stack, initech.id, VIEWER.email, VIEWER.password, ['Viewer']);
  });

  async function signedInPage(email: string, password: string): Promise<Page> {
    const page = await env.signedInPage('initech', email, password);
    assert.equal(new URL(page.url()).pathname, '/home');
    return page;
  }

  const ownerPage = () => signedInPage(initech.ownerEmail, OWNER_PASSWORD);

  /**
   * What the first test makes in the console: the service, its route and openid-connect
   * on the route, all Initech's. When that test did not run (a test run alone), the owner
   * makes the same through the Admin API.
   */
  async function theApplication(): Promise<void> {
    if (created.pluginId) return;
    const page = await ownerPage();
    const plugin = {
      name: 'openid-connect',
      config: {
        issuer: env.stack.idp.issuer('default'),
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uri: `${env.stack.proxy}${APP_PATH}/callback`,
        auth_methods: ['authorization_code', 'session'],
      },
    };
    const made = (await page.evaluate(`(async () => {
      const { api } = await import('/assets/console.js');
      const service = await api('POST', '/services', ${JSON.stringify({ name: 'console-app', url: env.stack.upstream.url })});
      const route = await api('POST', '/routes', { name: 'console-app', paths: [${JSON.stringify(APP_PATH)}], service: { id: service.body.id } });
      const plugin = await api('POST', '/routes/' + route.body.id + '/plugins', ${JSON.stringify(plugin)});
      return [service, route, plugin];
    })()`)) as Array<{ status: number; body: { id: string } }>;
    await page.close();
    assert.deepEqual(made.map((answer) => answer.status), [201, 201, 201], JSON.stringify(made));
    [created.serviceId, created.routeId, created.pluginId] = made.map((answer) => answer.body.id);
  }

  /** The id at the end of the page's path once the browser has gone to `/gateway/{kind}/{id}`. */
  async function landedOn(page: Page, kind: string): Promise<string> {
    await page.waitForURL(new RegExp(`/gateway/${kind}/${ID}$`));
    return new URL(page.url()).pathname.split('/').pop()!;
  }

  it('an Organization Admin puts an application behind openid-connect from the console, and a person signs in through it', async () => {
    const page = await ownerPage();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Gateway' }).click();
    await page.waitForURL((url) => url.pathname === '/gateway');
    assert.equal(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Gateway' }).getAttribute('aria-current'), 'page');

    // 1. The service: the echo upstream.
    await page.getByRole('link', { name: 'New service' }).click();
    await page.getByLabel('Name', { exact: true }).fill('console-app');
    await page.getByLabel('Upstream URL (required)').fill(env.stack.upstream.url);
    await page.getByRole('button', { name: 'Create service' }).click();
    created.serviceId = await landedOn(page, 'services');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Service “console-app”');
    assert.match(await page.getByRole('region', { name: 'Upstream' }).innerText(), new RegExp(env.stack.upstream.url.replace(/[.]/g, '\\.')));

    // 2. A route on it, from the service's page (the service is chosen already).
    await page.getByRole('link', { name: 'Add route' }).click();
    assert.equal(await page.getByLabel('Service', { exact: true }).inputValue(), created.serviceId);
    await page.getByLabel('Name', { exact: true }).fill('console-app');
    await page.getByLabel('Paths').fill(APP_PATH);
    await page.getByRole('button', { name: 'Create route' }).click();
    created.routeId = await landedOn(page, 'routes');
    assert.match(await page.getByRole('region', { name: 'Matching' }).innerText(), /Paths\s+\/console-app/);

    // 3. openid-connect from the route's page: choose the plugin, then its form.
    await page.getByRole('link', { name: 'Add plugin' }).click();
    await page.getByRole('link', { name: 'Configure openid-connect' }).click();
    await page.waitForURL((url) => url.searchParams.get('name') === 'openid-connect' && url.searchParams.get('route') === created.routeId);
    assert.equal(await page.getByLabel('Route or service').inputValue(), `route:${created.routeId}`);
    // Every field is there with its help text (the form is the plugin's own description).
    for (const label of ['Client ID (required)', 'Client secret', 'Scopes', 'Session idling timeout (seconds)', 'Upstream access token header', 'Forbidden redirect URI']) {
      const input = page.getByLabel(label, { exact: true });
      assert.equal(await input.count(), 1, label);
      assert.ok((await input.getAttribute('aria-describedby'))?.includes('-hint'), `${label} has its help text tied to it`);
    }
    assert.match(await page.locator('#plugin-config-client_id-hint').innerText(), /The client id that the plugin uses when it calls authenticated endpoints on the identity provider/);
    assert.equal(await page.getByLabel('Client secret', { exact: true }).getAttribute('type'), 'password');
    await page.getByLabel('Client ID (required)').fill(CLIENT_ID);
    await page.getByLabel('Client secret', { exact: true }).fill(CLIENT_SECRET);
    const methods = page.getByRole('group', { name: /Authentication methods/ });
    for (const method of ['bearer', 'introspection', 'refresh_token']) await methods.getByLabel(method, { exact: true }).uncheck();
    assert.equal(await methods.getByLabel('authorization_code', { exact: true }).isChecked(), true);
    assert.equal(await methods.getByLabel('session', { exact: true }).isChecked(), true);
    await screenshot(page, 'console-gateway-plugin');
    await page.getByLabel('Issuer (required)').fill(env.stack.idp.issuer('default'));
    await page.getByLabel('Redirect URI', { exact: true }).fill(`${env.stack.proxy}${APP_PATH}/callback`);
    await page.getByRole('button', { name: 'Add plugin' }).click();
    created.pluginId = await landedOn(page, 'plugins');
    const provider = page.getByRole('region', { name: 'Provider and client' });
    assert.match(await provider.innerText(), /Client secret\s+client_secret\s+Stored \(hidden\)/);
    assert.ok(!(await page.content()).includes(CLIENT_SECRET), 'the secret is never shown');
    assert.match(await provider.innerText(), /Authentication methods\s+auth_methods\s+authorization_code, session/);

    // The API holds what the form sent.
    const stored = await env.stack.adminCall('GET', `/plugins/${created.pluginId}`);
    assert.equal(stored.route.id, created.routeId);
    assert.deepEqual(stored.config.auth_methods, ['authorization_code', 'session']);
    assert.deepEqual(stored.config.client_id, [CLIENT_ID]);
    assert.deepEqual(stored.config.client_secret, ['[redacted]']);

    // The overview shows what is exposed and how.
    await page.goto(`${env.consoleUrl}/gateway`);
    const routesTable = page.getByRole('table', { name: 'Routes and their plugins' });
    assert.match(await routesTable.innerText(), /console-app\s+\/console-app\s+console-app\s+openid-connect/);
    await screenshot(page, 'console-gateway');

    // 4. A person opens the application through the gateway and signs in at the stand-in.
    await page.goto(`${env.stack.proxy}${APP_PATH}`);
    await page.waitForURL((url) => url.origin === env.stack.idp.origin);
    await page.getByLabel('Username').fill('alice@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.waitForURL((url) => url.origin === env.stack.proxy && url.pathname === APP_PATH && !url.searchParams.has('code'));
    const echoed = JSON.parse(await page.locator('body').innerText()) as { path: string; headers: Record<string, string> };
    assert.equal(echoed.path, '/', 'the route strips its path');
    assert.match(echoed.headers.authorization ?? '', /^Bearer /, 'the upstream receives the access token');
    await page.close();
  });

  it('shows the Admin API’s validation errors next to the fields they concern', async () => {
    await theApplication();
    const page = await ownerPage();

    // A service URL that is not one: on the URL field.
    await page.goto(`${env.consoleUrl}/gateway/services/new`);
    await page.getByLabel('Name', { exact: true }).fill('broken');
    await page.getByLabel('Upstream URL (required)').fill('not a url');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.locator('#service-url[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#service-url-error').innerText(), /could not parse url/);
    assert.equal(await focusedId(page), 'service-url', 'the focus is on the field to correct');
    assert.equal(await page.locator('#service-alert').innerText(), 'Correct the marked fields.');
    // A name already taken: on the name field.
    await page.getByLabel('Name', { exact: true }).fill('console-app');
    await page.getByLabel('Upstream URL (required)').fill('http://127.0.0.1:9/');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.locator('#service-name[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#service-name-error').innerText(), /already used by another one; choose another name/);

    // A route that matches nothing (no paths, hosts or methods): said on the matching group, the focus in it.
    await page.goto(`${env.consoleUrl}/gateway/routes/new`);
    await page.getByLabel('Name', { exact: true }).fill('nothing');
    await page.getByRole('button', { name: 'Create route' }).click();
    await page.locator('#route-matching-error:not(:empty)').waitFor();
    assert.match(await page.locator('#route-matching-error').innerText(), /at least one of these fields must be non-empty: 'methods', 'hosts', 'paths'/);
    assert.equal(await focusedId(page), 'route-paths');
    // A path without its slash, on the second line: on the paths field, naming the value.
    await page.getByLabel('Paths').fill('/fine\nbroken');
    await page.getByRole('button', { name: 'Create route' }).click();
    await page.locator('#route-paths[aria-invalid="true"]').waitFor();
    assert.equal(await page.locator('#route-paths-error').innerText(), 'value 2: should start with: / (fixed path) or ~/ (regex path)');
    assert.equal(await page.locator('#route-matching-error').innerText(), '', 'the earlier error is gone');

    // openid-connect: a bad issuer lands on config.issuer; no method on the methods group.
    await page.goto(`${env.consoleUrl}/gateway/plugins/new?route=${created.routeId}&name=openid-connect`);
    await page.getByLabel('Route or service').selectOption(`service:${created.serviceId}`);
    await page.getByLabel('Issuer (required)').fill('not-a-url');
    await page.getByLabel('Client ID (required)').fill(CLIENT_ID);
    await page.getByLabel('Client secret', { exact: true }).fill(CLIENT_SECRET);
    // In a section that starts closed: the error opens it.
    await page.getByText('Session', { exact: true }).click();
    await page.getByLabel('Session idling timeout (seconds)').fill('-5');
    await page.getByText('Session', { exact: true }).click();
    await page.getByRole('button', { name: 'Add plugin' }).click();
    await page.locator('#plugin-config-issuer[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#plugin-config-issuer-error').innerText(), /expected an absolute URL/);
    assert.match(await page.locator('#plugin-config-session_idling_timeout-error').innerText(), /must be 0 \(no limit\) or a number of seconds/);
    assert.equal(await page.locator('#plugin-config-session_idling_timeout').isVisible(), true, 'the section with an error is opened');
    assert.equal(await focusedId(page), 'plugin-config-issuer');
    // Plain http is for loopback issuers only; every method unticked is refused on the group.
    await page.getByLabel('Issuer (required)').fill('http://idp.example.com/oauth2/default');
    await page.getByLabel('Session idling timeout (seconds)').fill('900');
    const methods = page.getByRole('group', { name: /Authentication methods/ });
    for (const box of await methods.getByRole('checkbox').all()) await box.uncheck();
    await page.getByRole('button', { name: 'Add plugin' }).click();
    await page.locator('#plugin-config-auth_methods-error:not(:empty)').waitFor();
    assert.match(await page.locator('#plugin-config-issuer-error').innerText(), /plain http is accepted only for loopback issuers/);
    assert.match(await page.locator('#plugin-config-auth_methods-error').innerText(), /must allow at least one method/);

    // No route or service: an organization's plugin must name one (said on "Route or service").
    await page.goto(`${env.consoleUrl}/gateway/plugins/new?name=acl`);
    await page.getByLabel('Allow').fill('admins');
    await page.getByRole('button', { name: 'Add plugin' }).click();
    await page.locator('#plugin-scope[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#plugin-scope-error').innerText(), /an organization's plugin applies to one of its routes or services/);
    // acl with both lists: on Deny.
    await page.getByLabel('Route or service').selectOption(`route:${created.routeId}`);
    await page.getByLabel('Deny').fill('contractors');
    await page.getByRole('button', { name: 'Add plugin' }).click();
    await page.locator('#plugin-config-deny[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#plugin-config-deny-error').innerText(), /set exactly one of allow or deny/);
    // Nothing was created by any of this.
    assert.equal((await env.stack.adminCall('GET', '/plugins')).data.length, 1);
    assert.equal((await env.stack.adminCall('GET', '/routes')).data.length, 1);
    await page.close();
  });

  it('edits keep what was not retyped (the client secret), and deletes ask for confirmation first', async () => {
    await theApplication();
    const page = await ownerPage();

    // Edit openid-connect: one more scope; the secret field is left empty.
    await page.goto(`${env.consoleUrl}/gateway/plugins/${created.pluginId}`);
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL((url) => url.pathname === `/gateway/plugins/${created.pluginId}/edit`);
    const secret = page.getByLabel('Client secret', { exact: true });
    assert.equal(await secret.inputValue(), '', 'a secret is never put back into the page');
    assert.match(await page.locator('#plugin-config-client_secret-hint').innerText(), /A secret is stored: leave this empty to keep it/);
    assert.equal(await page.getByLabel('Issuer (required)').inputValue(), env.stack.idp.issuer('default'));
    // Removing the stored secret sends none: the API says a confidential client needs one, on that field.
    await page.getByLabel('Remove the stored client secret').check();
    await page.getByRole('button', { name: 'Save plugin' }).click();
    await page.locator('#plugin-config-client_secret[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#plugin-config-client_secret-error').innerText(), /required for the authorization_code method; set client_auth=none for a public client/);
    await page.getByLabel('Remove the stored client secret').uncheck();
    await page.getByLabel('Scopes', { exact: true }).fill('openid\nemail\nprofile');
    await page.getByRole('button', { name: 'Save plugin' }).click();
    await page.waitForURL((url) => url.pathname === `/gateway/plugins/${created.pluginId}`);
    assert.match(await page.getByRole('region', { name: 'Provider and client' }).innerText(), /Scopes\s+scopes\s+openid, email, profile/);
    const stored = await env.stack.adminCall('GET', `/plugins/${created.pluginId}`);
    assert.deepEqual(stored.config.scopes, ['openid', 'email', 'profile']);
    assert.deepEqual(stored.config.client_secret, ['[redacted]'], 'the secret is still stored');
    // And it is the right one: the stand-in's token endpoint accepts it.
    const signedIn = await signInThroughGateway(env.stack, APP_PATH);
    assert.equal(signedIn.callback.status, 302);
    const reached = await browserFetch(signedIn.jar, `${env.stack.proxy}${APP_PATH}`);
    assert.equal(reached.status, 200, 'the plugin still completes sign-ins with the stored secret');

    // Edit the route: another path, tags.
    await page.goto(`${env.consoleUrl}/gateway/routes/${created.routeId}/edit`);
    assert.equal(await page.getByLabel('Paths').inputValue(), APP_PATH);
    await page.getByLabel('Paths').fill(`${APP_PATH}\n/console-app-v2`);
    await page.getByLabel('Tags').fill('console\n<i>markup');
    await page.getByRole('button', { name: 'Save route' }).click();
    await page.waitForURL((url) => url.pathname === `/gateway/routes/${created.routeId}`);
    const matching = page.getByRole('region', { name: 'Matching' });
    assert.match(await matching.innerText(), /Paths\s+\/console-app, \/console-app-v2/);
    assert.match(await matching.innerText(), /Tags\s+console, <i>markup/, 'data is shown as text, never as markup');
    assert.equal(await matching.locator('i').count(), 0);
    assert.deepEqual((await env.stack.adminCall('GET', `/routes/${created.routeId}`)).tags, ['console', '<i>markup']);

    // A consumer: create, then delete — Cancel first keeps it.
    await page.goto(`${env.consoleUrl}/gateway/consumers/new`);
    await page.getByRole('button', { name: 'Create consumer' }).click();
    await page.locator('#consumer-identity-error:not(:empty)').waitFor();
    assert.match(await page.locator('#consumer-identity-error').innerText(), /at least one of these fields must be non-empty: 'custom_id', 'username'/);
    await page.getByLabel('Username').fill('alice');
    await page.getByRole('button', { name: 'Create consumer' }).click();
    const consumerId = await landedOn(page, 'consumers');
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete consumer “alice”?' });
    await dialog.waitFor();
    assert.equal(await focusedText(page), 'Cancel', 'the safe choice has the focus');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await dialog.isVisible(), false);
    assert.equal((await env.stack.adminCall('GET', `/consumers/${consumerId}`)).username, 'alice', 'Cancel deletes nothing');
    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/gateway/consumers');
    assert.equal((await env.stack.adminCall('GET', '/consumers')).data.length, 0);

    // A service its routes still use: the refusal is said in the dialog.
    await page.goto(`${env.consoleUrl}/gateway/services/${created.serviceId}`);
    await page.getByRole('button', { name: 'Delete…' }).click();
    const serviceDialog = page.getByRole('dialog', { name: 'Delete service “console-app”?' });
    await serviceDialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('#delete-service-form-alert:not([hidden])').waitFor();
    assert.match(await page.locator('#delete-service-form-alert').innerText(), /an existing 'routes' entity references this 'services' entity/);
    await serviceDialog.getByRole('button', { name: 'Cancel' }).click();

    // The plugin: deleted from its page, back to the route, which is then open.
    await page.goto(`${env.consoleUrl}/gateway/plugins/${created.pluginId}`);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete the openid-connect plugin?' }).getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL((url) => url.pathname === `/gateway/routes/${created.routeId}`);
    assert.match(await page.getByRole('region', { name: 'Plugins' }).innerText(), /No plugin on this route/);
    assert.equal((await env.stack.adminCall('GET', '/plugins')).data.length, 0);

    // sso on the service: the organization is filled in (it can only be its own).
    await page.goto(`${env.consoleUrl}/gateway/services/${created.serviceId}`);
    await page.getByRole('link', { name: 'Add plugin' }).click();
    await page.getByRole('link', { name: 'Configure sso' }).click();
    assert.equal(await page.getByLabel('Route or service').inputValue(), `service:${created.serviceId}`);
    assert.equal(await page.getByLabel('Organization (required)').inputValue(), 'initech');
    await page.getByLabel('Roles required').fill('Viewer\nOrganization Admin');
    await page.getByRole('button', { name: 'Add plugin' }).click();
    await landedOn(page, 'plugins');
    assert.match(await page.getByRole('region', { name: 'Plugin' }).innerText(), /Applies to\s+service console-app/);
    assert.match(await page.getByRole('region', { name: 'Sign-in' }).innerText(), /Roles required\s+roles_required\s+Viewer, Organization Admin/);
    await page.close();
  });

  it('a Viewer reads every gateway page and sees no control that changes anything; the server refuses anyway', async () => {
    await theApplication();
    // A plugin of the organization (the bootstrap token's would be the operator's, unseen by it).
    const owner = await ownerPage();
    const plugin = (await owner.evaluate(`(async () => {
      const { api } = await import('/assets/console.js');
      return (await api('POST', '/routes/${created.routeId}/plugins', { name: 'acl', config: { allow: ['admins'] } })).body;
    })()`)) as { id: string };
    await owner.close();
    const page = await signedInPage(VIEWER.email, VIEWER.password);
    const pages = [
      '/gateway',
      '/gateway/services',
      `/gateway/services/${created.serviceId}`,
      '/gateway/routes',
      `/gateway/routes/${created.routeId}`,
      '/gateway/plugins',
      `/gateway/plugins/${plugin.id}`,
      '/gateway/consumers',
    ];
    for (const path of pages) {
      const response = await page.goto(`${env.consoleUrl}${path}`);
      assert.equal(response?.status(), 200, path);
      const main = page.locator('main');
      for (const name of [/^New /, /^Add /, /^Edit$/, /^Delete/]) {
        assert.equal(await main.getByRole('link', { name }).count(), 0, `${path}: no link ${name}`);
        assert.equal(await main.getByRole('button', { name }).count(), 0, `${path}: no button ${name}`);
      }
      assert.equal(await main.locator('form[data-gateway-form]').count(), 0, `${path}: no form`);
    }
    await page.goto(`${env.consoleUrl}/gateway/plugins/${plugin.id}`);
    assert.match(await page.getByRole('region', { name: 'Groups' }).innerText(), /Allow\s+allow\s+admins/);
    // Reading needs no script: the pages come rendered from the server.
    const served = await (await page.request.get(`${env.consoleUrl}/gateway/routes/${created.routeId}`)).text();
    for (const path of (await env.stack.adminCall('GET', `/routes/${created.routeId}`)).paths as string[]) assert.ok(served.includes(path), path);
    assert.match(served, />acl</);
    // The write pages themselves are refused, and so is the Admin API.
    const refused = await page.goto(`${env.consoleUrl}/gateway/services/new`);
    assert.equal(refused?.status(), 403);
    assert.match(await page.locator('main').innerText(), /do not allow this page/);
    const answer = (await page.evaluate(`(async () => {
      const { api } = await import('/assets/console.js');
      return api('DELETE', '/plugins/${plugin.id}');
    })()`)) as { status: number; body: { permission?: string } };
    assert.equal(answer.status, 403);
    assert.equal(answer.body.permission, 'gateway:write');
    assert.equal((await env.stack.adminCall('GET', `/plugins/${plugin.id}`)).id, plugin.id);
    await page.close();
  });

  it('editing a plugin that names both a route and a service keeps both', async () => {
    await theApplication();
    // Kong's Admin API allows it; the console only ever makes one or the other.
    const page = await ownerPage();
    const plugin = (await page.evaluate(`(async () => {
      const { api } = await import('/assets/console.js');
      return (await api('POST', '/plugins', { name: 'acl', route: { id: '${created.routeId}' }, service: { id: '${created.serviceId}' }, config: { allow: ['admins'] } })).body;
    })()`)) as { id: string };
    assert.match(plugin.id, new RegExp(`^${ID}$`));
    await page.goto(`${env.consoleUrl}/gateway/plugins/${plugin.id}/edit`);
    const scope = page.getByLabel('Route or service');
    assert.equal(await scope.inputValue(), `route:${created.routeId} service:${created.serviceId}`);
    assert.equal(await scope.locator('option:checked').innerText(), 'Route console-app on service console-app');
    await page.getByLabel('Allow', { exact: true }).fill('admins\nops');
    await page.getByRole('button', { name: 'Save plugin' }).click();
    await page.waitForURL((url) => url.pathname === `/gateway/plugins/${plugin.id}`);
    const stored = await env.stack.adminCall('GET', `/plugins/${plugin.id}`);
    assert.deepEqual(stored.config.allow, ['admins', 'ops']);
    assert.equal(stored.route?.id, created.routeId);
    assert.equal(stored.service?.id, created.serviceId, 'the service is still named');
    await page.close();
  });
});
