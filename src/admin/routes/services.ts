import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, withField, gatewayOf, type AdminContext } from '../context.js';
import { registerCrudEndpoints } from './crud.js';
import { registerScopedPlugins } from './scoped-plugins.js';

type Params = { service: string; route: string };

/** `/services`, `/services/{id or name}`, and the routes and plugins nested under a service. */
export function registerServiceRoutes(app: FastifyInstance, ctx: AdminContext): void {
  registerCrudEndpoints(app, ctx, { collection: '/services', param: 'service', repository: (request) => gatewayOf(ctx, request).services });

  endpoint(app, '/services/:service/routes', {
    GET: async (request, reply) => {
      const service = await gatewayOf(ctx, request).services.get((request.params as Params).service);
      if (!service) return reply.status(404).send(NOT_FOUND_BODY);
      return listBody(request, await gatewayOf(ctx, request).routes.list(pageRequest(request), { serviceId: service.id }));
    },
    POST: async (request, reply) => {
      const service = await gatewayOf(ctx, request).services.get((request.params as Params).service);
      if (!service) return reply.status(404).send(NOT_FOUND_BODY);
      const route = await gatewayOf(ctx, request).routes.insert(withField(bodyOf(request), 'service', { id: service.id }));
      await ctx.changed();
      return reply.status(201).send(route);
    },
  });

  /** The route, when it exists and belongs to the service in the path. */
  const scopedRoute = async (request: FastifyRequest) => {
    const params = request.params as Params;
    const service = await gatewayOf(ctx, request).services.get(params.service);
    if (!service) return undefined;
    const route = await gatewayOf(ctx, request).routes.get(params.route);
    if (!route || route.service?.id !== service.id) return { service, route: undefined };
    return { service, route };
  };

  endpoint(app, '/services/:service/routes/:route', {
    GET: async (request, reply) => {
      const found = await scopedRoute(request);
      return found?.route ?? reply.status(404).send(NOT_FOUND_BODY);
    },
    PATCH: async (request, reply) => {
      const found = await scopedRoute(request);
      if (!found?.route) return reply.status(404).send(NOT_FOUND_BODY);
      const route = await gatewayOf(ctx, request).routes.update(found.route.id, bodyOf(request));
      if (!route) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return route;
    },
    PUT: async (request, reply) => {
      const params = request.params as Params;
      const service = await gatewayOf(ctx, request).services.get(params.service);
      if (!service) return reply.status(404).send(NOT_FOUND_BODY);
      const { entity } = await gatewayOf(ctx, request).routes.upsert(params.route, withField(bodyOf(request), 'service', { id: service.id }));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      const found = await scopedRoute(request);
      if (!found?.route) return reply.status(404).send(NOT_FOUND_BODY);
      if (await gatewayOf(ctx, request).routes.delete(found.route.id)) await ctx.changed();
      return reply.status(204).send();
    },
  });

  registerScopedPlugins(app, ctx, {
    prefix: '/services/:service',
    field: 'service',
    resolve: async (request) => (await gatewayOf(ctx, request).services.get((request.params as Record<string, string>).service!))?.id,
  });
}
