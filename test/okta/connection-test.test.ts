import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { demoSeed, startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { GatehouseError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { interpretTokenEndpointAnswer } from '../../src/okta/connection-checks/client-credentials.js';
import { parseIdentityConnectionSettings, type IdentityConnectionSettingsInput } from '../../src/okta/connection-settings.js';
import { testIdentityConnection, type ConnectionTestResult } from '../../src/okta/connection-test.js';

const CLIENT_ID = 'gatehouse-demo';
const CLIENT_SECRET = 'gatehouse-demo-secret';
const API_TOKEN = 'dev-api-token';
const REDIRECT_URI = 'http://localhost:8000/demo/callback';

function check(result: ConnectionTestResult, name: string) {
  const found = result.checks.find((entry) => entry.name === name);
  assert.ok(found, `no ${name} check in ${JSON.stringify(result.checks)}`);
  return found;
}

const summary = (result: ConnectionTestResult) => Object.fromEntries(result.checks.map((entry) => [entry.name, entry.passed]));

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('identity connection test, against the stand-in', () => {
  let idp: DevIdp;
  let domain: string;
  const okta = (overrides: Partial<IdentityConnectionSettingsInput> = {}): IdentityConnectionSettingsInput => ({
    provider: 'okta',
    okta_domain: domain,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    api_token: API_TOKEN,
    redirect_uri: REDIRECT_URI,
    mapped_groups: ['service_admin', 'viewers'],
    ...overrides,
  });

  before(async () => {
    // The demo's `default` includes the groups claim for the groups scope only (the recommended
    // set-up); `anyscope` in any scope (a bare id); `profiled` with a scope sign-in always asks for.
    idp = await startDevIdp({
      port: 0,
      seed: { ...demoSeed, authorization_servers: [...(demoSeed.authorization_servers ?? []), 'anyscope', { id: 'profiled', groups_claim: { scopes: ['profile', 'groups'] } }] },
    });
    // As an admin types it: host and port, no scheme (loopback means plain http).
    domain = idp.origin.replace('http://', '');
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  it('passes every check against the custom default authorization server', async () => {
    const result = await testIdentityConnection(okta());
    assert.equal(result.passed, true, JSON.stringify(result, null, 2));
    assert.equal(result.message, 'Configuration tested successfully');
    assert.equal(result.issuer, idp.issuer('default'));
    assert.deepEqual(
      result.checks.map((entry) => entry.name),
      ['discovery', 'jwks', 'client_credentials', 'api_token', 'mapped_groups', 'groups_claim'],
    );
    assert.match(check(result, 'discovery').detail, new RegExp(`names the issuer ${idp.issuer('default')}`));
    assert.match(check(result, 'jwks').detail, /1 signing key\(s\) \(kid /);
    assert.match(check(result, 'client_credentials').detail, /accepted the client ID and secret: it answered invalid_grant: "The authorization code is invalid or has expired\."/);
    assert.match(check(result, 'mapped_groups').detail, /^Found in Okta: service_admin, viewers\.$/);
  });

  it('passes every check against the org authorization server (empty id or "org")', async () => {
    for (const authorization_server_id of ['', 'org']) {
      const result = await testIdentityConnection(okta({ authorization_server_id, okta_domain: `${idp.origin}/` }));
      assert.equal(result.passed, true, JSON.stringify(result, null, 2));
      assert.equal(result.issuer, idp.issuer('org'));
      assert.match(check(result, 'discovery').detail, /\/\.well-known\/openid-configuration names the issuer/);
    }
  });

  it('passes for a generic OIDC provider, without the Okta-only checks', async () => {
    const result = await testIdentityConnection({
      provider: 'oidc',
      issuer: idp.issuer('default'),
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI,
      mapped_groups: ['service_admin'],
    });
    assert.equal(result.passed, true, JSON.stringify(result, null, 2));
    assert.deepEqual(summary(result), { discovery: true, jwks: true, client_credentials: true });
  });

  it('authenticates with client_secret_post when the app is registered that way', async () => {
    const result = await testIdentityConnection(okta({ token_endpoint_auth_method: 'client_secret_post' }));
    assert.equal(result.passed, true, JSON.stringify(result, null, 2));
  });

  it("fails discovery when the document's issuer is not the configured one, and skips what needs it", async () => {
    const result = await testIdentityConnection(okta(), { discoveryUrl: `${idp.issuer('org')}/.well-known/openid-configuration` });
    assert.equal(result.passed, false);
    assert.deepEqual(summary(result), { discovery: false, jwks: false, client_credentials: false, api_token: true, mapped_groups: true, groups_claim: true });
    const detail = check(result, 'discovery').detail;
    assert.ok(detail.includes(`names the issuer ${idp.issuer('org')}, not the configured ${idp.issuer('default')}`), detail);
    assert.match(check(result, 'jwks').detail, /^Not checked: needs a discovery document/);
    assert.match(check(result, 'client_credentials').detail, /^Not checked/);
    assert.equal(result.message, "Configuration test failed: discovery, jwks, client_credentials did not pass (3 of 6 checks); see each check's detail");
  });

  it('names a trailing-slash mismatch of a generic issuer and gives the exact issuer to enter', async () => {
    const result = await testIdentityConnection({
      provider: 'oidc',
      issuer: `${idp.issuer('default')}/`,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: REDIRECT_URI,
    });
    const detail = check(result, 'discovery').detail;
    assert.equal(result.passed, false);
    assert.match(detail, /differ only by a trailing slash/);
    assert.ok(detail.endsWith(`exactly as the provider states it: ${idp.issuer('default')}`), detail);
  });

  it('fails discovery with the reason when the issuer is unreachable', async () => {
    const port = await closedPort();
    const result = await testIdentityConnection(okta({ okta_domain: `127.0.0.1:${port}` }));
    assert.equal(result.passed, false);
    assert.deepEqual(summary(result), { discovery: false, jwks: false, client_credentials: false, api_token: false, mapped_groups: false, groups_claim: false });
    assert.match(check(result, 'discovery').detail, /Could not read the discovery document at http:\/\/127\.0\.0\.1:\d+\/oauth2\/default\/\.well-known\/openid-configuration: connection refused \(ECONNREFUSED\)\. Check okta_domain/);
    assert.match(check(result, 'api_token').detail, /could not be reached.*connection refused/);
    assert.match(check(result, 'mapped_groups').detail, /^Not checked/);
  });

  it('fails discovery with a timeout when the issuer never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const started = Date.now();
      const result = await testIdentityConnection(okta({ okta_domain: `127.0.0.1:${port}`, api_token: undefined }), { timeoutMs: 300 });
      assert.ok(Date.now() - started < 3000);
      assert.match(check(result, 'discovery').detail, /no answer within 0\.3 s/);

      // A caller that gives up gets its abort, not a result.
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('admin went away')), 100);
      await assert.rejects(testIdentityConnection(okta({ okta_domain: `127.0.0.1:${port}` }), { signal: controller.signal }), /admin went away/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('fails discovery for an authorization server that does not exist, saying where to look', async () => {
    const result = await testIdentityConnection(okta({ authorization_server_id: 'aus0000000000nothere' }));
    assert.equal(check(result, 'discovery').passed, false);
    assert.match(check(result, 'discovery').detail, /HTTP 404.*check authorization_server_id/);
  });

  it('fails client_credentials with invalid_client named for a wrong secret or client ID', async () => {
    const wrongSecret = 'not-the-secret-81c2';
    const { log, text } = (() => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      });
      return { log: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
    })();
    const result = await testIdentityConnection(okta({ client_secret: wrongSecret }), { log });
    assert.equal(result.passed, false);
    assert.deepEqual(summary(result), { discovery: true, jwks: true, client_credentials: false, api_token: true, mapped_groups: true, groups_claim: true });
    const detail = check(result, 'client_credentials').detail;
    assert.match(detail, /^invalid_client: the token endpoint refused the client ID and secret \(HTTP 401, invalid_client: "The client secret supplied for a confidential client is invalid\."\)/);
    assert.match(detail, /client_secret_basic/);
    assert.equal(result.message, "Configuration test failed: client_credentials did not pass (1 of 6 checks); see each check's detail");
    for (const secret of [wrongSecret, API_TOKEN]) {
      assert.ok(!JSON.stringify(result).includes(secret));
      assert.ok(!text().includes(secret));
    }
    assert.ok(text().includes('identity connection test finished'));

    const unknownClient = await testIdentityConnection(okta({ client_id: 'no-such-client' }));
    assert.match(check(unknownClient, 'client_credentials').detail, /^invalid_client: .*"Invalid value for 'client_id' parameter\."/);
  });

  it('fails api_token for a token Okta refuses, and does not look up groups with it', async () => {
    const result = await testIdentityConnection(okta({ api_token: 'wrong-api-token' }));
    assert.equal(result.passed, false);
    assert.deepEqual(summary(result), { discovery: true, jwks: true, client_credentials: true, api_token: false, mapped_groups: false, groups_claim: false });
    assert.match(check(result, 'api_token').detail, /Okta refused the API token \(E0000011: Invalid token provided\)/);
    assert.match(check(result, 'mapped_groups').detail, /^Not checked: needs an API token/);
    assert.match(check(result, 'groups_claim').detail, /^Not checked: needs an API token/);
    assert.ok(!JSON.stringify(result).includes('wrong-api-token'));
  });

  it('runs no mapped_groups check when no groups are mapped, and no Management API check without a token', async () => {
    assert.deepEqual(summary(await testIdentityConnection(okta({ mapped_groups: [] }))), {
      discovery: true,
      jwks: true,
      client_credentials: true,
      api_token: true,
      groups_claim: true,
    });
    const noToken = await testIdentityConnection(okta({ api_token: undefined }));
    assert.equal(noToken.passed, true);
    assert.deepEqual(summary(noToken), { discovery: true, jwks: true, client_credentials: true });
    assert.equal((await testIdentityConnection(okta({ api_token: '' }))).checks.length, 3);
  });

  it('fails mapped_groups when none of the names exists, and passes when one does', async () => {
    const none = await testIdentityConnection(okta({ mapped_groups: ['nope', 'Service_Admin'] }));
    assert.equal(none.passed, false);
    assert.deepEqual(summary(none), { discovery: true, jwks: true, client_credentials: true, api_token: true, mapped_groups: false, groups_claim: true });
    assert.equal(
      check(none, 'mapped_groups').detail,
      "None of the mapped groups exists in Okta: nope, Service_Admin (Okta has 'service_admin'; names are compared exactly). Map at least one existing Okta group; names are compared exactly, including letter case.",
    );

    const one = await testIdentityConnection(okta({ mapped_groups: ['nope', 'viewers'] }));
    assert.equal(one.passed, true, JSON.stringify(one, null, 2));
    assert.equal(check(one, 'mapped_groups').detail, 'Found in Okta: viewers. Not found: nope.');
  });

  it("rides out a Management API 429 by waiting for Okta's reset", async () => {
    idp.switches.rateLimitNextManagementCalls = 1;
    const result = await testIdentityConnection(okta({ mapped_groups: ['viewers'] }));
    assert.equal(result.passed, true, JSON.stringify(result, null, 2));
  });

  it('answers a rate limit that outlasts the wait as a failed api_token check', async () => {
    idp.switches.rateLimitNextManagementCalls = 5;
    const result = await testIdentityConnection(okta(), { managementApi: { maxRateLimitWaitMs: 10 } });
    assert.equal(check(result, 'api_token').passed, false);
    assert.match(check(result, 'api_token').detail, /rate limit/);
    assert.match(check(result, 'mapped_groups').detail, /^Not checked/);
  });

  describe('groups_claim: can people in more than 100 groups sign in?', () => {
    it('passes when the claim comes with the groups scope only, and says to ask for the scope', async () => {
      const asked = await testIdentityConnection(okta({ scopes: ['openid', 'profile', 'email', 'groups'] }));
      assert.equal(asked.passed, true, JSON.stringify(asked, null, 2));
      assert.equal(
        check(asked, 'groups_claim').detail,
        'The groups claim “groups” of authorization server default comes only with the groups scope: someone in more than 100 groups is signed in again without it, and their groups are read with the API token.',
      );
      // Okta's default scopes on a custom server leave groups out: the ID token then carries none.
      const notAsked = await testIdentityConnection(okta());
      assert.equal(check(notAsked, 'groups_claim').passed, true);
      assert.match(check(notAsked, 'groups_claim').detail, /Gatehouse does not ask for the groups scope \(scopes: openid profile email\).* add groups to the scopes/);
    });

    it('warns about a claim included in any scope, naming exactly what to change in Okta, without failing the test', async () => {
      for (const scopes of [['openid', 'profile', 'email', 'groups'], undefined]) {
        const result = await testIdentityConnection(okta({ authorization_server_id: 'anyscope', ...(scopes ? { scopes } : {}) }));
        // Okta's default set-up: sign-ins work for everyone in up to 100 groups, so saving stays possible.
        assert.equal(result.passed, true);
        assert.equal(result.message, 'Configuration tested successfully');
        assert.deepEqual(summary(result), { discovery: true, jwks: true, client_credentials: true, api_token: true, mapped_groups: true, groups_claim: true });
        assert.equal(check(result, 'groups_claim').warning, true);
        assert.equal(
          check(result, 'groups_claim').detail,
          'The groups claim of authorization server anyscope comes with every sign-in (“groups” is included in any scope), so Okta refuses anyone in more than 100 matching groups, and signing in again without the groups scope cannot avoid it. ' +
            'In Okta: Security › API › Authorization Servers › anyscope › Claims › groups › Edit: set “Include in” to “The following scopes” and choose groups (first add a groups scope under Scopes if there is none); then add groups to Gatehouse’s scopes. Gatehouse then signs people in more than 100 groups in again without that scope and reads their groups with the API token.',
        );
      }
    });

    it('warns about a claim that also comes with a scope sign-in always asks for', async () => {
      const result = await testIdentityConnection(okta({ authorization_server_id: 'profiled', scopes: ['openid', 'profile', 'groups'] }));
      assert.equal(check(result, 'groups_claim').warning, true);
      assert.match(check(result, 'groups_claim').detail, /\(“groups” is included with profile, which Gatehouse always asks for\)/);
      // Without the profile scope, leaving out groups avoids it.
      const avoided = check(await testIdentityConnection(okta({ authorization_server_id: 'profiled', scopes: ['openid', 'groups'] })), 'groups_claim');
      assert.equal(avoided.passed, true);
      assert.equal(avoided.warning, undefined);
    });

    it('is not run on the org authorization server, whose groups claim always needs the groups scope', async () => {
      const result = await testIdentityConnection(okta({ authorization_server_id: 'org' }));
      assert.equal(result.passed, true, JSON.stringify(result, null, 2));
      assert.equal(result.checks.some((entry) => entry.name === 'groups_claim'), false);
    });
  });
});

describe('identity connection settings', () => {
  const valid = {
    provider: 'okta',
    okta_domain: 'dev-123.okta.com',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uri: 'https://gatehouse.example.com/callback',
  };

  it('accepts null as "not set" and keeps an empty authorization server id (the org server)', () => {
    const parsed = parseIdentityConnectionSettings({ ...valid, api_token: null, mapped_groups: null, authorization_server_id: '' });
    assert.equal(parsed.api_token, undefined);
    assert.equal(parsed.mapped_groups, undefined);
    assert.equal(parsed.authorization_server_id, '');
    assert.equal(parseIdentityConnectionSettings({ ...valid, authorization_server_id: null }).authorization_server_id, undefined);
  });

  it('names every problem at once, without echoing secrets', () => {
    assert.throws(
      () =>
        parseIdentityConnectionSettings({
          provider: 'okta',
          okta_domain: 'https://dev-123-admin.okta.com',
          client_id: '',
          client_secret: '',
          redirect_uri: 'http://gatehouse.example.com/callback',
        }),
      (error: unknown) => {
        assert.ok(error instanceof GatehouseError);
        assert.equal(error.code, 'GH-IDENTITY-SETTINGS-INVALID');
        assert.equal(error.status, 400);
        assert.equal(error.field, 'okta_domain');
        assert.match(error.message, /Admin Console's address.*enter dev-123\.okta\.com/);
        assert.match(error.message, /client_id is required/);
        assert.match(error.message, /client_secret is required/);
        assert.match(error.message, /redirect_uri must be an absolute https URL/);
        return true;
      },
    );
    assert.throws(() => parseIdentityConnectionSettings({ ...valid, okta_domain: undefined }), /okta_domain is required/);
    assert.throws(() => parseIdentityConnectionSettings({ ...valid, provider: 'oidc' }), /issuer is required/);
    assert.throws(
      () => parseIdentityConnectionSettings({ ...valid, provider: 'oidc', issuer: 'https://login.example.com', api_token: 'secret-token-x' }),
      (error: unknown) => error instanceof GatehouseError && error.field === 'api_token' && !error.message.includes('secret-token-x'),
    );
    assert.throws(() => parseIdentityConnectionSettings({ ...valid, provider: 'oidc', issuer: 'http://login.example.com' }), /https URL/);
    assert.throws(
      () => parseIdentityConnectionSettings({ ...valid, provider: 'oidc', issuer: 'https://login.example.com/.well-known/openid-configuration' }),
      /not its discovery document/,
    );
    assert.throws(() => parseIdentityConnectionSettings({ ...valid, provider: 'saml' }), /provider must be 'okta' or 'oidc'/);
    assert.throws(() => parseIdentityConnectionSettings({ ...valid, authorization_server_id: 'a b' }), (error: unknown) => error instanceof GatehouseError && error.field === 'authorization_server_id');
  });

  it('applies the stricter http rule when loopback http is not allowed', async () => {
    await assert.rejects(
      testIdentityConnection({ ...valid, provider: 'okta', okta_domain: 'http://127.0.0.1:9', redirect_uri: REDIRECT_URI }, { allowHttpOnLoopback: false }),
      (error: unknown) => error instanceof GatehouseError && error.code === 'GH-OKTA-DOMAIN-INVALID',
    );
  });
});

describe('reading the token endpoint answer to the test code', () => {
  const table: Array<[status: number, body: unknown, verdict: string]> = [
    [400, { error: 'invalid_grant', error_description: 'The authorization code is invalid or has expired.' }, 'authenticated'],
    [401, { error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' }, 'invalid_client'],
    [400, { error: 'invalid_client' }, 'invalid_client'],
    // Okta answers an unknown client_id in its API error shape.
    [401, { errorCode: 'invalid_client', errorSummary: "Invalid value for 'client_id' parameter.", errorCauses: [] }, 'invalid_client'],
    [401, undefined, 'invalid_client'],
    [400, { error: 'unauthorized_client', error_description: 'The client is not authorized to use the provided grant type.' }, 'grant_not_allowed'],
    [400, { error: 'invalid_request', error_description: 'The redirect_uri is not registered.' }, 'authenticated'],
    [200, { access_token: 'x', token_type: 'Bearer' }, 'accepted_test_code'],
    [200, {}, 'unexpected'],
    [500, { error: 'server_error' }, 'unexpected'],
    [502, undefined, 'unexpected'],
    [404, undefined, 'unexpected'],
  ];
  for (const [status, body, verdict] of table) {
    it(`HTTP ${status} ${JSON.stringify(body)} → ${verdict}`, () => {
      assert.equal(interpretTokenEndpointAnswer(status, body).verdict, verdict);
    });
  }

  it("keeps Okta's description from either error shape", () => {
    assert.deepEqual(interpretTokenEndpointAnswer(401, { errorCode: 'invalid_client', errorSummary: "Invalid value for 'client_id' parameter." }), {
      verdict: 'invalid_client',
      error: 'invalid_client',
      description: "Invalid value for 'client_id' parameter.",
    });
  });
});
