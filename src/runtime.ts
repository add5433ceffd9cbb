import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { AddressInfo } from 'node:net';
import { parseCookie } from 'cookie';
import type { AdminSessionResolver } from './admin/auth.js';
import { resolveKeys } from './config/keys.js';
import { consoleUrlOf, publicUrlOf, type Listen, type Settings } from './config/settings.js';
import { KeyRing } from './crypto/keyring.js';
import { pluginRegistry } from './gateway/plugins/index.js';
import { GatewayState } from './gateway/gateway-state.js';
import { createProxyServer, reconfigureProxy } from './gateway/server.js';
import { registerSignInRoutes } from './sign-in/routes.js';
import { SignInThrottle } from './sign-in/throttle.js';
import { AssertionSigner } from './identity/assertion-signer.js';
import { GroupSync } from './identity/group-sync.js';
import type { IdentityStore } from './store/repositories/identity/identity-store.js';
import { OktaDirectory } from './identity/okta-groups.js';
import { OrganizationDirectory } from './identity/organization-directory.js';
import { ORGANIZATION_SESSION_COOKIE, readOrganizationSession } from './identity/organization-session.js';
import { reopenLogFile, type Logger } from './log.js';
import { ProviderCache } from './oidc/provider-cache.js';
import { DatabaseSessionBackend } from './sessions/database-backend.js';
import type { SessionEvents } from './sessions/events.js';
import { SessionStore } from './sessions/store.js';
import { openDatabase } from './store/database.js';
import { loadGatewayConfiguration } from './store/gateway-configuration.js';
import { migrateToLatest } from './store/migrations.js';
import { OidcProviderRepository } from './store/repositories/oidc-providers.js';
import { createIdentityStore } from './store/repositories/identity/index.js';
import type { Database } from './store/schema.js';

/**
 * What a process runs. `all` is one process with everything (GATEHOUSE_WORKERS=1, and
 * every in-process test). With workers (src/cluster/), the primary is `control` and
 * each worker is `proxy`: proxying is what scales with cores, while the Admin API,
 * the console, migrations, the group sync and the session purge must happen once.
 */
export type NodeRole = 'all' | 'control' | 'proxy';

/** A running Gatehouse node: the proxy, Admin API and console listeners over one store. */
export interface Gatehouse {
  /** Where the proxy listens (with workers: where they listen; empty until one does). */
  proxyUrl: string;
  /** Empty in a `proxy` worker, which serves no Admin API. */
  adminUrl: string;
  /** The web console (`GATEHOUSE_CONSOLE_LISTEN`); empty in a `proxy` worker. */
  consoleUrl: string;
  db: Kysely<Database>;
  keyRing: KeyRing;
  state: GatewayState;
  sessions: SessionStore;
  providers: ProviderCache;
  identityStore: IdentityStore;
  /** The background Okta group sync (tests run it on demand). */
  groupSync: GroupSync;
  /** Reads the configuration from the store and swaps in a new snapshot (and, for the primary, has every worker do so). */
  reload(): Promise<void>;
  /** Requests and connections this process's proxy listener has taken (`GET /status` reports each worker's). */
  traffic(): { requests: number; connections: number };
  /**
   * Applies the reloadable settings of `next` (RELOADABLE_SETTINGS: the log level,
   * underscore headers) and re-opens the log file; with workers, in every process.
   * The others keep their values until the next start.
   */
  reconfigure(next: Settings): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  settings: Settings;
  log: Logger;
  /** Tests shorten the JWKS refetch cool-down; production keeps the default. */
  jwksCooldownMs?: number;
  /** Tests shorten the waits between attempts to reach a provider that is down (first, longest). */
  providerRetryMs?: { min: number; max: number };
  /** Tests keep fewer session records unpacked in memory (MemoryTier's `inUseMax`), so a few sessions get packed. */
  sessionsInUse?: number;
  /** Recognises console/SSO sessions on Admin API requests (see AdminServerOptions). */
  adminSessionResolver?: AdminSessionResolver;
  /** What this process runs; default `all`. */
  role?: NodeRole;
  /** How session writes and removals reach the other processes' memory tiers; default: there are none. */
  sessionEvents?: SessionEvents;
  /**
   * Awaited after this process reloaded for an Admin API write, before the write is
   * answered: the primary has every worker reload (see src/cluster/primary.ts).
   */
  afterChange?: () => Promise<void>;
  /** Where the proxy listens when another process does (role `control`), for the public URL of port 0. */
  proxyPort?: () => number | undefined;
  /** Extra fields for the Admin API's `GET /status` (the workers, in a cluster). */
  status?: () => Promise<Record<string, unknown>>;
}

/**
 * Opens the store (migrating it), builds the key ring and the first configuration
 * snapshot, and starts the listeners of the role: proxy, Admin API and console (`all`),
 * Admin API and console (`control`), or the proxy alone (`proxy`).
 */
export async function startGatehouse(options: StartOptions): Promise<Gatehouse> {
  const { settings, log } = options;
  const role = options.role ?? 'all';
  const keyRing = KeyRing.fromSecrets(resolveKeys(settings, log));
  const db = await openDatabase(settings.database);
  // Workers start after the primary migrated: two processes must not migrate at once.
  if (role !== 'proxy') {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  }

  const sessionBackend = new DatabaseSessionBackend(db, keyRing);
  const throttle = new SignInThrottle(db, { hash: (key) => keyRing.fingerprint('sign-in-throttle', key) });
  const sessions = new SessionStore(sessionBackend, {
    packings: Object.fromEntries([...pluginRegistry.values()].flatMap((plugin) => Object.entries(plugin.sessionRecordPackings ?? {}))),
    ...(options.sessionEvents ? { events: options.sessionEvents } : {}),
    ...(options.sessionsInUse === undefined ? {} : { inUseMax: options.sessionsInUse }),
  });
  // Each process has its own cache; all keep the last good copy of each provider in the one database.
  const providers = new ProviderCache({
    log,
    records: new OidcProviderRepository(db),
    ...(options.jwksCooldownMs === undefined ? {} : { jwksCooldownMs: options.jwksCooldownMs }),
    ...(options.providerRetryMs === undefined ? {} : { retryMinMs: options.providerRetryMs.min, retryMaxMs: options.providerRetryMs.max }),
  });
  // The proxy's public URL names the port actually bound (port 0 in tests) unless GATEHOUSE_PUBLIC_URL says otherwise.
  let boundProxyPort: number | undefined;
  const publicUrl = () => publicUrlOf(settings, boundProxyPort ?? options.proxyPort?.());
  let boundConsolePort: number | undefined;
  let boundAdminPort: number | undefined;
  const consolePublicUrl = () => consoleUrlOf(settings, publicUrl(), boundConsolePort);

  const identityStore = createIdentityStore(db, keyRing);
  const organizations = new OrganizationDirectory();
  await organizations.reload(identityStore);
  const signer = await AssertionSigner.load(db, keyRing, publicUrl);
  const okta = new OktaDirectory(log);
  const groupSync = new GroupSync({ store: identityStore, sessions, okta, log });

  // The store knows no plugins of its own (it sits below the gateway): it is handed the registry, as the data plane and the Admin API are.
  const state = new GatewayState(await loadGatewayConfiguration(db, keyRing, pluginRegistry), {
    registry: pluginRegistry,
    keyRing,
    sessions,
    providers,
    log,
    identity: { signer, organization: (reference) => organizations.organization(reference) },
  });
  const reloadHere = serialized(async () => {
    state.reload(await loadGatewayConfiguration(db, keyRing, pluginRegistry));
    await organizations.reload(identityStore);
  });
  const reload = async (): Promise<void> => {
    await reloadHere();
    await options.afterChange?.();
  };

  // Once per store: the primary's job when there are workers.
  const purge =
    role === 'proxy'
      ? undefined
      : setInterval(() => {
          sessionBackend.purgeExpired().catch((error: unknown) => log.warn({ err: String(error) }, 'session purge failed'));
          throttle.purgeExpired().catch((error: unknown) => log.warn({ err: String(error) }, 'sign-in throttle purge failed'));
        }, 60_000).unref();

  // The primary builds the proxy too, without listening: the console calls its sign-in endpoints in-process.
  const proxy = createProxyServer({ state, log, trustedIps: settings.trusted_ips, allowUnderscoreHeaders: settings.allow_underscore_headers });
  const traffic = { requests: 0, connections: 0 };
  proxy.server.on('request', () => (traffic.requests += 1));
  proxy.server.on('connection', () => (traffic.connections += 1));
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
    throttle,
  });
  // Console and SSO sessions also authenticate Admin API calls.
  const adminSessionResolver: AdminSessionResolver =
    options.adminSessionResolver ??
    (async (request) => {
      const cookies = request.headers.cookie ? parseCookie(request.headers.cookie) : {};
      const found = await readOrganizationSession(sessions, keyRing, cookies[ORGANIZATION_SESSION_COOKIE]);
      return found ? { userId: found.session.user_id, organizationId: found.session.organization_id } : undefined;
    });
  // A worker serves neither: they are the primary's, and a worker does not even load
  // their modules (faster start, less memory per worker).
  const { createAdminServer } = role === 'proxy' ? { createAdminServer: undefined } : await import('./admin/server.js');
  const { createConsoleServer } = role === 'proxy' ? { createConsoleServer: undefined } : await import('./console/server.js');
  const admin =
    createAdminServer === undefined
      ? undefined
      : createAdminServer({
          db,
          keyRing,
          log,
          plugins: pluginRegistry,
          onChange: reload,
          adminToken: settings.admin_token,
          publicUrl,
          sessions,
          adminSessionResolver,
          ...(options.status ? { status: options.status } : {}),
          ownListeners: () => [
            { host: settings.proxy_listen.host, port: boundProxyPort ?? options.proxyPort?.() ?? settings.proxy_listen.port },
            { host: settings.admin_listen.host, port: boundAdminPort ?? settings.admin_listen.port },
            { host: settings.console_listen.host, port: boundConsolePort ?? settings.console_listen.port },
          ],
        });
  // The console reaches the Admin API and the proxy's sign-in endpoints in-process (Fastify inject).
  const consoleServer =
    admin === undefined || createConsoleServer === undefined
      ? undefined
      : createConsoleServer({
          admin,
          proxy,
          keyRing,
          publicUrl,
          organizations: { byLoginPath: (loginPath) => identityStore.organizationByLoginPath(loginPath) },
          log,
          trustedIps: settings.trusted_ips,
        });
  const closeListeners = () => Promise.allSettled([proxy.close(), admin?.close(), consoleServer?.close()]);
  let proxyUrl = '';
  let adminUrl = '';
  let consoleUrl = '';
  try {
    if (role !== 'control') {
      proxyUrl = await listen(proxy, settings.proxy_listen);
      boundProxyPort = Number(new URL(proxyUrl).port);
    }
    if (admin && consoleServer) {
      adminUrl = await listen(admin, settings.admin_listen);
      boundAdminPort = Number(new URL(adminUrl).port);
      consoleUrl = await listen(consoleServer, settings.console_listen);
      boundConsolePort = Number(new URL(consoleUrl).port);
    }
  } catch (error) {
    clearInterval(purge);
    await closeListeners();
    await state.close();
    await providers.close();
    await db.destroy();
    throw error;
  }
  if (role === 'all') log.info({ proxy: proxyUrl, admin: adminUrl, console: consoleUrl }, 'Gatehouse is listening');
  // Once per store, like the purge: the primary's job when there are workers.
  if (role !== 'proxy') groupSync.start();

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
    traffic: () => ({ ...traffic }),
    async reconfigure(next) {
      log.level = next.log_level;
      reconfigureProxy(proxy, { allowUnderscoreHeaders: next.allow_underscore_headers });
      reopenLogFile(log);
    },
    async close() {
      groupSync.stop();
      clearInterval(purge);
      await closeListeners();
      await state.close();
      await providers.close();
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

/**
 * Runs `task` one at a time. A call while it runs gets the run after it (one for all
 * such calls), which starts after the call and so reads everything written before it:
 * two reloads never interleave, and a quick series of writes costs two runs, not one each.
 */
export function serialized(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const run = (): Promise<void> => {
    if (!running) {
      running = task().finally(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  };
  return run;
}
