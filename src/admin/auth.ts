import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Settings } from '../config/settings.js';
import { hashAccessToken, looksLikeAccessToken } from '../identity/access-tokens.js';
import { type AuditActor } from '../model/audit.js';
import { BOOTSTRAP_ACTOR, userActor } from '../identity/audit.js';
import { BUILTIN_ROLES, type Organization, type User } from '../model/identity.js';
import { findLiveAccessTokenByHash, findOrganization, findUserById, touchAccessToken } from '../store/repositories/identity/index.js';
import type { Database } from '../store/schema.js';
import { AdminApiError, NOT_FOUND_BODY } from './errors.js';
import { requestSite } from '../web/same-site.js';
import { ADMIN_CROSS_SITE, ADMIN_FORBIDDEN, ADMIN_INVALID_TOKEN, ADMIN_UNAUTHENTICATED } from './error-codes.js';

/**
 * Who is calling the Admin API, and what they may do.
 *
 * A caller is one of:
 * - the bootstrap token `GATEHOUSE_ADMIN_TOKEN` (`Authorization: Bearer …`, compared
 *   in constant time): automation, may do everything, in every organization;
 * - a personal access token (`Authorization: Bearer ghp_…`) of an active user: acts
 *   with that user's roles, in that user's organization;
 * - a console or SSO session, recognised by the `adminSessionResolver` the sign-in
 *   side provides: acts with the user's roles, in the user's organization.
 *
 * Permissions come from the built-in roles. Gateway entities (services, routes,
 * plugins, consumers) belong to an organization, or to none (the operator's, written
 * with the bootstrap token): a user sees and writes only their organization's, and what
 * they create is their organization's (`gatewayOf` in ./context.ts; the repositories
 * enforce it, references included). Organization endpoints are scoped to the caller's
 * organization too. Either way another organization's entity answers exactly like a
 * missing one (404), so its existence does not leak.
 */

export type AdminPermission =
  | 'gateway:read'
  | 'gateway:write'
  | 'organization:read'
  | 'organization:write'
  | 'organizations:create'
  | 'identity:read'
  | 'identity:write'
  | 'users:read'
  | 'users:write'
  | 'roles:read'
  | 'roles:write'
  | 'audit:read';

const READ: AdminPermission[] = ['gateway:read', 'organization:read', 'identity:read', 'users:read', 'roles:read', 'audit:read'];

/** What each built-in role allows. Custom roles allow nothing in the Admin API (they are for applications behind the gateway). */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly AdminPermission[]>> = {
  [BUILTIN_ROLES.organizationAdmin]: [...READ, 'gateway:write', 'organization:write', 'identity:write', 'users:write', 'roles:write'],
  [BUILTIN_ROLES.gatewayAdmin]: [...READ, 'gateway:write'],
  [BUILTIN_ROLES.viewer]: READ,
};

export type AdminCaller =
  | { kind: 'bootstrap' }
  | {
      kind: 'token' | 'session';
      user: User;
      organizationId: string;
      /** The personal access token used (kind `token`). */
      tokenId?: string;
      permissions: ReadonlySet<AdminPermission>;
    };

/** A signed-in console/SSO user, as the sign-in side recognises them from the request (cookie). */
export interface AdminSession {
  userId: string;
  organizationId: string;
}

/** Provided by the sign-in flows: the session the request carries, if any. */
export type AdminSessionResolver = (request: FastifyRequest) => Promise<AdminSession | undefined>;

export interface AdminAuthOptions {
  db: Kysely<Database>;
  /** `GATEHOUSE_ADMIN_TOKEN`; without one, only tokens and sessions are accepted. */
  adminToken?: string | undefined;
  adminSessionResolver?: AdminSessionResolver | undefined;
}

const callers = new WeakMap<FastifyRequest, AdminCaller>();

/** The caller of a request that may also be anonymous (`GET /status`), or undefined. */
export function callerIfAny(request: FastifyRequest): AdminCaller | undefined {
  return callers.get(request);
}

/** The authenticated caller of a request (set by the onRequest hook; every route but `GET /status` has one). */
export function callerOf(request: FastifyRequest): AdminCaller {
  const caller = callers.get(request);
  if (!caller) throw new AdminApiError(ADMIN_UNAUTHENTICATED, 'Unauthorized', 401);
  return caller;
}

export function permissionsOf(user: User): Set<AdminPermission> {
  const permissions = new Set<AdminPermission>();
  for (const role of user.roles) for (const permission of ROLE_PERMISSIONS[role.role_name] ?? []) permissions.add(permission);
  return permissions;
}

/** The audit log's actor for a caller. */
export function actorOf(caller: AdminCaller): AuditActor {
  return caller.kind === 'bootstrap' ? BOOTSTRAP_ACTOR : userActor(caller.user, caller.kind);
}

export function hasPermission(caller: AdminCaller, permission: AdminPermission): boolean {
  if (caller.kind === 'bootstrap') return true;
  if (permission === 'organizations:create') return false;
  return caller.permissions.has(permission);
}

/** 403 naming the missing permission, unless the caller has it. */
export function requirePermission(caller: AdminCaller, permission: AdminPermission): void {
  if (hasPermission(caller, permission)) return;
  const roles = caller.kind === 'bootstrap' ? [] : caller.user.roles.map((role) => role.role_name);
  const hint =
    permission === 'organizations:create'
      ? 'organizations are created with the bootstrap token (GATEHOUSE_ADMIN_TOKEN) or `gatehouse org create`'
      : permission === 'gateway:write'
        ? `it comes with the ${BUILTIN_ROLES.gatewayAdmin} or ${BUILTIN_ROLES.organizationAdmin} role`
        : permission.endsWith(':read')
          ? `it comes with any built-in role (${BUILTIN_ROLES.viewer} and up)`
          : `it comes with the ${BUILTIN_ROLES.organizationAdmin} role`;
  throw new AdminApiError(
    ADMIN_FORBIDDEN,
    `Forbidden: this call needs the permission ${permission}, which your roles (${roles.length > 0 ? roles.join(', ') : 'none'}) do not give; ${hint}`,
    403,
    { permission },
  );
}

/**
 * The organization named in the path (id or name) as the caller may see it: another
 * organization is "Not found" (404) exactly like a missing one; then the permission.
 */
async function scopedOrganization(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  permission: AdminPermission,
): Promise<Organization | undefined> {
  const caller = callerOf(request);
  const key = (request.params as Record<string, string>).org ?? '';
  const organization = await findOrganization(db, key);
  if (!organization || (caller.kind !== 'bootstrap' && caller.organizationId !== organization.id)) {
    await reply.status(404).send(NOT_FOUND_BODY);
    return undefined;
  }
  requirePermission(caller, permission);
  return organization;
}

/**
 * The handler of an organization's endpoint: `handle` runs with the organization the
 * path names once the caller may `permission` there (see `scopedOrganization`).
 */
export function inOrganization(
  db: Kysely<Database>,
  permission: AdminPermission,
  handle: (organization: Organization, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const organization = await scopedOrganization(db, request, reply, permission);
    return organization ? handle(organization, request, reply) : reply;
  };
}

/** Compares two secrets in constant time (lengths included: both are hashed first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const REALM = 'Bearer realm="gatehouse-admin"';

function unauthenticated(reply: FastifyReply, invalidToken: boolean) {
  if (invalidToken) {
    return reply
      .status(401)
      .header('www-authenticate', `${REALM}, error="invalid_token"`)
      .send({
        message: 'Unauthorized: the bearer token is not valid (unknown, revoked or expired, or its user is deactivated); create a new token or use GATEHOUSE_ADMIN_TOKEN',
        error_code: ADMIN_INVALID_TOKEN,
      });
  }
  return reply.status(401).header('www-authenticate', REALM).send({ message: 'Unauthorized', error_code: ADMIN_UNAUTHENTICATED });
}

/** The gateway's entities: guarded by gateway:read / gateway:write, then scoped to the caller's organization by `gatewayOf`. */
const GATEWAY_PATHS = /^\/(?:services|routes|plugins|consumers)(?:\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every request (`GET /status` may also be anonymous) and checks the gateway permissions
 * (organization endpoints check theirs with `inOrganization`).
 */
export function registerAdminAuth(app: FastifyInstance, options: AdminAuthOptions): void {
  const { db, adminToken, adminSessionResolver } = options;

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    // A load balancer asks /status without credentials and learns only that the node is up.
    const anonymousAllowed = route === '/status' && (request.method === 'GET' || request.method === 'HEAD');

    let caller: AdminCaller | undefined;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
      if (!match) return unauthenticated(reply, true);
      const token = match[1]!;
      if (adminToken !== undefined && secretsEqual(token, adminToken)) {
        caller = { kind: 'bootstrap' };
      } else if (looksLikeAccessToken(token)) {
        const record = await findLiveAccessTokenByHash(db, hashAccessToken(token));
        const user = record ? await activeUser(db, record.user_id) : undefined;
        if (!record || !user || !(await nativeAccessAllowed(db, user))) return unauthenticated(reply, true);
        await touchAccessToken(db, record);
        caller = { kind: 'token', user, organizationId: user.organization_id, tokenId: record.id, permissions: permissionsOf(user) };
      } else {
        return unauthenticated(reply, true);
      }
    } else if (adminSessionResolver) {
      const session = await adminSessionResolver(request);
      if (session) {
        const user = await activeUser(db, session.userId);
        if (user && user.organization_id === session.organizationId) {
          // A session cookie rides along with requests other pages start, including pages of
          // the same site on another port (every app behind the gateway): writes must prove
          // they come from this origin — Fetch metadata, an exact Origin, or a custom header
          // that a form cannot set and another origin cannot send without CORS.
          if (!SAFE_METHODS.has(request.method) && !sameOriginWrite(request)) {
            return reply.status(403).send({
              message: 'Forbidden: a request another site started cannot change anything with your session; use the console or a token',
              error_code: ADMIN_CROSS_SITE,
            });
          }
          if (!(await nativeAccessAllowed(db, user))) return unauthenticated(reply, false);
          caller = { kind: 'session', user, organizationId: user.organization_id, permissions: permissionsOf(user) };
        }
      }
    }
    if (!caller) return anonymousAllowed ? undefined : unauthenticated(reply, false);
    callers.set(request, caller);

    if (route !== undefined && (route === '/' || GATEWAY_PATHS.test(route))) {
      requirePermission(caller, SAFE_METHODS.has(request.method) ? 'gateway:read' : 'gateway:write');
    }
  });
}

/**
 * The user behind a token or a session, when their account is active: a deactivated
 * user acts in no way, and the roles kept from their deactivation (`roles_as_of`) never
 * reach `permissionsOf`.
 */
async function activeUser(db: AdminAuthOptions['db'], userId: string): Promise<User | undefined> {
  const user = await findUserById(db, userId);
  return user?.status === 'active' ? user : undefined;
}

/**
 * Once an organization signs in with Okta, only its owner keeps native access: other
 * native accounts' sessions and tokens stop working with the switch, not just their
 * password sign-in.
 */
async function nativeAccessAllowed(db: AdminAuthOptions['db'], user: { source: string; organization_id: string; id: string }): Promise<boolean> {
  if (user.source !== 'native') return true;
  const organization = await db
    .selectFrom('organizations')
    .select(['sso_enabled', 'owner_user_id'])
    .where('id', '=', user.organization_id)
    .executeTakeFirst();
  return !organization || organization.sso_enabled === 0 || organization.owner_user_id === user.id;
}

function sameOriginWrite(request: FastifyRequest): boolean {
  const site = requestSite(request.headers, request.headers.host);
  if (site !== 'unknown') return site === 'same-origin';
  // No browser signal at all: only a header that a form cannot set proves no other page sent it.
  return request.headers['x-gatehouse-csrf'] !== undefined || request.headers['x-requested-with'] === 'XMLHttpRequest';
}

/** A random bootstrap token (48 characters of base64url). */
export function generateAdminToken(): string {
  return randomBytes(36).toString('base64url');
}

/**
 * For `gatehouse demo`: the settings with a bootstrap token, generated when
 * `GATEHOUSE_ADMIN_TOKEN` is unset. Print `token` when `generated` is true so the user
 * can call the Admin API (`curl -H "Authorization: Bearer $TOKEN" …`).
 */
export function withAdminToken(settings: Settings): { settings: Settings; token: string; generated: boolean } {
  if (settings.admin_token) return { settings, token: settings.admin_token, generated: false };
  const token = generateAdminToken();
  return { settings: { ...settings, admin_token: token }, token, generated: true };
}

/** The `Authorization` header value for a bootstrap token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
