import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routesMayOverlap, type RouteMatchSpace } from '../../src/store/route-overlap.js';
import { startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';

/**
 * One organization cannot take another owner's traffic: its routes may not match
 * requests another owner's routes match (the router would prefer the more specific one,
 * so `/demo` on host `localhost` captured the operator's `/demo`, OAuth callback
 * included), and its services may not point at Gatehouse's own listeners or at
 * link-local addresses.
 */

const space = (paths: string[] | null, hosts: string[] | null = null, methods: string[] | null = null): RouteMatchSpace => ({ paths, hosts, methods });

describe('routesMayOverlap', () => {
  const overlapping: Array<[string, RouteMatchSpace, RouteMatchSpace]> = [
    ['the same prefix', space(['/demo']), space(['/demo'])],
    ['a longer prefix', space(['/demo']), space(['/demo/callback'])],
    ['a prefix of it', space(['/demox']), space(['/demo'])],
    ['with a host', space(['/demo']), space(['/demo'], ['localhost'])],
    ['no paths at all', space(null, ['localhost']), space(['/anything'])],
    ['the root', space(['/']), space(['/demo'])],
    ['a regex with the literal prefix', space(['/demo']), space(['~/demo$'])],
    ['an exact path under a prefix', space(['~/demo/callback$']), space(['/demo'])],
    ['the root only and the root', space(['~/$']), space(['/'])],
    ['a regex matching everything', space(['/demo']), space(['~.*'])],
    ['a top-level alternation', space(['/demo']), space(['~/x|/demo'])],
    ['an optional last character', space(['/demo']), space(['~/demox?'])],
    ['percent-encoded', space(['/demo']), space(['/dem%6F'])],
    ['wildcard host', space(['/a'], ['app.example.com']), space(['/a'], ['*.example.com'])],
    ['prefix and suffix wildcards', space(['/a'], ['example.*']), space(['/a'], ['*.com'])],
    ['host with and without port', space(['/a'], ['example.com:8000']), space(['/a'], ['example.com'])],
    ['host case', space(['/a'], ['Example.com']), space(['/a'], ['example.COM'])],
    ['a method in common', space(['/a'], null, ['GET', 'POST']), space(['/a'], null, ['post'])],
  ];
  for (const [what, a, b] of overlapping) {
    it(`overlap: ${what}`, () => {
      assert.equal(routesMayOverlap(a, b), true);
      assert.equal(routesMayOverlap(b, a), true, 'symmetric');
    });
  }

  const apart: Array<[string, RouteMatchSpace, RouteMatchSpace]> = [
    ['different prefixes', space(['/demo']), space(['/acme'])],
    ['different hosts', space(['/a'], ['a.example']), space(['/a'], ['b.example'])],
    ['different ports', space(['/a'], ['example.com:8000']), space(['/a'], ['example.com:8001'])],
    ['a wildcard that does not cover the host', space(['/a'], ['app.example.org']), space(['/a'], ['*.example.com'])],
    ['different methods', space(['/a'], null, ['GET']), space(['/a'], null, ['POST'])],
    ['a regex under another prefix', space(['/demo']), space(['~/acme/(a|b)$'])],
    ['the root only (the demo’s start page)', space(['~/$']), space(['/app'])],
    ['two exact paths', space(['~/a$']), space(['~/b$'])],
  ];
  for (const [what, a, b] of apart) {
    it(`apart: ${what}`, () => {
      assert.equal(routesMayOverlap(a, b), false);
      assert.equal(routesMayOverlap(b, a), false, 'symmetric');
    });
  }
});

describe('Admin API: an organization cannot take another owner’s traffic', () => {
  let stack: Stack;
  const tokens: Record<string, string> = {};

  async function tokenOf(loginPath: string, email: string): Promise<string> {
    const signIn = await fetch(`${stack.proxy}/login/${loginPath}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password: OWNER_PASSWORD }),
    });
    const cookie = signIn.headers.getSetCookie().find((value) => value.startsWith('gatehouse_session='))!.split(';')[0]!;
    const created = await fetch(`${stack.admin}/me/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-gatehouse-csrf': '1' },
      body: JSON.stringify({ name: 'test' }),
    });
    return ((await created.json()) as { token: string }).token;
  }

  const as = (who: string, method: string, path: string, body?: unknown) =>
    fetch(`${stack.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    stack = await startStack();
    for (const name of ['acme', 'globex']) {
      await stack.adminCall('POST', '/organizations', { name, login_path: name, owner: { email: `owner@${name}.example`, password: OWNER_PASSWORD } });
      tokens[name] = await tokenOf(name, `owner@${name}.example`);
    }
    // The operator's route, as the demo's /demo.
    await stack.adminCall('PUT', '/services/operator-app', { url: `${stack.upstream.url}/operator` });
    await stack.adminCall('PUT', '/routes/demo', { paths: ['/demo'], service: { name: 'operator-app' } });
    await stack.adminCall('PUT', '/routes/shared-by-host', { paths: ['/shared'], hosts: ['operator.example'], service: { name: 'operator-app' } });
    assert.equal((await as('acme', 'PUT', '/services/acme-app', { url: `${stack.upstream.url}/acme` })).status, 200);
    assert.equal((await as('globex', 'PUT', '/services/globex-app', { url: `${stack.upstream.url}/globex` })).status, 200);
    assert.equal((await as('globex', 'PUT', '/routes/globex-route', { paths: ['/globex-app'], service: { name: 'globex-app' } })).status, 200);
  });
  after(() => stack?.close());

  it('refuses routes that would capture the operator’s or another organization’s requests, writing nothing', async () => {
    const before = await stack.gatehouse.db.selectFrom('routes').selectAll().execute();
    const attempts: Array<Record<string, unknown>> = [
      { paths: ['/demo'], hosts: ['localhost'] },
      { paths: ['/demo'], hosts: ['127.0.0.1'] },
      { paths: ['/demo/'] },
      { paths: ['/demo/callback'] },
      { paths: ['~/demo$'] },
      { paths: ['/'], hosts: ['localhost'] },
      { paths: ['~/x|/demo'] },
      { hosts: ['localhost'] },
      { paths: ['/globex-app/admin'] },
      { paths: ['/shared'], hosts: ['*.example'] },
    ];
    for (const attempt of attempts) {
      const answer = await as('acme', 'POST', '/routes', { ...attempt, service: { name: 'acme-app' } });
      assert.equal(answer.status, 409, JSON.stringify(attempt));
      const body = (await answer.json()) as { error_code: string; message: string };
      assert.equal(body.error_code, 'GH-ADMIN-ROUTE-COLLISION');
      assert.match(body.message, /API route collides with an existing API/);
    }
    // A route of its own, then moved onto the operator's path: refused the same way.
    assert.equal((await as('acme', 'PUT', '/routes/acme-route', { paths: ['/acme-app'], service: { name: 'acme-app' } })).status, 200);
    assert.equal((await as('acme', 'PATCH', '/routes/acme-route', { paths: ['/demo'], hosts: ['localhost'] })).status, 409);
    const after = await stack.gatehouse.db.selectFrom('routes').selectAll().execute();
    assert.equal(after.length, before.length + 1, 'only the route of its own');
    const demo = (await (await fetch(`http://localhost:${new URL(stack.proxy).port}/demo`)).json()) as { path: string };
    assert.equal(demo.path, '/operator', 'the operator’s /demo still answers for every host');
  });

  it('accepts routes that cannot meet another owner’s: other paths, other hosts, other methods', async () => {
    for (const [name, route] of [
      ['own-prefix', { paths: ['/acme-app/v2'] }],
      ['own-host', { paths: ['/shared'], hosts: ['acme.example'] }],
    ] as const) {
      const answer = await as('acme', 'PUT', `/routes/${name}`, { ...route, service: { name: 'acme-app' } });
      assert.equal(answer.status, 200, `${name}: ${await answer.text()}`);
    }
  });

  it('lets an organization’s services point at its applications, not at Gatehouse’s own listeners or link-local addresses', async () => {
    const adminPort = new URL(stack.admin).port;
    const consolePort = new URL(stack.gatehouse.consoleUrl).port;
    const proxyPort = new URL(stack.proxy).port;
    for (const url of [
      `http://127.0.0.1:${adminPort}`,
      `http://localhost:${adminPort}/`,
      `http://127.0.0.2:${consolePort}`,
      `http://[::1]:${proxyPort}`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const answer = await as('acme', 'POST', '/services', { name: `svc-${Math.random().toString(36).slice(2)}`, url });
      assert.equal(answer.status, 400, url);
      const body = (await answer.json()) as { fields: { host: string } };
      assert.match(body.fields.host, /must not be/, url);
    }
    assert.equal((await as('acme', 'PATCH', '/services/acme-app', { url: `http://127.0.0.1:${adminPort}` })).status, 400);
    assert.equal((await stack.adminCall('PUT', '/services/operator-admin', { url: `http://127.0.0.1:${adminPort}` })).name, 'operator-admin', 'the operator decides for itself');
  });
});
