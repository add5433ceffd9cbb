import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AddressInfo } from 'node:net';
import { parseCookie } from 'cookie';
import type { AdminSessionResolver } from './admin/auth.js';
import { createAdminServer } from './admin/server.js';
import { resolveKeys } from './config/keys.js';
import { createConsoleServer } from './console/server.js';
import { consoleUrlOf, publicUrlOf, type Listen, type Settings } from './config/settings.js';
import { KeyRing } from './crypto/keyring.js';
import { GatewayState } from './gateway/snapshot.js';
import { createProxyServer } from './gateway/server.js';
import { registerSignInRoutes } from './gateway/sign-in-routes.js';
import { AssertionSigner } from './identity/assertion-signer.js';
import { GroupSync } from './identity/group-sync.js';
import type { IdentityStore } from './identity/model.js';
import { OktaDirectory } from './identity/okta-groups.js';
import { OrganizationDirectory } from './identity/organization-directory.js';
import { ORGANIZATION_SESSION_COOKIE, readOrganizationSession } from './identity/organization-session.js';
import type { Logger } from './log.js';
import { ProviderCache } from './oidc/provider-cache.js';
import { DatabaseSessionStore } from './sessions/sqlite-store.js';
import { TieredSessionStore } from './sessions/tiered-store.js';
import { openDatabase } from './store/database.js';
import { loadGatewayConfiguration } from './store/gateway-configuration.js';
import { migrateToLatest } from './store/migrations.js';
import { createIdentityStore } from './store/repositories/identity/index.js';
import type { Database } from './store/schema.js';

/** A running Gatehouse node: the proxy, Admin API and console listeners over one store. */
export interface Gatehouse {
  proxyUrl: string;
  adminUrl: string;
  /** The web console (`GATEHOUSE_CONSOLE_LISTEN`). */
  consoleUrl: string;
  db: Kysely<Database>;
  keyRing: KeyRing;
  state: GatewayState;
  sessions: TieredSessionStore;
  providers: ProviderCache;
  identityStore: IdentityStore;
  /** The background Okta group sync (tests run it on demand). */
  groupSync: GroupSync;
  /** Reads the configuration from the store and swaps in a new snapshot. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  settings: Settings;
  log: Logger;
  /** Tests shorten the JWKS refetch cool-down; production keeps the default. */
  jwksCooldownMs?: number;
  /** Recognises console/SSO sessions on Admin API requests (see AdminServerOptions). */
  adminSessionResolver?: AdminSessionResolver;
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
  // The proxy's public URL names the port actually bound (port 0 in tests) unless GATEHOUSE_PUBLIC_URL says otherwise.
  let boundProxyPort: number | undefined;
  const publicUrl = () => publicUrlOf(settings, boundProxyPort);
  let boundConsolePort: number | undefined;
  const consolePublicUrl = () => consoleUrlOf(settings, publicUrl(), boundConsolePort);

  const identityStore = createIdentityStore(db, keyRing);
  const organizations = new OrganizationDirectory();
  await organizations.reload(identityStore);
  const signer = await AssertionSigner.load(db, keyRing, publicUrl);
  const okta = new OktaDirectory(log);
  const groupSync = new GroupSync({ store: identityStore, sessions, okta, log });

  const state = new GatewayState(await loadGatewayConfiguration(db, keyRing), {
    keyRing,
    sessions,
    providers,
    log,
    identity: { signer, organization: (reference) => organizations.organization(reference) },
  });
  const reload = async (): Promise<void> => {
    state.reload(await loadGatewayConfiguration(db, keyRing));
    await organizations.reload(identityStore);
  };

  const purge = setInterval(() => {
    sessionBacking.purgeExpired().catch((error: unknown) => log.warn({ err: String(error) }, 'session purge failed'));
  }, 60_000).unref();

  const proxy = createProxyServer({ state, log, trustedIps: settings.trusted_ips });
  registerSignInRoutes(proxy, {
    store: identityStore,
    sessions,
    keyRing,
    providers,
    signer,
    publicUrl,
    consoleUrl: consolePublicUrl,
    log,
    oktaGroups: (identitySettings, subject) => okta.groupsOf(identitySettings, subject),
  });
  // Console and SSO sessions also authenticate Admin API calls.
  const adminSessionResolver: AdminSessionResolver =
    options.adminSessionResolver ??
    (async (request) => {
      const cookies = request.headers.cookie ? parseCookie(request.headers.cookie) : {};
      const found = await readOrganizationSession(sessions, keyRing, cookies[ORGANIZATION_SESSION_COOKIE]);
      return found ? { userId: found.session.user_id, organizationId: found.session.organization_id } : undefined;
    });
  const admin = createAdminServer({
    db,
    keyRing,
    log,
    onChange: reload,
    adminToken: settings.admin_token,
    publicUrl,
    sessions,
    adminSessionResolver,
  });
  // The console reaches the Admin API and the proxy's sign-in endpoints in-process (Fastify inject).
  const consoleServer = createConsoleServer({
    admin,
    proxy,
    keyRing,
    publicUrl,
    organizations: { byLoginPath: (loginPath) => identityStore.organizationByLoginPath(loginPath) },
    log,
    trustedIps: settings.trusted_ips,
  });
  let proxyUrl: string;
  let adminUrl: string;
  let consoleUrl: string;
  try {
    proxyUrl = await listen(proxy, settings.proxy_listen);
    boundProxyPort = Number(new URL(proxyUrl).port);
    adminUrl = await listen(admin, settings.admin_listen);
    consoleUrl = await listen(consoleServer, settings.console_listen);
    boundConsolePort = Number(new URL(consoleUrl).port);
  } catch (error) {
    clearInterval(purge);
    await Promise.allSettled([proxy.close(), admin.close(), consoleServer.close()]);
    await state.close();
    await db.destroy();
    throw error;
  }
  log.info({ proxy: proxyUrl, admin: adminUrl, console: consoleUrl }, 'Gatehouse is listening');
  groupSync.start();

  return {
    proxyUrl,
    adminUrl,
    consoleUrl,
    db,
    keyRing,
    state,
    sessions,
    providers,
    identityStore,
    groupSync,
    reload,
    async close() {
      groupSync.stop();
      clearInterval(purge);
      await Promise.allSettled([proxy.close(), admin.close(), consoleServer.close()]);
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
