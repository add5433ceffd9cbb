import type { FastifyInstance } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, type AdminContext } from '../context.js';

type Params = { plugin: string };

/** `/plugins`, `/plugins/enabled` and `/plugins/{id}` (plugins have no name key: ids only). */
export function registerPluginRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/plugins', {
    GET: async (request) => listBody(request, await ctx.plugins.list(pageRequest(request))),
    POST: async (request, reply) => {
      const plugin = await ctx.plugins.insert(bodyOf(request));
      await ctx.changed();
      return reply.status(201).send(plugin);
    },
  });

  // Kong's (older) list of plugin names this node can run.
  endpoint(app, '/plugins/enabled', {
    GET: async () => ({ enabled_plugins: [...ctx.registry.keys()].sort() }),
  });

  endpoint(app, '/plugins/:plugin', {
    GET: async (request, reply) => (await ctx.plugins.get((request.params as Params).plugin)) ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const plugin = await ctx.plugins.update((request.params as Params).plugin, bodyOf(request));
      if (!plugin) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return plugin;
    },
    PUT: async (request) => {
      const { entity } = await ctx.plugins.upsert((request.params as Params).plugin, bodyOf(request));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      if (await ctx.plugins.delete((request.params as Params).plugin)) await ctx.changed();
      return reply.status(204).send();
    },
  });
}
