import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadGatewayConfiguration } from '../../src/store/index.js';
import { call, form, startAdmin, testRegistry } from './helpers.js';

describe('Admin API: restart', () => {
  it('keeps the configuration in the database file across a restart', async () => {
    const first = await startAdmin();
    const service = await call(first, 'POST', '/services', form(['name', 'persisted'], ['url', 'https://p.internal/base']));
    const route = await call(first, 'POST', '/services/persisted/routes', form(['name', 'persisted-route'], ['paths', '/p']));
    const consumer = await call(first, 'POST', '/consumers', form(['username', 'pat']));
    const plugin = await call(first, 'POST', `/routes/${route.body.id}/plugins`, {
      name: 'secret-test',
      config: { client_id: 'persisted-client', api_key: 'persisted-secret' },
    });
    assert.equal(plugin.status, 201);
    await first.stop();

    const second = await startAdmin({ dir: first.dir });
    try {
      assert.deepEqual((await call(second, 'GET', '/services/persisted')).body, service.body);
      assert.deepEqual((await call(second, 'GET', '/routes/persisted-route')).body, route.body);
      assert.deepEqual((await call(second, 'GET', '/consumers/pat')).body, consumer.body);
      assert.deepEqual((await call(second, 'GET', `/plugins/${plugin.body.id}`)).body, plugin.body);
      const configuration = await loadGatewayConfiguration(second.db, second.keyRing, testRegistry);
      assert.equal(configuration.services.length, 1);
      assert.equal(configuration.routes.length, 1);
      assert.equal(configuration.consumers.length, 1);
      assert.equal(configuration.plugins[0]?.config.api_key, 'persisted-secret');
    } finally {
      await second.stop();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});
