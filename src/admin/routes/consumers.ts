import type { FastifyInstance } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, first, listBody, pageRequest, type AdminContext } from '../context.js';
import { registerScopedPlugins } from './scoped-plugins.js';

type Params = { consumer: string };

/** `/consumers`, `/consumers/{id or username}` and the consumer's plugins. */
export function registerConsumerRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/consumers', {
    GET: async (request) => {
      const query = request.query as Record<string, unknown>;
      // Kong's lookups by custom_id (and username) on the collection.
      const customId = first(query.custom_id);
      const username = first(query.username);
      const filter = { ...(customId !== undefined ? { customId } : {}), ...(username !== undefined ? { username } : {}) };
      return listBody(request, await ctx.consumers.list(pageRequest(request), filter));
    },
    POST: async (request, reply) => {
      const consumer = await ctx.consumers.insert(bodyOf(request));
      await ctx.changed();
      return reply.status(201).send(consumer);
    },
  });

  endpoint(app, '/consumers/:consumer', {
    GET: async (request, reply) =>
      (await ctx.consumers.get((request.params as Params).consumer)) ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const consumer = await ctx.consumers.update((request.params as Params).consumer, bodyOf(request));
      if (!consumer) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return consumer;
    },
    PUT: async (request) => {
      const { entity } = await ctx.consumers.upsert((request.params as Params).consumer, bodyOf(request));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      if (await ctx.consumers.delete((request.params as Params).consumer)) await ctx.changed();
      return reply.status(204).send();
    },
  });

  registerScopedPlugins(app, ctx, {
    prefix: '/consumers/:consumer',
    field: 'consumer',
    resolve: async (params) => (await ctx.consumers.get(params.consumer!))?.id,
  });
}
