import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, countAll, countRows, form, startAdmin, type TestAdmin } from './helpers.js';

describe('Admin API: routes', () => {
  let admin: TestAdmin;
  let serviceId: string;
  before(async () => {
    admin = await startAdmin();
    serviceId = (await call(admin, 'POST', '/services', { name: 'backend', url: 'http://backend.internal' })).body.id;
    await call(admin, 'POST', '/services', { name: 'other', url: 'http://other.internal' });
  });
  after(async () => {
    await admin.close();
  });

  it('creates a route with repeated, [] and [n] form keys and service.name', async () => {
    const created = await call(
      admin,
      'POST',
      '/routes',
      form(
        ['name', 'api'],
        ['paths[]', '/api'],
        ['paths[]', '/v2'],
        ['methods[2]', 'POST'],
        ['methods[1]', 'GET'],
        ['hosts', 'example.com'],
        ['hosts', '*.example.org'],
        ['strip_path', 'false'],
        ['regex_priority', '3'],
        ['service.name', 'backend'],
      ),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.paths, ['/api', '/v2']);
    assert.deepEqual(created.body.methods, ['GET', 'POST']);
    assert.deepEqual(created.body.hosts, ['example.com', '*.example.org']);
    assert.equal(created.body.strip_path, false);
    assert.equal(created.body.preserve_host, false);
    assert.equal(created.body.regex_priority, 3);
    assert.deepEqual(created.body.protocols, ['http', 'https']);
    assert.deepEqual(created.body.service, { id: serviceId });
  });

  it('takes service.id in forms and {"id"} in JSON', async () => {
    const byForm = await call(admin, 'POST', '/routes', form(['paths', '/by-form'], ['service.id', serviceId]));
    assert.equal(byForm.status, 201);
    assert.deepEqual(byForm.body.service, { id: serviceId });
    const byJson = await call(admin, 'POST', '/routes', { paths: ['/by-json'], service: { id: serviceId } });
    assert.deepEqual(byJson.body.service, { id: serviceId });
    const single = await call(admin, 'POST', '/routes', form(['paths', '/single']));
    assert.deepEqual(single.body.paths, ['/single'], 'one form value is a one-element list');
    assert.equal(single.body.service, null, 'routes may exist without a service, as in Kong');
  });

  it('refuses a reference to a missing service with Kong foreign key violation, writing nothing', async () => {
    const counts = await countAll(admin.db);
    const missing = await call(admin, 'POST', '/routes', { paths: ['/x'], service: { name: 'ghost' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 4);
    assert.equal(missing.body.name, 'foreign key violation');
    assert.deepEqual(missing.body.fields, { service: { name: 'ghost' } });
    assert.match(missing.body.message, /^the foreign key '\{name="ghost"\}' does not reference an existing 'services' entity/);
    assert.equal(missing.body.error_code, 'GH-ADMIN-FOREIGN-KEY');
    const both = await call(admin, 'POST', '/routes', { paths: ['/x'], service: { id: serviceId, name: 'backend' } });
    assert.equal(both.status, 400);
    assert.ok(both.body.fields.service);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('validates paths, methods, hosts and the at-least-one rule, all at once', async () => {
    const counts = await countAll(admin.db);
    const answer = await call(admin, 'POST', '/routes', {
      paths: ['/ok', 'relative', '~/(unclosed', '/a//b', '/a/../b'],
      methods: ['get'],
      hosts: ['*.*.example.com', 'ex*ample.com'],
      protocols: [],
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.fields.paths, [
      null,
      'should start with: / (fixed path) or ~/ (regex path)',
      "invalid regex: '/(unclosed' (Unterminated group)",
      'must not have empty segments',
      "non-normalized path, consider using '/b' instead",
    ]);
    assert.deepEqual(answer.body.fields.methods, ["invalid value 'get': methods are upper-case tokens such as GET or POST"]);
    assert.equal(answer.body.fields.hosts.length, 2);
    assert.equal(answer.body.fields.protocols, 'must have at least one protocol (http or https)');
    // Kong numbers list elements from 1 in messages.
    assert.match(answer.body.message, /paths\.2: should start with/);

    const none = await call(admin, 'POST', '/routes', form(['name', 'nothing-to-match']));
    assert.equal(none.status, 400);
    assert.deepEqual(none.body.fields, { '@entity': ["at least one of these fields must be non-empty: 'methods', 'hosts', 'paths'"] });
    assert.equal(none.body.message, "schema violation (at least one of these fields must be non-empty: 'methods', 'hosts', 'paths')");
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('accepts regex paths that compile', async () => {
    const answer = await call(admin, 'POST', '/routes', { paths: ['~/users/(?<id>\\d+)$'] });
    assert.equal(answer.status, 201);
  });

  it('PATCH with an empty form value clears a field, as in Kong', async () => {
    const created = await call(admin, 'POST', '/routes', { name: 'clearable', paths: ['/c'], hosts: ['c.example.com'] });
    const cleared = await call(admin, 'PATCH', '/routes/clearable', form(['paths', '']));
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.paths, null);
    assert.deepEqual(cleared.body.hosts, ['c.example.com']);
    const refused = await call(admin, 'PATCH', `/routes/${created.body.id}`, form(['hosts', '']));
    assert.equal(refused.status, 400, 'a route must keep one matcher');
  });

  it('lists and creates routes under a service, and scopes /services/{x}/routes/{y}', async () => {
    const created = await call(admin, 'POST', '/services/other/routes', form(['name', 'nested'], ['paths', '/nested']));
    assert.equal(created.status, 201);
    const otherId = (await call(admin, 'GET', '/services/other')).body.id;
    assert.deepEqual(created.body.service, { id: otherId });

    const listed = await call(admin, 'GET', '/services/other/routes');
    assert.deepEqual(
      listed.body.data.map((route: { name: string }) => route.name),
      ['nested'],
    );
    assert.equal((await call(admin, 'GET', '/services/ghost/routes')).status, 404);
    assert.equal((await call(admin, 'POST', '/services/ghost/routes', { paths: ['/g'] })).status, 404);

    assert.equal((await call(admin, 'GET', '/services/other/routes/nested')).status, 200);
    assert.equal((await call(admin, 'GET', '/services/backend/routes/nested')).status, 404, 'not a route of that service');
    const patched = await call(admin, 'PATCH', '/services/other/routes/nested', { preserve_host: true });
    assert.equal(patched.body.preserve_host, true);
  });

  it('reads, updates and replaces the service of a route through /routes/{x}/service', async () => {
    assert.equal((await call(admin, 'POST', '/routes', { name: 'served', paths: ['/served'], service: { name: 'backend' } })).status, 201);
    const service = await call(admin, 'GET', '/routes/served/service');
    assert.equal(service.status, 200);
    assert.equal(service.body.name, 'backend');
    const patched = await call(admin, 'PATCH', '/routes/served/service', form(['retries', '1']));
    assert.equal(patched.body.retries, 1);
    assert.equal((await call(admin, 'DELETE', '/routes/served/service')).status, 405);

    const orphan = await call(admin, 'POST', '/routes', { name: 'orphan', paths: ['/orphan'] });
    assert.equal((await call(admin, 'GET', '/routes/orphan/service')).status, 404);
    const attached = await call(admin, 'PUT', '/routes/orphan/service', { name: 'for-orphan', url: 'http://o.internal' });
    assert.equal(attached.status, 200);
    assert.deepEqual((await call(admin, 'GET', `/routes/${orphan.body.id}`)).body.service, { id: attached.body.id });
  });

  it('refuses to delete a service that routes use; deleting its routes first works', async () => {
    assert.equal((await call(admin, 'POST', '/services', { name: 'in-use', url: 'http://in-use.internal' })).status, 201);
    assert.equal((await call(admin, 'POST', '/routes', { name: 'user', paths: ['/user'], service: { name: 'in-use' } })).status, 201);
    const refused = await call(admin, 'DELETE', '/services/in-use');
    assert.equal(refused.status, 400);
    assert.deepEqual(
      { code: refused.body.code, name: refused.body.name, fields: refused.body.fields, error_code: refused.body.error_code },
      { code: 4, name: 'foreign key violation', fields: { '@referenced_by': 'routes' }, error_code: 'GH-ADMIN-REFERENCED' },
    );
    assert.match(refused.body.message, /^an existing 'routes' entity references this 'services' entity/);
    assert.equal((await call(admin, 'GET', '/services/in-use')).status, 200, 'nothing deleted');

    assert.equal((await call(admin, 'DELETE', '/routes/user')).status, 204);
    assert.equal((await call(admin, 'DELETE', '/services/in-use')).status, 204);
    assert.equal((await call(admin, 'GET', '/services/in-use')).status, 404);
  });

  it('deleting a route deletes its plugins; deleting a service deletes the service plugins', async () => {
    const route = await call(admin, 'POST', '/routes', { name: 'with-plugin', paths: ['/wp'] });
    const plugin = await call(admin, 'POST', `/routes/${route.body.id}/plugins`, form(['name', 'acl'], ['config.allow', 'staff']));
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    const plugins = await countRows(admin.db, 'plugins');
    assert.equal((await call(admin, 'DELETE', '/routes/with-plugin')).status, 204);
    assert.equal(await countRows(admin.db, 'plugins'), plugins - 1);
    assert.equal((await call(admin, 'GET', `/plugins/${plugin.body.id}`)).status, 404);

    const service = await call(admin, 'POST', '/services', { name: 'with-plugin', host: 'wp.internal' });
    await call(admin, 'POST', '/services/with-plugin/plugins', form(['name', 'acl'], ['config.deny', 'guests']));
    assert.equal(await countRows(admin.db, 'plugins'), plugins);
    assert.equal((await call(admin, 'DELETE', `/services/${service.body.id}`)).status, 204);
    assert.equal(await countRows(admin.db, 'plugins'), plugins - 1);
  });

  it('refuses a duplicate route name with 409', async () => {
    assert.equal((await call(admin, 'POST', '/routes', { name: 'named', paths: ['/named'] })).status, 201);
    const answer = await call(admin, 'POST', '/routes', { name: 'named', paths: ['/dup'] });
    assert.equal(answer.status, 409);
    assert.deepEqual(answer.body.fields, { name: 'named' });
  });
});
