import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../src/identity/passwords.js';
import { call, type TestAdmin } from './helpers.js';
import { createOrg, startIdentityAdmin } from './identity-helpers.js';

async function counts(admin: TestAdmin) {
  const count = async (table: 'organizations' | 'users' | 'roles' | 'user_roles' | 'audit_log') =>
    Number((await admin.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { organizations: await count('organizations'), users: await count('users'), roles: await count('roles'), user_roles: await count('user_roles') };
}

describe('Admin API: organizations', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startIdentityAdmin();
  });
  after(async () => {
    await admin.close();
  });

  it('creates an organization with its built-in roles and its owner in one go', async () => {
    const answer = await call(admin, 'POST', '/organizations', { name: 'Acme Corp', login_path: '/Acme-Corp', owner_email: 'Owner@Acme.example', owner_name: 'Olive Owner' });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const organization = answer.body;
    assert.equal(organization.login_path, 'acme-corp', 'stored lower-case, leading / dropped');
    assert.equal(organization.login_url, 'https://gateway.example.com/login/acme-corp');
    assert.equal(organization.sso_enabled, false);
    assert.equal(organization.owner_user_id, organization.owner.id);
    assert.equal(typeof organization.owner_password, 'string');
    assert.ok(organization.owner_password.length >= 20);

    const roles = await call(admin, 'GET', `/organizations/${organization.id}/roles`);
    assert.deepEqual(roles.body.data.map((role: { name: string; builtin: boolean }) => [role.name, role.builtin]).sort(), [
      ['Gateway Admin', true],
      ['Organization Admin', true],
      ['Viewer', true],
    ]);
    const owner = await call(admin, 'GET', `/organizations/${organization.id}/users/${organization.owner.id}`);
    assert.equal(owner.body.email, 'Owner@Acme.example');
    assert.equal(owner.body.source, 'native');
    assert.equal(owner.body.status, 'active');
    assert.deepEqual(owner.body.roles.map((role: { role_name: string; granted_by: unknown }) => [role.role_name, role.granted_by]), [['Organization Admin', null]]);
    assert.equal('password_hash' in owner.body, false);
    // By email too, case-insensitively; and by the organization's name.
    assert.equal((await call(admin, 'GET', `/organizations/Acme%20Corp/users/owner@acme.example`)).body.id, organization.owner.id);

    const row = await admin.db.selectFrom('users').select('password_hash').where('id', '=', organization.owner.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash!, /^scrypt\$/);
    assert.equal(await verifyPassword(organization.owner_password, row.password_hash), true);
    assert.equal(row.password_hash!.includes(organization.owner_password), false);

    const audit = await call(admin, 'GET', `/organizations/${organization.id}/audit-log?action=organization.create`);
    assert.equal(audit.body.data.length, 1);
    assert.equal(audit.body.data[0].actor.type, 'bootstrap');
    assert.equal(JSON.stringify(audit.body).includes(organization.owner_password), false);
  });

  it('finds an organization by its login path too, as the sso plugin and the demo’s links name it', async () => {
    const created = await call(admin, 'POST', '/organizations', { name: 'Initech Ltd', login_path: 'initech', owner_email: 'o@initech.example' });
    assert.equal(created.status, 201);
    for (const reference of ['initech', 'INITECH', 'Initech%20Ltd', created.body.id]) {
      const found = await call(admin, 'GET', `/organizations/${reference}`);
      assert.equal(found.status, 200, reference);
      assert.equal(found.body.id, created.body.id, reference);
    }
    assert.equal((await call(admin, 'GET', '/organizations/initech/roles')).status, 200);
    assert.equal((await call(admin, 'GET', '/organizations/initech-nope')).status, 404);
  });

  it('takes an owner password when given, and refuses a weak one', async () => {
    const weak = await call(admin, 'POST', '/organizations', { name: 'Weak', owner_email: 'o@weak.example', owner_password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.field, 'owner_password');
    const given = await call(admin, 'POST', '/organizations', { name: 'Given', owner_email: 'o@given.example', owner_password: 'a long enough passphrase' });
    assert.equal(given.status, 201);
    assert.equal(given.body.owner_password, undefined, 'a chosen password is never echoed');
    assert.equal(given.body.login_path, 'given', 'login path made from the name');
  });

  it('accepts the owner as a nested object too', async () => {
    const answer = await call(admin, 'POST', '/organizations', { name: 'Nested', owner: { email: 'o@nested.example', password: 'nested passphrase 1' } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.owner.email, 'o@nested.example');
    assert.equal(answer.body.owner_password, undefined);
    const both = await call(admin, 'POST', '/organizations', { name: 'Both', owner_email: 'a@b.example', owner: { email: 'c@d.example', shoe: 1 } });
    assert.equal(both.status, 400);
    assert.deepEqual(both.body.fields, { owner: { email: 'given twice (also as owner_email); send one', shoe: 'unknown field' } });
  });

  it('refuses a taken login path (any case) with 409, writing nothing', async () => {
    await createOrg(admin, 'Taken Inc', 'taken');
    const before = await counts(admin);
    for (const [index, path] of ['taken', 'TAKEN', '/Taken'].entries()) {
      const answer = await call(admin, 'POST', '/organizations', { name: `Other ${index}`, login_path: path, owner_email: 'o@other.example' });
      assert.equal(answer.status, 409, path);
      assert.equal(answer.body.error_code, 'GH-ORG-LOGIN-PATH-TAKEN');
      assert.equal(answer.body.field, 'login_path');
      assert.match(answer.body.message, /login_path 'taken' is already taken by another organization/);
    }
    assert.deepEqual(await counts(admin), before);
  });

  it('refuses malformed and reserved login paths with 400 naming the field and the rule', async () => {
    const before = await counts(admin);
    const cases: Array<[string, string, RegExp]> = [
      ['ab', 'GH-ORG-LOGIN-PATH-INVALID', /3 to 64 characters/],
      ['x'.repeat(65), 'GH-ORG-LOGIN-PATH-INVALID', /3 to 64 characters/],
      ['has space', 'GH-ORG-LOGIN-PATH-INVALID', /only letters, digits, '-' and '_'/],
      ['a/b/c', 'GH-ORG-LOGIN-PATH-INVALID', /only letters, digits/],
      ['ünï', 'GH-ORG-LOGIN-PATH-INVALID', /only letters, digits/],
      ['login', 'GH-ORG-LOGIN-PATH-RESERVED', /reserved/],
      ['/Admin', 'GH-ORG-LOGIN-PATH-RESERVED', /reserved/],
      ['callback', 'GH-ORG-LOGIN-PATH-RESERVED', /reserved/],
      ['.well-known', 'GH-ORG-LOGIN-PATH-INVALID', /only letters, digits/],
      ['well-known', 'GH-ORG-LOGIN-PATH-RESERVED', /reserved/],
      ['backchannel-logout', 'GH-ORG-LOGIN-PATH-RESERVED', /reserved/],
    ];
    for (const [path, code, message] of cases) {
      const answer = await call(admin, 'POST', '/organizations', { name: `Org ${path.length}`, login_path: path, owner_email: 'o@x.example' });
      assert.equal(answer.status, 400, path);
      assert.equal(answer.body.error_code, code, path);
      assert.match(answer.body.message, message, path);
      assert.ok(answer.body.fields.login_path, path);
    }
    assert.deepEqual(await counts(admin), before);
  });

  it('refuses duplicate names, bad emails and unknown fields, writing nothing', async () => {
    await createOrg(admin, 'Unique Name', 'unique-name');
    const before = await counts(admin);
    const duplicate = await call(admin, 'POST', '/organizations', { name: 'Unique Name', login_path: 'another', owner_email: 'o@x.example' });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error_code, 'GH-ADMIN-UNIQUE');
    const bad = await call(admin, 'POST', '/organizations', { name: '', owner_email: 'not-an-email', colour: 'blue' });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.body.fields).sort(), ['colour', 'name', 'owner_email']);
    assert.deepEqual(await counts(admin), before);
  });

  it('accepts form bodies as Kong-style curl calls send them', async () => {
    const answer = await call(admin, 'POST', '/organizations', new URLSearchParams({ name: 'Formed', owner_email: 'o@formed.example', login_path: 'formed' }));
    assert.equal(answer.status, 201);
  });

  it('renames, moves the login path, refuses taken ones, and deletes', async () => {
    const organization = await createOrg(admin, 'Movable', 'movable');
    await createOrg(admin, 'Occupier', 'occupied');
    const moved = await call(admin, 'PATCH', `/organizations/${organization.id}`, { name: 'Moved', login_path: 'Moved-Here' });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.login_path, 'moved-here');
    assert.equal(moved.body.name, 'Moved');
    const taken = await call(admin, 'PATCH', `/organizations/Moved`, { login_path: 'OCCUPIED' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error_code, 'GH-ORG-LOGIN-PATH-TAKEN');
    const turnOn = await call(admin, 'PATCH', `/organizations/Moved`, { sso_enabled: true });
    assert.equal(turnOn.status, 409);
    assert.equal(turnOn.body.error_code, 'GH-IDENTITY-ENABLE-ENDPOINT');

    assert.equal((await call(admin, 'DELETE', `/organizations/${organization.id}`)).status, 204);
    assert.equal((await call(admin, 'GET', `/organizations/${organization.id}`)).status, 404);
    const users = await admin.db.selectFrom('users').select('id').where('organization_id', '=', organization.id).execute();
    assert.equal(users.length, 0, 'its users went with it');
    const log = await admin.db.selectFrom('audit_log').select('action').where('organization_id', '=', organization.id).execute();
    assert.ok(log.some((entry) => entry.action === 'organization.delete'), 'the audit log keeps the record');
  });

  it('lists organizations with paging', async () => {
    // Three at least, so that two make a page and a next one.
    const existing = (await call(admin, 'GET', '/organizations')).body.data.length as number;
    for (let index = existing; index < 3; index++) await createOrg(admin, `Paged ${index}`, `paged-${index}`);
    const first = await call(admin, 'GET', '/organizations?size=2');
    assert.equal(first.body.data.length, 2);
    assert.match(first.body.next, /^\/organizations\?size=2&offset=/);
    const second = await call(admin, 'GET', first.body.next);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.data[0].id, first.body.data[0].id);
  });
});
