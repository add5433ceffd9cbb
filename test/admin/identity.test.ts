import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { createIdentityStore } from '../../src/store/index.js';
import { call, rawDatabaseBytes, type TestAdmin } from './helpers.js';
import { addUser, bearer, createOrg, sessionHeaders, startIdentityAdmin, tokenFor, type TestOrganization } from './identity-helpers.js';

const SECRET = 'gatehouse-demo-secret';
const API_TOKEN = 'dev-api-token';

describe('Admin API: identity settings, Test Configuration, enabling SSO', () => {
  let admin: TestAdmin;
  let idp: DevIdp;
  let org: TestOrganization;
  let settings: Record<string, unknown>;

  const path = (suffix = '') => `/organizations/${org.id}/identity${suffix}`;
  const settingsRow = () => admin.db.selectFrom('identity_settings').selectAll().where('organization_id', '=', org.id).executeTakeFirst();

  /** Test Configuration passes for `values`, and they are saved. */
  const configure = async (values: Record<string, unknown>) => {
    const tested = await call(admin, 'POST', path('/test'), values);
    assert.equal(tested.body.passed, true, JSON.stringify(tested.body.checks));
    assert.equal((await call(admin, 'PUT', path(), values)).status, 200);
  };
  const mapGroup = async (group: string, role: string) =>
    assert.equal((await call(admin, 'POST', `/organizations/${org.id}/role-mappings`, { group, role })).status, 201);

  before(async () => {
    idp = await startDevIdp({ port: 0 });
    settings = { provider: 'okta', okta_domain: idp.origin, client_id: 'gatehouse-demo', client_secret: SECRET };
  });
  after(() => idp.close());
  // Each test starts from a new database with Acme unconfigured, and sets up what it needs.
  beforeEach(async () => {
    admin = await startIdentityAdmin();
    org = await createOrg(admin, 'Acme', 'acme');
  });
  afterEach(() => admin.close());

  it('shows the values to copy into Okta before anything is configured', async () => {
    const answer = await call(admin, 'GET', path());
    assert.equal(answer.status, 200);
    assert.equal(answer.body.configured, false);
    assert.equal(answer.body.client_secret, null);
    assert.deepEqual(answer.body.okta_app, {
      sign_in_redirect_uri: 'https://gateway.example.com/login/callback',
      sign_out_redirect_uri: 'https://gateway.example.com/login/acme',
      initiate_login_uri: 'https://gateway.example.com/login/acme/initiate',
      backchannel_logout_uri: 'https://gateway.example.com/login/acme/backchannel-logout',
      login_url: 'https://gateway.example.com/login/acme',
    });
  });

  it('refuses to save settings that were never tested', async () => {
    const answer = await call(admin, 'PUT', path(), settings);
    assert.equal(answer.status, 409);
    assert.equal(answer.body.error_code, 'GH-IDENTITY-UNTESTED');
    assert.match(answer.body.message, /run Test Configuration with these values first/);
    assert.equal(await settingsRow(), undefined);
  });

  it('validates settings and names every wrong field', async () => {
    const answer = await call(admin, 'POST', path('/test'), { provider: 'okta', okta_domain: 'https://dev-1.okta.com/oauth2/default', client_id: '', scopes: 'profile' });
    assert.equal(answer.status, 400);
    assert.deepEqual(Object.keys(answer.body.fields).sort(), ['client_id', 'client_secret', 'okta_domain', 'scopes']);
    assert.match(answer.body.fields.okta_domain, /without a path/);
    const oidc = await call(admin, 'POST', path('/test'), { provider: 'oidc', client_id: 'x', client_secret: 'y', api_token: 'z' });
    assert.equal(oidc.status, 400);
    assert.deepEqual(Object.keys(oidc.body.fields).sort(), ['api_token', 'issuer']);
  });

  it('reports a failing test check by check, and a failing test does not allow saving', async () => {
    const bad = { ...settings, client_secret: 'wrong-secret-0123456789' };
    const answer = await call(admin, 'POST', path('/test'), bad);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.passed, false);
    assert.notEqual(answer.body.message, 'Configuration tested successfully');
    const checks = Object.fromEntries(answer.body.checks.map((check: { name: string; passed: boolean }) => [check.name, check.passed]));
    assert.deepEqual(checks, { discovery: true, jwks: true, client_credentials: false });
    assert.equal(answer.body.issuer, `${idp.origin}/oauth2/default`);

    const save = await call(admin, 'PUT', path(), bad);
    assert.equal(save.status, 409);
    assert.equal(save.body.error_code, 'GH-IDENTITY-UNTESTED');
    assert.equal(await settingsRow(), undefined);
    const log = await call(admin, 'GET', `/organizations/${org.id}/audit-log?action=identity.test&outcome=failure`);
    assert.equal(log.body.data.length, 1);
    assert.match(log.body.data[0].reason, /client_credentials/);
  });

  it('saves exactly the values a passing test covered; any change needs a new test', async () => {
    const tested = await call(admin, 'POST', path('/test'), settings);
    assert.equal(tested.status, 200);
    assert.equal(tested.body.passed, true, JSON.stringify(tested.body.checks));
    assert.equal(tested.body.message, 'Configuration tested successfully');
    assert.deepEqual(tested.body.checks.map((check: { name: string }) => check.name), ['discovery', 'jwks', 'client_credentials']);

    const changed = await call(admin, 'PUT', path(), { ...settings, groups_claim: 'roles' });
    assert.equal(changed.status, 409, 'a value other than the tested ones');
    assert.equal(changed.body.error_code, 'GH-IDENTITY-UNTESTED');
    assert.equal(await settingsRow(), undefined);

    const saved = await call(admin, 'PUT', path(), settings);
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.message, 'Identity settings saved');
    assert.equal(saved.body.issuer, `${idp.origin}/oauth2/default`);
    assert.equal(saved.body.authorization_server_id, 'default');
    assert.deepEqual(saved.body.scopes, ['openid', 'profile', 'email']);
    assert.equal(saved.body.groups_claim, 'groups');
    assert.equal(saved.body.login_claim, 'login_email');
    assert.equal(saved.body.single_logout, false);
    assert.equal(saved.body.sync_interval_seconds, 900);
    assert.deepEqual(saved.body.client_secret, { set: true, ends_in: 'cret' });
    assert.equal(saved.body.api_token, null);
    assert.equal(JSON.stringify(saved.body).includes(SECRET), false);

    // The stored secret is kept when the UI leaves it out; a change of anything else needs a test.
    const { client_secret: _secret, ...withoutSecret } = settings;
    const again = await call(admin, 'PUT', path(), withoutSecret);
    assert.equal(again.status, 200);
    const logout = await call(admin, 'PUT', path(), { ...withoutSecret, single_logout: true });
    assert.equal(logout.status, 409);
    const testedLogout = await call(admin, 'POST', path('/test'), { ...withoutSecret, single_logout: true });
    assert.equal(testedLogout.body.passed, true);
    const savedLogout = await call(admin, 'PUT', path(), { ...withoutSecret, single_logout: true });
    assert.equal(savedLogout.status, 200);
    assert.equal(savedLogout.body.single_logout, true);
    // A different secret than the tested one is a change too.
    const otherSecret = await call(admin, 'PUT', path(), { ...settings, single_logout: true, client_secret: 'another-secret-9876543210' });
    assert.equal(otherSecret.status, 409);

    const internal = await createIdentityStore(admin.db, admin.keyRing).identitySettings(org.id);
    assert.equal(internal?.client_secret, SECRET, 'decrypted for internal use');
  });

  it('keeps secrets write-only and encrypted: never in answers, the database file or the audit log', async () => {
    await configure(settings);
    await mapGroup('service_admin', 'Organization Admin');
    const withToken = { ...settings, single_logout: true, api_token: API_TOKEN };
    const tested = await call(admin, 'POST', path('/test'), withToken);
    assert.equal(tested.body.passed, true, JSON.stringify(tested.body.checks));
    assert.deepEqual(tested.body.checks.map((check: { name: string }) => check.name), ['discovery', 'jwks', 'client_credentials', 'api_token', 'mapped_groups', 'groups_claim']);
    const saved = await call(admin, 'PUT', path(), withToken);
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body.api_token, { set: true, ends_in: 'oken' });

    const row = (await settingsRow())!;
    assert.notEqual(row.client_secret, SECRET);
    assert.notEqual(row.api_token, API_TOKEN);
    const view = await call(admin, 'GET', path());
    const audit = await call(admin, 'GET', `/organizations/${org.id}/audit-log?size=1000`);
    for (const text of [JSON.stringify(view.body), JSON.stringify(audit.body)]) {
      assert.equal(text.includes(SECRET), false);
      assert.equal(text.includes(API_TOKEN), false);
    }
    const update = audit.body.data.find((entry: { action: string }) => entry.action === 'identity.settings.update');
    assert.deepEqual(update.details.secrets, { api_token: 'set' });
    await admin.stop();
    const bytes = rawDatabaseBytes(admin.dir);
    assert.equal(bytes.includes(Buffer.from(SECRET)), false, 'client secret in the database file');
    assert.equal(bytes.includes(Buffer.from(API_TOKEN)), false, 'API token in the database file');
    admin = await startIdentityAdmin({ dir: admin.dir });
  });

  it('clears the API token with null (after testing without it)', async () => {
    await configure({ ...settings, single_logout: true, api_token: API_TOKEN });
    const withoutToken = { ...settings, single_logout: true, api_token: null, login_claim: 'email' };
    assert.equal((await call(admin, 'PUT', path(), withoutToken)).status, 409);
    assert.equal((await call(admin, 'POST', path('/test'), withoutToken)).body.passed, true);
    const saved = await call(admin, 'PUT', path(), withoutToken);
    assert.equal(saved.status, 200);
    assert.equal(saved.body.api_token, null);
    const suggestions = await call(admin, 'GET', path('/groups?q=serv'));
    assert.equal(suggestions.status, 409);
    assert.equal(suggestions.body.error_code, 'GH-IDENTITY-NO-API-TOKEN');
  });

  it('suggests Okta groups with the API token, showing the roles each is mapped to', async () => {
    await mapGroup('service_admin', 'Organization Admin');
    const withToken = { ...settings, single_logout: true, api_token: API_TOKEN };
    assert.equal((await call(admin, 'POST', path('/test'), withToken)).body.passed, true);
    // Other values saved since do not void that test.
    await configure({ ...withToken, api_token: null, login_claim: 'email' });
    assert.equal((await call(admin, 'PUT', path(), withToken)).status, 200, 'tested before: these exact values passed');
    const answer = await call(admin, 'GET', path('/groups?q=serv'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(
      answer.body.data.map((group: { name: string; mapped_roles: string[] }) => [group.name, group.mapped_roles]),
      [['service_admin', ['Organization Admin']]],
    );
  });

  it('enables SSO only with confirm, saved settings and a mapping; it cannot be undone', async () => {
    await configure({ ...settings, single_logout: true });
    await mapGroup('service_admin', 'Organization Admin');
    const other = await createOrg(admin, 'Bare', 'bare');
    const noSettings = await call(admin, 'POST', `/organizations/${other.id}/identity/enable`, { confirm: true });
    assert.equal(noSettings.status, 409);
    assert.equal(noSettings.body.error_code, 'GH-IDENTITY-NOT-CONFIGURED');

    const noConfirm = await call(admin, 'POST', path('/enable'), {});
    assert.equal(noConfirm.status, 400);
    assert.ok(noConfirm.body.fields.confirm);
    const falseConfirm = await call(admin, 'POST', path('/enable'), { confirm: false });
    assert.equal(falseConfirm.status, 400);
    assert.match(falseConfirm.body.fields.confirm, /cannot be undone/);

    // Without any mapping: remove the one made above.
    const mappings = await call(admin, 'GET', `/organizations/${org.id}/role-mappings`);
    for (const mapping of mappings.body.data) await call(admin, 'DELETE', `/organizations/${org.id}/role-mappings/${mapping.id}`);
    const noMapping = await call(admin, 'POST', path('/enable'), { confirm: true });
    assert.equal(noMapping.status, 409);
    assert.equal(noMapping.body.error_code, 'GH-IDENTITY-NO-MAPPING');
    assert.equal((await call(admin, 'GET', `/organizations/${org.id}`)).body.sso_enabled, false);

    const mapping = await call(admin, 'POST', `/organizations/${org.id}/role-mappings`, { group: 'service_admin', role: 'Gateway Admin' });
    assert.equal(mapping.status, 201);
    const enabled = await call(admin, 'POST', path('/enable'), new URLSearchParams({ confirm: 'true' }));
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    assert.equal(enabled.body.sso_enabled, true);
    assert.equal(typeof enabled.body.sso_enabled_at, 'number');

    for (const [method, target, body] of [
      ['PATCH', `/organizations/${org.id}`, { sso_enabled: false }],
      ['PUT', path(), { ...settings, sso_enabled: false }],
      ['PATCH', path(), { sso_enabled: false }],
    ] as const) {
      const answer = await call(admin, method, target, body);
      assert.equal(answer.status, 409, `${method} ${target}`);
      assert.equal(answer.body.error_code, 'GH-IDENTITY-SSO-IRREVERSIBLE');
      assert.match(answer.body.message, /^SSO cannot be turned off once enabled; /);
    }
    assert.equal((await call(admin, 'GET', `/organizations/${org.id}`)).body.sso_enabled, true);
    assert.equal((await call(admin, 'POST', path('/enable'), { confirm: true })).status, 200, 'enabling again is harmless');

    const lastMapping = await call(admin, 'DELETE', `/organizations/${org.id}/role-mappings/${mapping.body.id}`);
    assert.equal(lastMapping.status, 409);
    assert.equal(lastMapping.body.error_code, 'GH-IDENTITY-LAST-MAPPING');

    const nativeUser = await call(admin, 'POST', `/organizations/${org.id}/users`, { email: 'late@acme.example' });
    assert.equal(nativeUser.status, 409);
    assert.equal(nativeUser.body.error_code, 'GH-IDENTITY-SSO-USERS');

    const log = await call(admin, 'GET', `/organizations/${org.id}/audit-log?action=identity.sso.enable`);
    assert.equal(log.body.data.length, 1);
  });

  it('keeps SSO users\' roles from Okta groups: not editable by hand, recomputed when mappings change', async () => {
    await configure({ ...settings, single_logout: true });
    await mapGroup('service_admin', 'Gateway Admin');
    assert.equal((await call(admin, 'POST', path('/enable'), { confirm: true })).status, 200);
    const store = createIdentityStore(admin.db, admin.keyRing);
    const mappings = await store.roleMappings(org.id);
    const saved = await store.saveSsoUser(
      org.id,
      { issuer: `${idp.origin}/oauth2/default`, subject: '00ualice', email: 'alice@example.com', name: 'Alice', groups: ['service_admin', 'viewers'], groups_source: 'id_token' },
      [{ role_id: mappings[0]!.role_id, granted_by: [{ rule_id: mappings[0]!.id, group: 'service_admin' }] }],
      { create: true, signedIn: true },
    );
    assert.ok(saved?.created);
    assert.deepEqual(saved.rolesAdded, ['Gateway Admin']);
    const alice = saved.user;

    const edit = await call(admin, 'PATCH', `/organizations/${org.id}/users/${alice.id}`, { roles: ['Organization Admin'] });
    assert.equal(edit.status, 409);
    assert.equal(edit.body.error_code, 'GH-IDENTITY-SSO-ROLES');
    assert.match(edit.body.message, /come from their Okta groups/);
    assert.match(edit.body.message, /change the group mappings/);

    const mapped = await call(admin, 'POST', `/organizations/${org.id}/role-mappings`, { group: 'viewers', role: 'Viewer' });
    assert.equal(mapped.status, 201);
    assert.deepEqual(mapped.body.users_changed, [{ user_id: alice.id, email: 'alice@example.com', added: ['Viewer'], removed: [] }]);
    const user = await call(admin, 'GET', `/organizations/${org.id}/users/${alice.id}`);
    const viewer = user.body.roles.find((role: { role_name: string }) => role.role_name === 'Viewer');
    assert.deepEqual(viewer.granted_by, [{ rule_id: mapped.body.id, group: 'viewers' }]);

    // Users are deactivated, never deleted.
    assert.equal((await call(admin, 'DELETE', `/organizations/${org.id}/users/${alice.id}`)).status, 405);
    const deactivated = await call(admin, 'PATCH', `/organizations/${org.id}/users/${alice.id}`, { status: 'deactivated' });
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body.status, 'deactivated');
    const sso = await call(admin, 'GET', `/organizations/${org.id}/users?source=sso&status=deactivated`);
    assert.deepEqual(sso.body.data.map((entry: { email: string }) => entry.email), ['alice@example.com']);
  });

  it('lets an Organization Admin edit native users\' roles, but the owner keeps Organization Admin', async () => {
    const other = await createOrg(admin, 'Natives', 'natives');
    const bob = await addUser(admin, other.id, 'bob@natives.example', ['Viewer']);
    const answer = await call(admin, 'PATCH', `/organizations/${other.id}/users/bob@natives.example`, { roles: ['Gateway Admin', 'Viewer'] });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.roles.map((role: { role_name: string }) => role.role_name), ['Gateway Admin', 'Viewer']);
    const unknown = await call(admin, 'PATCH', `/organizations/${other.id}/users/${bob.id}`, { roles: ['Astronaut'] });
    assert.equal(unknown.status, 400);
    assert.ok(unknown.body.fields.roles);
    const owner = await call(admin, 'PATCH', `/organizations/${other.id}/users/${other.owner.id}`, { roles: ['Viewer'] });
    assert.equal(owner.status, 409);
    assert.equal(owner.body.error_code, 'GH-ORG-OWNER');
    const ownerOff = await call(admin, 'PATCH', `/organizations/${other.id}/users/${other.owner.id}`, { status: 'deactivated' });
    assert.equal(ownerOff.status, 409);
    const log = await call(admin, 'GET', `/organizations/${other.id}/audit-log?action=user.roles.change`);
    assert.deepEqual(log.body.data[0].details.added, ['Gateway Admin']);
  });

  it('deactivates a native user with their tokens; keeps and marks their roles; a reactivation restores the roles and no token', async () => {
    const team = await createOrg(admin, 'Leavers', 'leavers');
    const lee = await addUser(admin, team.id, 'lee@leavers.example', ['Gateway Admin']);
    const token = await tokenFor(admin, lee, team.id);
    assert.equal((await call(admin, 'PUT', '/services/by-lee', { host: 'lee.internal' }, bearer(token.token))).status, 200);
    const userPath = `/organizations/${team.id}/users/${lee.id}`;
    assert.equal((await call(admin, 'GET', userPath)).body.roles_as_of, null, 'an active user\'s roles are current');

    const off = await call(admin, 'PATCH', userPath, { status: 'deactivated' });
    assert.equal(off.status, 200);
    assert.equal(off.body.roles_as_of, off.body.deactivated_at, 'the roles are marked as of the deactivation');
    assert.deepEqual(off.body.roles.map((role: { role_name: string }) => role.role_name), ['Gateway Admin'], 'as they were');
    const listed = (await call(admin, 'GET', `/organizations/${team.id}/users?status=deactivated`)).body.data;
    assert.deepEqual(listed, [(await call(admin, 'GET', userPath)).body], 'the list says the same');
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(token.token))).status, 401);
    assert.equal((await call(admin, 'GET', '/me', undefined, sessionHeaders(lee, team.id))).status, 401, 'roles kept for the record give no permission');
    assert.equal((await call(admin, 'GET', `/me/tokens/${token.id}`, undefined, sessionHeaders(team.owner, team.id))).status, 404);
    const revoked = await admin.db.selectFrom('access_tokens').select('revoked_at').where('id', '=', token.id).executeTakeFirstOrThrow();
    assert.equal(typeof revoked.revoked_at, 'number', 'the deactivation revoked the token');
    const entry = (await call(admin, 'GET', `/organizations/${team.id}/audit-log?action=user.deactivate`)).body.data[0];
    assert.deepEqual(entry.details, { email: 'lee@leavers.example', roles: ['Gateway Admin'], tokens_revoked: [token.id] });

    // The roles of a deactivated user are a record: editing them needs a reactivation first, and a refusal writes nothing.
    const edit = await call(admin, 'PATCH', userPath, { roles: ['Viewer'] });
    assert.equal(edit.status, 409);
    assert.equal(edit.body.error_code, 'GH-IDENTITY-USER-DEACTIVATED');
    assert.equal(edit.body.field, 'roles');
    assert.match(edit.body.message, /reactivate them first/);
    const unknownRole = await call(admin, 'PATCH', userPath, { status: 'active', roles: ['Astronaut'] });
    assert.equal(unknownRole.status, 400);
    assert.equal((await call(admin, 'GET', userPath)).body.status, 'deactivated', 'the refused request reactivated nobody');

    const back = await call(admin, 'PATCH', userPath, { status: 'active' });
    assert.equal(back.status, 200);
    assert.equal(back.body.roles_as_of, null);
    assert.deepEqual(back.body.roles.map((role: { role_name: string }) => role.role_name), ['Gateway Admin'], 'a native user has their roles again');
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(token.token))).status, 401, 'the old token stays revoked');
    const fresh = await tokenFor(admin, lee, team.id);
    assert.equal((await call(admin, 'PUT', '/services/by-lee', { host: 'lee2.internal' }, bearer(fresh.token))).status, 200, 'a new token works');

    const both = await call(admin, 'PATCH', userPath, { status: 'deactivated', name: 'Lee' });
    assert.equal(both.body.status, 'deactivated');
    assert.equal(both.body.name, 'Lee');
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(fresh.token))).status, 401);
    const again = await call(admin, 'PATCH', userPath, { status: 'active', roles: ['Viewer'] });
    assert.equal(again.status, 200, 'reactivated and given roles in one request');
    assert.deepEqual(again.body.roles.map((role: { role_name: string }) => role.role_name), ['Viewer']);
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(fresh.token))).status, 401);
  });
});
