import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, type TestAdmin } from './helpers.js';
import { addUser, bearer, createOrg, sessionHeaders, startIdentityAdmin, tokenFor, type TestOrganization } from './identity-helpers.js';

describe('Admin API: authentication and permissions', () => {
  let admin: TestAdmin;
  let acme: TestOrganization;
  let globex: TestOrganization;
  const tokens: Record<string, string> = {};
  const users: Record<string, { id: string; email: string }> = {};

  before(async () => {
    admin = await startIdentityAdmin();
    acme = await createOrg(admin, 'Acme', 'acme');
    globex = await createOrg(admin, 'Globex', 'globex');
    users.orgAdmin = acme.owner;
    users.gatewayAdmin = await addUser(admin, acme.id, 'gw@acme.example', ['Gateway Admin']);
    users.viewer = await addUser(admin, acme.id, 'viewer@acme.example', ['Viewer']);
    users.custom = await addUser(admin, acme.id, 'custom@acme.example', []);
    for (const [role, user] of Object.entries(users)) tokens[role] = (await tokenFor(admin, user, acme.id)).token;
    users.globexOwner = globex.owner;
    tokens.globexOwner = (await tokenFor(admin, globex.owner, globex.id)).token;
  });
  after(async () => {
    await admin.close();
  });

  it('answers 401 without credentials, with WWW-Authenticate, except GET /status', async () => {
    for (const path of ['/', '/services', '/routes', '/plugins', '/consumers', '/organizations', `/organizations/${acme.id}`, '/me', '/no-such-path']) {
      const answer = await call(admin, 'GET', path, undefined, { authorization: '' });
      assert.equal(answer.status, 401, path);
      assert.deepEqual(answer.body, { message: 'Unauthorized', error_code: 'GH-ADMIN-UNAUTHENTICATED' }, path);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="gatehouse-admin"');
    }
    const created = await call(admin, 'POST', '/services', { name: 'anonymous', host: 'a.internal' }, { authorization: '' });
    assert.equal(created.status, 401);
    assert.equal((await call(admin, 'GET', '/services/anonymous')).status, 404, 'nothing was written');
    assert.equal((await call(admin, 'GET', '/status', undefined, { authorization: '' })).status, 200);
  });

  it('tells an anonymous GET /status, and organizations’ users, only that the node is reachable and ready; details are the operator’s', async () => {
    const anonymous = await call(admin, 'GET', '/status', undefined, { authorization: '' });
    assert.equal(anonymous.status, 200);
    assert.deepEqual(anonymous.body, { reachable: true, ready: true });
    const detailed = await call(admin, 'GET', '/status');
    assert.equal(detailed.body.ready, true);
    assert.equal(detailed.body.database.reachable, true);
    assert.equal(typeof detailed.body.memory.rss_bytes, 'number');
    assert.equal((await call(admin, 'GET', '/status', undefined, { authorization: 'Bearer wrong-token' })).status, 401, 'bad credentials are still refused');
    const orgAdmin = await call(admin, 'GET', '/status', undefined, bearer(tokens.globexOwner!));
    assert.deepEqual(orgAdmin.body, { reachable: true, ready: true }, 'an Organization Admin is not the operator');
  });

  it('refuses wrong tokens and other schemes as invalid tokens', async () => {
    for (const authorization of ['Bearer wrong-token', `Bearer ${'ghp_'}${'A'.repeat(43)}`, 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const answer = await call(admin, 'GET', '/services', undefined, { authorization });
      assert.equal(answer.status, 401, authorization);
      assert.equal(answer.body.error_code, 'GH-ADMIN-INVALID-TOKEN');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse-admin", error="invalid_token"$/);
    }
  });

  it('lets the bootstrap token do everything, in every organization', async () => {
    assert.equal((await call(admin, 'PUT', '/services/boot', { host: 'boot.internal' })).status, 200);
    assert.equal((await call(admin, 'GET', `/organizations/${globex.id}/users`)).status, 200);
    const list = await call(admin, 'GET', '/organizations');
    assert.deepEqual(list.body.data.map((organization: { name: string }) => organization.name).sort(), ['Acme', 'Globex']);
    const me = await call(admin, 'GET', '/me');
    assert.equal(me.body.kind, 'bootstrap');
  });

  it('applies each built-in role: a permissions matrix', async () => {
    type Expectation = Record<'orgAdmin' | 'gatewayAdmin' | 'viewer' | 'custom', number>;
    const matrix: Array<[string, string, object | undefined, Expectation]> = [
      ['GET', '/services', undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['GET', '/', undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['PUT', '/services/by-role', { host: 'r.internal' }, { orgAdmin: 200, gatewayAdmin: 200, viewer: 403, custom: 403 }],
      ['POST', '/consumers', undefined, { orgAdmin: 201, gatewayAdmin: 201, viewer: 403, custom: 403 }],
      ['GET', `/organizations/${'ACME'}`, undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['GET', `/organizations/${'ACME'}/users`, undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['GET', `/organizations/${'ACME'}/audit-log`, undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['GET', `/organizations/${'ACME'}/identity`, undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 403 }],
      ['POST', `/organizations/${'ACME'}/roles`, { name: 'role-by-$' }, { orgAdmin: 201, gatewayAdmin: 403, viewer: 403, custom: 403 }],
      ['PATCH', `/organizations/${'ACME'}`, { name: 'Acme' }, { orgAdmin: 200, gatewayAdmin: 403, viewer: 403, custom: 403 }],
      ['POST', '/organizations', { name: 'New $', owner_email: 'o@new.example' }, { orgAdmin: 403, gatewayAdmin: 403, viewer: 403, custom: 403 }],
      ['GET', '/me', undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 200 }],
      ['GET', '/me/tokens', undefined, { orgAdmin: 200, gatewayAdmin: 200, viewer: 200, custom: 200 }],
    ];
    for (const [method, rawPath, rawBody, expected] of matrix) {
      for (const role of ['orgAdmin', 'gatewayAdmin', 'viewer', 'custom'] as const) {
        const path = rawPath.replace('ACME', acme.id);
        const body = rawBody ? JSON.parse(JSON.stringify(rawBody).replace('$', role)) : method === 'POST' ? { username: `consumer-${role}` } : undefined;
        const answer = await call(admin, method, path, body, bearer(tokens[role]!));
        assert.equal(answer.status, expected[role], `${role} ${method} ${path}: ${JSON.stringify(answer.body)}`);
        if (answer.status === 403) {
          assert.equal(answer.body.error_code, 'GH-ADMIN-FORBIDDEN');
          assert.equal(typeof answer.body.permission, 'string');
          assert.match(answer.body.message, new RegExp(answer.body.permission));
        }
      }
    }
    const refused = await call(admin, 'PUT', '/services/by-viewer', { host: 'v.internal' }, bearer(tokens.viewer!));
    assert.equal(refused.body.permission, 'gateway:write');
    assert.equal((await call(admin, 'GET', '/services/by-viewer')).status, 404, 'a refused write writes nothing');
    const creating = await call(admin, 'POST', '/organizations', { name: 'Nope', owner_email: 'o@nope.example' }, bearer(tokens.orgAdmin!));
    assert.equal(creating.body.permission, 'organizations:create');
  });

  it('lets an admin of any organization create gateway entities, owned by that organization', async () => {
    const answer = await call(admin, 'PUT', '/services/from-globex', { host: 'g.internal' }, bearer(tokens.globexOwner!));
    assert.equal(answer.status, 200);
  });

  it('answers 404 for another organization, exactly as for a missing one', async () => {
    const missing = await call(admin, 'GET', '/organizations/no-such-org', undefined, bearer(tokens.orgAdmin!));
    for (const path of [`/organizations/${globex.id}`, '/organizations/Globex', `/organizations/${globex.id}/users`, `/organizations/${globex.id}/identity`, `/organizations/${globex.id}/audit-log`]) {
      const answer = await call(admin, 'GET', path, undefined, bearer(tokens.orgAdmin!));
      assert.equal(answer.status, 404, path);
      assert.deepEqual(answer.body, missing.body);
    }
    const patch = await call(admin, 'PATCH', `/organizations/${globex.id}`, { name: 'Taken Over' }, bearer(tokens.orgAdmin!));
    assert.equal(patch.status, 404);
    const del = await call(admin, 'DELETE', `/organizations/${globex.id}`, undefined, bearer(tokens.orgAdmin!));
    assert.equal(del.status, 404);
    assert.equal((await call(admin, 'GET', `/organizations/${globex.id}`)).body.name, 'Globex');
    const list = await call(admin, 'GET', '/organizations', undefined, bearer(tokens.viewer!));
    assert.deepEqual(list.body.data.map((organization: { id: string }) => organization.id), [acme.id]);
  });

  it('refuses revoked and expired tokens and tokens of deactivated users', async () => {
    const revoked = await tokenFor(admin, users.viewer!, acme.id, { name: 'to revoke' });
    assert.equal((await call(admin, 'GET', '/services', undefined, bearer(revoked.token))).status, 200);
    assert.equal((await call(admin, 'DELETE', `/me/tokens/${revoked.id}`, undefined, bearer(revoked.token))).status, 204);
    const after = await call(admin, 'GET', '/services', undefined, bearer(revoked.token));
    assert.equal(after.status, 401);
    assert.equal(after.body.error_code, 'GH-ADMIN-INVALID-TOKEN');

    const expiring = await tokenFor(admin, users.viewer!, acme.id, { name: 'expiring', expires_in: 60 });
    await admin.db.updateTable('access_tokens').set({ expires_at: Math.floor(Date.now() / 1000) - 1 }).where('id', '=', expiring.id).execute();
    assert.equal((await call(admin, 'GET', '/services', undefined, bearer(expiring.token))).status, 401);

    const user = await addUser(admin, acme.id, 'leaver@acme.example', ['Gateway Admin']);
    const token = await tokenFor(admin, user, acme.id);
    assert.equal((await call(admin, 'GET', '/services', undefined, bearer(token.token))).status, 200);
    assert.equal((await call(admin, 'PATCH', `/organizations/${acme.id}/users/${user.id}`, { status: 'deactivated' })).status, 200);
    assert.equal((await call(admin, 'GET', '/services', undefined, bearer(token.token))).status, 401);
    assert.equal((await call(admin, 'GET', '/me', undefined, sessionHeaders(user, acme.id))).status, 401, 'sessions of a deactivated user stop too');
  });

  it('follows role changes at once (permissions are read per request)', async () => {
    const user = await addUser(admin, acme.id, 'promoted@acme.example', ['Viewer']);
    const { token } = await tokenFor(admin, user, acme.id);
    assert.equal((await call(admin, 'PUT', '/services/promoted', { host: 'p.internal' }, bearer(token))).status, 403);
    assert.equal((await call(admin, 'PATCH', `/organizations/${acme.id}/users/${user.id}`, { roles: ['Gateway Admin'] }, bearer(tokens.orgAdmin!))).status, 200);
    assert.equal((await call(admin, 'PUT', '/services/promoted', { host: 'p.internal' }, bearer(token))).status, 200);
  });

  it('refuses session writes started by another site', async () => {
    const answer = await call(admin, 'PUT', '/services/csrf', { host: 'c.internal' }, { ...sessionHeaders(acme.owner, acme.id), 'sec-fetch-site': 'cross-site' });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error_code, 'GH-ADMIN-CROSS-SITE');
    // Another port of the same site (any app behind the gateway) is not this origin either.
    const { 'x-gatehouse-csrf': _csrf, ...bare } = sessionHeaders(acme.owner, acme.id);
    const sameSite = await call(admin, 'PUT', '/services/csrf', { host: 'c.internal' }, { ...bare, 'sec-fetch-site': 'same-site' });
    assert.equal(sameSite.status, 403);
    const sameOrigin = await call(admin, 'PUT', '/services/csrf', { host: 'c.internal' }, { ...bare, 'sec-fetch-site': 'same-origin' });
    assert.equal(sameOrigin.status, 200);
  });

  it('ignores a session that names another organization than the user\'s', async () => {
    const answer = await call(admin, 'GET', '/me', undefined, sessionHeaders(acme.owner, globex.id));
    assert.equal(answer.status, 401);
  });
});
