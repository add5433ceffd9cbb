import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserFetch } from '../../testkit/browser-flow.js';
import { startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD, organizationSignIn, setUpOrganization } from './support.js';

/** Regression tests from the security review of organization sign-in. */

async function passwordSignIn(stack: Stack, loginPath: string, email: string, password: string) {
  const response = await fetch(`${stack.proxy}/login/${loginPath}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('gatehouse_session='))?.split(';')[0];
  return { response, cookie };
}

describe('organization sign-in hardening', () => {
  let stack: Stack;
  let acme: { id: string; ownerEmail: string };

  before(async () => {
    stack = await startStack();
    acme = await setUpOrganization(stack, { loginPath: 'acme', mappings: [['service_admin', 'Organization Admin']] });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/public', { paths: ['/public'], service: { name: 'echo' } });
  });
  after(() => stack.close());

  it('never lets a return_to with control characters leave the site', async () => {
    const { callback } = await organizationSignIn(stack, 'acme', 'alice@example.com', `?return_to=${encodeURIComponent('/\t/evil.example/x')}`);
    // Refused like a missing return_to: the sign-in's default landing, the console's home.
    assert.equal(callback.headers.get('location'), new URL('/home', stack.gatehouse.consoleUrl).href);
  });

  it('keeps Gatehouse’s session cookie from every upstream, even with no sso plugin configured', async () => {
    const { cookie } = await passwordSignIn(stack, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    const echo = (await (await fetch(`${stack.proxy}/public/x`, { headers: { cookie: `${cookie}; other=1` } })).json()) as { headers: Record<string, string> };
    assert.equal(echo.headers.cookie, 'other=1');
  });

  it('accepts session writes to the Admin API only from its own origin', async () => {
    const { cookie } = await passwordSignIn(stack, 'acme', acme.ownerEmail, OWNER_PASSWORD);
    const write = (headers: Record<string, string>) =>
      fetch(`${stack.admin}/organizations/${acme.id}/roles`, {
        method: 'POST',
        headers: { cookie: cookie!, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: `Role ${Math.random()}` }),
      });
    assert.equal((await write({ 'sec-fetch-site': 'same-site', origin: stack.proxy })).status, 403, 'another port of the same site');
    assert.equal((await write({})).status, 403, 'no proof of origin');
    assert.equal((await write({ 'x-gatehouse-csrf': '1' })).status, 201);
  });

  it('ends native non-owner access when SSO is enabled: sessions stop working', async () => {
    // A native user who signed in before the switch to SSO.
    const organization = await stack.adminCall('POST', '/organizations', {
      name: 'globex Inc',
      login_path: 'globex',
      owner: { email: 'owner@globex.example', password: OWNER_PASSWORD },
    });
    await stack.adminCall('POST', `/organizations/${organization.id}/users`, { email: 'n@globex.example', password: 'native-password-0123' });
    const { cookie } = await passwordSignIn(stack, 'globex', 'n@globex.example', 'native-password-0123');
    assert.equal((await fetch(`${stack.admin}/me`, { headers: { cookie: cookie! } })).status, 200);
    const roles = (await stack.adminCall('GET', `/organizations/${organization.id}/roles`)).data as Array<{ id: string; name: string }>;
    await stack.adminCall('POST', `/organizations/${organization.id}/role-mappings`, { group: 'viewers', role: roles.find((r) => r.name === 'Viewer')!.id });
    const settings = {
      provider: 'okta',
      okta_domain: new URL(stack.idp.origin).host,
      client_id: 'gatehouse-test',
      client_secret: 'gatehouse-test-secret-0123456789',
    };
    await stack.adminCall('POST', `/organizations/${organization.id}/identity/test`, settings);
    await stack.adminCall('PUT', `/organizations/${organization.id}/identity`, settings);
    await stack.adminCall('POST', `/organizations/${organization.id}/identity/enable`, { confirm: true });
    assert.equal((await fetch(`${stack.admin}/me`, { headers: { cookie: cookie! } })).status, 401);
  });

  it('lets only the owner delete an organization', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    const cookie = jar.header(new URL(stack.proxy))!;
    const response = await fetch(`${stack.admin}/organizations/${acme.id}`, { method: 'DELETE', headers: { cookie, 'x-gatehouse-csrf': '1' } });
    assert.equal(response.status, 403);
    const signIn = await browserFetch(jar, `${stack.proxy}/login/acme?signed_out`);
    assert.equal(signIn.headers.get('location'), `${stack.gatehouse.consoleUrl}/?organization=acme&signed_out=`, 'the organization still exists');
  });
});
