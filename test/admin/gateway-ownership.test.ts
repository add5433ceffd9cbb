import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { call, type TestAdmin } from './helpers.js';
import { addUser, bearer, createOrg, sessionHeaders, startIdentityAdmin, tokenFor, type TestOrganization } from './identity-helpers.js';

/**
 * Gateway entities belong to the organization whose user created them (none for the
 * bootstrap token): another organization's users can neither see nor change them, and
 * cannot reach them through references either.
 */
describe('Admin API: gateway entities are owned by organizations', () => {
  let admin: TestAdmin;
  let acme: TestOrganization;
  let globex: TestOrganization;
  const as: Record<'acmeGateway' | 'acmeViewer' | 'globexGateway', Record<string, string>> = { acmeGateway: {}, acmeViewer: {}, globexGateway: {} };
  // Acme's entities, created by Acme's Gateway Admin.
  let acmeService: { id: string };
  let acmeRoute: { id: string };
  let acmePlugin: { id: string };
  let acmeConsumer: { id: string };
  let notFound: unknown;

  /** Globex's own service and route, made by its Gateway Admin. */
  const globexOwn = async () => {
    const own = await call(admin, 'POST', '/services', { name: 'globex-app', host: 'globex.internal' }, as.globexGateway);
    assert.equal(own.status, 201);
    const ownRoute = await call(admin, 'POST', '/routes', { name: 'globex-route', paths: ['/globex'], service: { name: 'globex-app' } }, as.globexGateway);
    assert.equal(ownRoute.status, 201);
  };
  /** A service the bootstrap token makes: nobody's. */
  const operatorApp = () => call(admin, 'POST', '/services', { name: 'operator-app', host: 'operator.internal' });

  before(async () => {
    admin = await startIdentityAdmin();
    acme = await createOrg(admin, 'Acme', 'acme');
    globex = await createOrg(admin, 'Globex', 'globex');
    const acmeGateway = await addUser(admin, acme.id, 'gw@acme.example', ['Gateway Admin']);
    const acmeViewer = await addUser(admin, acme.id, 'viewer@acme.example', ['Viewer']);
    const globexGateway = await addUser(admin, globex.id, 'gw@globex.example', ['Gateway Admin']);
    as.acmeGateway = bearer((await tokenFor(admin, acmeGateway, acme.id)).token);
    as.acmeViewer = bearer((await tokenFor(admin, acmeViewer, acme.id)).token);
    // Globex's admin works through a console session, Acme's through tokens: both are users.
    as.globexGateway = sessionHeaders(globexGateway, globex.id);
    notFound = (await call(admin, 'GET', '/services/no-such-service', undefined, as.globexGateway)).body;
  });
  after(async () => {
    await admin.close();
  });
  // Each test starts with Acme's entities and no others, and adds what else it needs.
  beforeEach(async () => {
    for (const kind of ['plugins', 'routes', 'services', 'consumers']) {
      for (const entity of (await call(admin, 'GET', `/${kind}`)).body.data as Array<{ id: string }>) {
        assert.equal((await call(admin, 'DELETE', `/${kind}/${entity.id}`)).status, 204);
      }
    }
    const service = await call(admin, 'POST', '/services', { name: 'acme-app', url: 'http://acme.internal:8080' }, as.acmeGateway);
    assert.equal(service.status, 201, JSON.stringify(service.body));
    acmeService = service.body;
    const route = await call(admin, 'POST', '/routes', { name: 'acme-route', paths: ['/acme'], service: { name: 'acme-app' } }, as.acmeGateway);
    assert.equal(route.status, 201, JSON.stringify(route.body));
    acmeRoute = route.body;
    const plugin = await call(admin, 'POST', '/plugins', { name: 'sso', route: { id: acmeRoute.id }, config: { organization: 'acme' } }, as.acmeGateway);
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    acmePlugin = plugin.body;
    const consumer = await call(admin, 'POST', '/consumers', { username: 'acme-robot' }, as.acmeGateway);
    assert.equal(consumer.status, 201, JSON.stringify(consumer.body));
    acmeConsumer = consumer.body;
  });

  it("marks what a user creates as their organization's, and what the bootstrap token creates as nobody's", async () => {
    for (const entity of [acmeService, acmeRoute, acmePlugin, acmeConsumer]) {
      assert.deepEqual((entity as { organization?: unknown }).organization, { id: acme.id });
    }
    const operator = await operatorApp();
    assert.equal(operator.status, 201);
    assert.equal('organization' in operator.body, false, "the operator's entities keep Kong's exact shape");
    const rows = await admin.db.selectFrom('services').select(['name', 'organization_id']).orderBy('name').execute();
    assert.deepEqual(rows, [
      { name: 'acme-app', organization_id: acme.id },
      { name: 'operator-app', organization_id: null },
    ]);
  });

  it("hides another organization's services, routes, plugins and consumers: 404 and empty lists", async () => {
    for (const path of [
      `/services/${acmeService.id}`,
      '/services/acme-app',
      `/routes/${acmeRoute.id}`,
      '/routes/acme-route',
      `/routes/${acmeRoute.id}/service`,
      `/plugins/${acmePlugin.id}`,
      `/routes/${acmeRoute.id}/plugins/${acmePlugin.id}`,
      `/routes/${acmeRoute.id}/plugins`,
      '/services/acme-app/routes',
      `/services/acme-app/routes/${acmeRoute.id}`,
      `/consumers/${acmeConsumer.id}`,
      '/consumers/acme-robot',
    ]) {
      const answer = await call(admin, 'GET', path, undefined, as.globexGateway);
      assert.equal(answer.status, 404, path);
      assert.deepEqual(answer.body, notFound, `${path}: exactly like a missing entity`);
    }
    for (const path of ['/services', '/routes', '/plugins', '/consumers', '/consumers?username=acme-robot']) {
      const answer = await call(admin, 'GET', path, undefined, as.globexGateway);
      assert.equal(answer.status, 200, path);
      assert.deepEqual(answer.body.data, [], path);
    }
    const info = await call(admin, 'GET', '/', undefined, as.globexGateway);
    assert.deepEqual(info.body.plugins.enabled_in_cluster, []);
  });

  it("cannot change or delete another organization's entities", async () => {
    const writes: Array<[string, string, object | undefined]> = [
      ['PATCH', `/services/${acmeService.id}`, { host: 'evil.internal' }],
      ['PATCH', '/routes/acme-route', { paths: ['/evil'] }],
      ['PATCH', `/plugins/${acmePlugin.id}`, { enabled: false }],
      ['PATCH', `/routes/${acmeRoute.id}/plugins/${acmePlugin.id}`, { enabled: false }],
      ['PATCH', `/routes/${acmeRoute.id}/service`, { host: 'evil.internal' }],
      ['PATCH', '/consumers/acme-robot', { custom_id: 'evil' }],
      ['PUT', `/routes/${acmeRoute.id}/service`, { host: 'evil.internal' }],
      ['POST', `/routes/${acmeRoute.id}/plugins`, { name: 'acl', config: { allow: ['evil'] } }],
      ['POST', '/services/acme-app/routes', { paths: ['/evil'] }],
      ['DELETE', `/services/acme-app/routes/${acmeRoute.id}`, undefined],
      ['DELETE', `/routes/${acmeRoute.id}/plugins/${acmePlugin.id}`, undefined],
    ];
    for (const [method, path, body] of writes) {
      const answer = await call(admin, method, path, body, as.globexGateway);
      assert.equal(answer.status, 404, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body, notFound, `${method} ${path}`);
    }
    // Kong's DELETE answers 204 for a missing entity: another organization's is missing too, and stays.
    for (const path of [`/plugins/${acmePlugin.id}`, '/routes/acme-route', '/services/acme-app', '/consumers/acme-robot']) {
      const answer = await call(admin, 'DELETE', path, undefined, as.globexGateway);
      assert.equal(answer.status, 204, path);
      assert.equal((await call(admin, 'DELETE', path.replace(/acme|[0-9a-f-]{36}/, 'no-such'), undefined, as.globexGateway)).status, 204);
    }
    // PUT onto another organization's key does not take it over: its name or id is taken, as for POST.
    const putByName = await call(admin, 'PUT', '/services/acme-app', { host: 'evil.internal' }, as.globexGateway);
    assert.equal(putByName.status, 409);
    const putPlugin = await call(admin, 'PUT', `/plugins/${acmePlugin.id}`, { name: 'sso', route: { id: acmeRoute.id }, config: { organization: 'globex' } }, as.globexGateway);
    assert.equal(putPlugin.status, 400);
    assert.equal(putPlugin.body.error_code, 'GH-ADMIN-PRIMARY-KEY');

    // Nothing of Acme's changed.
    const service = await call(admin, 'GET', `/services/${acmeService.id}`);
    assert.equal(service.body.host, 'acme.internal');
    const route = await call(admin, 'GET', `/routes/${acmeRoute.id}`);
    assert.deepEqual(route.body.paths, ['/acme']);
    assert.equal((await call(admin, 'GET', '/routes')).body.data.length, 1, 'no route was added to the service');
    const plugin = await call(admin, 'GET', `/plugins/${acmePlugin.id}`);
    assert.equal(plugin.body.enabled, true);
    assert.equal(plugin.body.config.organization, 'acme');
    assert.equal((await call(admin, 'GET', '/plugins')).body.data.length, 1);
    const consumer = await call(admin, 'GET', '/consumers/acme-robot');
    assert.equal(consumer.body.custom_id, null);
  });

  it("cannot reference another organization's entities", async () => {
    const route = await call(admin, 'POST', '/routes', { name: 'hijack', paths: ['/hijack'], service: { id: acmeService.id } }, as.globexGateway);
    assert.equal(route.status, 400);
    assert.equal(route.body.name, 'foreign key violation');
    assert.deepEqual(route.body.fields, { service: { id: acmeService.id } });
    const byName = await call(admin, 'POST', '/routes', { paths: ['/hijack'], service: { name: 'acme-app' } }, as.globexGateway);
    assert.equal(byName.status, 400);
    assert.deepEqual(byName.body.fields, { service: { name: 'acme-app' } });

    // Globex's own route cannot be moved onto Acme's service either.
    await globexOwn();
    const moved = await call(admin, 'PATCH', '/routes/globex-route', { service: { id: acmeService.id } }, as.globexGateway);
    assert.equal(moved.status, 400);
    assert.deepEqual(moved.body.fields, { service: { id: acmeService.id } });

    for (const [field, ref] of [
      ['route', { id: acmeRoute.id }],
      ['service', { name: 'acme-app' }],
      ['consumer', { username: 'acme-robot' }],
    ] as const) {
      const plugin = await call(admin, 'POST', '/plugins', { name: 'acl', config: { allow: ['x'] }, route: { name: 'globex-route' }, [field]: ref }, as.globexGateway);
      assert.equal(plugin.status, 400, field);
      assert.equal(plugin.body.name, 'foreign key violation', field);
      assert.deepEqual(plugin.body.fields, { [field]: ref }, field);
    }
  });

  it("cannot configure an sso plugin that signs in with another organization, nor a global plugin", async () => {
    await globexOwn();
    for (const organization of [acme.id, 'Acme', 'acme', 'no-such-org']) {
      const plugin = await call(admin, 'POST', '/plugins', { name: 'sso', route: { name: 'globex-route' }, config: { organization } }, as.globexGateway);
      assert.equal(plugin.status, 400, organization);
      assert.equal(plugin.body.name, 'schema violation');
      assert.equal(typeof plugin.body.fields.config.organization, 'string', JSON.stringify(plugin.body));
    }
    const own = await call(admin, 'POST', '/routes/globex-route/plugins', { name: 'sso', config: { organization: 'Globex' } }, as.globexGateway);
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const retarget = await call(admin, 'PATCH', `/plugins/${own.body.id}`, { config: { organization: 'acme' } }, as.globexGateway);
    assert.equal(retarget.status, 400);
    assert.equal(typeof retarget.body.fields.config.organization, 'string');

    // A global plugin would run on every organization's routes.
    const global = await call(admin, 'POST', '/plugins', { name: 'acl', config: { allow: ['x'] } }, as.globexGateway);
    assert.equal(global.status, 400);
    assert.equal(typeof global.body.fields.route, 'string');
  });

  it("lets the owning organization's Gateway Admin do all of it on its own entities", async () => {
    const patched = await call(admin, 'PATCH', '/services/acme-app', { retries: 3 }, as.acmeGateway);
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.organization, { id: acme.id });
    // An entity read with GET goes back with PUT unchanged, `organization` and all.
    const read = await call(admin, 'GET', `/routes/${acmeRoute.id}`, undefined, as.acmeGateway);
    const put = await call(admin, 'PUT', `/routes/${acmeRoute.id}`, { ...read.body, paths: ['/acme', '/acme2'] }, as.acmeGateway);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.organization, { id: acme.id });
    const plugin = await call(admin, 'PATCH', `/routes/acme-route/plugins/${acmePlugin.id}`, { config: { roles_required: ['Viewer'] } }, as.acmeGateway);
    assert.equal(plugin.status, 200, JSON.stringify(plugin.body));
    const list = await call(admin, 'GET', '/plugins', undefined, as.acmeGateway);
    assert.deepEqual(list.body.data.map((entity: { id: string }) => entity.id), [acmePlugin.id]);

    assert.equal((await call(admin, 'DELETE', `/plugins/${acmePlugin.id}`, undefined, as.acmeGateway)).status, 204);
    assert.equal((await call(admin, 'GET', `/plugins/${acmePlugin.id}`)).status, 404, 'deleted');
    assert.equal((await call(admin, 'DELETE', '/routes/acme-route', undefined, as.acmeGateway)).status, 204);
    assert.equal((await call(admin, 'DELETE', '/services/acme-app', undefined, as.acmeGateway)).status, 204);
    assert.equal((await call(admin, 'GET', '/services/acme-app')).status, 404, 'deleted');

    // Made again, they are Acme's again.
    acmeService = (await call(admin, 'POST', '/services', { name: 'acme-app', host: 'acme.internal' }, as.acmeGateway)).body;
    acmeRoute = (await call(admin, 'POST', '/services/acme-app/routes', { name: 'acme-route', paths: ['/acme'] }, as.acmeGateway)).body;
    assert.deepEqual((acmeRoute as { organization?: unknown }).organization, { id: acme.id });
  });

  it("lets an organization's Viewer read its own organization's entities only", async () => {
    await globexOwn();
    assert.equal((await operatorApp()).status, 201);
    const services = await call(admin, 'GET', '/services', undefined, as.acmeViewer);
    assert.equal(services.status, 200);
    assert.deepEqual(services.body.data.map((entity: { name: string }) => entity.name), ['acme-app']);
    const routes = await call(admin, 'GET', '/routes', undefined, as.acmeViewer);
    assert.deepEqual(routes.body.data.map((entity: { name: string }) => entity.name), ['acme-route']);
    assert.equal((await call(admin, 'GET', '/services/operator-app', undefined, as.acmeViewer)).status, 404, "not the operator's either");
    assert.equal((await call(admin, 'GET', '/services/globex-app', undefined, as.acmeViewer)).status, 404);
    assert.equal((await call(admin, 'PATCH', '/services/acme-app', { retries: 1 }, as.acmeViewer)).status, 403);
  });

  it('lets the bootstrap token see and change everything, keeping ownership', async () => {
    await globexOwn();
    assert.equal((await operatorApp()).status, 201);
    const services = await call(admin, 'GET', '/services');
    assert.deepEqual(services.body.data.map((entity: { name: string }) => entity.name).sort(), ['acme-app', 'globex-app', 'operator-app']);
    const routes = await call(admin, 'GET', '/routes');
    assert.deepEqual(routes.body.data.map((entity: { name: string }) => entity.name).sort(), ['acme-route', 'globex-route']);
    const patched = await call(admin, 'PATCH', '/services/acme-app', { retries: 2 });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.organization, { id: acme.id }, 'the operator changing it does not take it over');
    assert.equal((await call(admin, 'GET', '/services/acme-app', undefined, as.acmeGateway)).body.retries, 2);
  });

  it('refuses to delete an organization that still owns gateway entities', async () => {
    await globexOwn();
    const refused = await call(admin, 'DELETE', `/organizations/${globex.id}`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error_code, 'GH-ORGANIZATION-OWNS-GATEWAY');
    assert.equal((await call(admin, 'GET', '/services/globex-app')).status, 200, 'nothing was deleted');
    assert.equal((await call(admin, 'GET', `/organizations/${globex.id}`)).status, 200);
    for (const path of ['/routes/globex-route', '/services/globex-app']) {
      assert.equal((await call(admin, 'DELETE', path, undefined, as.globexGateway)).status, 204);
    }
    assert.equal((await call(admin, 'DELETE', `/organizations/${globex.id}`)).status, 204);
  });
});
