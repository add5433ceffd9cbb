import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as client from 'openid-client';
import { demoSeed, GROUPS_OVER_LIMIT_DESCRIPTION, startDevIdp, type DevIdp, type DevIdpSeed } from '../../src/dev-idp/index.js';
import { signIn } from './browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, discover, exchangeCode, signInAndExchange } from './oidc-client.js';

const CAROL = 'carol@example.com'; // in developers, Everyone and 120 team-### groups

describe('dev IdP groups claim', () => {
  let idp: DevIdp;
  before(async () => {
    const seed: DevIdpSeed = {
      ...demoSeed,
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

  it("applies the client's regex filter to the whole group name", async () => {
    const alice = await signInAndExchange(idp, { username: 'alice@example.com', clientId: 'filtered-app', clientSecret: 'filtered-secret' });
    assert.deepEqual(alice.claims.groups, ['service_admin']);
    const bob = await signInAndExchange(idp, { username: 'bob@example.com', clientId: 'filtered-app', clientSecret: 'filtered-secret' });
    assert.deepEqual(bob.claims.groups, ['viewers']);
    // An empty list is not a missing claim.
    const carol = await signInAndExchange(idp, { username: CAROL, clientId: 'filtered-app', clientSecret: 'filtered-secret' });
    assert.deepEqual(carol.claims.groups, []);
  });

  it('omitGroupsClaim leaves groups out of the ID token and userinfo', async () => {
    idp.switches.omitGroupsClaim = true;
    const { claims, tokens, config } = await signInAndExchange(idp, { username: 'alice@example.com' });
    assert.equal('groups' in claims, false);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal('groups' in info, false);
    assert.equal(info.login_email, 'alice@example.com');
  });

  it("groupsOverLimit 'error': /authorize redirects back with invalid_request about the groups claim", async () => {
    const config = await discover(idp);
    const request = await buildAuthorization(config);
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
    const { claims } = await signInAndExchange(idp, { username: CAROL });
    const groups = claims.groups as string[];
    assert.equal(groups.length, 100);
    assert.deepEqual(groups.slice(0, 3), ['Everyone', 'developers', 'team-001']);
    assert.equal(groups[99], 'team-098');
  });

  it("groupsOverLimit 'omit' gives no groups claim", async () => {
    idp.switches.groupsOverLimit = 'omit';
    const { claims } = await signInAndExchange(idp, { username: CAROL });
    assert.equal('groups' in claims, false);
  });

  it("groupsOverLimit 'error-at-token': /authorize succeeds, /token answers invalid_request", async () => {
    idp.switches.groupsOverLimit = 'error-at-token';
    const config = await discover(idp);
    const request = await buildAuthorization(config);
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
