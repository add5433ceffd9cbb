import type { FastifyInstance } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, withField, type AdminContext } from '../context.js';

type Field = 'service' | 'route' | 'consumer';

const SCOPE_FILTER = { service: 'serviceId', route: 'routeId', consumer: 'consumerId' } as const;

/**
 * `/{parent}/{x}/plugins` and `/{parent}/{x}/plugins/{id}` for services, routes and
 * consumers: the parent in the path sets the plugin's scope, and a plugin of another
 * scope is "Not found" there, as in Kong.
 */
export function registerScopedPlugins(
  app: FastifyInstance,
  ctx: AdminContext,
  scope: { prefix: string; field: Field; resolve: (params: Record<string, string>) => Promise<string | undefined> },
): void {
  const params = (request: { params: unknown }) => request.params as Record<string, string>;

  endpoint(app, `${scope.prefix}/plugins`, {
    GET: async (request, reply) => {
      const parentId = await scope.resolve(params(request));
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      return listBody(request, await ctx.plugins.list(pageRequest(request), { [SCOPE_FILTER[scope.field]]: parentId }));
    },
    POST: async (request, reply) => {
      const parentId = await scope.resolve(params(request));
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      const plugin = await ctx.plugins.insert(withField(bodyOf(request), scope.field, { id: parentId }));
      await ctx.changed();
      return reply.status(201).send(plugin);
    },
  });

  const scopedPlugin = async (values: Record<string, string>) => {
    const parentId = await scope.resolve(values);
    if (!parentId) return undefined;
    const plugin = await ctx.plugins.get(values.plugin!);
    return plugin && plugin[scope.field]?.id === parentId ? { parentId, plugin } : undefined;
  };

  endpoint(app, `${scope.prefix}/plugins/:plugin`, {
    GET: async (request, reply) => (await scopedPlugin(params(request)))?.plugin ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const found = await scopedPlugin(params(request));
      if (!found) return reply.status(404).send(NOT_FOUND_BODY);
      const plugin = await ctx.plugins.update(found.plugin.id, bodyOf(request));
      if (!plugin) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return plugin;
    },
    PUT: async (request, reply) => {
      const parentId = await scope.resolve(params(request));
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      const { entity } = await ctx.plugins.upsert(params(request).plugin!, withField(bodyOf(request), scope.field, { id: parentId }));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      const found = await scopedPlugin(params(request));
      if (!found) return reply.status(404).send(NOT_FOUND_BODY);
      if (await ctx.plugins.delete(found.plugin.id)) await ctx.changed();
      return reply.status(204).send();
    },
  });
}
