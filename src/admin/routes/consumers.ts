import type { FastifyInstance } from 'fastify';
import { first, gatewayOf, type AdminContext } from '../context.js';
import { registerCrudEndpoints } from './crud.js';
import { registerScopedPlugins } from './scoped-plugins.js';

/** `/consumers`, `/consumers/{id or username}` and the consumer's plugins. */
export function registerConsumerRoutes(app: FastifyInstance, ctx: AdminContext): void {
  registerCrudEndpoints(app, ctx, {
    collection: '/consumers',
    param: 'consumer',
    repository: (request) => gatewayOf(ctx, request).consumers,
    // Kong's lookups by custom_id (and username) on the collection.
    filter: (request) => {
      const query = request.query as Record<string, unknown>;
      const customId = first(query.custom_id);
      const username = first(query.username);
      return { ...(customId !== undefined ? { customId } : {}), ...(username !== undefined ? { username } : {}) };
    },
  });

  registerScopedPlugins(app, ctx, {
    prefix: '/consumers/:consumer',
    field: 'consumer',
    resolve: async (request) => (await gatewayOf(ctx, request).consumers.get((request.params as Record<string, string>).consumer!))?.id,
  });
}
