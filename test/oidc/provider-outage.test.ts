import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, browserFetch } from '../../testkit/browser-flow.js';
import { organizationSignIn, setUpOrganization } from '../sign-in/support.js';
import { CLIENT_SECRET, protectRoute, signInThroughGateway, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/until.js';

/**
 * A restart of Gatehouse while the provider is down (issue 13): the new process starts
 * from the last good discovery document and keys in the database, so sessions with a
 * still-valid access token keep reaching their upstream, and it picks the provider up
 * again by itself when it returns.
 */

interface Echo {
  path: string;
  headers: Record<string, string | undefined>;
}

describe('a restart while the provider is down', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ providerRetryMs: { min: 100, max: 1000 } });
    await protectRoute(stack, { auth_methods: ['authorization_code', 'session'] });
    await setUpOrganization(stack, { loginPath: 'acme', mappings: [['service_admin', 'Gateway Admin']] });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme' } });
  });
  after(() => stack.close());

  const upstreamSeen = async (jar: CookieJar, path: string): Promise<Echo> => {
    const response = await browserFetch(jar, `${stack.proxy}${path}`);
    assert.equal(response.status, 200, `expected the upstream's answer for ${path}, got ${response.status}`);
    return (await response.json()) as Echo;
  };

  it('keeps sessions with valid access tokens working, and refreshes the provider by itself when it is back', async () => {
    const { jar, callback } = await signInThroughGateway(stack, '/api/x');
    assert.equal(callback.status, 302);
    const before = await upstreamSeen(jar, '/api/x');
    assert.match(before.headers.authorization ?? '', /^Bearer ey/);
    const organization = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(organization.callback.status, 302);
    assert.equal((await upstreamSeen(organization.jar, '/app/x')).headers['x-gatehouse-email'], 'alice@example.com');

    await stack.stopIdp();
    await stack.restart();
    const restartedAt = Date.now();

    const after = await upstreamSeen(jar, '/api/x');
    assert.equal(after.headers.authorization, before.headers.authorization, 'the same still-valid access token goes upstream');
    // The sso plugin reads only Gatehouse's own session and signing key: no provider involved.
    assert.equal((await upstreamSeen(organization.jar, '/app/x')).headers['x-gatehouse-email'], 'alice@example.com');
    // A newcomer is sent to the provider's authorization endpoint, known from the stored copy.
    const newcomer = await browserFetch(new CookieJar(), `${stack.proxy}/api/x`);
    assert.equal(newcomer.status, 302);
    assert.ok(newcomer.headers.get('location')!.startsWith(`${stack.idp.issuer('default')}/v1/authorize?`));
    await until('the log to say the stored copy serves', () => stack.logs.find((line) => line.includes('serving its last good discovery document')));

    await stack.startIdp();
    await until('Gatehouse to reach the provider again by itself', () => stack.logs.find((line) => line.includes('OpenID provider reachable again')));
    const stored = await until('a discovery newer than the restart in the database', async () => {
      const row = await stack.gatehouse.db.selectFrom('oidc_providers').selectAll().where('key', '=', stack.idp.issuer('default')).executeTakeFirst();
      return row && Number(row.discovered_at) > restartedAt ? row : undefined;
    });
    assert.ok(stored.jwks, 'the keys are kept too');

    const fresh = await signInThroughGateway(stack, '/api/y');
    assert.equal(fresh.callback.status, 302, 'signing in works again');
    assert.equal((await upstreamSeen(jar, '/api/x')).headers.authorization, before.headers.authorization);
  });

  it('never writes tokens or secrets to the log', () => {
    const all = stack.logs.join('');
    assert.ok(!all.includes(CLIENT_SECRET));
    assert.doesNotMatch(all, /eyJ[\w-]+\.eyJ[\w-]+\./);
  });
});
