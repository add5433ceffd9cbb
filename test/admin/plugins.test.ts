import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pluginRegistry } from '../../src/gateway/plugins/index.js';
import { loadGatewayConfiguration } from '../../src/store/index.js';
import { call, countAll, countRows, form, rawDatabaseBytes, startAdmin, testRegistry, type TestAdmin } from './helpers.js';

/** The data plane's view of one plugin: secrets decrypted. */
async function decryptedConfig(admin: TestAdmin, id: string): Promise<Record<string, unknown>> {
  const configuration = await loadGatewayConfiguration(admin.db, admin.keyRing, testRegistry);
  const plugin = configuration.plugins.find((candidate) => candidate.id === id);
  assert.ok(plugin, `plugin ${id} in the gateway configuration`);
  return plugin.config;
}

describe('Admin API: plugins', () => {
  let admin: TestAdmin;
  let routeId: string;
  before(async () => {
    admin = await startAdmin();
    await call(admin, 'POST', '/services', form(['name', 'example-service'], ['url', 'http://httpbin.org']));
    routeId = (await call(admin, 'POST', '/services/example-service/routes', form(['name', 'example-route'], ['paths[]', '/mock']))).body.id;
  });
  after(async () => {
    await admin.close();
  });

  it("accepts Kong's openid-connect guide call as written", { skip: !pluginRegistry.has('openid-connect') && 'openid-connect is not registered' }, async () => {
    const changes = admin.changes();
    // curl -X POST http://localhost:8001/routes/ROUTE_ID/plugins --data name="openid-connect" --data config.issuer=... (Kong's guide)
    const answer = await call(
      admin,
      'POST',
      `/routes/${routeId}/plugins`,
      form(
        ['name', 'openid-connect'],
        ['config.issuer', 'https://x/oauth2/default/.well-known/openid-configuration'],
        ['config.client_id', 'C'],
        ['config.client_secret', 'S'],
        ['config.redirect_uri', 'https://kong.com/api'],
        ['config.scopes_claim', 'scp'],
        ['config.scopes', 'openid'],
        ['config.scopes', 'email'],
        ['config.scopes', 'profile'],
        ['config.auth_methods', 'authorization_code'],
      ),
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.name, 'openid-connect');
    assert.deepEqual(answer.body.route, { id: routeId });
    assert.equal(answer.body.service, null);
    assert.equal(answer.body.consumer, null);
    assert.equal(answer.body.enabled, true);
    const config = answer.body.config;
    assert.equal(config.issuer, 'https://x/oauth2/default/.well-known/openid-configuration');
    assert.deepEqual(config.client_id, ['C']);
    assert.deepEqual(config.client_secret, ['[redacted]']);
    assert.deepEqual(config.redirect_uri, ['https://kong.com/api']);
    assert.deepEqual(config.scopes_claim, ['scp']);
    assert.deepEqual(config.scopes, ['openid', 'email', 'profile']);
    assert.deepEqual(config.auth_methods, ['authorization_code']);
    assert.equal(typeof config.session_cookie_name, 'string', 'defaults are filled in, as Kong returns them');
    assert.equal(admin.changes(), changes + 1);
    assert.deepEqual((await decryptedConfig(admin, answer.body.id)).client_secret, ['S']);
  });

  it('validates openid-connect config with the plugin schema, naming every field', { skip: !pluginRegistry.has('openid-connect') && 'openid-connect is not registered' }, async () => {
    const counts = await countAll(admin.db);
    const answer = await call(admin, 'POST', '/plugins', form(['name', 'openid-connect'], ['config.scopes', 'openid'], ['enabled', 'maybe']));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.fields.config.issuer, 'required field missing');
    assert.equal(answer.body.fields.config.client_id, 'required field missing');
    assert.equal(answer.body.fields.enabled, 'expected a boolean (true or false)');
    assert.match(answer.body.message, /config\.client_id: required field missing/);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('refuses header settings that are not HTTP header names (a CR LF one made every request of the route 502)', { skip: !pluginRegistry.has('openid-connect') && 'openid-connect is not registered' }, async () => {
    const counts = await countAll(admin.db);
    const base = { issuer: 'https://idp.example/oauth2/default', client_id: 'C', client_secret: 'S' };
    const bad: Array<[string, unknown, string]> = [
      ['upstream_headers_names', ['X-Email\r\nX-Injected: 1'], 'upstream_headers_names'],
      ['upstream_id_token_header', 'X Id Token', 'upstream_id_token_header'],
      ['upstream_user_info_header', 'X-Info\u0000', 'upstream_user_info_header'],
      ['upstream_access_token_header', 'authorization\n:bearer', 'upstream_access_token_header'],
      ['refresh_token_param_name', 'refresh token', 'refresh_token_param_name'],
    ];
    for (const [key, value, field] of bad) {
      const config = { ...base, [key]: value, ...(key === 'upstream_headers_names' ? { upstream_headers_claims: ['email'] } : {}) };
      const answer = await call(admin, 'POST', `/routes/${routeId}/plugins`, { name: 'openid-connect', config });
      assert.equal(answer.status, 400, key);
      const message = JSON.stringify(answer.body.fields.config[field]);
      assert.match(message, /header name/, `${key}: ${message}`);
    }
    assert.deepEqual(await countAll(admin.db), counts, 'nothing written');
    const good = await call(admin, 'POST', '/plugins', {
      name: 'openid-connect',
      config: { ...base, upstream_access_token_header: 'x-access-token', upstream_headers_claims: ['email'], upstream_headers_names: ['X-User_Email'] },
    });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    assert.equal((await call(admin, 'DELETE', `/plugins/${good.body.id}`)).status, 204);
  });

  it('encrypts secrets in the database file and redacts them in every answer', async () => {
    const secret = 'client-secret-that-must-never-leak-4711';
    const listSecrets = ['list-secret-one-0815', 'list-secret-two-0816'];
    const nestedSecret = 'nested-secret-token-0817';
    const created = await call(admin, 'POST', '/plugins', {
      name: 'secret-test',
      config: { client_id: 'app', api_key: secret, keys: listSecrets, nested: { token: nestedSecret } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.config, {
      client_id: 'app',
      api_key: '[redacted]',
      keys: ['[redacted]', '[redacted]'],
      nested: { token: '[redacted]', label: 'none' },
      retries: 3,
    });
    for (const path of ['/plugins', `/plugins/${created.body.id}`]) {
      const text = JSON.stringify((await call(admin, 'GET', path)).body);
      for (const value of [secret, nestedSecret, ...listSecrets]) assert.equal(text.includes(value), false, `${value} in ${path}`);
    }
    const raw = rawDatabaseBytes(admin.dir);
    assert.ok(raw.includes(Buffer.from('client_id')), 'the raw bytes hold the configuration');
    for (const value of [secret, nestedSecret, ...listSecrets]) {
      assert.equal(raw.includes(Buffer.from(value)), false, `${value} is in clear in the database file`);
    }
    const row = await admin.db.selectFrom('plugins').select('config').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    const stored = JSON.parse(row.config);
    assert.equal(stored.api_key.split('.').length, 5, 'stored as a JWE');
    const decrypted = await decryptedConfig(admin, created.body.id);
    assert.equal(decrypted.api_key, secret);
    assert.deepEqual(decrypted.keys, listSecrets);
    assert.deepEqual(decrypted.nested, { token: nestedSecret, label: 'none' });
  });

  it("keeps stored secrets when an update sends '[redacted]' back", async () => {
    const created = await call(admin, 'POST', '/plugins', {
      name: 'secret-test',
      service: { name: 'example-service' },
      config: { client_id: 'one', api_key: 'original-key', keys: ['k1', 'k2'] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;

    // Read, change one field, send everything back: the usual client round trip.
    const read = (await call(admin, 'GET', `/plugins/${id}`)).body;
    const put = await call(admin, 'PUT', `/plugins/${id}`, { ...read, config: { ...read.config, client_id: 'two' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.config.api_key, '[redacted]');
    let config = await decryptedConfig(admin, id);
    assert.equal(config.client_id, 'two');
    assert.equal(config.api_key, 'original-key');
    assert.deepEqual(config.keys, ['k1', 'k2']);

    // PATCH merges config field by field; '[redacted]' in a list keeps that element.
    const patched = await call(admin, 'PATCH', `/plugins/${id}`, form(['config.keys', '[redacted]'], ['config.keys', 'k3'], ['config.retries', '7']));
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    config = await decryptedConfig(admin, id);
    assert.deepEqual(config.keys, ['k1', 'k3']);
    assert.equal(config.retries, 7);
    assert.equal(config.client_id, 'two');
    assert.equal(config.api_key, 'original-key');

    // A new value replaces the secret.
    await call(admin, 'PATCH', `/plugins/${id}`, { config: { api_key: 'rotated-key' } });
    assert.equal((await decryptedConfig(admin, id)).api_key, 'rotated-key');
  });

  it("refuses '[redacted]' where no secret is stored, without writing", async () => {
    const counts = await countAll(admin.db);
    const answer = await call(admin, 'POST', '/plugins', { name: 'secret-test', config: { client_id: 'x', api_key: '[redacted]' } });
    assert.equal(answer.status, 400);
    assert.match(answer.body.fields.config.api_key, /none is stored here; send the secret itself/);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('never echoes a secret in an error', async () => {
    const secret = 'do-not-echo-this-secret-9321';
    const answer = await call(admin, 'POST', '/plugins', { name: 'secret-test', config: { api_key: secret, retries: 'lots', extra: secret } });
    assert.equal(answer.status, 400);
    assert.equal(JSON.stringify(answer.body).includes(secret), false);
    assert.deepEqual(answer.body.fields.config, { client_id: 'required field missing', retries: 'expected an integer', extra: 'unknown field' });
  });

  it('refuses unknown plugin names on the name field', async () => {
    const answer = await call(admin, 'POST', '/plugins', form(['name', 'rate-limiting'], ['config.minute', '5']));
    assert.equal(answer.status, 400);
    assert.match(answer.body.fields.name, /^plugin 'rate-limiting' is not available on this server \(available: .*acl.*\)$/);
    const missing = await call(admin, 'POST', '/plugins', {});
    assert.equal(missing.body.fields.name, 'required field missing');
  });

  it('allows one plugin of a name per scope (409), other scopes are fine', async () => {
    const first = await call(admin, 'POST', `/routes/${routeId}/plugins`, form(['name', 'acl'], ['config.allow', 'admins']));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const plugins = await countRows(admin.db, 'plugins');
    const second = await call(admin, 'POST', '/plugins', { name: 'acl', route: { id: routeId }, config: { allow: ['others'] } });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 5);
    assert.equal(second.body.name, 'unique constraint violation');
    assert.equal(second.body.message, `UNIQUE violation detected on '{consumer=null,name="acl",route={id="${routeId}"},service=null}'`);
    assert.equal(await countRows(admin.db, 'plugins'), plugins);
    const global = await call(admin, 'POST', '/plugins', form(['name', 'acl'], ['config.allow', 'everyone']));
    assert.equal(global.status, 201);
    const globalAgain = await call(admin, 'POST', '/plugins', form(['name', 'acl'], ['config.allow', 'everyone']));
    assert.equal(globalAgain.status, 409, 'two global plugins of one name collide too');
  });

  it('scopes plugins under routes, services and consumers', async () => {
    const consumer = await call(admin, 'POST', '/consumers', form(['username', 'alice']));
    const created = await call(admin, 'POST', '/consumers/alice/plugins', form(['name', 'acl'], ['config.deny', 'blocked']));
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.consumer, { id: consumer.body.id });
    const listed = await call(admin, 'GET', '/consumers/alice/plugins');
    assert.deepEqual(listed.body.data.map((plugin: { id: string }) => plugin.id), [created.body.id]);
    assert.equal((await call(admin, 'GET', `/consumers/alice/plugins/${created.body.id}`)).status, 200);
    assert.equal((await call(admin, 'GET', `/routes/${routeId}/plugins/${created.body.id}`)).status, 404, 'not in that scope');
    const routePlugins = await call(admin, 'GET', `/routes/${routeId}/plugins`);
    assert.ok(routePlugins.body.data.every((plugin: { route: { id: string } }) => plugin.route.id === routeId));
    const onService = await call(admin, 'POST', '/services/example-service/plugins', form(['name', 'acl'], ['config.allow', 'staff']));
    assert.equal(onService.status, 201, JSON.stringify(onService.body));
    const servicePlugins = await call(admin, 'GET', '/services/example-service/plugins');
    assert.ok(servicePlugins.body.data.some((plugin: { id: string }) => plugin.id === onService.body.id));
    assert.ok(servicePlugins.body.data.every((plugin: { service: { id: string } }) => plugin.service.id === onService.body.service.id));
    assert.equal((await call(admin, 'GET', '/consumers/nobody/plugins')).status, 404);

    const disabled = await call(admin, 'PATCH', `/consumers/alice/plugins/${created.body.id}`, form(['enabled', 'false']));
    assert.equal(disabled.body.enabled, false);
    assert.deepEqual(disabled.body.config.deny, ['blocked']);
    assert.equal((await call(admin, 'DELETE', `/consumers/alice/plugins/${created.body.id}`)).status, 204);
    assert.equal((await call(admin, 'GET', `/plugins/${created.body.id}`)).status, 404);
  });

  it('answers 404 for unknown or malformed plugin ids, and 204 on DELETE', async () => {
    assert.equal((await call(admin, 'GET', '/plugins/not-a-uuid')).status, 404);
    assert.equal((await call(admin, 'GET', '/plugins/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call(admin, 'PATCH', '/plugins/00000000-0000-4000-8000-000000000000', { enabled: false })).status, 404);
    assert.equal((await call(admin, 'DELETE', '/plugins/00000000-0000-4000-8000-000000000000')).status, 204);
  });

  it('lists the plugins this node offers', async () => {
    // One in use, so that the cluster has it enabled.
    await call(admin, 'PUT', '/consumers/lister', {});
    assert.equal((await call(admin, 'POST', '/consumers/lister/plugins', form(['name', 'acl'], ['config.allow', 'x']))).status, 201);
    const enabled = await call(admin, 'GET', '/plugins/enabled');
    assert.ok(enabled.body.enabled_plugins.includes('acl'));
    assert.ok(enabled.body.enabled_plugins.includes('secret-test'));
    const root = await call(admin, 'GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.body.plugins.available_on_server.acl.priority, 950);
    assert.ok(root.body.plugins.enabled_in_cluster.includes('acl'));
    assert.equal(typeof root.body.version, 'string');
    assert.equal(typeof root.body.hostname, 'string');
  });
});
