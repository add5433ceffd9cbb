import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { browserFetch } from '../dev-idp/browser-flow.js';
import { startStack, type Stack } from '../support/stack.js';
import { organizationSignIn, reactivate, setGroupMembership, setUpOrganization } from './support.js';

/**
 * Where groups come from when the token does not carry them all, and the background
 * sync that applies group changes without waiting for a sign-in.
 */

const ALICE = '00ualice000000000001';

describe('groups: missing claim, over 100 groups, background sync', () => {
  let stack: Stack;
  let acme: { id: string };
  const ACME_ID = () => acme.id;
  let globex: { id: string };

  before(async () => {
    stack = await startStack();
    acme = await setUpOrganization(stack, {
      loginPath: 'acme',
      mappings: [
        ['service_admin', 'Gateway Admin'],
        ['team-101', 'Viewer'],
      ],
      apiToken: true,
    });
    // The org authorization server: the groups claim needs the `groups` scope there.
    globex = await setUpOrganization(stack, { loginPath: 'globex', mappings: [['team-120', 'Viewer']], apiToken: true, authServer: 'org' });
    await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'acme' } });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  const user = async (organization: { id: string }, email: string) =>
    ((await stack.adminCall('GET', `/organizations/${organization.id}/users`)).data as Array<Record<string, any>>).find(
      (candidate) => candidate.email === email,
    );

  it('reads the groups from the Okta API when the claim is missing', async () => {
    stack.idp.switches.omitGroupsClaim = true;
    const { callback } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(callback.status, 302);
    const alice = await user(acme, 'alice@example.com');
    assert.equal(alice?.groups_source, 'okta_api');
    assert.ok(alice?.roles.some((role: any) => role.role_name === 'Gateway Admin'));
  });

  it('treats exactly 100 groups as truncated and reads the rest from the API', async () => {
    stack.idp.switches.groupsOverLimit = 'truncate';
    // carol is in 120 groups: team-101 is past the first 100 the claim holds.
    const { callback } = await organizationSignIn(stack, 'acme', 'carol@example.com');
    assert.equal(callback.status, 302);
    const carol = await user(acme, 'carol@example.com');
    assert.equal(carol?.groups_source, 'okta_api');
    assert.deepEqual(
      carol?.roles.map((role: any) => role.role_name),
      ['Viewer'],
    );
  });

  it('signs in again without the groups scope when Okta refuses a groups claim over 100', async () => {
    stack.idp.switches.groupsOverLimit = 'error';
    const { callback } = await organizationSignIn(stack, 'globex', 'carol@example.com');
    assert.equal(callback.status, 302, 'the first answer sends the browser back to Okta without the groups scope');
    const retry = new URL(callback.headers.get('location')!);
    assert.equal(retry.searchParams.get('scope')?.split(' ').includes('groups'), false);
  });

  it('waits out Okta’s 429 answers in the background sync instead of giving up or hammering', async () => {
    await organizationSignIn(stack, 'acme', 'bob@example.com').catch(() => undefined);
    stack.idp.switches.rateLimitNextManagementCalls = 1;
    const started = Date.now();
    const report = await stack.gatehouse.groupSync.runDue({ force: true });
    assert.equal(report.errors, 0, JSON.stringify(report));
    assert.ok(report.users >= 1);
    assert.equal(stack.idp.switches.rateLimitNextManagementCalls, 0, 'the 429 was served');
    assert.ok(Date.now() - started >= 1000, 'the sync waited for X-Rate-Limit-Reset');
  });

  it('deactivates a user whom Okta deactivated, though their group memberships remain', async () => {
    await organizationSignIn(stack, 'acme', 'alice@example.com');
    const lifecycle = (action: string) =>
      fetch(`${stack.idp.origin}/api/v1/users/${ALICE}/lifecycle/${action}`, { method: 'POST', headers: { authorization: 'SSWS dev-api-token' } });
    assert.ok((await lifecycle('deactivate')).ok);
    try {
      const report = await stack.gatehouse.groupSync.runDue({ force: true });
      assert.ok(report.deactivated >= 1, JSON.stringify(report));
      assert.equal((await user(acme, 'alice@example.com'))?.status, 'deactivated');
    } finally {
      assert.ok((await lifecycle('activate')).ok);
      await reactivate(stack, ACME_ID(), 'alice@example.com');
    }
  });

  it('deactivates a user removed from every mapped group on the next background run, ending sessions', async () => {
    const { jar } = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal((await browserFetch(jar, `${stack.proxy}/app/x`)).status, 200);
    await setGroupMembership(stack, ALICE, 'service_admin', false);
    try {
      const report = await stack.gatehouse.groupSync.runDue({ force: true });
      assert.ok(report.deactivated >= 1, JSON.stringify(report));
      assert.equal((await user(acme, 'alice@example.com'))?.status, 'deactivated');
      assert.notEqual((await browserFetch(jar, `${stack.proxy}/app/x`)).status, 200, 'the live session ended');
    } finally {
      await setGroupMembership(stack, ALICE, 'service_admin', true);
      await reactivate(stack, ACME_ID(), 'alice@example.com');
    }
  });
});
