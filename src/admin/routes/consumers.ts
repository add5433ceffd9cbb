import type { FastifyInstance } from 'fastify';
import { first, type AdminContext } from '../context.js';
import { registerCrudEndpoints } from './crud.js';
import { registerScopedPlugins } from './scoped-plugins.js';

/** `/consumers`, `/consumers/{id or username}` and the consumer's plugins. */
export function registerConsumerRoutes(app: FastifyInstance, ctx: AdminContext): void {
  registerCrudEndpoints(app, ctx, {
    collection: '/consumers',
    param: 'consumer',
    repository: ctx.consumers,
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
    resolve: async (params) => (await ctx.consumers.get(params.consumer!))?.id,
  });
}
