import type { FastifyInstance } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, type AdminContext } from '../context.js';
import { registerScopedPlugins } from './scoped-plugins.js';

type Params = { route: string };

/** `/routes`, `/routes/{id or name}`, `/routes/{x}/service` and the route's plugins. */
export function registerRouteRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/routes', {
    GET: async (request) => listBody(request, await ctx.routes.list(pageRequest(request))),
    POST: async (request, reply) => {
      const route = await ctx.routes.insert(bodyOf(request));
      await ctx.changed();
      return reply.status(201).send(route);
    },
  });

  endpoint(app, '/routes/:route', {
    GET: async (request, reply) => (await ctx.routes.get((request.params as Params).route)) ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const route = await ctx.routes.update((request.params as Params).route, bodyOf(request));
      if (!route) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return route;
    },
    PUT: async (request) => {
      const { entity } = await ctx.routes.upsert((request.params as Params).route, bodyOf(request));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      if (await ctx.routes.delete((request.params as Params).route)) await ctx.changed();
      return reply.status(204).send();
    },
  });

  // Kong dropped DELETE here (a route's service cannot go while the route uses it): 405.
  endpoint(app, '/routes/:route/service', {
    GET: async (request, reply) => {
      const route = await ctx.routes.get((request.params as Params).route);
      const service = route?.service ? await ctx.services.get(route.service.id) : undefined;
      return service ?? reply.status(404).send(NOT_FOUND_BODY);
    },
    PATCH: async (request, reply) => {
      const route = await ctx.routes.get((request.params as Params).route);
      if (!route?.service) return reply.status(404).send(NOT_FOUND_BODY);
      const service = await ctx.services.update(route.service.id, bodyOf(request));
      if (!service) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return service;
    },
    PUT: async (request, reply) => {
      const route = await ctx.routes.get((request.params as Params).route);
      if (!route) return reply.status(404).send(NOT_FOUND_BODY);
      if (route.service) {
        const { entity } = await ctx.services.upsert(route.service.id, bodyOf(request));
        await ctx.changed();
        return entity;
      }
      // A route without a service gets a new one and is attached to it, as in Kong.
      const service = await ctx.services.insert(bodyOf(request));
      await ctx.routes.update(route.id, { service: { id: service.id } });
      await ctx.changed();
      return service;
    },
  });

  registerScopedPlugins(app, ctx, {
    prefix: '/routes/:route',
    field: 'route',
    resolve: async (params) => (await ctx.routes.get(params.route!))?.id,
  });
}
