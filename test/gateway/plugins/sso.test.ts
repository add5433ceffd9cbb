import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { browserFetch } from '../../../testkit/browser-flow.js';
import { OWNER_PASSWORD, organizationSignIn, setUpOrganization } from '../../sign-in/support.js';
import { ADMIN_TOKEN, startStack, type Stack } from '../../support/stack.js';

/**
 * The `sso` plugin: a route that only an organization's signed-in people with the
 * required roles reach, its upstream told who they are with `X-Gatehouse-*` headers and
 * an assertion Gatehouse signs. How people sign in is test/sign-in's.
 */

interface Echo {
  headers: Record<string, string>;
}

describe('sso plugin', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await setUpOrganization(stack, {
      loginPath: 'acme',
      mappings: [
        ['service_admin', 'Gateway Admin'],
        ['viewers', 'Viewer'],
      ],
    });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme', roles_required: ['Gateway Admin'] } });
  });
  after(() => stack.close());

  it('passes identity headers and a Gatehouse-signed assertion to the upstream, verified with the published JWKS', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    const response = await browserFetch(jar, `${stack.proxy}/app/x`);
    assert.equal(response.status, 200);
    const { headers } = (await response.json()) as Echo;
    assert.equal(headers['x-gatehouse-email'], 'alice@example.com');
    assert.match(headers['x-gatehouse-roles'] ?? '', /Gateway Admin/);
    assert.match(headers['x-gatehouse-groups'] ?? '', /service_admin/);
    const keys = createRemoteJWKSet(new URL(`${stack.proxy}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(headers['x-gatehouse-assertion']!, keys, { issuer: stack.proxy, audience: 'gatehouse-upstream' });
    assert.equal(payload.sub, headers['x-gatehouse-user']);
    assert.deepEqual(payload.roles, ['Gateway Admin']);

    const bob = await organizationSignIn(stack, 'acme', 'bob@example.com');
    assert.equal((await browserFetch(bob.jar, `${stack.proxy}/app/x`)).status, 403, 'Viewer lacks the required role');
    const anonymous = await fetch(`${stack.proxy}/app/x`, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.get('location'), `/login/acme?return_to=${encodeURIComponent('/app/x')}`);
  });

  it('an sso plugin must name an existing organization; one whose organization was deleted keeps its route closed (503)', async () => {
    await stack.adminCall('PUT', '/routes/doomed-app', { paths: ['/doomed-app'], service: { name: 'echo' } });
    const missing = await fetch(`${stack.admin}/routes/doomed-app/plugins`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sso', config: { organization: 'no-such-organization' } }),
    });
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(await missing.json()), /names no organization/);

    const doomed = await stack.adminCall('POST', '/organizations', { name: 'Doomed', login_path: 'doomed', owner: { email: 'owner@doomed.example', password: OWNER_PASSWORD } });
    await stack.adminCall('POST', '/routes/doomed-app/plugins', { name: 'sso', config: { organization: 'doomed' } });
    assert.equal((await fetch(`${stack.proxy}/doomed-app`, { redirect: 'manual' })).status, 302, 'signs in with Doomed');
    await stack.adminCall('DELETE', `/organizations/${doomed.id}`);
    const closed = await fetch(`${stack.proxy}/doomed-app`, { redirect: 'manual', headers: { accept: 'application/json' } });
    assert.equal(closed.status, 503, 'closed, neither open nor a 500');
  });

  it('answers API clients each refusal with its error code', async () => {
    const code = async (response: Response) => ((await response.json()) as { error_code?: string }).error_code;
    const anonymous = await fetch(`${stack.proxy}/app/x`, { headers: { accept: 'application/json' } });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Cookie realm="gatehouse"');
    assert.equal(await code(anonymous), 'GH-PLUGIN-UNAUTHORIZED');

    const bob = await organizationSignIn(stack, 'acme', 'bob@example.com');
    const forbidden = await fetch(`${stack.proxy}/app/x`, { headers: { accept: 'application/json', cookie: bob.jar.header(new URL(stack.proxy))! } });
    assert.equal(forbidden.status, 403);
    assert.equal(await code(forbidden), 'GH-PLUGIN-FORBIDDEN');

    await stack.adminCall('PUT', '/routes/vanishing-app', { paths: ['/vanishing-app'], service: { name: 'echo' } });
    const vanishing = await stack.adminCall('POST', '/organizations', { name: 'Vanishing', login_path: 'vanishing', owner: { email: 'owner@vanishing.example', password: OWNER_PASSWORD } });
    await stack.adminCall('POST', '/routes/vanishing-app/plugins', { name: 'sso', config: { organization: 'vanishing' } });
    await stack.adminCall('DELETE', `/organizations/${vanishing.id}`);
    const missing = await fetch(`${stack.proxy}/vanishing-app`, { headers: { accept: 'application/json' } });
    assert.equal(missing.status, 503);
    assert.equal(await code(missing), 'GH-SSO-ORGANIZATION-MISSING');
  });
});
