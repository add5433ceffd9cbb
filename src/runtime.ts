import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AddressInfo } from 'node:net';
import { createAdminServer } from './admin/server.js';
import { resolveKeys } from './config/keys.js';
import type { Listen, Settings } from './config/settings.js';
import { KeyRing } from './crypto/keyring.js';
import { GatewayState } from './gateway/snapshot.js';
import { createProxyServer } from './gateway/server.js';
import type { Logger } from './log.js';
import { ProviderCache } from './oidc/provider-cache.js';
import { DatabaseSessionStore } from './sessions/sqlite-store.js';
import { TieredSessionStore } from './sessions/tiered-store.js';
import { openDatabase } from './store/database.js';
import { loadGatewayConfiguration } from './store/gateway-configuration.js';
import { migrateToLatest } from './store/migrations.js';
import type { Database } from './store/schema.js';

/** A running Gatehouse node: the proxy and Admin API listeners over one store. */
export interface Gatehouse {
  proxyUrl: string;
  adminUrl: string;
  db: Kysely<Database>;
  keyRing: KeyRing;
  state: GatewayState;
  sessions: TieredSessionStore;
  providers: ProviderCache;
  /** Reads the configuration from the store and swaps in a new snapshot. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  settings: Settings;
  log: Logger;
  /** Tests shorten the JWKS refetch cool-down; production keeps the default. */
  jwksCooldownMs?: number;
}

/**
 * Opens the store (migrating it), builds the key ring and the first configuration
 * snapshot, and starts the proxy and Admin API listeners.
 */
export async function startGatehouse(options: StartOptions): Promise<Gatehouse> {
  const { settings, log } = options;
  const keyRing = KeyRing.fromSecrets(resolveKeys(settings, log));
  const db = await openDatabase(settings.database);
  const applied = await migrateToLatest(db);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

  const sessionBacking = new DatabaseSessionStore(db, keyRing);
  const sessions = new TieredSessionStore(sessionBacking);
  const providers = new ProviderCache({
    log,
    ...(options.jwksCooldownMs === undefined ? {} : { jwksCooldownMs: options.jwksCooldownMs }),
  });
  const state = new GatewayState(await loadGatewayConfiguration(db, keyRing), { keyRing, sessions, providers, log });
  const reload = async (): Promise<void> => {
    state.reload(await loadGatewayConfiguration(db, keyRing));
  };

  const purge = setInterval(() => {
    sessionBacking.purgeExpired().catch((error: unknown) => log.warn({ err: String(error) }, 'session purge failed'));
  }, 60_000).unref();

  const proxy = createProxyServer({ state, log, trustedIps: settings.trusted_ips });
  const admin = createAdminServer({ db, keyRing, log, onChange: reload });
  let proxyUrl: string;
  let adminUrl: string;
  try {
    proxyUrl = await listen(proxy, settings.proxy_listen);
    adminUrl = await listen(admin, settings.admin_listen);
  } catch (error) {
    clearInterval(purge);
    await Promise.allSettled([proxy.close(), admin.close()]);
    await state.close();
    await db.destroy();
    throw error;
  }
  log.info({ proxy: proxyUrl, admin: adminUrl }, 'Gatehouse is listening');

  return {
    proxyUrl,
    adminUrl,
    db,
    keyRing,
    state,
    sessions,
    providers,
    reload,
    async close() {
      clearInterval(purge);
      await Promise.allSettled([proxy.close(), admin.close()]);
      await state.close();
      await db.destroy();
    },
  };
}

export async function listen(server: FastifyInstance, where: Listen): Promise<string> {
  await server.listen({ host: where.host, port: where.port });
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`;
}
