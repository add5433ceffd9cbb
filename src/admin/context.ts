import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import type { Logger } from '../log.js';
import { ConsumerRepository } from '../store/repositories/consumers.js';
import { PluginRepository } from '../store/repositories/plugins.js';
import { RouteRepository } from '../store/repositories/routes.js';
import { ServiceRepository, type Endpoint } from '../store/repositories/services.js';
import { OPERATOR, organizationOwner, type Page, type PageRequest } from '../store/repositories/shared.js';
import { callerOf } from './auth.js';
import { InvalidSizeError } from '../store/errors.js';
import type { Database } from '../store/schema.js';
import type { PluginRegistry } from '../gateway/plugin.js';
import type { IdentityServiceDeps } from '../identity/identity-settings-deps.js';
import type { AccountStatusDeps } from '../identity/account-status.js';
import type { SessionStore } from '../sessions/store.js';
import { createIdentityStore } from '../store/repositories/identity/index.js';
import { ADMIN_METHOD } from './error-codes.js';

/** What every Admin API route module gets: the repositories and the change hook. */
export interface AdminContext {
  db: Kysely<Database>;
  services: ServiceRepository;
  routes: RouteRepository;
  consumers: ConsumerRepository;
  plugins: PluginRepository;
  registry: PluginRegistry;
  log: Logger;
  keyRing: KeyRing;
  /** Identity settings, connection test, group suggestions (organization endpoints). */
  identity: IdentityServiceDeps;
  /** Where users' live sessions are, to end them when a user is deactivated or loses roles. */
  sessions: SessionStore | undefined;
  /** Deactivation and reactivation of users (src/identity/account-status.ts). */
  accounts: AccountStatusDeps;
  /** Runs after every write that changed something, before the response goes out. */
  changed(): Promise<void>;
}

export function createAdminContext(options: {
  db: Kysely<Database>;
  keyRing: KeyRing;
  log: Logger;
  registry: PluginRegistry;
  onChange: () => Promise<void> | void;
  identity?: Omit<IdentityServiceDeps, 'db' | 'keyRing' | 'log'>;
  sessions?: SessionStore | undefined;
  /** Gatehouse's own listeners, as bound: organizations' services may not target them. */
  ownListeners?: () => readonly Endpoint[];
}): AdminContext {
  const { db, keyRing, log, registry, onChange } = options;
  const identity: IdentityServiceDeps = {
    db,
    keyRing,
    log,
    publicUrl: options.identity?.publicUrl ?? (() => 'http://localhost:8000'),
    testConnection:
      options.identity?.testConnection ??
      (async () => {
        throw new Error('no connection tester configured');
      }),
    searchGroups:
      options.identity?.searchGroups ??
      (async () => {
        throw new Error('no group search configured');
      }),
  };
  return {
    db,
    services: new ServiceRepository(db, OPERATOR, options.ownListeners),
    routes: new RouteRepository(db),
    consumers: new ConsumerRepository(db),
    plugins: new PluginRepository(db, keyRing, registry),
    registry,
    log,
    keyRing,
    identity,
    sessions: options.sessions,
    accounts: { store: createIdentityStore(db, keyRing), sessions: options.sessions },
    async changed() {
      try {
        await onChange();
      } catch (error) {
        // The write is committed; failing the request would invite a retry that
        // writes twice. The data plane keeps its previous snapshot, and this says why.
        log.error({ err: error }, 'configuration saved, but reloading the gateway failed');
      }
    },
  };
}

/** The gateway's repositories as one caller sees them. */
export type GatewayRepositories = Pick<AdminContext, 'services' | 'routes' | 'consumers' | 'plugins'>;

/**
 * The gateway's repositories for the caller of `request`: everything for the bootstrap
 * token; for a user (token or session), only their organization's entities, which is
 * also who owns what they create (see `Owner` in src/store/repositories/shared.ts).
 */
export function gatewayOf(ctx: AdminContext, request: FastifyRequest): GatewayRepositories {
  const caller = callerOf(request);
  if (caller.kind === 'bootstrap') return ctx;
  const owner = organizationOwner(caller.organizationId);
  return {
    services: ctx.services.ownedBy(owner),
    routes: ctx.routes.ownedBy(owner),
    consumers: ctx.consumers.ownedBy(owner),
    plugins: ctx.plugins.ownedBy(owner),
  };
}

const ALL_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Registers the handlers of one path and answers Kong's 405 `Method not allowed` for
 * the other methods, so `POST /services/x` says what is wrong instead of "Not found".
 */
export function endpoint(app: FastifyInstance, url: string, handlers: Partial<Record<HTTPMethods, Handler>>): void {
  for (const [method, handler] of Object.entries(handlers)) {
    app.route({ method: method as HTTPMethods, url, handler: handler! });
  }
  const others = ALL_METHODS.filter((method) => !(method in handlers));
  if (others.length > 0) {
    const allowed = Object.keys(handlers).join(', ');
    app.route({
      method: others,
      url,
      config: { methodNotAllowed: true },
      handler: async (_request, reply) =>
        reply.status(405).header('allow', allowed).send({ message: `Method not allowed; ${url} accepts ${allowed}`, error_code: ADMIN_METHOD }),
    });
  }
}

/** Reads Kong's `size` and `offset` query arguments. */
export function pageRequest(request: FastifyRequest): PageRequest {
  const query = request.query as Record<string, unknown>;
  const page: PageRequest = {};
  const size = first(query.size);
  if (size !== undefined) {
    if (!/^\d+$/.test(size)) throw new InvalidSizeError();
    page.size = Number(size);
  }
  const offset = first(query.offset);
  if (offset !== undefined) page.offset = offset;
  return page;
}

export function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return first(value[0]);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Kong's list body: `{data, next, offset}`; `next` is the path of the following page
 * (null on the last one) and `offset` appears only when there is one.
 */
export function listBody<T>(request: FastifyRequest, page: Page<T>): Record<string, unknown> {
  if (page.offset === null) return { data: page.data, next: null };
  const path = request.url.split('?')[0];
  const size = first((request.query as Record<string, unknown>).size);
  const next = `${path}?offset=${encodeURIComponent(page.offset)}${size !== undefined ? `&size=${encodeURIComponent(size)}` : ''}`;
  return { data: page.data, next, offset: page.offset };
}

/**
 * A list body whose `next` keeps the request's filters (every query argument but
 * `offset`), for the organization endpoints' filtered lists.
 */
export function filteredListBody<T>(request: FastifyRequest, page: Page<T>): Record<string, unknown> {
  if (page.offset === null) return { data: page.data, next: null };
  const [path, query = ''] = request.url.split('?') as [string, string?];
  const params = new URLSearchParams(query);
  params.delete('offset');
  params.append('offset', page.offset);
  return { data: page.data, next: `${path}?${params.toString()}`, offset: page.offset };
}

/** The body of a write request; a bodiless POST means "no fields", as with Kong. */
export function bodyOf(request: FastifyRequest): unknown {
  return request.body === undefined || request.body === null ? {} : request.body;
}

/** Forces a reference field (the parent in a nested path) into a body object. */
export function withField(body: unknown, field: string, value: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return { ...(body as Record<string, unknown>), [field]: value };
}
