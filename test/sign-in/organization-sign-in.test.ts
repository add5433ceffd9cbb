import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { browserFetch } from '../../testkit/browser-flow.js';
import type { TamperIdToken } from '../../src/dev-idp/index.js';
import { CLIENT_ID, startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD, organizationSignIn, reactivate, setGroupMembership, setUpOrganization } from './support.js';

/**
 * Organizations that sign in with Okta, end to end against the stand-in: just-in-time
 * accounts with roles from groups, roles that follow group changes, deactivation by
 * sign-in and by the background sync, the groups claim missing or over Okta's limit,
 * Okta-initiated sign-in, single logout and password sign-in rules. The `sso` plugin's own
 * tests are in test/gateway/plugins/sso.test.ts; here it is a route to sign in to.
 */

const ALICE = '00ualice000000000001';
const BOB = '00ubob00000000000002';

describe('organization sign-in with Okta', () => {
  let stack: Stack;
  let acme: { id: string; ownerEmail: string };
  const ACME_ID = () => acme.id;

  before(async () => {
    stack = await startStack();
    acme = await setUpOrganization(stack, {
      loginPath: 'acme',
      mappings: [
        ['service_admin', 'Gateway Admin'],
        ['viewers', 'Viewer'],
      ],
      apiToken: true,
      singleLogout: true,
    });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme', roles_required: ['Gateway Admin'] } });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  const users = async () => (await stack.adminCall('GET', `/organizations/${acme.id}/users`)).data as Array<Record<string, any>>;

  it('provisions an account on first sign-in with the roles its groups map to, and remembers the rule', async () => {
    const { callback } = await organizationSignIn(stack, 'acme', 'alice@example.com', '?return_to=/app/home');
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), '/app/home');
    const alice = (await users()).find((user) => user.email === 'alice@example.com');
    assert.ok(alice, 'alice was provisioned');
    assert.equal(alice.source, 'sso');
    assert.equal(alice.status, 'active');
    const role = alice.roles.find((candidate: any) => candidate.role_name === 'Gateway Admin');
    assert.ok(role, 'Gateway Admin granted');
    assert.deepEqual(role.granted_by.map((grant: any) => grant.group), ['service_admin']);
  });

  it('lands in the console when the sign-in was not started by an application', async () => {
    const { jar, callback } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), `${stack.gatehouse.consoleUrl}/home`);
    // The console reads the same cookie: cookies ignore ports.
    const home = await browserFetch(jar, `${stack.gatehouse.consoleUrl}/home`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /alice@example\.com/);

    // Okta-initiated sign-in without a target_link_uri goes to the console as well.
    // The stand-in still has alice's session, so the redirects run through without a form.
    let response = await browserFetch(jar, `${stack.proxy}/login/acme/initiate?iss=${encodeURIComponent(stack.idp.origin)}`);
    const visited: string[] = [];
    while (response.status >= 300 && response.status < 400 && visited.length < 10) {
      const next = new URL(response.headers.get('location')!, visited.at(-1) ?? stack.proxy).href;
      visited.push(next);
      response = await browserFetch(jar, next);
    }
    assert.equal(visited.at(-1), `${stack.gatehouse.consoleUrl}/home`, `went through ${visited.join(' → ')}`);
    assert.equal(response.status, 200);
  });

  it('sends the organization’s sign-in address to the console’s sign-in page when there is nothing to start', async () => {
    await stack.adminCall('POST', '/organizations', { name: 'Initech', login_path: 'initech', owner: { email: 'owner@initech.example', password: OWNER_PASSWORD } });
    const native = await fetch(`${stack.proxy}/login/initech`, { redirect: 'manual' });
    assert.equal(native.status, 303);
    assert.equal(native.headers.get('location'), `${stack.gatehouse.consoleUrl}/?organization=initech`);
    const page = await fetch(native.headers.get('location')!);
    assert.match(await page.text(), /<h1>Sign in to Initech<\/h1>/);
    // An application's sign-in (with return_to) keeps the proxy's own page.
    const app = await fetch(`${stack.proxy}/login/initech?return_to=/app/x`, { redirect: 'manual' });
    assert.equal(app.status, 200);
    assert.match(await app.text(), /Sign in to Initech/);
  });

  it('recomputes roles at every sign-in when Okta groups change', async () => {
    await setGroupMembership(stack, BOB, 'service_admin', true);
    try {
      await organizationSignIn(stack, 'acme', 'bob@example.com');
      const bob = (await users()).find((user) => user.email === 'bob@example.com')!;
      assert.deepEqual(bob.roles.map((role: any) => role.role_name).sort(), ['Gateway Admin', 'Viewer']);
    } finally {
      await setGroupMembership(stack, BOB, 'service_admin', false);
    }
    await organizationSignIn(stack, 'acme', 'bob@example.com');
    const bob = (await users()).find((user) => user.email === 'bob@example.com')!;
    assert.deepEqual(bob.roles.map((role: any) => role.role_name), ['Viewer']);
  });

  it('refuses a user with no mapped group and deactivates the account, ending its live sessions', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal((await browserFetch(jar, `${stack.proxy}/app/x`)).status, 200);
    await setGroupMembership(stack, ALICE, 'service_admin', false);
    try {
      // Started by an application behind the gateway: the proxy's own page says why.
      const refused = await organizationSignIn(stack, 'acme', 'alice@example.com', '?return_to=/app/x');
      assert.equal(refused.callback.status, 403);
      assert.match(await refused.callback.text(), /no role in acme Inc/);
      const alice = (await users()).find((user) => user.email === 'alice@example.com')!;
      assert.equal(alice.status, 'deactivated');
      assert.notEqual((await browserFetch(jar, `${stack.proxy}/app/x`)).status, 200, 'the old session is gone');
      await setGroupMembership(stack, ALICE, 'service_admin', true);
      // Started at the organization's sign-in address: the console's sign-in page says why.
      const stillOff = await organizationSignIn(stack, 'acme', 'alice@example.com');
      assert.equal(stillOff.callback.status, 303, 'back in the group, but deactivated until an admin reactivates');
      assert.equal(stillOff.callback.headers.get('location'), `${stack.gatehouse.consoleUrl}/?organization=acme&error=deactivated`);
    } finally {
      await setGroupMembership(stack, ALICE, 'service_admin', true);
      await reactivate(stack, ACME_ID(), 'alice@example.com');
    }
  });

  // The plugin's ID token rules (test/gateway/plugins/openid-connect-security.test.ts), for the organization sign-in too.
  const now = () => Math.floor(Date.now() / 1000);
  const idTokenCases: Array<[string, () => TamperIdToken, number]> = [
    ['nothing changed (the control case)', () => ({ signWith: 'own-key' }), 302],
    ['an iat within the leeway (5 seconds)', () => ({ signWith: 'own-key', claims: { iat: now() + 3 } }), 302],
    ['several audiences with azp of another party', () => ({ signWith: 'own-key', claims: { aud: [CLIENT_ID, 'other'], azp: 'other' } }), 401],
    ['an azp of another party', () => ({ signWith: 'own-key', claims: { azp: 'other' } }), 401],
    ['iat in the future beyond the leeway', () => ({ signWith: 'own-key', claims: { iat: now() + 600, exp: now() + 1200 } }), 401],
  ];
  for (const [name, tamper, status] of idTokenCases) {
    it(`${status === 302 ? 'accepts' : 'refuses'} an ID token with ${name}`, async () => {
      stack.idp.switches.tamperNextIdToken = tamper();
      const { callback } = await organizationSignIn(stack, 'acme', 'alice@example.com', '?return_to=/app/x');
      assert.equal(stack.idp.switches.tamperNextIdToken, undefined, 'the stand-in used the tampered token');
      assert.equal(callback.status, status);
      const session = callback.headers.getSetCookie().find((value) => /^gatehouse_session=[^;]+/.test(value));
      assert.equal(session !== undefined, status === 302, 'a session only for a valid ID token');
    });
  }

  it('refuses password sign-in for everyone but the owner once SSO is on, and names the login URL', async () => {
    const owner = await fetch(`${stack.proxy}/login/acme/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: acme.ownerEmail, password: OWNER_PASSWORD }),
    });
    assert.equal(owner.status, 200);
    const ownerAccount = (await users()).find((user) => user.email === acme.ownerEmail)!;
    assert.ok(Math.abs(ownerAccount.last_sign_in_at - Date.now() / 1000) < 60, 'a password sign-in is recorded as the last sign-in');
    const wrong = await fetch(`${stack.proxy}/login/acme/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'x' }),
    });
    assert.equal(wrong.status, 401);
  });

  it('lets a signed-in session call the Admin API as that user, within their roles', async () => {
    const owner = await fetch(`${stack.proxy}/login/acme/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: acme.ownerEmail, password: OWNER_PASSWORD }),
    });
    const cookie = owner.headers.getSetCookie().find((value) => value.startsWith('gatehouse_session='))!.split(';')[0]!;
    const me = await fetch(`${stack.admin}/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { email?: string; user?: { email: string } }).user?.email ?? '', acme.ownerEmail);

    const { jar } = await organizationSignIn(stack, 'acme', 'bob@example.com');
    const viewer = jar.header(new URL(stack.proxy))!;
    assert.equal((await fetch(`${stack.admin}/organizations/${acme.id}/users`, { headers: { cookie: viewer } })).status, 200, 'a Viewer reads');
    const write = await fetch(`${stack.admin}/organizations/${acme.id}/roles`, {
      method: 'POST',
      headers: { cookie: viewer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Auditor' }),
    });
    assert.equal(write.status, 403, 'a Viewer cannot write');
    assert.equal((await fetch(`${stack.admin}/routes`, { headers: { cookie: 'gatehouse_session=forged' } })).status, 401);
  });

  it('throttles repeated failed password sign-ins', async () => {
    const attempt = () =>
      fetch(`${stack.proxy}/login/acme/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: 'victim@example.com', password: 'guess' }),
      });
    for (let i = 0; i < 5; i++) assert.equal((await attempt()).status, 401);
    const locked = await attempt();
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });

  it('starts Okta-initiated sign-in only for its own issuer and same-origin targets', async () => {
    const orgUrl = stack.idp.origin;
    const ok = await fetch(
      `${stack.proxy}/login/acme/initiate?iss=${encodeURIComponent(orgUrl)}&login_hint=alice%40example.com&target_link_uri=${encodeURIComponent(`${stack.proxy}/app/start`)}`,
      { redirect: 'manual' },
    );
    assert.equal(ok.status, 302);
    const authorize = new URL(ok.headers.get('location')!);
    assert.equal(authorize.searchParams.get('login_hint'), 'alice@example.com');
    const badIss = await fetch(`${stack.proxy}/login/acme/initiate?iss=${encodeURIComponent('https://evil.example')}`, { redirect: 'manual' });
    assert.equal(badIss.status, 400);
    const foreign = await fetch(
      `${stack.proxy}/login/acme/initiate?iss=${encodeURIComponent(orgUrl)}&target_link_uri=${encodeURIComponent('https://evil.example/x')}`,
      { redirect: 'manual' },
    );
    assert.equal(foreign.status, 400);
    const posted = await fetch(`${stack.proxy}/login/acme/initiate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ iss: orgUrl, id_token: 'eyJ.x.y' }),
      redirect: 'manual',
    });
    assert.equal(posted.status, 400, 'an ID token posted straight to the app (implicit flow) is refused');
  });

  it('signs out with single logout at Okta and comes back to the sign-in page', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    const logout = await browserFetch(jar, `${stack.proxy}/logout`, { method: 'POST' });
    assert.equal(logout.status, 303);
    const location = new URL(logout.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${stack.idp.issuer('default')}/v1/logout`);
    assert.ok(location.searchParams.get('id_token_hint'));
    assert.equal(location.searchParams.get('post_logout_redirect_uri'), `${stack.proxy}/login/acme`);
    assert.ok(location.searchParams.get('state'));
    const back = await browserFetch(jar, location);
    assert.equal(back.status, 302);
    const returned = back.headers.get('location') ?? '';
    assert.match(returned, new RegExp(`^${stack.proxy}/login/acme\\?state=`));
    // Back from Okta's sign-out: a "you are signed out" page, not a new sign-in at Okta.
    const landing = await browserFetch(jar, returned);
    assert.equal(landing.status, 303);
    const signedOut = new URL(landing.headers.get('location')!);
    assert.equal(signedOut.origin, new URL(stack.gatehouse.consoleUrl).origin);
    assert.equal(signedOut.searchParams.get('organization'), 'acme');
    assert.equal(signedOut.searchParams.has('signed_out'), true);
    assert.match(await (await browserFetch(jar, signedOut)).text(), /You are signed out/);
    assert.notEqual((await browserFetch(jar, `${stack.proxy}/app/x`)).status, 200);
  });
});
