import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenAttempts } from '../../../src/gateway/plugins/openid-connect/token-attempts.js';
import { TokenRejected } from '../../../src/oidc/token-verification.js';
import { browserFetch } from '../../../testkit/browser-flow.js';
import { signInAndExchange } from '../../dev-idp/oidc-client.js';
import { stopClock } from '../../support/clock.js';
import { CLIENT_ID, CLIENT_SECRET, beginSignIn, protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';
import { freePort } from '../../../testkit/free-ports.js';

/**
 * Regression tests from the security review: what a hostile client, a hostile
 * upstream or a struggling provider must not be able to do.
 */

interface Echo {
  url: string;
  headers: Record<string, string>;
}

const API = { accept: 'application/json' };

describe('openid-connect hardening', () => {
  let stack: Stack;
  let tokens: { access_token: string; id_token?: string; refresh_token?: string };

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, {
      auth_methods: ['authorization_code', 'bearer', 'refresh_token'],
      scopes: ['openid', 'email', 'offline_access'],
      upstream_id_token_header: 'X-Id-Token',
      upstream_user_info_header: 'X-Userinfo',
      upstream_headers_claims: ['email'],
      upstream_headers_names: ['X-User-Email'],
      authenticated_groups_claim: 'groups',
      logout_uri_suffix: '/logout',
    });
    await protectRoute(
      stack,
      { auth_methods: ['bearer'], anonymous: 'guest', upstream_headers_claims: ['email'], upstream_headers_names: ['X-User-Email'] },
      { name: 'anon', paths: ['/anon'] },
    );
    // Another provider (the org server) with the same default cookie name.
    await protectRoute(
      stack,
      { issuer: stack.idp.issuer('org'), auth_methods: ['authorization_code'], logout_uri_suffix: '/logout', logout_revoke: true },
      { name: 'other', paths: ['/other'] },
    );
    await stack.adminCall('POST', '/consumers', { username: 'guest' });
    await stack.adminCall('PUT', '/routes/public', { paths: ['/public'], service: { name: 'echo' } });
    ({ tokens } = await signInAndExchange(stack.idp, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      username: 'alice@example.com',
      scope: 'openid email profile offline_access',
    }));
  });
  after(() => stack.close());

  it('never lets a client supply the identity headers the gateway sets', async () => {
    const forged = {
      'x-userinfo': Buffer.from(JSON.stringify({ sub: 'admin', groups: ['service_admin'] })).toString('base64url'),
      'x-id-token': 'forged',
      'x-authenticated-groups': 'service_admin',
      'x-user-email': 'admin@example.com',
    };
    const bearer = (await (await fetch(`${stack.proxy}/api`, { headers: { ...API, ...forged, authorization: `Bearer ${tokens.access_token}` } })).json()) as Echo;
    assert.equal(bearer.headers['x-userinfo'], undefined);
    assert.equal(bearer.headers['x-id-token'], undefined);
    assert.equal(bearer.headers['x-authenticated-groups'], undefined, 'the access token has no groups claim');
    assert.equal(bearer.headers['x-user-email'], undefined, 'Okta access tokens carry no email claim; the forged one is gone');

    const anonymous = (await (await fetch(`${stack.proxy}/anon`, { headers: { ...API, ...forged } })).json()) as Echo;
    assert.equal(anonymous.headers['x-anonymous-consumer'], 'true');
    assert.equal(anonymous.headers['x-user-email'], undefined);
    assert.equal(anonymous.headers['x-authenticated-groups'], undefined);
  });

  it('refuses ID tokens presented as bearer access tokens, its own client’s and others’', async () => {
    assert.ok(tokens.id_token);
    const own = await fetch(`${stack.proxy}/api`, { headers: { ...API, authorization: `Bearer ${tokens.id_token}` } });
    assert.equal(own.status, 401);
    const demo = await signInAndExchange(stack.idp, { username: 'bob@example.com' }); // the demo client: another app
    const foreign = await fetch(`${stack.proxy}/api`, { headers: { ...API, authorization: `Bearer ${demo.tokens.id_token}` } });
    assert.equal(foreign.status, 401);
    const access = await fetch(`${stack.proxy}/api`, { headers: { ...API, authorization: `Bearer ${demo.tokens.access_token}` } });
    assert.equal(access.status, 200, 'its access token is fine');
  });

  it('keeps consumed credentials away from the upstream', async () => {
    const response = await fetch(`${stack.proxy}/api?keep=a+b&x=%20`, { headers: { ...API, 'refresh-token': tokens.refresh_token! } });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo;
    assert.equal(echo.headers['refresh-token'], undefined);
    assert.match(echo.url, /\?keep=a\+b&x=%20$/, 'other query arguments reach the upstream byte for byte');
  });

  it('keeps the session cookie from every upstream, byte-exact for other cookies, and refuses upstream Set-Cookie for it', async () => {
    const { jar } = await signInThroughGateway(stack, '/api');
    const cookie = `${jar.header(new URL(stack.proxy))}; t=a+b/c==; q="x y"`;
    const publicEcho = (await (await fetch(`${stack.proxy}/public/x`, { headers: { cookie } })).json()) as Echo;
    assert.doesNotMatch(publicEcho.headers.cookie ?? '', /(^|; )session=/, 'an unprotected route never sees the session handle');
    assert.match(publicEcho.headers.cookie ?? '', /t=a\+b\/c==; q="x y"/);

    const planted = await fetch(`${stack.proxy}/public/x?response_header=Set-Cookie:session=planted`, { headers: API });
    assert.deepEqual(planted.headers.getSetCookie(), []);
    const otherCookie = await fetch(`${stack.proxy}/public/x?response_header=Set-Cookie:theirs=1`, { headers: API });
    assert.deepEqual(otherCookie.headers.getSetCookie(), ['theirs=1']);
  });

  it('does not write anything server-side for visitors who never sign in', async () => {
    const count = async () => Number((await stack.gatehouse.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${stack.proxy}/api/page-${i}`, { redirect: 'manual' });
      assert.equal(response.status, 302);
    }
    assert.equal(await count(), before);
  });

  it('does not show a forged provider error: state and iss are checked first', async () => {
    const { jar, callbackUrl } = await beginSignIn(stack, '/api');
    const forged = new URL(callbackUrl);
    forged.search = new URLSearchParams({ state: 'attacker', error: 'access_denied', error_description: 'Call +1-555-SCAM' }).toString();
    const response = await browserFetch(jar, forged);
    assert.equal(response.status, 401);
    assert.doesNotMatch(await response.text(), /SCAM/);
  });

  it('warns about a missing audience_required once per configuration, not at every reload', async () => {
    const warnings = () => stack.logs.join('').split('\n').filter((line) => line.includes('without audience_required')).length;
    const before = warnings();
    assert.ok(before >= 1, 'the /anon route’s bearer configuration has no audience_required');
    for (let i = 0; i < 3; i++) await stack.adminCall('PUT', `/consumers/reload-${i}`, {});
    assert.equal(warnings(), before, 'unchanged configurations stay quiet when the snapshot is rebuilt');
  });

  it('signs out only its own session, and refuses cross-site sign-out', async () => {
    const { jar } = await signInThroughGateway(stack, '/api');
    const cookie = jar.header(new URL(stack.proxy))!;
    const crossSite = await fetch(`${stack.proxy}/api/logout`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'cross-site' }, redirect: 'manual' });
    assert.equal(crossSite.status, 403);
    // The /other route's plugin (another provider) must not end or revoke the /api session.
    const foreign = await fetch(`${stack.proxy}/other/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    assert.notEqual(foreign.headers.get('location')?.includes('id_token_hint'), true);
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'the /api session is intact');
  });

  it('answers API clients each refusal with its error code', async () => {
    const code = async (response: Response) => ((await response.json()) as { error_code?: string }).error_code;
    const invalid = await fetch(`${stack.proxy}/api`, { headers: { ...API, authorization: 'Bearer not-a-token' } });
    assert.equal(invalid.status, 401);
    assert.equal(await code(invalid), 'GH-PLUGIN-UNAUTHORIZED');

    const { jar } = await signInThroughGateway(stack, '/api');
    const cookie = jar.header(new URL(stack.proxy))!;
    const crossSite = await fetch(`${stack.proxy}/api/logout`, { method: 'POST', headers: { ...API, cookie, 'sec-fetch-site': 'cross-site' }, redirect: 'manual' });
    assert.equal(crossSite.status, 403);
    assert.equal(await code(crossSite), 'GH-SIGN-OUT-CROSS-SITE');

    await protectRoute(stack, { auth_methods: ['bearer'], anonymous: 'nobody-of-that-name' }, { name: 'misconfigured', paths: ['/misconfigured'] });
    const misconfigured = await fetch(`${stack.proxy}/misconfigured`, { headers: API });
    assert.equal(misconfigured.status, 500);
    assert.equal(await code(misconfigured), 'GH-PLUGIN-MISCONFIGURED');

    // A provider nobody listens for: discovery fails at once.
    const closed = new URL(stack.idp.issuer('default'));
    closed.port = String(await freePort());
    await protectRoute(stack, { issuer: closed.href, auth_methods: ['bearer'] }, { name: 'unreachable', paths: ['/unreachable'] });
    const unreachable = await fetch(`${stack.proxy}/unreachable`, { headers: API });
    assert.equal(unreachable.status, 502);
    assert.equal(await code(unreachable), 'GH-OIDC-PROVIDER-UNAVAILABLE');
  });
});

describe('openid-connect: provider trouble does not sign people out', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code'], scopes: ['openid', 'email', 'offline_access'] });
  });
  after(() => stack.close());

  it('keeps the session when a refresh cannot reach the provider', async (t) => {
    const clock = stopClock(t);
    stack.idp.switches.accessTokenTtl = 6;
    const { jar } = await signInThroughGateway(stack, '/api');
    await stack.idp.close();
    clock.advance(3500); // within the refresh window, token still valid
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'the still-valid token keeps serving');
    clock.advance(3000); // now spent, provider still down
    const spent = await browserFetch(jar, `${stack.proxy}/api`);
    assert.equal(spent.status, 502);
    const rows = await stack.gatehouse.db.selectFrom('sessions').select('id').execute();
    assert.ok(rows.some((row) => row.id.startsWith('sess:')), 'the session was kept for when the provider is back');
  });
});

describe('TokenAttempts', () => {
  it('asks once for concurrent identical tokens and remembers rejections', async () => {
    const attempts = new TokenAttempts({ rejectedTtlMs: 60_000 });
    let calls = 0;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const reject = async () => {
      calls++;
      await answered;
      throw new TokenRejected('junk');
    };
    // All ten ask while the first verification is still out.
    const pending = Promise.allSettled(Array.from({ length: 10 }, () => attempts.verify('junk-token', reject)));
    answer();
    const results = await pending;
    assert.ok(results.every((result) => result.status === 'rejected'));
    await assert.rejects(attempts.verify('junk-token', reject), TokenRejected);
    assert.equal(calls, 1);

    let accepts = 0;
    const accept = async () => {
      accepts++;
      return { claims: { sub: 'a' }, expiresAt: Date.now() / 1000 + 60 };
    };
    await attempts.verify('good-token', accept);
    await attempts.verify('good-token', accept);
    assert.equal(accepts, 1);
    await attempts.verify('live-token', accept, false);
    await attempts.verify('live-token', accept, false);
    assert.equal(accepts, 3, 'cacheAccepted=false asks every time');
    await attempts.verify('good-token', accept, false);
    assert.equal(accepts, 4, 'and never answers from what a caching call left');
  });

  it('answers accepted, unexpired tokens without waiting, and nothing else', async (t) => {
    const clock = stopClock(t);
    const attempts = new TokenAttempts();
    assert.equal(attempts.accepted('good-token'), undefined, 'not verified yet');
    await attempts.verify('good-token', async () => ({ claims: { sub: 'a' }, expiresAt: Date.now() / 1000 + 60 }));
    assert.deepEqual(attempts.accepted('good-token')?.claims, { sub: 'a' });
    assert.equal(attempts.accepted('good-token-2'), undefined, 'another token');

    await attempts.verify('short-token', async () => ({ claims: { sub: 'b' }, expiresAt: Date.now() / 1000 + 0.05 }));
    assert.ok(attempts.accepted('short-token'));
    clock.advance(51);
    assert.equal(attempts.accepted('short-token'), undefined, 'expired since');

    await assert.rejects(attempts.verify('junk-token', async () => Promise.reject(new TokenRejected('junk'))), TokenRejected);
    assert.equal(attempts.accepted('junk-token'), undefined, 'a rejected token is never an accepted one');
  });
});
