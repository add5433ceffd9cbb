import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import type { GatewayConfiguration } from '../model/gateway.js';
import type { PluginConfigRegistry } from '../model/plugin.js';
import { readConsistently } from './database.js';
import { consumerFromRow } from './repositories/consumers.js';
import { PluginRepository } from './repositories/plugins.js';
import { routeFromRow } from './repositories/routes.js';
import { serviceFromRow } from './repositories/services.js';
import type { Database } from './schema.js';

/**
 * Everything the data plane needs, read from one snapshot of the database so it is
 * consistent (no route pointing at a service deleted halfway through the read).
 * Plugin secrets are decrypted here, in memory only; the result must never be
 * returned by an API or logged whole.
 */
export async function loadGatewayConfiguration(
  db: Kysely<Database>,
  keyRing: KeyRing,
  registry: PluginConfigRegistry,
): Promise<GatewayConfiguration> {
  const plugins = new PluginRepository(db, keyRing, registry);
  return readConsistently(db, async (trx) => {
    const services = await trx.selectFrom('services').selectAll().orderBy('created_at').orderBy('id').execute();
    const routes = await trx.selectFrom('routes').selectAll().orderBy('created_at').orderBy('id').execute();
    const consumers = await trx.selectFrom('consumers').selectAll().orderBy('created_at').orderBy('id').execute();
    return {
      services: services.map(serviceFromRow),
      routes: routes.map(routeFromRow),
      plugins: await plugins.listDecrypted(trx),
      consumers: consumers.map(consumerFromRow),
    };
  });
}
