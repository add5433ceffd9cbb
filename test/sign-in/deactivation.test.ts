import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { browserFetch, type CookieJar } from '../../testkit/browser-flow.js';
import { startStack, type Stack } from '../support/stack.js';
import { API_TOKEN, organizationSignIn, reactivate, setGroupMembership, setUpOrganization } from './support.js';

/**
 * Deactivation by every path that deactivates an SSO account — the Admin API, a sign-in
 * with no mapped group, the group sync (groups, and Okta's own DEPROVISIONED and
 * SUSPENDED) — against the real stack: a personal access token made before answers 401
 * after it and after the reactivation, the live session ends and stays ended, the roles
 * and groups stay as they were (marked `roles_as_of`), and after the reactivation a new
 * sign-in or sync brings fresh roles and a new token works.
 */

const ALICE = '00ualice000000000001';

interface UserBody {
  id: string;
  email: string;
  status: string;
  deactivated_at: number | null;
  roles_as_of: number | null;
  okta_groups: string[] | null;
  last_sign_in_at: number | null;
  roles: Array<{ role_name: string; granted_by: Array<{ group: string }> | null }>;
}

describe('deactivation, by every path, and reactivation', () => {
  let stack: Stack;
  let acme: { id: string };

  before(async () => {
    stack = await startStack();
    // The tests run the sync themselves: a background run must not deactivate anyone in between.
    stack.gatehouse.groupSync.stop();
    acme = await setUpOrganization(stack, {
      loginPath: 'acme',
      mappings: [
        ['service_admin', 'Gateway Admin'],
        ['viewers', 'Viewer'],
      ],
      apiToken: true,
    });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme' } });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  const alice = async (): Promise<UserBody> => {
    const listed = ((await stack.adminCall('GET', `/organizations/${acme.id}/users?q=alice`)).data as UserBody[])[0]!;
    const one = (await stack.adminCall('GET', `/organizations/${acme.id}/users/${listed.id}`)) as UserBody;
    assert.deepEqual(listed, one, 'the list and the user say the same');
    return one;
  };
  const roleNames = (user: UserBody) => user.roles.map((role) => role.role_name);

  /** The Admin API as the person whose session cookie the jar holds (the console's way). */
  const asSession = (jar: CookieJar, method: string, path: string, body?: unknown) =>
    fetch(`${stack.admin}${path}`, {
      method,
      headers: {
        cookie: jar.header(new URL(`${stack.admin}${path}`)) ?? '',
        'x-gatehouse-csrf': '1',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  async function signInWithToken(): Promise<{ jar: CookieJar; token: string; tokenId: string }> {
    const { jar, callback } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(callback.status, 302, 'alice signs in');
    const created = await asSession(jar, 'POST', '/me/tokens', { name: 'before deactivation' });
    assert.equal(created.status, 201);
    const { token, id } = (await created.json()) as { token: string; id: string };
    assert.equal(await tokenStatus(token), 200, 'the token works');
    assert.equal(await sessionStatus(jar), 200, 'the session works');
    return { jar, token, tokenId: id };
  }

  const tokenStatus = async (token: string) => (await fetch(`${stack.admin}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const sessionStatus = async (jar: CookieJar) => (await asSession(jar, 'GET', '/me')).status;
  const appStatus = async (jar: CookieJar) => {
    const url = new URL(`${stack.proxy}/app/x`);
    return (await fetch(url, { headers: { accept: 'application/json', cookie: jar.header(url) ?? '' } })).status;
  };

  /** What a deactivation by any path must leave behind; returns the deactivated user. */
  async function assertDeactivated(
    before: { token: string; tokenId: string; jar: CookieJar; roles: string[]; groups: string[] | null },
    reason: RegExp,
  ): Promise<UserBody> {
    const user = await alice();
    assert.equal(user.status, 'deactivated');
    assert.equal(typeof user.deactivated_at, 'number');
    assert.equal(user.roles_as_of, user.deactivated_at, 'roles and groups are marked as of the deactivation');
    assert.deepEqual(roleNames(user), before.roles, 'the roles as they were at deactivation');
    assert.deepEqual(user.okta_groups, before.groups, 'the groups as they were at deactivation');
    assert.equal(await tokenStatus(before.token), 401, 'the token made before answers 401');
    assert.equal(await sessionStatus(before.jar), 401, 'the session ended for the Admin API and console');
    assert.equal(await appStatus(before.jar), 401, 'and for the gateway');
    const log = await stack.adminCall('GET', `/organizations/${acme.id}/audit-log?action=user.deactivate`);
    const entry = (log.data as Array<{ target: { id: string }; reason: string; details: { tokens_revoked: string[]; roles: string[] } }>).find(
      (candidate) => candidate.target.id === user.id,
    );
    assert.ok(entry, 'the deactivation is in the audit log');
    assert.match(entry.reason, reason);
    assert.ok(entry.details.tokens_revoked.includes(before.tokenId), 'with the tokens it revoked');
    assert.deepEqual(entry.details.roles, before.roles);
    return user;
  }

  /** After the reactivation: nothing revived, the account without roles until Okta says. */
  async function assertReactivatedRevivesNothing(before: { token: string; jar: CookieJar }): Promise<void> {
    const user = await alice();
    assert.equal(user.status, 'active');
    assert.equal(user.roles_as_of, null);
    assert.deepEqual(user.roles, [], 'an SSO user gets fresh roles at the next sign-in or sync, not the old ones');
    assert.equal(user.okta_groups, null);
    assert.equal(await tokenStatus(before.token), 401, 'the old token stays revoked');
    assert.equal(await sessionStatus(before.jar), 401, 'the old session stays ended');
    assert.equal(await appStatus(before.jar), 401);
  }

  async function assertSignsInAfresh(): Promise<void> {
    const again = await signInWithToken();
    assert.deepEqual(roleNames(await alice()), ['Gateway Admin'], 'fresh roles from the sign-in');
    assert.equal(await tokenStatus(again.token), 200, 'a new token works');
  }

  it('by the Admin API: tokens revoked, sessions ended, roles kept as they were and left alone by mapping changes', async () => {
    const made = await signInWithToken();
    const before = await alice();
    const deactivated = await stack.adminCall('PATCH', `/organizations/${acme.id}/users/${before.id}`, { status: 'deactivated' });
    assert.equal(deactivated.roles_as_of, deactivated.deactivated_at, 'the PATCH answer marks the roles');
    await assertDeactivated({ ...made, roles: roleNames(before), groups: before.okta_groups }, /deactivated by an administrator/);

    // A mapping change recomputes the roles of active SSO users only.
    const mapping = await stack.adminCall('POST', `/organizations/${acme.id}/role-mappings`, { group: 'Everyone', role: 'Viewer' });
    try {
      assert.equal(
        (mapping.users_changed as Array<{ user_id: string }>).some((change) => change.user_id === before.id),
        false,
        'the deactivated user is not recomputed',
      );
      assert.deepEqual(roleNames(await alice()), roleNames(before));
    } finally {
      await stack.adminCall('DELETE', `/organizations/${acme.id}/role-mappings/${mapping.id}`);
    }

    await reactivate(stack, acme.id, 'alice@example.com');
    await assertReactivatedRevivesNothing(made);
    await assertSignsInAfresh();
  });

  it('by a sign-in with no mapped group: a later sign-in while deactivated changes nothing', async () => {
    const made = await signInWithToken();
    const before = await alice();
    await setGroupMembership(stack, ALICE, 'service_admin', false);
    try {
      const refused = await organizationSignIn(stack, 'acme', 'alice@example.com');
      assert.equal(refused.callback.status, 303, 'refused');
      await assertDeactivated({ ...made, roles: roleNames(before), groups: before.okta_groups }, /no Okta group that is mapped/);

      // Back in a group mapped to another role, still deactivated: the sign-in is refused and the record stays.
      await setGroupMembership(stack, ALICE, 'viewers', true);
      const stillOff = await organizationSignIn(stack, 'acme', 'alice@example.com');
      assert.match(stillOff.callback.headers.get('location') ?? '', /error=deactivated/);
      const unchanged = await alice();
      assert.deepEqual(roleNames(unchanged), roleNames(before), 'the refused sign-in did not replace the roles');
      assert.deepEqual(unchanged.okta_groups, before.okta_groups, 'nor the groups');
      assert.equal(unchanged.last_sign_in_at, before.last_sign_in_at);
    } finally {
      await setGroupMembership(stack, ALICE, 'viewers', false);
      await setGroupMembership(stack, ALICE, 'service_admin', true);
    }
    await reactivate(stack, acme.id, 'alice@example.com');
    await assertReactivatedRevivesNothing(made);
    await assertSignsInAfresh();
  });

  it('by the group sync when Okta removes the person from every mapped group; the sync brings fresh roles after the reactivation', async () => {
    const made = await signInWithToken();
    const before = await alice();
    await setGroupMembership(stack, ALICE, 'service_admin', false);
    try {
      const report = await stack.gatehouse.groupSync.runDue({ force: true });
      assert.equal(report.deactivated, 1, JSON.stringify(report));
      await assertDeactivated({ ...made, roles: roleNames(before), groups: before.okta_groups }, /no Okta group that is mapped/);
    } finally {
      await setGroupMembership(stack, ALICE, 'service_admin', true);
    }
    await reactivate(stack, acme.id, 'alice@example.com');
    await assertReactivatedRevivesNothing(made);
    await stack.gatehouse.groupSync.runDue({ force: true });
    const synced = await alice();
    assert.deepEqual(roleNames(synced), ['Gateway Admin'], 'fresh roles from the sync, without a sign-in');
    assert.equal(synced.roles_as_of, null);
    assert.equal(await tokenStatus(made.token), 401, 'the sync revives no token either');
    await assertSignsInAfresh();
  });

  for (const [operation, undo, status] of [
    ['deactivate', 'activate', 'DEPROVISIONED'],
    ['suspend', 'unsuspend', 'SUSPENDED'],
  ] as const) {
    it(`by the group sync when Okta's status is ${status} (the memberships stay in Okta)`, async () => {
      const made = await signInWithToken();
      const before = await alice();
      const lifecycle = (action: string) =>
        fetch(`${stack.idp.origin}/api/v1/users/${ALICE}/lifecycle/${action}`, { method: 'POST', headers: { authorization: `SSWS ${API_TOKEN}` } });
      assert.equal((await lifecycle(operation)).status, 200);
      try {
        const report = await stack.gatehouse.groupSync.runDue({ force: true });
        assert.equal(report.deactivated, 1, JSON.stringify(report));
        await assertDeactivated({ ...made, roles: roleNames(before), groups: before.okta_groups }, /Okta no longer lets the user sign in/);
      } finally {
        assert.equal((await lifecycle(undo)).status, 200);
      }
      await reactivate(stack, acme.id, 'alice@example.com');
      await assertReactivatedRevivesNothing(made);
      await assertSignsInAfresh();
    });
  }
});
