import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimString, claimValues, satisfiesRequirement } from '../../../src/gateway/plugins/openid-connect/claims.js';

describe('openid-connect claims', () => {
  it('reads nested paths, lists and space-separated strings, first source first', () => {
    const access = { scp: ['openid', 'email'], realm_access: { roles: ['admin'] }, sub: 'alice@example.com' };
    const id = { sub: '00u1', groups: ['a', 'b'], scope: 'x y' };
    assert.deepEqual(claimValues([access, id], ['scp']), ['openid', 'email']);
    assert.deepEqual(claimValues([access, id], ['realm_access', 'roles']), ['admin']);
    assert.deepEqual(claimValues([access, id], ['groups']), ['a', 'b']);
    assert.deepEqual(claimValues([access, id], ['scope']), ['x', 'y']);
    assert.equal(claimString([access, id], ['sub']), 'alice@example.com');
    assert.equal(claimValues([access, id], ['missing']), undefined);
  });

  it('treats entries as OR and spaces inside an entry as AND, as Kong does', () => {
    assert.equal(satisfiesRequirement(['read', 'write'], ['read write']), true);
    assert.equal(satisfiesRequirement(['read'], ['read write']), false);
    assert.equal(satisfiesRequirement(['read'], ['read write', 'read']), true);
    assert.equal(satisfiesRequirement(undefined, ['read']), false);
    assert.equal(satisfiesRequirement([], ['read']), false);
  });
});
