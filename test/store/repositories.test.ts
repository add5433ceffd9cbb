import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KeyRing } from '../../src/crypto/keyring.js';
import type { PluginConfigDefinition, PluginConfigRegistry } from '../../src/model/plugin.js';
import {
  ConsumerRepository,
  PluginRepository,
  RouteRepository,
  ServiceRepository,
  loadGatewayConfiguration,
  migrateToLatest,
  openDatabase,
  type Database,
} from '../../src/store/index.js';

// The store knows a plugin only by its configuration rules: no phases, no priority.
const vault: PluginConfigDefinition = {
  configSchema: z.object({ token: z.string(), mount: z.string().default('/secret') }).strict(),
  secretFields: ['token'],
};
const registry: PluginConfigRegistry = new Map([['vault', vault]]);

describe('repositories', () => {
  let db: Kysely<Database>;
  const oldKeys = KeyRing.fromSecrets(['old-key-0123456789abcdef0123']);
  let services: ServiceRepository;
  let routes: RouteRepository;
  let consumers: ConsumerRepository;
  let plugins: PluginRepository;

  before(async () => {
    db = await openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    services = new ServiceRepository(db);
    routes = new RouteRepository(db);
    consumers = new ConsumerRepository(db);
    plugins = new PluginRepository(db, oldKeys, registry);
  });
  after(async () => {
    await db.destroy();
  });

  it('pages 250 consumers in creation order with the default size of 100', async () => {
    for (let index = 0; index < 250; index += 1) await consumers.insert({ username: `user-${String(index).padStart(3, '0')}` });
    const names: string[] = [];
    let offset: string | undefined;
    let pages = 0;
    do {
      const page = await consumers.list({ offset });
      assert.ok(page.data.length <= 100);
      names.push(...page.data.map((consumer) => consumer.username!));
      offset = page.offset ?? undefined;
      pages += 1;
    } while (offset);
    assert.equal(pages, 3);
    assert.equal(names.length, 250);
    assert.equal(new Set(names).size, 250);
    const big = await consumers.list({ size: 1000 });
    assert.equal(big.data.length, 250);
    assert.equal(big.offset, null);
    await assert.rejects(consumers.list({ size: 1001 }), { code: 'GH-ADMIN-SIZE' });
    await assert.rejects(consumers.list({ offset: 'bm90IGpzb24' }), { code: 'GH-ADMIN-OFFSET' });
  });

  it('the database itself enforces the route → service reference', async () => {
    await assert.rejects(
      db
        .insertInto('routes')
        .values({
          id: '11111111-1111-4111-8111-111111111111',
          name: null,
          service_id: '22222222-2222-4222-8222-222222222222',
          protocols: '["http"]',
          methods: null,
          hosts: null,
          paths: '["/x"]',
          strip_path: 1,
          preserve_host: 0,
          regex_priority: 0,
          tags: null,
          created_at: 0,
          updated_at: 0,
        })
        .execute(),
      { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' },
    );
  });

  it('writes nothing when a plugin references a missing route', async () => {
    const before = (await plugins.list()).data.length;
    await assert.rejects(plugins.insert({ name: 'vault', route: { name: 'missing' }, config: { token: 't' } }), { code: 'GH-ADMIN-FOREIGN-KEY' });
    assert.equal((await plugins.list()).data.length, before);
  });

  it('loads the gateway configuration with secrets decrypted, readable after a key rotation', async () => {
    const service = await services.insert({ name: 'svc', url: 'https://svc.internal' });
    const route = await routes.insert({ name: 'rt', paths: ['/'], service: { name: 'svc' } });
    const consumer = await consumers.insert({ username: 'vault-user' });
    const plugin = await plugins.insert({ name: 'vault', route: { name: 'rt' }, consumer: { username: 'vault-user' }, config: { token: 'vault-token' } });
    assert.equal(plugin.config.token, '[redacted]');
    assert.equal(plugin.config.mount, '/secret');
    assert.deepEqual(plugin.consumer, { id: consumer!.id });

    // A new key first, the old one kept: stored secrets stay readable.
    const rotated = KeyRing.fromSecrets(['new-key-0123456789abcdef0123', 'old-key-0123456789abcdef0123']);
    const configuration = await loadGatewayConfiguration(db, rotated, registry);
    assert.deepEqual(configuration.services.map((entity) => entity.id), [service.id]);
    assert.deepEqual(configuration.routes.map((entity) => entity.id), [route.id]);
    assert.equal(configuration.consumers.length, (await consumers.list({ size: 1000 })).data.length);
    assert.ok(configuration.consumers.some((entity) => entity.id === consumer.id));
    assert.equal(configuration.plugins.length, 1);
    assert.deepEqual(configuration.plugins[0]!.config, { token: 'vault-token', mount: '/secret' });

    const withoutOldKey = KeyRing.fromSecrets(['new-key-0123456789abcdef0123']);
    await assert.rejects(loadGatewayConfiguration(db, withoutOldKey, registry), { code: 'GH-KEYS-UNKNOWN' });
  });

  it('refuses to delete a service with routes, deletes route plugins with the route', async () => {
    await services.insert({ name: 'used', url: 'https://used.internal' });
    await routes.insert({ name: 'user', paths: ['/used'], service: { name: 'used' } });
    const before = (await plugins.list()).data.length;
    await plugins.insert({ name: 'vault', route: { name: 'user' }, config: { token: 'vault-token' } });
    await assert.rejects(services.delete('used'), { code: 'GH-ADMIN-REFERENCED' });
    assert.ok(await services.get('used'));
    assert.equal(await routes.delete('user'), true);
    assert.equal((await plugins.list()).data.length, before);
    assert.equal(await services.delete('used'), true);
    assert.equal(await services.delete('used'), false);
  });
});
