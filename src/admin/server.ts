import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import { pluginRegistry } from '../gateway/plugins/index.js';
import type { Logger } from '../log.js';
import type { Database } from '../store/schema.js';
import type { PluginRegistry } from '../store/schemas/plugin.js';
import { registerBodyParsers } from './body.js';
import { createAdminContext } from './context.js';
import { errorReply, registerErrorHandling } from './errors.js';
import { registerConsumerRoutes } from './routes/consumers.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerPluginRoutes } from './routes/plugins.js';
import { registerRouteRoutes } from './routes/routes.js';
import { registerServiceRoutes } from './routes/services.js';

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
}

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
  });

  registerBodyParsers(app);
  registerErrorHandling(app);
  registerInfoRoutes(app, ctx);
  registerServiceRoutes(app, ctx);
  registerRouteRoutes(app, ctx);
  registerConsumerRoutes(app, ctx);
  registerPluginRoutes(app, ctx);
  return app;
}
