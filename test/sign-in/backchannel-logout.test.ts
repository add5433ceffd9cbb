import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { authorizeWithSession, browserFetch, CookieJar, signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_PASSWORD, discover, exchangeCode } from '../dev-idp/oidc-client.js';
import { CLIENT_ID, startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD, organizationSignIn, setUpOrganization } from './support.js';

/**
 * OpenID Connect Back-Channel Logout 1.0 end to end: Gatehouse's receiver at
 * `/login/{login_path}/backchannel-logout`, registered as the `gatehouse-test` client's
 * `backchannel_logout_uri` at the Okta stand-in, which POSTs a logout token when a
 * sign-in session ends there.
 */

const ALICE = '00ualice000000000001';

describe('back-channel logout from Okta', () => {
  let stack: Stack;
  let acme: { id: string; ownerEmail: string };
  let receiver: string;

  before(async () => {
    stack = await startStack({
      seed: (seed, proxy) => ({
        ...seed,
        clients: (seed.clients ?? []).map((client) =>
          client.client_id === CLIENT_ID ? { ...client, backchannel_logout_uri: `${proxy}/login/acme/backchannel-logout` } : client,
        ),
      }),
    });
    receiver = `${stack.proxy}/login/acme/backchannel-logout`;
    acme = await setUpOrganization(stack, { loginPath: 'acme', mappings: [['service_admin', 'Gateway Admin']] });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme' } });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  /** What `GET /app/x` answers in this browser: 200 while the Gatehouse session lives. */
  const appStatus = async (jar: CookieJar) => {
    const response = await browserFetch(jar, `${stack.proxy}/app/x`);
    await response.arrayBuffer();
    return response.status;
  };

  const post = (body: Record<string, string>) =>
    fetch(receiver, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });

  /** The newest audit entries of back-channel logouts at acme. */
  const backchannelAudit = async () =>
    (await stack.adminCall('GET', `/organizations/${acme.id}/audit-log?action=sign_out.backchannel`)).data as Array<{ details: { sessions_ended?: number } | null }>;

  /**
   * Another application of the same Okta org (the demo app) signs in in the same browser:
   * SSO, no password asked. Its ID token is what that app logs out with, and carries the
   * Okta session's `sid`.
   */
  async function otherAppSignIn(jar: CookieJar) {
    const config = await discover(stack.idp);
    const request = await buildAuthorization(config);
    const result = await signIn({ authorizeUrl: request.url, username: 'alice@example.com', password: DEMO_PASSWORD, jar });
    assert.equal(result.signInFormShown, false, 'single sign-on: the Okta session is reused');
    const tokens = await exchangeCode(config, request, result.callbackUrl);
    return tokens.id_token ?? '';
  }

  /** The owner's password session: another user of acme, who no Okta logout may touch. */
  async function ownerSession() {
    const jar = new CookieJar();
    const response = await browserFetch(jar, `${stack.proxy}/login/acme/password`, { form: { email: acme.ownerEmail, password: OWNER_PASSWORD, return_to: '/app/x' } });
    assert.equal(response.status, 303);
    assert.equal(await appStatus(jar), 200);
    return jar;
  }

  it('ends the Gatehouse session of an Okta sign-in session that ended at Okta, and no other', async () => {
    const { jar, callback } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(callback.status, 302);
    assert.equal(await appStatus(jar), 200);
    // Alice in a second browser (another Okta session), and another user: both must survive.
    const elsewhere = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(await appStatus(elsewhere.jar), 200);
    const owner = await ownerSession();

    // Alice signs out of another app of the org, which logs her out at Okta (RP-initiated logout).
    const hint = await otherAppSignIn(jar);
    const logout = new URL(`${stack.idp.issuer('default')}/v1/logout`);
    logout.searchParams.set('id_token_hint', hint);
    const response = await browserFetch(jar, logout);
    assert.equal(response.status, 302);

    // Okta POSTed a logout token to Gatehouse before redirecting: the session is over.
    const status = await appStatus(jar);
    assert.notEqual(status, 200);
    assert.equal(status, 302, 'back to the sign-in page');
    const [entry] = await backchannelAudit();
    assert.equal(entry?.details?.sessions_ended, 1);
    assert.equal(await appStatus(elsewhere.jar), 200, 'her other Okta session, other sid: still signed in');
    assert.equal(await appStatus(owner), 200);
  });

  it('refuses logout tokens with the wrong audience, without events, or that are not tokens (400, nothing ended)', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(await appStatus(jar), 200);
    const idToken = await otherAppSignIn(jar);
    const sid = String(decodeJwt(idToken).sid);
    const before = (await backchannelAudit()).length;

    const wrongAudience = await stack.idp.logoutToken({ clientId: CLIENT_ID, sub: ALICE, sid, audience: 'gatehouse-demo' });
    const noEvents = await stack.idp.logoutToken({ clientId: CLIENT_ID, sub: ALICE, sid, removeClaims: ['events'] });
    const cases: Array<[string, Record<string, string>]> = [
      ['wrong audience', { logout_token: wrongAudience }],
      ['no events', { logout_token: noEvents }],
      ['garbage', { logout_token: 'not.a.token' }],
      ['an ID token', { logout_token: idToken }],
      ['no logout_token', {}],
    ];
    for (const [name, body] of cases) {
      const refused = await post(body);
      assert.equal(refused.status, 400, name);
      assert.equal(((await refused.json()) as { error?: string }).error, 'invalid_request', name);
      assert.equal(await appStatus(jar), 200, `${name}: the session lives on`);
    }
    assert.equal((await backchannelAudit()).length, before, 'no logout was recorded');

    // The same token with the right audience and events does end it.
    const valid = await post({ logout_token: await stack.idp.logoutToken({ clientId: CLIENT_ID, sub: ALICE, sid }) });
    assert.equal(valid.status, 200);
    assert.notEqual(await appStatus(jar), 200);
  });

  it('a logout token with only sub ends every session of that user', async () => {
    const first = await organizationSignIn(stack, 'acme', 'alice@example.com');
    const second = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(await appStatus(first.jar), 200);
    assert.equal(await appStatus(second.jar), 200);
    const owner = await ownerSession();

    const token = await stack.idp.logoutToken({ clientId: CLIENT_ID, sub: ALICE });
    assert.equal('sid' in decodeJwt(token), false);
    const response = await post({ logout_token: token });
    assert.equal(response.status, 200);

    assert.notEqual(await appStatus(first.jar), 200);
    assert.notEqual(await appStatus(second.jar), 200);
    assert.equal(await appStatus(owner), 200, 'other users are not touched');
    // These two, and any of hers earlier tests left alive (sid pointers are not counted).
    const [entry] = await backchannelAudit();
    assert.ok((entry?.details?.sessions_ended ?? 0) >= 2, JSON.stringify(entry?.details));
  });

  it('ends every Gatehouse session of one provider session, refuses replays and malformed sids', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    const firstSession = jar.header(new URL(stack.proxy))!;
    // Signing in again in the same browser: the same Okta session (sid), a second Gatehouse session.
    const again = await browserFetch(jar, `${stack.proxy}/login/acme`);
    const { callbackUrl } = await authorizeWithSession({
      authorizeUrl: again.headers.get('location')!,
      jar,
      isCallback: (url) => url.origin === stack.proxy,
    });
    assert.equal((await browserFetch(jar, callbackUrl)).status, 302);
    const secondSession = jar.header(new URL(stack.proxy))!;
    assert.notEqual(secondSession, firstSession);
    const withCookie = async (cookie: string) => (await fetch(`${stack.proxy}/app/x`, { headers: { cookie }, redirect: 'manual' })).status;
    assert.equal(await withCookie(firstSession), 200);
    assert.equal(await withCookie(secondSession), 200);
    const sid = String(decodeJwt(await otherAppSignIn(jar)).sid);

    const malformed = await post({ logout_token: await stack.idp.logoutToken({ clientId: CLIENT_ID, sub: ALICE, claims: { sid: 12345 } }) });
    assert.equal(malformed.status, 400, 'a non-string sid is refused, not read as "everywhere"');
    assert.equal(await withCookie(secondSession), 200);

    const token = await stack.idp.logoutToken({ clientId: CLIENT_ID, sid });
    assert.equal((await post({ logout_token: token })).status, 200);
    assert.notEqual(await withCookie(firstSession), 200);
    assert.notEqual(await withCookie(secondSession), 200);
    assert.equal((await post({ logout_token: token })).status, 400, 'a logout token works once');
    const [entry] = await backchannelAudit();
    assert.equal(entry?.details?.sessions_ended, 2);
  });
});
