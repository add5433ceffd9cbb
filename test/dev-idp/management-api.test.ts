import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { demoSeed, startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import * as client from 'openid-client';
import { authorizeWithSession, signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, exchangeCode, signInAndExchange } from './oidc-client.js';

const TOKEN = 'dev-api-token';
const READ_ONLY_TOKEN = 'dev-readonly-api-token';
const ALICE_ID = '00ualice000000000001';
const BOB_ID = '00ubob00000000000002';
const VIEWERS_ID = '00gviewers0000000003';
const EVERYONE_ID = '00geveryone000000001';
const AD_SALES_ID = '00gdirectory00000006';

interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

interface OktaGroup {
  id: string;
  type: string;
  objectClass: string[];
  profile: { name: string; description: string };
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  _links: Record<string, unknown>;
}

/** Okta sends one Link header per relation; fetch joins them with ", ". */
function links(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (res.headers.get('link') ?? '').split(/,\s*(?=<)/)) {
    const match = /^<([^>]+)>;\s*rel="([^"]+)"$/.exec(part.trim());
    if (match?.[1] && match[2]) out[match[2]] = match[1];
  }
  return out;
}

describe('dev IdP Management API', () => {
  let idp: DevIdp;
  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const { token = TOKEN, ...rest } = init;
    return fetch(`${idp.origin}${path}`, {
      ...rest,
      headers: { Accept: 'application/json', ...(token === null ? {} : { Authorization: `SSWS ${token}` }), ...rest.headers },
    });
  };

  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  it('answers 401 E0000011 in Okta error shape without a valid SSWS token, with rate limit headers', async () => {
    for (const token of [null, 'wrong-token']) {
      const res = await api('/api/v1/groups', { token });
      assert.equal(res.status, 401);
      const body = (await res.json()) as OktaErrorBody;
      assert.equal(body.errorCode, 'E0000011');
      assert.equal(body.errorSummary, 'Invalid token provided');
      assert.equal(body.errorLink, 'E0000011');
      assert.match(body.errorId, /^oae/);
      assert.deepEqual(body.errorCauses, []);
      assert.ok(res.headers.get('x-rate-limit-limit'));
      assert.ok(res.headers.get('x-rate-limit-remaining'));
      assert.ok(res.headers.get('x-rate-limit-reset'));
    }
    const bearer = await api('/api/v1/groups', { token: null, headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 401);
  });

  it('gets a user by id or by login, Okta shaped', async () => {
    for (const key of [ALICE_ID, 'alice@example.com', encodeURIComponent('ALICE@example.com')]) {
      const res = await api(`/api/v1/users/${key}`);
      assert.equal(res.status, 200);
      const user = (await res.json()) as { id: string; status: string; profile: { login: string; email: string; firstName: string } };
      assert.equal(user.id, ALICE_ID);
      assert.equal(user.status, 'ACTIVE');
      assert.equal(user.profile.login, 'alice@example.com');
      assert.equal(user.profile.firstName, 'Alice');
    }
    const dave = (await (await api('/api/v1/users/dave@example.com')).json()) as { status: string };
    assert.equal(dave.status, 'DEPROVISIONED');
    const missing = await api('/api/v1/users/nobody@example.com');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as OktaErrorBody).errorCode, 'E0000007');
  });

  it("lists a user's groups", async () => {
    const res = await api(`/api/v1/users/bob@example.com/groups`);
    assert.equal(res.status, 200);
    const groups = (await res.json()) as OktaGroup[];
    assert.deepEqual(groups.map((group) => group.profile.name), ['Everyone', 'viewers']);
    const everyone = groups[0];
    assert.equal(everyone?.type, 'BUILT_IN');
    assert.deepEqual(everyone?.objectClass, ['okta:user_group']);
    assert.ok(everyone?.lastMembershipUpdated);
    assert.ok(links(res).self);
  });

  it('pages group searches with Link headers and an opaque after cursor, always honouring limit', async () => {
    const seen: string[] = [];
    let next: string | undefined = `/api/v1/groups?q=team&limit=50`;
    let pages = 0;
    while (next) {
      const res = await api(next.startsWith('http') ? new URL(next).pathname + new URL(next).search : next);
      assert.equal(res.status, 200);
      const page = (await res.json()) as OktaGroup[];
      assert.ok(page.length <= 50);
      seen.push(...page.map((group) => group.profile.name));
      const rel = links(res);
      assert.ok(rel.self?.startsWith(idp.origin));
      next = rel.next;
      if (next) assert.ok(new URL(next).searchParams.get('after'));
      pages += 1;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    assert.ok(seen.every((name) => name.startsWith('team-')));

    const small = await api('/api/v1/groups?limit=2');
    assert.equal(((await small.json()) as OktaGroup[]).length, 2);
    assert.ok(links(small).next);

    const prefix = (await (await api('/api/v1/groups?q=VIEW')).json()) as OktaGroup[];
    assert.deepEqual(prefix.map((group) => group.profile.name), ['viewers']);
    const none = await api('/api/v1/groups?q=zzz');
    assert.deepEqual(await none.json(), []);
    assert.equal(links(none).next, undefined);
  });

  it('gets a group by id, with Okta group fields', async () => {
    const res = await api(`/api/v1/groups/${VIEWERS_ID}`);
    assert.equal(res.status, 200);
    const group = (await res.json()) as OktaGroup;
    assert.equal(group.id, VIEWERS_ID);
    assert.equal(group.type, 'OKTA_GROUP');
    assert.deepEqual(group.profile, { name: 'viewers', description: 'Read-only users of the demo service' });
    assert.ok(Date.parse(group.created) > 0);
    assert.ok(Date.parse(group.lastUpdated) > 0);
    assert.ok((group._links as { users: { href: string } }).users.href.endsWith(`/api/v1/groups/${VIEWERS_ID}/users`));
    const missing = await api('/api/v1/groups/00gnope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as OktaErrorBody).errorCode, 'E0000007');
  });

  it('changes memberships with PUT/DELETE, reflected in the next ID token', async () => {
    const before = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid groups' });
    assert.deepEqual(before.claims.groups, ['Everyone', 'service_admin']);

    const put = await api(`/api/v1/groups/${VIEWERS_ID}/users/${ALICE_ID}`, { method: 'PUT' });
    assert.equal(put.status, 204);
    const added = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid groups' });
    assert.deepEqual(added.claims.groups, ['Everyone', 'service_admin', 'viewers']);
    const members = (await (await api(`/api/v1/groups/${VIEWERS_ID}/users`)).json()) as { id: string }[];
    assert.deepEqual(members.map((user) => user.id).sort(), [ALICE_ID, BOB_ID].sort());

    const del = await api(`/api/v1/groups/${VIEWERS_ID}/users/${ALICE_ID}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const removed = await signInAndExchange(idp, { username: 'alice@example.com', scope: 'openid groups' });
    assert.deepEqual(removed.claims.groups, ['Everyone', 'service_admin']);
    // Idempotent, as Okta.
    assert.equal((await api(`/api/v1/groups/${VIEWERS_ID}/users/${ALICE_ID}`, { method: 'DELETE' })).status, 204);
  });

  it('deactivates a user: tokens, refresh and the live sign-in session stop working; activate restores sign-in', async () => {
    const bob = await signInAndExchange(idp, { username: 'bob@example.com', scope: 'openid offline_access' });
    assert.equal((await api(`/api/v1/users/${BOB_ID}/lifecycle/deactivate`, { method: 'POST', token: READ_ONLY_TOKEN })).status, 403);
    const deactivate = await api(`/api/v1/users/${BOB_ID}/lifecycle/deactivate`, { method: 'POST' });
    assert.equal(deactivate.status, 200);
    try {
      const user = (await (await api(`/api/v1/users/${BOB_ID}`)).json()) as { status: string; statusChanged: string | null };
      assert.equal(user.status, 'DEPROVISIONED');
      assert.ok(user.statusChanged);

      await assert.rejects(client.fetchUserInfo(bob.config, bob.tokens.access_token, bob.claims.sub), client.WWWAuthenticateChallengeError);
      await assert.rejects(client.refreshTokenGrant(bob.config, bob.tokens.refresh_token ?? ''), client.ResponseBodyError);
      assert.equal((await client.tokenIntrospection(bob.config, bob.tokens.access_token)).active, false);

      // The old browser session no longer signs bob in silently...
      const request = await buildAuthorization(bob.config);
      await assert.rejects(authorizeWithSession({ authorizeUrl: request.url, jar: bob.jar }), /asks for a sign-in/);
      // ...nor does his password; alice can take over that browser (oidc-provider ends bob's session on the way).
      const aliceRequest = await buildAuthorization(bob.config);
      const alice = await signIn({ authorizeUrl: aliceRequest.url, username: 'alice@example.com', password: DEMO_PASSWORD, jar: bob.jar });
      const aliceTokens = await exchangeCode(bob.config, aliceRequest, alice.callbackUrl);
      assert.equal(aliceTokens.claims()?.sub, ALICE_ID);
    } finally {
      assert.equal((await api(`/api/v1/users/${BOB_ID}/lifecycle/activate`, { method: 'POST' })).status, 200);
    }
    const again = await signInAndExchange(idp, { username: 'bob@example.com' });
    assert.equal(again.claims.sub, BOB_ID);
  });

  it('suspends an active user (SUSPENDED: no sign-in) and unsuspends a suspended one, refusing the other states as Okta does', async () => {
    const status = async () => ((await (await api(`/api/v1/users/${BOB_ID}`)).json()) as { status: string }).status;
    const wrong = await api(`/api/v1/users/${BOB_ID}/lifecycle/unsuspend`, { method: 'POST' });
    assert.equal(wrong.status, 400, 'only a suspended user can be unsuspended');
    assert.equal(((await wrong.json()) as OktaErrorBody).errorCode, 'E0000001');
    assert.equal((await api(`/api/v1/users/${BOB_ID}/lifecycle/suspend`, { method: 'POST' })).status, 200);
    try {
      assert.equal(await status(), 'SUSPENDED');
      assert.equal((await api(`/api/v1/users/${BOB_ID}/lifecycle/suspend`, { method: 'POST' })).status, 400, 'only an active user can be suspended');
      await assert.rejects(signInAndExchange(idp, { username: 'bob@example.com' }));
    } finally {
      assert.equal((await api(`/api/v1/users/${BOB_ID}/lifecycle/unsuspend`, { method: 'POST' })).status, 200);
    }
    assert.equal(await status(), 'ACTIVE');
    assert.equal((await signInAndExchange(idp, { username: 'bob@example.com' })).claims.sub, BOB_ID);
  });

  it('refuses membership changes for read-only tokens (E0000006), unknown ids (E0000007) and non-Okta groups', async () => {
    const readOnly = await api(`/api/v1/groups/${VIEWERS_ID}/users/${ALICE_ID}`, { method: 'PUT', token: READ_ONLY_TOKEN });
    assert.equal(readOnly.status, 403);
    assert.equal(((await readOnly.json()) as OktaErrorBody).errorCode, 'E0000006');
    assert.equal((await api(`/api/v1/groups/${VIEWERS_ID}`, { token: READ_ONLY_TOKEN })).status, 200);

    const noUser = await api(`/api/v1/groups/${VIEWERS_ID}/users/00unobody`, { method: 'PUT' });
    assert.equal(noUser.status, 404);
    assert.match(((await noUser.json()) as OktaErrorBody).errorSummary, /00unobody \(User\)/);

    for (const groupId of [EVERYONE_ID, AD_SALES_ID]) {
      const res = await api(`/api/v1/groups/${groupId}/users/${ALICE_ID}`, { method: 'PUT' });
      assert.equal(res.status, 403);
      const body = (await res.json()) as OktaErrorBody;
      assert.equal(body.errorCode, 'E0000006');
      assert.match(body.errorCauses[0]?.errorSummary ?? '', /OKTA_GROUP/);
    }
  });

  it('answers 429 E0000047 for the next N calls when rateLimitNextManagementCalls is set', async () => {
    idp.switches.rateLimitNextManagementCalls = 2;
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i += 1) {
      const res = await api('/api/v1/groups?limit=1');
      assert.equal(res.status, 429);
      assert.equal(((await res.json()) as OktaErrorBody).errorCode, 'E0000047');
      assert.equal(res.headers.get('x-rate-limit-remaining'), '0');
      const reset = Number(res.headers.get('x-rate-limit-reset'));
      assert.ok(reset >= now + 1 && reset <= now + 4, `reset ${reset} a couple of seconds ahead of ${now}`);
    }
    assert.equal((await api('/api/v1/groups?limit=1')).status, 200);
  });

  it('enforces the per-token limit per minute (seed management_api_rate_limit) with X-Rate-Limit headers', async () => {
    const limited = await startDevIdp({ port: 0, seed: { ...demoSeed, api_tokens: ['token-a', 'token-b'], management_api_rate_limit: 3 } });
    try {
      const call = (token: string) => fetch(`${limited.origin}/api/v1/groups?limit=1`, { headers: { Authorization: `SSWS ${token}` } });
      let results: { status: number; remaining: string; limit: string; reset: number }[] = [];
      // Retry once if a minute boundary splits the burst.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        results = [];
        for (let i = 0; i < 4; i += 1) {
          const res = await call('token-a');
          await res.arrayBuffer();
          results.push({
            status: res.status,
            remaining: res.headers.get('x-rate-limit-remaining') ?? '',
            limit: res.headers.get('x-rate-limit-limit') ?? '',
            reset: Number(res.headers.get('x-rate-limit-reset')),
          });
        }
        if (new Set(results.map((result) => result.reset)).size === 1) break;
      }
      assert.deepEqual(results.map((result) => result.status), [200, 200, 200, 429]);
      assert.deepEqual(results.map((result) => result.remaining), ['2', '1', '0', '0']);
      assert.ok(results.every((result) => result.limit === '3'));
      assert.ok((results[0]?.reset ?? 0) > Date.now() / 1000);
      // Buckets are per token.
      assert.equal((await call('token-b')).status, 200);
    } finally {
      await limited.close();
    }
  });

  it('answers 404 E0000007 for unknown API paths and 405 for unsupported methods', async () => {
    const unknown = await api('/api/v1/apps');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as OktaErrorBody).errorCode, 'E0000007');
    const post = await api('/api/v1/groups', { method: 'POST' });
    assert.equal(post.status, 405);
  });
});
