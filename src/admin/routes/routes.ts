import type { FastifyInstance } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, gatewayOf, type AdminContext } from '../context.js';
import { registerCrudEndpoints } from './crud.js';
import { registerScopedPlugins } from './scoped-plugins.js';

type Params = { route: string };

/** `/routes`, `/routes/{id or name}`, `/routes/{x}/service` and the route's plugins. */
export function registerRouteRoutes(app: FastifyInstance, ctx: AdminContext): void {
  registerCrudEndpoints(app, ctx, { collection: '/routes', param: 'route', repository: (request) => gatewayOf(ctx, request).routes });

  // Kong dropped DELETE here (a route's service cannot go while the route uses it): 405.
  endpoint(app, '/routes/:route/service', {
    GET: async (request, reply) => {
      const route = await gatewayOf(ctx, request).routes.get((request.params as Params).route);
      const service = route?.service ? await gatewayOf(ctx, request).services.get(route.service.id) : undefined;
      return service ?? reply.status(404).send(NOT_FOUND_BODY);
    },
    PATCH: async (request, reply) => {
      const route = await gatewayOf(ctx, request).routes.get((request.params as Params).route);
      if (!route?.service) return reply.status(404).send(NOT_FOUND_BODY);
      const service = await gatewayOf(ctx, request).services.update(route.service.id, bodyOf(request));
      if (!service) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return service;
    },
    PUT: async (request, reply) => {
      const route = await gatewayOf(ctx, request).routes.get((request.params as Params).route);
      if (!route) return reply.status(404).send(NOT_FOUND_BODY);
      if (route.service) {
        const { entity } = await gatewayOf(ctx, request).services.upsert(route.service.id, bodyOf(request));
        await ctx.changed();
        return entity;
      }
      // A route without a service gets a new one and is attached to it, as in Kong.
      const service = await gatewayOf(ctx, request).services.insert(bodyOf(request));
      await gatewayOf(ctx, request).routes.update(route.id, { service: { id: service.id } });
      await ctx.changed();
      return service;
    },
  });

  registerScopedPlugins(app, ctx, {
    prefix: '/routes/:route',
    field: 'route',
    resolve: async (request) => (await gatewayOf(ctx, request).routes.get((request.params as Record<string, string>).route!))?.id,
  });
}
