import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, rawDatabaseBytes, type TestAdmin } from './helpers.js';
import { addUser, bearer, createOrg, sessionHeaders, startIdentityAdmin, tokenFor, type TestOrganization } from './identity-helpers.js';

describe('Admin API: personal access tokens', () => {
  let admin: TestAdmin;
  let org: TestOrganization;
  before(async () => {
    admin = await startIdentityAdmin();
    org = await createOrg(admin, 'Tokens', 'token-team');
  });
  after(async () => {
    await admin.close();
  });

  it('creates a token shown once, stores only its SHA-256, lists, uses and revokes it', async () => {
    const session = sessionHeaders(org.owner, org.id);
    const created = await call(admin, 'POST', '/me/tokens', { name: 'ci', expires_in: 3600 }, session);
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^ghp_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.token_hint, created.body.token.slice(-4));
    assert.equal(created.body.state, 'active');
    assert.ok(created.body.expires_at > Date.now() / 1000 + 3500);

    const row = await admin.db.selectFrom('access_tokens').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, createHash('sha256').update(created.body.token).digest('hex'));

    const list = await call(admin, 'GET', '/me/tokens', undefined, session);
    assert.deepEqual(list.body.data.map((token: { name: string }) => token.name), ['ci']);
    assert.equal(JSON.stringify(list.body).includes(created.body.token), false, 'never shown again');
    assert.equal('token_hash' in list.body.data[0], false);

    const me = await call(admin, 'GET', '/me', undefined, bearer(created.body.token));
    assert.equal(me.status, 200);
    assert.equal(me.body.kind, 'token');
    assert.equal(me.body.user.email, org.owner.email);
    assert.equal(me.body.organization.id, org.id);
    assert.ok(me.body.permissions.includes('identity:write'));
    const used = await admin.db.selectFrom('access_tokens').select('last_used_at').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.equal(typeof used.last_used_at, 'number');

    // last_used_at is written at most once a minute.
    await admin.db.updateTable('access_tokens').set({ last_used_at: 1000 }).where('id', '=', created.body.id).execute();
    await call(admin, 'GET', '/me', undefined, bearer(created.body.token));
    const touched = (await admin.db.selectFrom('access_tokens').select('last_used_at').where('id', '=', created.body.id).executeTakeFirstOrThrow()).last_used_at!;
    assert.ok(touched > 1000);
    await call(admin, 'GET', '/me', undefined, bearer(created.body.token));
    assert.equal((await admin.db.selectFrom('access_tokens').select('last_used_at').where('id', '=', created.body.id).executeTakeFirstOrThrow()).last_used_at, touched);

    assert.equal((await call(admin, 'DELETE', `/me/tokens/${created.body.id}`, undefined, session)).status, 204);
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(created.body.token))).status, 401);
    const listed = await call(admin, 'GET', `/me/tokens/${created.body.id}`, undefined, session);
    assert.equal(listed.body.state, 'revoked');

    await admin.stop();
    assert.equal(rawDatabaseBytes(admin.dir).includes(Buffer.from(created.body.token)), false, 'the token is not in the database file');
    admin = await startIdentityAdmin({ dir: admin.dir });
  });

  it('keeps tokens to their owner: another user cannot see or revoke them', async () => {
    const viewer = await addUser(admin, org.id, 'viewer@tokens.example', ['Viewer']);
    const mine = await tokenFor(admin, org.owner, org.id, { name: 'mine' });
    const theirs = await call(admin, 'GET', `/me/tokens/${mine.id}`, undefined, sessionHeaders(viewer, org.id));
    assert.equal(theirs.status, 404);
    assert.equal((await call(admin, 'DELETE', `/me/tokens/${mine.id}`, undefined, sessionHeaders(viewer, org.id))).status, 404);
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(mine.token))).status, 200);
  });

  it('refuses bad token requests and the bootstrap token (it has no user)', async () => {
    const session = sessionHeaders(org.owner, org.id);
    const noName = await call(admin, 'POST', '/me/tokens', { expires_in: 10 }, session);
    assert.equal(noName.status, 400);
    assert.deepEqual(Object.keys(noName.body.fields).sort(), ['expires_in', 'name']);
    const bootstrap = await call(admin, 'POST', '/me/tokens', { name: 'x' });
    assert.equal(bootstrap.status, 400);
    assert.equal(bootstrap.body.error_code, 'GH-ADMIN-NOT-A-USER');
  });

  it('revokes every token of the caller with DELETE /me/tokens', async () => {
    const a = await tokenFor(admin, org.owner, org.id, { name: 'a' });
    const b = await tokenFor(admin, org.owner, org.id, { name: 'b', expires_in: null });
    assert.equal((await call(admin, 'DELETE', '/me/tokens', undefined, bearer(a.token))).status, 204);
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(a.token))).status, 401);
    assert.equal((await call(admin, 'GET', '/me', undefined, bearer(b.token))).status, 401);
  });
});

describe('Admin API: audit log', () => {
  let admin: TestAdmin;
  let org: TestOrganization;
  before(async () => {
    admin = await startIdentityAdmin();
    org = await createOrg(admin, 'Audited', 'audited');
    const other = await createOrg(admin, 'Elsewhere', 'elsewhere');
    await call(admin, 'POST', `/organizations/${other.id}/roles`, { name: 'Not here' });
  });
  after(async () => {
    await admin.close();
  });

  it('records who did what, filters by action, actor, outcome and time, and pages newest first', async () => {
    const token = await tokenFor(admin, org.owner, org.id, { name: 'auditing' });
    for (let index = 0; index < 5; index += 1) {
      const answer = await call(admin, 'POST', `/organizations/${org.id}/roles`, { name: `Role ${index}` }, bearer(token.token));
      assert.equal(answer.status, 201);
    }
    const user = await addUser(admin, org.id, 'carl@audited.example', ['Viewer']);
    await call(admin, 'PATCH', `/organizations/${org.id}/users/${user.id}`, { status: 'deactivated' });
    await call(admin, 'POST', `/organizations/${org.id}/role-mappings`, { group: 'engineers', role: 'Role 1' }, bearer(token.token));

    const all = await call(admin, 'GET', `/organizations/${org.id}/audit-log`);
    const actions = all.body.data.map((entry: { action: string }) => entry.action);
    assert.deepEqual(actions.slice(0, 3), ['role_mapping.create', 'user.deactivate', 'user.create'], 'newest first');
    assert.ok(actions.includes('access_token.create'));
    assert.ok(actions.includes('organization.create'));
    assert.equal(actions.includes('role.create') && all.body.data.every((entry: { organization_id: string }) => entry.organization_id === org.id), true);

    const roles = await call(admin, 'GET', `/organizations/${org.id}/audit-log?action=role.create&size=2`);
    assert.equal(roles.body.data.length, 2);
    assert.deepEqual(roles.body.data.map((entry: { details: { name: string } }) => entry.details.name), ['Role 4', 'Role 3']);
    assert.match(roles.body.next, /action=role\.create/);
    const page2 = await call(admin, 'GET', roles.body.next);
    assert.deepEqual(page2.body.data.map((entry: { details: { name: string } }) => entry.details.name), ['Role 2', 'Role 1']);
    const page3 = await call(admin, 'GET', page2.body.next);
    assert.deepEqual(page3.body.data.map((entry: { details: { name: string } }) => entry.details.name), ['Role 0']);
    assert.equal(page3.body.next, null);

    const byActor = await call(admin, 'GET', `/organizations/${org.id}/audit-log?actor=${encodeURIComponent(org.owner.email)}`);
    assert.ok(byActor.body.data.length >= 7);
    assert.ok(byActor.body.data.every((entry: { actor: { type: string; id: string } }) => entry.actor.id === org.owner.id));
    const entry = byActor.body.data.find((candidate: { action: string }) => candidate.action === 'role.create');
    assert.equal(entry.actor.type, 'token');
    assert.equal(entry.outcome, 'success');
    assert.equal(typeof entry.created_at, 'number');

    const prefix = await call(admin, 'GET', `/organizations/${org.id}/audit-log?action=user.`);
    assert.deepEqual(prefix.body.data.map((candidate: { action: string }) => candidate.action), ['user.deactivate', 'user.create']);
    const failures = await call(admin, 'GET', `/organizations/${org.id}/audit-log?outcome=failure`);
    assert.deepEqual(failures.body.data, []);
    const future = await call(admin, 'GET', `/organizations/${org.id}/audit-log?since=2999-01-01T00:00:00Z`);
    assert.deepEqual(future.body.data, []);
    const past = await call(admin, 'GET', `/organizations/${org.id}/audit-log?until=${Math.floor(Date.now() / 1000) + 5}`);
    assert.equal(past.body.data.length, all.body.data.length);
  });

  it('refuses malformed filters, naming them', async () => {
    const answer = await call(admin, 'GET', `/organizations/${org.id}/audit-log?outcome=maybe&since=yesterday&size=0`);
    assert.equal(answer.status, 400);
    const users = await call(admin, 'GET', `/organizations/${org.id}/users?status=gone`);
    assert.equal(users.status, 400);
    assert.ok(users.body.fields.status);
    const outcome = await call(admin, 'GET', `/organizations/${org.id}/audit-log?outcome=maybe&since=yesterday`);
    assert.deepEqual(Object.keys(outcome.body.fields).sort(), ['outcome', 'since']);
  });

  it('searches users by email or name, with paging', async () => {
    for (const name of ['Dana Scully', 'Fox Mulder', 'Walter Skinner']) {
      const email = `${name.split(' ')[0]!.toLowerCase()}@audited.example`;
      await call(admin, 'POST', `/organizations/${org.id}/users`, { email, name });
    }
    const mulder = await call(admin, 'GET', `/organizations/${org.id}/users?q=MULD`);
    assert.deepEqual(mulder.body.data.map((user: { email: string }) => user.email), ['fox@audited.example']);
    const byEmail = await call(admin, 'GET', `/organizations/${org.id}/users?q=dana@`);
    assert.deepEqual(byEmail.body.data.map((user: { name: string }) => user.name), ['Dana Scully']);
    const wildcard = await call(admin, 'GET', `/organizations/${org.id}/users?q=%25`);
    assert.deepEqual(wildcard.body.data, [], '% is matched literally');
    const active = await call(admin, 'GET', `/organizations/${org.id}/users?status=active&source=native&size=2`);
    assert.equal(active.body.data.length, 2);
    assert.match(active.body.next, /status=active/);
    const rest = await call(admin, 'GET', active.body.next);
    assert.ok(rest.body.data.length >= 2);
  });
});
