import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import { pluginRegistry } from '../gateway/plugins/index.js';
import type { Logger } from '../log.js';
import type { Database } from '../store/schema.js';
import type { PluginRegistry } from '../gateway/plugin.js';
import type { ConnectionTester, OktaGroupSearcher } from '../identity/identity-settings-deps.js';
import { testIdentityConnection } from '../okta/connection-test.js';
import { OktaManagementApi } from '../okta/management-api.js';
import type { SessionStore } from '../sessions/store.js';
import { registerAdminAuth, type AdminSessionResolver } from './auth.js';
import { registerBodyParsers } from './body.js';
import { createAdminContext } from './context.js';
import { recordEndpoints } from './endpoints.js';
import { errorReply, registerErrorHandling } from './errors.js';
import { registerConsumerRoutes } from './routes/consumers.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerPluginRoutes } from './routes/plugins.js';
import { registerRouteRoutes } from './routes/routes.js';
import { registerServiceRoutes } from './routes/services.js';
import { registerIdentityRoutes } from './routes/identity.js';
import { registerMeRoutes } from './routes/me.js';
import { registerOrganizationRoutes } from './routes/organizations.js';
import { registerPeopleRoutes } from './routes/people.js';
import type { Endpoint } from '../store/repositories/services.js';

export interface AdminServerOptions {
  db: Kysely<Database>;
  keyRing: KeyRing;
  log: Logger;
  /** Awaited after every write that changed the configuration, so the data plane reloads. */
  onChange: () => Promise<void> | void;
  /** The plugins this node offers; the gateway's registry unless a test brings its own. */
  plugins?: PluginRegistry;
  /** Largest accepted body in bytes (default 1 MiB: entities are small, a big body is a mistake). */
  bodyLimit?: number;
  /** The bootstrap token (`GATEHOUSE_ADMIN_TOKEN`): `Authorization: Bearer …` may do everything. */
  adminToken?: string | undefined;
  /**
   * Recognises a console/SSO session on a request (the sign-in side provides it);
   * without it, only the bootstrap token and personal access tokens authenticate.
   */
  adminSessionResolver?: AdminSessionResolver | undefined;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`), for the URIs to register in Okta; default http://localhost:8000. */
  publicUrl?: string | (() => string) | undefined;
  /** The session store, so deactivating a user (or changing their roles) ends their live sessions at once. */
  sessions?: SessionStore | undefined;
  /** "Test Configuration"; default the real connection test (src/okta/connection-test.ts). */
  identityConnectionTest?: ConnectionTester | undefined;
  /** Group suggestions; default Okta's Management API with the organization's API token. */
  oktaGroupSearch?: OktaGroupSearcher | undefined;
  /** Extra fields for `GET /status`: with workers, each worker's process and traffic. */
  status?: (() => Promise<Record<string, unknown>>) | undefined;
  /** Gatehouse's own listeners, as bound: organizations' services may not target them. */
  ownListeners?: (() => readonly Endpoint[]) | undefined;
}

/** Okta group suggestions through the Management API (an admin is waiting: short retries). */
export const searchOktaGroups: OktaGroupSearcher = async (settings, query, limit) => {
  const api = new OktaManagementApi({
    oktaDomain: settings.okta_domain ?? '',
    apiToken: settings.api_token ?? '',
    maxRateLimitRetries: 1,
    maxRateLimitWaitMs: 5000,
  });
  const groups = await api.searchGroups(query, limit);
  return groups.map((group) => ({ id: group.id, name: group.profile.name, description: group.profile.description, type: group.type }));
};

export const DEFAULT_ADMIN_BODY_LIMIT = 1024 * 1024;

/**
 * The Kong-compatible Admin API, built but not listening (the CLI listens). Speaks
 * JSON and form bodies, answers Kong's shapes and error bodies plus a stable
 * `error_code`, and writes each request in one transaction so a refused request
 * leaves the store untouched.
 */
export function createAdminServer(options: AdminServerOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's type the plain default one.
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? DEFAULT_ADMIN_BODY_LIMIT,
    // Kong accepts `/services/` as `/services`.
    routerOptions: { ignoreTrailingSlash: true },
    // Errors raised before routing (a malformed percent-encoding) get the same body shape.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = errorReply(error);
      // The hook's reply type is generic over route schemas we do not declare.
      void (reply as unknown as FastifyReply).status(status).send(body);
    },
  });

  const ctx = createAdminContext({
    db: options.db,
    keyRing: options.keyRing,
    log: options.log,
    registry: options.plugins ?? pluginRegistry,
    onChange: options.onChange,
    sessions: options.sessions,
    ...(options.ownListeners ? { ownListeners: options.ownListeners } : {}),
    identity: {
      publicUrl: publicUrlGetter(options.publicUrl),
      testConnection: options.identityConnectionTest ?? testIdentityConnection,
      searchGroups: options.oktaGroupSearch ?? searchOktaGroups,
    },
  });

  recordEndpoints(app);
  registerBodyParsers(app);
  registerErrorHandling(app);
  // Before any route: every request but GET /status is authenticated.
  registerAdminAuth(app, { db: options.db, adminToken: options.adminToken, adminSessionResolver: options.adminSessionResolver });
  registerInfoRoutes(app, ctx, options.status);
  registerServiceRoutes(app, ctx);
  registerRouteRoutes(app, ctx);
  registerConsumerRoutes(app, ctx);
  registerPluginRoutes(app, ctx);
  registerOrganizationRoutes(app, ctx);
  registerIdentityRoutes(app, ctx);
  registerPeopleRoutes(app, ctx);
  registerMeRoutes(app, ctx);
  return app;
}

function publicUrlGetter(value: AdminServerOptions['publicUrl']): () => string {
  if (typeof value === 'function') return () => value().replace(/\/+$/, '');
  const url = (value ?? 'http://localhost:8000').replace(/\/+$/, '');
  return () => url;
}
