import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import { CLI_ACTOR } from '../../src/identity/audit.js';
import type { IdentityStore } from '../../src/store/repositories/identity/identity-store.js';
import { createOrganization } from '../../src/identity/organizations.js';
import { createRoleMapping } from '../../src/identity/role-mappings.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { createIdentityStore, migrateToLatest, openDatabase, type Database } from '../../src/store/index.js';
import { findLiveAccessTokenByHash, insertAccessToken, writeIdentitySettings } from '../../src/store/repositories/identity/index.js';

const ISSUER = 'https://dev-1.okta.com/oauth2/default';

async function tableCounts(db: Kysely<Database>) {
  const result: Record<string, number> = {};
  for (const table of ['organizations', 'users', 'roles', 'user_roles', 'audit_log'] as const) {
    result[table] = Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }
  return result;
}

describe('organizations and the IdentityStore', () => {
  let db: Kysely<Database>;
  let store: IdentityStore;
  const keyRing = KeyRing.fromSecrets(['identity-test-key-0123456789abcdef']);
  let orgId: string;
  let ownerId: string;

  /** Alice as the provisioning test leaves her: signed in by Okta, in `admins`, which gave her Gateway Admin. */
  const provisionAlice = async () => {
    const gateway = (await store.roles(orgId)).find((role) => role.name === 'Gateway Admin')!;
    const profile = { issuer: ISSUER, subject: '00u1', email: 'alice@new.example', name: 'Alice', groups: ['admins'], groups_source: 'id_token' };
    const saved = await store.saveSsoUser(orgId, profile, [{ role_id: gateway.id, granted_by: [{ rule_id: 'r2', group: 'admins' }] }], { create: true, signedIn: true });
    assert.deepEqual(saved?.rolesAdded, ['Gateway Admin']);
  };
  /** Saved settings with an API token, and SSO on. */
  const enableSso = async () => {
    await writeIdentitySettings(
      db,
      keyRing,
      orgId,
      {
        provider: 'okta',
        okta_domain: 'dev-1.okta.com',
        authorization_server_id: 'default',
        issuer: ISSUER,
        client_id: 'c',
        client_secret: 'client-secret-value',
        api_token: 'api-token-value',
        scopes: ['openid'],
        groups_claim: 'groups',
        login_claim: 'login_email',
        single_logout: false,
        sync_interval_seconds: 900,
      },
      { fingerprint: 'f', tested_at: 1 },
    );
    await db.updateTable('organizations').set({ sso_enabled: 1 }).where('id', '=', orgId).execute();
  };

  // Each test starts from a new database holding Acme and its owner, and sets up what else it needs.
  beforeEach(async () => {
    db = await openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    store = createIdentityStore(db, keyRing);
    const created = await createOrganization(db, { name: 'Acme', login_path: 'acme', owner_email: 'owner@acme.example', owner_password: 'owner passphrase 1' }, CLI_ACTOR);
    orgId = created.organization.id;
    ownerId = created.owner.id;
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('creates organization, built-in roles and owner together, or nothing at all', async () => {
    const organization = await store.organization('Acme');
    assert.equal(organization?.owner_user_id, ownerId);
    assert.equal((await store.organizationByLoginPath('/ACME'))?.id, orgId);
    assert.deepEqual((await store.roles(orgId)).map((role) => role.name), ['Gateway Admin', 'Organization Admin', 'Viewer']);
    assert.equal(await verifyPassword('owner passphrase 1', await store.passwordHash(orgId, ownerId)), true);
    assert.deepEqual((await store.organizations()).map((entry) => entry.id), [orgId]);
    assert.deepEqual(await store.ssoOrganizations(), []);

    const before = await tableCounts(db);
    // The owner's email is fine, the login path is taken: the transaction leaves nothing behind.
    await assert.rejects(createOrganization(db, { name: 'Other', login_path: 'ACME', owner_email: 'o@other.example' }, CLI_ACTOR), { code: 'GH-ORG-LOGIN-PATH-TAKEN' });
    await assert.rejects(createOrganization(db, { name: 'Acme', login_path: 'acme-2', owner_email: 'o@other.example' }, CLI_ACTOR), { code: 'GH-ADMIN-UNIQUE' });
    assert.deepEqual(await tableCounts(db), before);
  });

  it('provisions SSO users by issuer and subject, replacing roles and remembering the rules', async () => {
    const viewer = (await store.roles(orgId)).find((role) => role.name === 'Viewer')!;
    const gateway = (await store.roles(orgId)).find((role) => role.name === 'Gateway Admin')!;
    const profile = { issuer: ISSUER, subject: '00u1', email: 'Alice@Example.com', name: 'Alice', groups: ['viewers'], groups_source: 'id_token' };

    assert.equal(await store.saveSsoUser(orgId, profile, [], { create: false, signedIn: false }), undefined, 'the sync never creates');
    const created = await store.saveSsoUser(orgId, profile, [{ role_id: viewer.id, granted_by: [{ rule_id: 'r1', group: 'viewers' }] }], { create: true, signedIn: true });
    assert.equal(created?.created, true);
    assert.deepEqual(created?.rolesAdded, ['Viewer']);
    assert.equal(created?.user.source, 'sso');
    assert.equal(typeof created?.user.last_sign_in_at, 'number');
    assert.deepEqual(created?.user.okta_groups, ['viewers']);
    assert.deepEqual(created?.user.roles[0]?.granted_by, [{ rule_id: 'r1', group: 'viewers' }]);

    const changed = await store.saveSsoUser(
      orgId,
      { ...profile, email: 'alice@new.example', groups: ['admins'] },
      [{ role_id: gateway.id, granted_by: [{ rule_id: 'r2', group: 'admins' }] }],
      { create: true, signedIn: false },
    );
    assert.equal(changed?.created, false);
    assert.deepEqual(changed?.rolesAdded, ['Gateway Admin']);
    assert.deepEqual(changed?.rolesRemoved, ['Viewer']);
    assert.equal(changed?.user.email, 'alice@new.example');
    assert.equal(changed?.user.id, created?.user.id);
    assert.equal((await store.userBySubject(orgId, ISSUER, '00u1'))?.id, created?.user.id);
    assert.equal((await store.userByEmail(orgId, 'ALICE@new.example'))?.id, created?.user.id);
    assert.equal((await store.user(orgId, created!.user.id))?.email, 'alice@new.example');
    assert.equal(await store.user(orgId, 'alice@new.example'), undefined, 'user() looks up ids only');
    assert.equal(await store.passwordHash(orgId, created!.user.id), undefined, 'SSO users have no password');

    // Email is not identity: another subject with the owner's email is refused, not merged.
    await assert.rejects(store.saveSsoUser(orgId, { ...profile, subject: '00u2', email: 'owner@acme.example' }, [], { create: true, signedIn: true }), {
      code: 'GH-IDENTITY-EMAIL-TAKEN',
    });
  });

  it('lists the sync\'s work only for SSO organizations with an API token', async () => {
    await provisionAlice();
    const alice = (await store.userBySubject(orgId, ISSUER, '00u1'))!;
    assert.deepEqual(await store.activeSsoUsers(orgId), [], 'SSO not enabled');
    await enableSso();
    assert.deepEqual((await store.activeSsoUsers(orgId)).map((user) => user.id), [alice.id]);
    assert.deepEqual((await store.ssoOrganizations()).map((organization) => organization.id), [orgId]);
    const settings = await store.identitySettings(orgId);
    assert.equal(settings?.api_token, 'api-token-value');
    assert.equal(settings?.single_logout, false);
  });

  it('recomputes SSO roles when a mapping is added', async () => {
    await enableSso();
    await provisionAlice();
    const organization = (await store.organization(orgId))!;
    const change = await createRoleMapping(db, organization, { group: 'admins', role: 'Viewer' }, CLI_ACTOR);
    assert.deepEqual(change.users_changed.map((user) => [user.added, user.removed]), [[['Viewer'], ['Gateway Admin']]]);
    const mappings = await store.roleMappings(orgId);
    assert.deepEqual(mappings.map((mapping) => [mapping.group, mapping.role_name]), [['admins', 'Viewer']]);
    await assert.rejects(createRoleMapping(db, organization, { group: 'admins', role: 'Viewer' }, CLI_ACTOR), { code: 'GH-ADMIN-UNIQUE' });
    await assert.rejects(createRoleMapping(db, organization, { group: 'admins', role: 'Nope' }, CLI_ACTOR), { code: 'GH-ADMIN-SCHEMA' });
  });

  it('deactivates with its tokens and audit entry at once, keeps the roles as they were, and reactivation revives nothing', async () => {
    await enableSso();
    await provisionAlice();
    const organization = (await store.organization(orgId))!;
    // Her group now maps to Viewer instead.
    await createRoleMapping(db, organization, { group: 'admins', role: 'Viewer' }, CLI_ACTOR);
    const alice = (await store.userBySubject(orgId, ISSUER, '00u1'))!;
    assert.deepEqual(alice.roles.map((role) => role.role_name), ['Viewer']);
    assert.equal(alice.roles_as_of, null, 'an active user\'s roles are current');
    const token = await insertAccessToken(db, { user_id: alice.id, name: 'ci', token_hash: 'a'.repeat(64), token_hint: 'aaaa', expires_at: null });

    const cause = { actor: CLI_ACTOR, reason: 'no mapped group', details: { groups: ['nobody'] } };
    const deactivated = await store.commitDeactivation(orgId, alice.id, cause);
    assert.equal(deactivated?.changed, true);
    assert.equal(deactivated?.user.status, 'deactivated');
    assert.equal(typeof deactivated?.user.deactivated_at, 'number');
    assert.equal(deactivated?.user.roles_as_of, deactivated?.user.deactivated_at, 'the roles are marked as of the deactivation');
    assert.deepEqual(deactivated?.tokens_revoked, [token.id]);
    assert.equal(await findLiveAccessTokenByHash(db, 'a'.repeat(64)), undefined, 'the token is revoked in the same step');
    const entry = await db.selectFrom('audit_log').selectAll().where('action', '=', 'user.deactivate').where('target_id', '=', alice.id).executeTakeFirstOrThrow();
    assert.equal(entry.reason, 'no mapped group');
    assert.deepEqual(JSON.parse(entry.details!), { email: 'alice@new.example', roles: ['Viewer'], tokens_revoked: [token.id], groups: ['nobody'] });
    assert.deepEqual(await store.activeSsoUsers(orgId), []);
    assert.equal((await store.commitDeactivation(orgId, alice.id, cause))?.changed, false, 'a second deactivation changes nothing');
    assert.equal(await store.commitDeactivation(orgId, '00000000-0000-4000-8000-000000000000', cause), undefined);

    // Frozen: neither a mapping change nor a (refused) sign-in touches a deactivated user's roles or groups.
    const mapping = await createRoleMapping(db, organization, { group: 'admins', role: 'Gateway Admin' }, CLI_ACTOR);
    assert.deepEqual(mapping.users_changed, []);
    const gateway = (await store.roles(orgId)).find((role) => role.name === 'Gateway Admin')!;
    const signIn = await store.saveSsoUser(
      orgId,
      { issuer: ISSUER, subject: '00u1', email: 'alice@new.example', name: 'Alice', groups: ['admins', 'more'], groups_source: 'id_token' },
      [{ role_id: gateway.id, granted_by: [{ rule_id: 'r3', group: 'admins' }] }],
      { create: true, signedIn: true },
    );
    assert.deepEqual(signIn?.rolesAdded, []);
    const frozen = (await store.user(orgId, alice.id))!;
    assert.deepEqual(frozen.roles.map((role) => role.role_name), ['Viewer']);
    assert.deepEqual(frozen.okta_groups, ['admins']);
    assert.equal(frozen.last_sign_in_at, alice.last_sign_in_at);

    // The owner cannot be deactivated, and the refusal writes nothing.
    const before = await tableCounts(db);
    await assert.rejects(store.commitDeactivation(orgId, ownerId, cause), { code: 'GH-ORG-OWNER' });
    assert.equal((await store.user(orgId, ownerId))?.status, 'active');
    assert.deepEqual(await tableCounts(db), before);

    // An SSO user comes back with no roles: they come fresh from Okta at the next sign-in or sync.
    const reactivated = await store.commitReactivation(orgId, alice.id, { actor: CLI_ACTOR, reason: 'back' });
    assert.equal(reactivated?.user.status, 'active');
    assert.equal(reactivated?.user.deactivated_at, null);
    assert.equal(reactivated?.user.roles_as_of, null);
    assert.deepEqual(reactivated?.user.roles, []);
    assert.equal(reactivated?.user.okta_groups, null);
    assert.equal(await findLiveAccessTokenByHash(db, 'a'.repeat(64)), undefined, 'the token stays revoked');
  });

  it('writes audit entries as given', async () => {
    await store.audit({ organization_id: orgId, actor: { type: 'system', label: 'sign-in' }, action: 'user.sign_in', outcome: 'failure', reason: 'wrong password' });
    const row = await db.selectFrom('audit_log').selectAll().where('action', '=', 'user.sign_in').executeTakeFirstOrThrow();
    assert.equal(row.outcome, 'failure');
    assert.equal(row.actor_label, 'sign-in');
    assert.equal(row.reason, 'wrong password');
  });
});
