import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, withField, gatewayOf, type AdminContext } from '../context.js';

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
  /** The parent's id, as the request's caller sees it (another organization's is missing). */
  scope: { prefix: string; field: Field; resolve: (request: FastifyRequest) => Promise<string | undefined> },
): void {
  const params = (request: { params: unknown }) => request.params as Record<string, string>;

  endpoint(app, `${scope.prefix}/plugins`, {
    GET: async (request, reply) => {
      const parentId = await scope.resolve(request);
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      return listBody(request, await gatewayOf(ctx, request).plugins.list(pageRequest(request), { [SCOPE_FILTER[scope.field]]: parentId }));
    },
    POST: async (request, reply) => {
      const parentId = await scope.resolve(request);
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      const plugin = await gatewayOf(ctx, request).plugins.insert(withField(bodyOf(request), scope.field, { id: parentId }));
      await ctx.changed();
      return reply.status(201).send(plugin);
    },
  });

  const scopedPlugin = async (request: FastifyRequest) => {
    const parentId = await scope.resolve(request);
    if (!parentId) return undefined;
    const plugin = await gatewayOf(ctx, request).plugins.get(params(request).plugin!);
    return plugin && plugin[scope.field]?.id === parentId ? { parentId, plugin } : undefined;
  };

  endpoint(app, `${scope.prefix}/plugins/:plugin`, {
    GET: async (request, reply) => (await scopedPlugin(request))?.plugin ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const found = await scopedPlugin(request);
      if (!found) return reply.status(404).send(NOT_FOUND_BODY);
      const plugin = await gatewayOf(ctx, request).plugins.update(found.plugin.id, bodyOf(request));
      if (!plugin) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return plugin;
    },
    PUT: async (request, reply) => {
      const parentId = await scope.resolve(request);
      if (!parentId) return reply.status(404).send(NOT_FOUND_BODY);
      const { entity } = await gatewayOf(ctx, request).plugins.upsert(params(request).plugin!, withField(bodyOf(request), scope.field, { id: parentId }));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      const found = await scopedPlugin(request);
      if (!found) return reply.status(404).send(NOT_FOUND_BODY);
      if (await gatewayOf(ctx, request).plugins.delete(found.plugin.id)) await ctx.changed();
      return reply.status(204).send();
    },
  });
}
