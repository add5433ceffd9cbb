import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as client from 'openid-client';
import { demoSeed, GROUPS_OVER_LIMIT_DESCRIPTION, startDevIdp, type DevIdp, type DevIdpSeed } from '../../src/dev-idp/index.js';
import { signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, discover, exchangeCode, signInAndExchange } from './oidc-client.js';

const CAROL = 'carol@example.com'; // in developers, Everyone and 120 team-### groups
/** The demo's default server includes the groups claim for the groups scope only. */
const WITH_GROUPS = 'openid profile email groups';
/** A second custom server whose groups claim is included in any scope (a bare id in the seed). */
const ANY_SCOPE_SERVER = 'anyscope';

describe('dev IdP groups claim', () => {
  let idp: DevIdp;
  before(async () => {
    const seed: DevIdpSeed = {
      ...demoSeed,
      authorization_servers: [...(demoSeed.authorization_servers ?? []), ANY_SCOPE_SERVER],
      clients: [
        ...(demoSeed.clients ?? []),
        {
          client_id: 'filtered-app',
          client_secret: 'filtered-secret',
          redirect_uris: ['http://localhost:8000/demo/callback'],
          groups_claim_filter: 'service_.*|viewers',
        },
      ],
    };
    idp = await startDevIdp({ port: 0, seed });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  /** Where the stand-in sends the browser back for a sign-in of `username` with `scope`. */
  const callbackFor = async (username: string, scope: string, authServer = 'default') => {
    const request = await buildAuthorization(await discover(idp, { authServer }), { scope });
    return (await signIn({ authorizeUrl: request.url, username, password: DEMO_PASSWORD })).callbackUrl;
  };

  /** GET /api/v1/authorizationServers/{id}/claims, as Okta's Management API answers it. */
  const claimsOf = async (authServer: string) => {
    const response = await fetch(`${idp.origin}/api/v1/authorizationServers/${authServer}/claims`, { headers: { authorization: 'SSWS dev-readonly-api-token', accept: 'application/json' } });
    return { status: response.status, body: (await response.json()) as any };
  };

  describe('groups claim only for the groups scope (the demo\'s default server, the recommended set-up)', () => {
    it('carries the claim with the groups scope and leaves it out (userinfo too) without it', async () => {
      const withScope = await signInAndExchange(idp, { username: 'alice@example.com', scope: WITH_GROUPS });
      assert.deepEqual(withScope.claims.groups, ['Everyone', 'service_admin']);
      const without = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid profile email' });
      assert.equal('groups' in without.claims, false);
      const info = await client.fetchUserInfo(without.config, without.tokens.access_token, without.claims.sub);
      assert.equal('groups' in info, false);
      assert.equal(info.login_email, 'alice@example.com');
    });

    it('refuses carol (over 100 groups) with the groups scope, and signs her in without it', async () => {
      const refused = await callbackFor(CAROL, WITH_GROUPS);
      assert.equal(refused.searchParams.get('error'), 'invalid_request');
      assert.equal(refused.searchParams.get('error_description'), GROUPS_OVER_LIMIT_DESCRIPTION);
      const { claims } = await signInAndExchange(idp, { username: CAROL, scope: 'openid profile email' });
      assert.equal(claims.email, CAROL);
      assert.equal('groups' in claims, false);
    });

    it('says so in the Management API: the claim\'s conditions.scopes is [groups]', async () => {
      const { status, body } = await claimsOf('default');
      assert.equal(status, 200);
      const groups = body.find((claim: any) => claim.name === 'groups');
      assert.equal(groups.valueType, 'GROUPS');
      assert.equal(groups.claimType, 'IDENTITY');
      assert.equal(groups.status, 'ACTIVE');
      assert.deepEqual(groups.conditions, { scopes: ['groups'] });
      assert.match(groups.id, /^ocl/);
      assert.deepEqual(body.find((claim: any) => claim.name === 'login_email')?.conditions, { scopes: [] });
    });
  });

  it("changes with the claims API as an Okta admin changes it (PUT …/claims/{id}, full-access token)", async () => {
    const groupsClaim = (await claimsOf('default')).body.find((claim: any) => claim.name === 'groups');
    const put = (token: string, body: unknown) =>
      fetch(`${idp.origin}/api/v1/authorizationServers/default/claims/${groupsClaim.id}`, {
        method: 'PUT',
        headers: { authorization: `SSWS ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    const anyScope = { ...groupsClaim, conditions: { scopes: [] } };
    assert.equal((await put('dev-readonly-api-token', anyScope)).status, 403);
    const bad = await put('dev-api-token', { ...groupsClaim, conditions: { scopes: ['grups'] } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).errorCode, 'E0000001');
    try {
      const changed = await put('dev-api-token', anyScope);
      assert.equal(changed.status, 200);
      assert.deepEqual(((await changed.json()) as any).conditions, { scopes: [] });
      assert.equal((await callbackFor(CAROL, 'openid profile email')).searchParams.get('error'), 'invalid_request', 'now in any scope');
    } finally {
      assert.equal((await put('dev-api-token', groupsClaim)).status, 200);
    }
    assert.ok((await callbackFor(CAROL, 'openid profile email')).searchParams.get('code'), 'back to the groups scope only');
  });

  describe('groups claim included in any scope', () => {
    it('carries the claim whatever the scopes', async () => {
      const { claims } = await signInAndExchange(idp, { username: 'alice@example.com', authServer: ANY_SCOPE_SERVER, scope: 'openid' });
      assert.deepEqual(claims.groups, ['Everyone', 'service_admin']);
    });

    it('refuses carol with Okta\'s error whether or not the groups scope is asked for', async () => {
      for (const scope of [WITH_GROUPS, 'openid profile email', 'openid']) {
        const refused = await callbackFor(CAROL, scope, ANY_SCOPE_SERVER);
        assert.equal(refused.searchParams.get('error'), 'invalid_request', scope);
        assert.equal(refused.searchParams.get('error_description'), GROUPS_OVER_LIMIT_DESCRIPTION, scope);
      }
    });

    it('says so in the Management API: the claim\'s conditions.scopes is empty (Any scope)', async () => {
      const { status, body } = await claimsOf(ANY_SCOPE_SERVER);
      assert.equal(status, 200);
      assert.deepEqual(body.find((claim: any) => claim.name === 'groups')?.conditions, { scopes: [] });
      const unknown = await claimsOf('aus0nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.errorCode, 'E0000007');
    });
  });

  it("applies the client's regex filter to the whole group name", async () => {
    const alice = await signInAndExchange(idp, { username: 'alice@example.com', clientId: 'filtered-app', clientSecret: 'filtered-secret', scope: WITH_GROUPS });
    assert.deepEqual(alice.claims.groups, ['service_admin']);
    const bob = await signInAndExchange(idp, { username: 'bob@example.com', clientId: 'filtered-app', clientSecret: 'filtered-secret', scope: WITH_GROUPS });
    assert.deepEqual(bob.claims.groups, ['viewers']);
    // An empty list is not a missing claim.
    const carol = await signInAndExchange(idp, { username: CAROL, clientId: 'filtered-app', clientSecret: 'filtered-secret', scope: WITH_GROUPS });
    assert.deepEqual(carol.claims.groups, []);
  });

  it('omitGroupsClaim leaves groups out of the ID token and userinfo', async () => {
    idp.switches.omitGroupsClaim = true;
    const { claims, tokens, config } = await signInAndExchange(idp, { username: 'alice@example.com', scope: WITH_GROUPS });
    assert.equal('groups' in claims, false);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal('groups' in info, false);
    assert.equal(info.login_email, 'alice@example.com');
  });

  it("groupsOverLimit 'error': /authorize redirects back with invalid_request about the groups claim", async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config, { scope: WITH_GROUPS });
    const { callbackUrl } = await signIn({ authorizeUrl: request.url, username: CAROL, password: DEMO_PASSWORD });
    assert.equal(callbackUrl.searchParams.get('error'), 'invalid_request');
    assert.equal(callbackUrl.searchParams.get('error_description'), GROUPS_OVER_LIMIT_DESCRIPTION);
    assert.match(callbackUrl.searchParams.get('error_description') ?? '', /groups claim/);
    assert.equal(callbackUrl.searchParams.get('state'), request.state);
    assert.equal(callbackUrl.searchParams.get('code'), null);
  });

  it("groupsOverLimit 'error' only matters when the claim is issued (org server without the groups scope)", async () => {
    const { claims } = await signInAndExchange(idp, { username: CAROL, authServer: 'org', scope: 'openid' });
    assert.equal(claims.groups, undefined);
  });

  it("groupsOverLimit 'truncate' gives exactly the first 100 groups", async () => {
    idp.switches.groupsOverLimit = 'truncate';
    const { claims } = await signInAndExchange(idp, { username: CAROL, scope: WITH_GROUPS });
    const groups = claims.groups as string[];
    assert.equal(groups.length, 100);
    assert.deepEqual(groups.slice(0, 3), ['Everyone', 'developers', 'team-001']);
    assert.equal(groups[99], 'team-098');
  });

  it("groupsOverLimit 'omit' gives no groups claim", async () => {
    idp.switches.groupsOverLimit = 'omit';
    const { claims } = await signInAndExchange(idp, { username: CAROL, scope: WITH_GROUPS });
    assert.equal('groups' in claims, false);
  });

  it("groupsOverLimit 'error-at-token': /authorize succeeds, /token answers invalid_request", async () => {
    idp.switches.groupsOverLimit = 'error-at-token';
    const config = await discover(idp);
    const request = await buildAuthorization(config, { scope: WITH_GROUPS });
    const { callbackUrl } = await signIn({ authorizeUrl: request.url, username: CAROL, password: DEMO_PASSWORD });
    assert.ok(callbackUrl.searchParams.get('code'));
    await assert.rejects(exchangeCode(config, request, callbackUrl), (error: unknown) => {
      assert.ok(error instanceof client.ResponseBodyError);
      assert.equal(error.error, 'invalid_request');
      assert.equal(error.error_description, GROUPS_OVER_LIMIT_DESCRIPTION);
      return true;
    });
  });
});
