import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import type { EchoReply } from '../../src/gateway/echo-upstream.js';
import { CookieJar, browserFetch } from '../../testkit/browser-flow.js';
import { protectRoute, signInThroughGateway, startStack, type Stack } from '../support/stack.js';
import { organizationSignIn, setUpOrganization } from '../sign-in/support.js';

/**
 * Identity headers an upstream can trust: whatever a client sends, an upstream behind
 * an authentication plugin sees only the values Gatehouse set, and no client header
 * whose name has an underscore (CGI, WSGI and Rack fold `X_Gatehouse_User` and
 * `X-Gatehouse-User` into one `HTTP_X_GATEHOUSE_USER`).
 */

/** Every identity header any plugin sets, as a client would forge them. */
const FORGED: Record<string, string> = {
  'X-Consumer-ID': 'forged-consumer',
  'X-Consumer-Username': 'forged-username',
  'X-Consumer-Custom-ID': 'forged-custom-id',
  'X-Credential-Identifier': 'forged-credential',
  'X-Authenticated-Groups': 'forged-admins',
  'X-Anonymous-Consumer': 'forged',
  'X-Gatehouse-User': 'forged-user',
  'X-Gatehouse-Email': 'forged@evil.example',
  'X-Gatehouse-Roles': 'Organization Admin',
  'X-Gatehouse-Groups': 'forged-admins',
  'X-Gatehouse-Assertion': 'forged.jwt.value',
  'X-User-Email': 'forged@evil.example',
  X_Gatehouse_User: 'forged-underscore',
  X_Consumer_Username: 'forged-underscore',
};

function forgedValuesIn(echo: EchoReply): string[] {
  return Object.entries(echo.headers)
    .filter(([, value]) => String(value).includes('forged') || value === 'Organization Admin')
    .map(([name, value]) => `${name}: ${String(value)}`);
}

describe('identity headers an upstream can trust', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    const acme = await setUpOrganization(stack, { loginPath: 'acme', mappings: [['Everyone', 'Viewer']] });
    await protectRoute(stack, { auth_methods: ['authorization_code'], upstream_headers_claims: ['email'], upstream_headers_names: ['X-User-Email'] });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: acme.id } });
    await stack.adminCall('PUT', '/routes/public', { paths: ['/public'], service: { name: 'echo' } });
  });
  after(() => stack?.close());

  it('sso: the upstream sees the signed-in person, none of the client’s consumer or Gatehouse headers', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'bob@example.com', `?return_to=${encodeURIComponent('/app')}`);
    // X-User-Email too: the /api route's configuration sends it, and an upstream behind both routes trusts it.
    const response = await fetch(`${stack.proxy}/app`, { headers: { cookie: jar.header(new URL(stack.proxy))!, ...FORGED } });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as EchoReply;
    assert.deepEqual(forgedValuesIn(echo), []);
    assert.equal(echo.headers['x-gatehouse-email'], 'bob@example.com');
    assert.equal(echo.headers['x-gatehouse-roles'], 'Viewer');
    for (const name of ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-authenticated-groups', 'x-anonymous-consumer']) {
      assert.equal(echo.headers[name], undefined, name);
    }
  });

  it('openid-connect: the same, with the headers its configuration adds', async () => {
    const { jar } = await signInThroughGateway(stack, '/api');
    const response = await fetch(`${stack.proxy}/api`, { headers: { cookie: jar.header(new URL(stack.proxy))!, ...FORGED } });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as EchoReply;
    assert.deepEqual(forgedValuesIn(echo), []);
    assert.equal(echo.headers['x-user-email'], 'alice@example.com');
    assert.equal(echo.headers['x-gatehouse-user'], undefined, 'sso’s headers are identity headers on every authenticated route');
  });

  it('Authorization stays the client’s own where no plugin of the route sends the access token in it', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'bob@example.com', `?return_to=${encodeURIComponent('/app')}`);
    const response = await fetch(`${stack.proxy}/app`, { headers: { cookie: jar.header(new URL(stack.proxy))!, authorization: 'Basic YXBwOmtleQ==' } });
    assert.equal(((await response.json()) as EchoReply).headers.authorization, 'Basic YXBwOmtleQ==');
  });

  it('a route without authentication passes ordinary headers, but never names with underscores', async () => {
    const response = await fetch(`${stack.proxy}/public`, { headers: { 'X-Consumer-ID': 'whatever', X_Gatehouse_User: 'forged', 'X-Plain': 'kept' } });
    const echo = (await response.json()) as EchoReply;
    assert.equal(echo.headers['x-consumer-id'], 'whatever', 'nothing authenticates here, as in Kong');
    assert.equal(echo.headers['x-plain'], 'kept');
    assert.equal(echo.headers['x_gatehouse_user'], undefined);
  });

  it('a browser that is not signed in is still sent to sign in, forged headers or not', async () => {
    const response = await fetch(`${stack.proxy}/app`, { headers: FORGED, redirect: 'manual' });
    assert.equal(response.status, 302);
    const api = await browserFetch(new CookieJar(), `${stack.proxy}/api`);
    assert.equal(api.status, 302);
  });
});

describe('GATEHOUSE_ALLOW_UNDERSCORE_HEADERS', () => {
  it('is off unless set, and reads the words people write', () => {
    assert.equal(loadSettings({ env: {} }).allow_underscore_headers, false);
    assert.equal(loadSettings({ env: { GATEHOUSE_ALLOW_UNDERSCORE_HEADERS: 'on' } }).allow_underscore_headers, true);
    assert.equal(loadSettings({ env: { GATEHOUSE_ALLOW_UNDERSCORE_HEADERS: 'false' } }).allow_underscore_headers, false);
    assert.throws(() => loadSettings({ env: { GATEHOUSE_ALLOW_UNDERSCORE_HEADERS: 'maybe' } }), /GATEHOUSE_ALLOW_UNDERSCORE_HEADERS.*"maybe" is not on or off/);
  });

  it('turned on, forwards underscore names on routes without authentication (identity headers are still removed)', async () => {
    const stack = await startStack({ env: { GATEHOUSE_ALLOW_UNDERSCORE_HEADERS: 'true' } });
    try {
      await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
      await stack.adminCall('PUT', '/routes/public', { paths: ['/public'], service: { name: 'echo' } });
      const echo = (await (await fetch(`${stack.proxy}/public`, { headers: { X_Legacy_Header: 'kept' } })).json()) as EchoReply;
      assert.equal(echo.headers['x_legacy_header'], 'kept');
    } finally {
      await stack.close();
    }
  });
});
