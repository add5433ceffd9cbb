import type { FastifyInstance } from 'fastify';
import { endpoint, gatewayOf, type AdminContext } from '../context.js';
import { registerCrudEndpoints } from './crud.js';

/** `/plugins`, `/plugins/enabled` and `/plugins/{id}` (plugins have no name key: ids only). */
export function registerPluginRoutes(app: FastifyInstance, ctx: AdminContext): void {
  registerCrudEndpoints(app, ctx, { collection: '/plugins', param: 'plugin', repository: (request) => gatewayOf(ctx, request).plugins });

  // Kong's (older) list of plugin names this node can run.
  endpoint(app, '/plugins/enabled', {
    GET: async () => ({ enabled_plugins: [...ctx.registry.keys()].sort() }),
  });
}
