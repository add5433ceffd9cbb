import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, countAll, form, startAdmin, type TestAdmin } from './helpers.js';

describe('Admin API: consumers', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startAdmin();
  });
  after(async () => {
    await admin.close();
  });

  it('creates, reads by id and username, updates, replaces and deletes', async () => {
    const created = await call(admin, 'POST', '/consumers', form(['username', 'bob'], ['custom_id', 'okta|123'], ['tags', 'staff']));
    assert.equal(created.status, 201);
    assert.deepEqual(
      { username: created.body.username, custom_id: created.body.custom_id, tags: created.body.tags },
      { username: 'bob', custom_id: 'okta|123', tags: ['staff'] },
    );
    assert.deepEqual((await call(admin, 'GET', '/consumers/bob')).body, created.body);
    assert.deepEqual((await call(admin, 'GET', `/consumers/${created.body.id}`)).body, created.body);

    const patched = await call(admin, 'PATCH', '/consumers/bob', { custom_id: 'okta|456' });
    assert.equal(patched.body.custom_id, 'okta|456');
    assert.equal(patched.body.username, 'bob');

    const put = await call(admin, 'PUT', '/consumers/carol', {});
    assert.equal(put.status, 200);
    assert.equal(put.body.username, 'carol');
    const replaced = await call(admin, 'PUT', '/consumers/carol', { custom_id: 'c-1' });
    assert.equal(replaced.body.id, put.body.id);
    assert.equal(replaced.body.custom_id, 'c-1');

    assert.equal((await call(admin, 'DELETE', '/consumers/carol')).status, 204);
    assert.equal((await call(admin, 'GET', '/consumers/carol')).status, 404);
    assert.equal((await call(admin, 'DELETE', '/consumers/carol')).status, 204);
  });

  it('finds consumers by custom_id on the collection, as Kong does', async () => {
    assert.equal((await call(admin, 'PUT', '/consumers/grace', { custom_id: 'okta|789' })).status, 200);
    const found = await call(admin, 'GET', `/consumers?custom_id=${encodeURIComponent('okta|789')}`);
    assert.deepEqual(found.body.data.map((consumer: { username: string }) => consumer.username), ['grace']);
    const none = await call(admin, 'GET', '/consumers?custom_id=nobody');
    assert.deepEqual(none.body, { data: [], next: null });
  });

  it('needs username or custom_id, and keeps both unique', async () => {
    assert.equal((await call(admin, 'PUT', '/consumers/heidi', { custom_id: 'okta|999' })).status, 200);
    const counts = await countAll(admin.db);
    const empty = await call(admin, 'POST', '/consumers', { tags: ['x'] });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body.fields, { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] });
    const duplicate = await call(admin, 'POST', '/consumers', { username: 'heidi' });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.message, `UNIQUE violation detected on '{username="heidi"}'`);
    const duplicateCustom = await call(admin, 'POST', '/consumers', { username: 'dave', custom_id: 'okta|999' });
    assert.equal(duplicateCustom.status, 409);
    assert.deepEqual(duplicateCustom.body.fields, { custom_id: 'okta|999' });
    const badTag = await call(admin, 'POST', '/consumers', { username: 'erin', tags: ['a,b'] });
    assert.equal(badTag.status, 400);
    assert.match(badTag.body.fields.tags[0], /^invalid tag 'a,b'/);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('deleting a consumer deletes its plugins', async () => {
    await call(admin, 'POST', '/consumers', { username: 'frank' });
    const plugin = await call(admin, 'POST', '/plugins', { name: 'acl', consumer: { username: 'frank' }, config: { allow: ['x'] } });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    assert.equal((await call(admin, 'DELETE', '/consumers/frank')).status, 204);
    assert.equal((await call(admin, 'GET', `/plugins/${plugin.body.id}`)).status, 404);
  });
});
