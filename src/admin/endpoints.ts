import type { FastifyInstance, HTTPMethods } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the route that answers 405 for the methods a path does not offer. */
    methodNotAllowed?: boolean;
  }
}

/** One method on one path that has a handler of its own (not the 405 stand-in). */
export interface AdminEndpoint {
  method: HTTPMethods;
  /** As registered, with its parameters: `/services/:service/routes`. */
  url: string;
}

const catalogues = new WeakMap<FastifyInstance, AdminEndpoint[]>();

/**
 * Keeps the list of the Admin API's endpoints as Fastify registers them, whichever
 * module registers them, so that what is checked for every endpoint (the fuzz test
 * of request bodies) cannot miss a new one. Call before any route is registered.
 */
export function recordEndpoints(app: FastifyInstance): void {
  const catalogue: AdminEndpoint[] = [];
  catalogues.set(app, catalogue);
  app.addHook('onRoute', (route) => {
    if (route.config?.methodNotAllowed) return;
    for (const method of [route.method].flat()) {
      // HEAD comes with every GET.
      if (method !== 'HEAD') catalogue.push({ method: method as HTTPMethods, url: route.url });
    }
  });
}

/** The endpoints recorded for `app` (empty when `recordEndpoints` was not called). */
export function adminEndpoints(app: FastifyInstance): readonly AdminEndpoint[] {
  return catalogues.get(app) ?? [];
}
