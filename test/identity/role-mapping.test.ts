import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupsUnavailableError, resolveGroups } from '../../src/identity/group-resolution.js';
import { diffRoles, rolesFromGroups } from '../../src/identity/role-mapping.js';

describe('group → role rules', () => {
  const rules = [
    { id: 'r1', group: 'service_admin', role_id: 'gateway-admin' },
    { id: 'r2', group: 'platform', role_id: 'gateway-admin' },
    { id: 'r3', group: 'service_admin', role_id: 'viewer' },
    { id: 'r4', group: 'auditors', role_id: 'viewer' },
  ];

  it('grants every role of every matching rule and remembers which rules granted it', () => {
    const grants = rolesFromGroups(['service_admin', 'platform', 'Everyone'], rules);
    assert.deepEqual(grants, [
      { role_id: 'gateway-admin', granted_by: [{ rule_id: 'r1', group: 'service_admin' }, { rule_id: 'r2', group: 'platform' }] },
      { role_id: 'viewer', granted_by: [{ rule_id: 'r3', group: 'service_admin' }] },
    ]);
  });

  it('compares group names exactly', () => {
    assert.deepEqual(rolesFromGroups(['Service_Admin', 'service_admin '], rules), []);
  });

  it('reports added and removed roles', () => {
    assert.deepEqual(diffRoles(['viewer', 'old'], rolesFromGroups(['platform', 'auditors'], rules)), {
      added: ['gateway-admin'],
      removed: ['old'],
    });
  });
});

describe('where groups come from', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => `g${i}`);

  it('uses the ID token claim, then userinfo, then the Okta API', async () => {
    assert.deepEqual(await resolveGroups({ idClaims: { groups: ['a'] }, claim: 'groups' }), { groups: ['a'], source: 'id_token' });
    assert.deepEqual(
      await resolveGroups({ idClaims: {}, claim: 'groups', userinfo: async () => ({ groups: ['b'] }) }),
      { groups: ['b'], source: 'userinfo' },
    );
    assert.deepEqual(
      await resolveGroups({ idClaims: {}, claim: 'groups', userinfo: async () => ({}), oktaApi: async () => ['c'] }),
      { groups: ['c'], source: 'okta_api' },
    );
  });

  it('an empty claim is an answer: no groups', async () => {
    assert.deepEqual(await resolveGroups({ idClaims: { groups: [] }, claim: 'groups', oktaApi: async () => ['x'] }), {
      groups: [],
      source: 'id_token',
    });
  });

  it('treats exactly 100 groups as possibly truncated and asks the API when it can', async () => {
    const api = await resolveGroups({ idClaims: { groups: hundred }, claim: 'groups', oktaApi: async () => [...hundred, 'g100'] });
    assert.equal(api.source, 'okta_api');
    assert.equal(api.groups.length, 101);
    const noApi = await resolveGroups({ idClaims: { groups: hundred }, claim: 'groups' });
    assert.equal(noApi.source, 'id_token');
  });

  it('says how to fix a missing claim without an API token', async () => {
    await assert.rejects(resolveGroups({ idClaims: {}, claim: 'groups' }), GroupsUnavailableError);
  });
});

describe('Okta’s groups claim limit errors', () => {
  it('recognises the wordings Okta and the stand-in use, and nothing else', async () => {
    const { isGroupsLimitError } = await import('../../src/identity/group-resolution.js');
    assert.equal(isGroupsLimitError('invalid_request', "The 'groups' claim cannot exceed 100 groups"), true);
    assert.equal(isGroupsLimitError('invalid_request', 'The groups claim matched too many groups and must be configured to match fewer groups'), true);
    assert.equal(isGroupsLimitError('invalid_request', 'The authentication request has an invalid state parameter.'), false);
    assert.equal(isGroupsLimitError('access_denied', 'too many groups'), false);
  });
});
