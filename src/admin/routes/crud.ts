import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Page, PageRequest } from '../../store/repositories/shared.js';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, listBody, pageRequest, type AdminContext } from '../context.js';

/** What Kong's standard endpoints ask of an entity's repository. */
export interface CrudRepository<Entity, Filter> {
  list(request: PageRequest, filter?: Filter): Promise<Page<Entity>>;
  get(key: string): Promise<Entity | undefined>;
  insert(input: unknown): Promise<Entity>;
  update(key: string, patch: unknown): Promise<Entity | undefined>;
  upsert(key: string, input: unknown): Promise<{ entity: Entity; created: boolean }>;
  delete(key: string): Promise<boolean>;
}

/**
 * Kong's standard endpoints for one entity: `GET` (paged) and `POST` on the collection,
 * `GET`, `PATCH`, `PUT` and `DELETE` on `{collection}/{key}`, where the key is the path
 * parameter `param` (an id, or the name where the entity has one).
 */
export function registerCrudEndpoints<Entity, Filter>(
  app: FastifyInstance,
  ctx: AdminContext,
  options: {
    collection: string;
    param: string;
    /** The entity's repository as the request's caller sees it (`gatewayOf`). */
    repository: (request: FastifyRequest) => CrudRepository<Entity, Filter>;
    /** Narrows `GET {collection}` by query arguments. */
    filter?: (request: FastifyRequest) => Filter;
  },
): void {
  const { collection, param, repository, filter } = options;
  const key = (request: FastifyRequest) => (request.params as Record<string, string>)[param]!;

  endpoint(app, collection, {
    GET: async (request) => listBody(request, await repository(request).list(pageRequest(request), filter?.(request))),
    POST: async (request, reply) => {
      const entity = await repository(request).insert(bodyOf(request));
      await ctx.changed();
      return reply.status(201).send(entity);
    },
  });

  endpoint(app, `${collection}/:${param}`, {
    GET: async (request, reply) => (await repository(request).get(key(request))) ?? reply.status(404).send(NOT_FOUND_BODY),
    PATCH: async (request, reply) => {
      const entity = await repository(request).update(key(request), bodyOf(request));
      if (!entity) return reply.status(404).send(NOT_FOUND_BODY);
      await ctx.changed();
      return entity;
    },
    PUT: async (request) => {
      const { entity } = await repository(request).upsert(key(request), bodyOf(request));
      await ctx.changed();
      return entity;
    },
    DELETE: async (request, reply) => {
      // Kong answers 204 whether or not the entity existed: DELETE is idempotent. Another
      // organization's entity is not there for the caller: 204 too, and it stays.
      if (await repository(request).delete(key(request))) await ctx.changed();
      return reply.status(204).send();
    },
  });
}
