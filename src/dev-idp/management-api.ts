import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { paginate, type Directory, type DirectoryGroup, type DirectoryUser, type UserStatus } from './directory.js';
import { z } from 'zod';
import { SUPPORTED_SCOPES } from './accounts.js';
import { BodyTooLargeError, readBody, sendJson } from './http.js';
import { FixedWindowRateLimiter, rateLimitHeaders, type RateLimitState } from './rate-limit.js';
import type { NormalizedSeed } from './seed.js';
import type { DevIdpSwitches } from './switches.js';

/**
 * The slice of Okta's Management API that Gatehouse uses: users, their groups, group search
 * with Link-header paging, group membership changes (which is how tests change a user's
 * groups, exactly as against a real org), user deactivation/activation, and the claims of
 * custom authorization servers. Authenticated with `Authorization: SSWS {token}`;
 * errors in Okta's shape with Okta's error codes.
 */

/** A custom authorization server as the claims API sees it. */
export interface ClaimsOfServer {
  readonly id: string;
  readonly groupsClaimScopes: readonly string[];
  setGroupsClaimScopes(scopes: readonly string[]): void;
}

export interface ManagementApiDeps {
  directory: Directory;
  /** The custom authorization servers (the org server has no claims API). */
  authorizationServers: () => readonly ClaimsOfServer[];
  switches: DevIdpSwitches;
  seed: NormalizedSeed;
  /** Public origin, for `_links` and `Link` headers. */
  origin: () => string;
  log: Logger;
}

interface OktaError {
  status: number;
  errorCode: string;
  errorSummary: string;
  causes?: string[];
}

const invalidToken: OktaError = { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided' };
const forbidden = (cause?: string): OktaError => ({
  status: 403,
  errorCode: 'E0000006',
  errorSummary: 'You do not have permission to perform the requested action',
  causes: cause ? [cause] : [],
});
const notFound = (id: string, type: 'User' | 'UserGroup' | 'AuthorizationServer' | 'Resource'): OktaError => ({
  status: 404,
  errorCode: 'E0000007',
  errorSummary: `Not found: Resource not found: ${id} (${type})`,
});
const rateLimited: OktaError = {
  status: 429,
  errorCode: 'E0000047',
  errorSummary: 'API call exceeded rate limit due to too many requests.',
};
const validationFailed = (field: string, cause: string): OktaError => ({
  status: 400,
  errorCode: 'E0000001',
  errorSummary: `Api validation failed: ${field}`,
  causes: [cause],
});
const methodNotAllowed: OktaError = {
  status: 405,
  errorCode: 'E0000022',
  errorSummary: 'The endpoint does not support the provided HTTP method',
};

/** A lifecycle operation the user's current status does not allow (Okta answers 400 E0000001). */
const wrongStatus = (operation: string, required: string): OktaError => ({
  status: 400,
  errorCode: 'E0000001',
  errorSummary: 'Api validation failed: status',
  causes: [`${operation} can only be performed on users with a ${required} status`],
});

/** Okta's lifecycle operations the stand-in offers: the status each leads to, and the one it needs (if any). */
const LIFECYCLE: Record<string, { to: UserStatus; from?: UserStatus }> = {
  deactivate: { to: 'DEPROVISIONED' },
  activate: { to: 'ACTIVE' },
  suspend: { to: 'SUSPENDED', from: 'ACTIVE' },
  unsuspend: { to: 'ACTIVE', from: 'SUSPENDED' },
};

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 10_000;
/** How far ahead the forced 429 (rateLimitNextManagementCalls) puts X-Rate-Limit-Reset. */
const FORCED_RESET_SECONDS = 2;

function errorBody(error: OktaError) {
  return {
    errorCode: error.errorCode,
    errorSummary: error.errorSummary,
    errorLink: error.errorCode,
    errorId: `oae${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x').slice(0, 19)}`,
    errorCauses: (error.causes ?? []).map((errorSummary) => ({ errorSummary })),
  };
}

function parseLimit(value: string | null): number {
  const limit = value === null ? NaN : Number(value);
  if (!Number.isInteger(limit) || limit < 1) return DEFAULT_LIMIT;
  return Math.min(limit, MAX_LIMIT);
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function createManagementApi(deps: ManagementApiDeps) {
  const { directory, switches, seed, log } = deps;
  const tokens = new Map(
    seed.api_tokens.map((entry) => (typeof entry === 'string' ? [entry, { readOnly: false }] : [entry.token, { readOnly: entry.read_only }])),
  );
  const limiter = new FixedWindowRateLimiter();

  const groupObject = (group: DirectoryGroup) => {
    const base = `${deps.origin()}/api/v1/groups/${group.id}`;
    return {
      id: group.id,
      created: iso(group.created),
      lastUpdated: iso(group.lastUpdated),
      lastMembershipUpdated: iso(group.lastMembershipUpdated),
      // Groups imported from a directory (APP_GROUP) have that directory's object class in Okta.
      objectClass: [group.type === 'APP_GROUP' ? 'okta:windows_security_principal' : 'okta:user_group'],
      type: group.type,
      profile: { name: group.name, description: group.description },
      _links: {
        logo: [
          { name: 'medium', href: 'https://op1static.oktacdn.com/assets/img/logos/groups/okta-medium.png', type: 'image/png' },
          { name: 'large', href: 'https://op1static.oktacdn.com/assets/img/logos/groups/okta-large.png', type: 'image/png' },
        ],
        users: { href: `${base}/users` },
        apps: { href: `${base}/apps` },
      },
    };
  };

  /**
   * `/api/v1/authorizationServers/{id}/claims`: the custom claims the stand-in's tokens carry,
   * in Okta's shape. `conditions.scopes` is the claim's "Include in" (`[]`: any scope). The
   * groups claim's filter is per app here (`groups_claim_filter`), so `value` says `.*`.
   */
  const claimId = (serverId: string, name: string) => `ocl${createHash('sha256').update(`${serverId}/${name}`).digest('hex').slice(0, 17)}`;
  const claimObjects = (server: ClaimsOfServer) => {
    const base = `${deps.origin()}/api/v1/authorizationServers/${server.id}/claims`;
    const claim = (name: string, fields: Record<string, unknown>) => ({
      id: claimId(server.id, name),
      name,
      status: 'ACTIVE',
      claimType: 'IDENTITY',
      ...fields,
      system: false,
      alwaysIncludeInToken: true,
      _links: { self: { href: `${base}/${claimId(server.id, name)}`, hints: { allow: ['GET', 'PUT', 'DELETE'] } } },
    });
    return [
      claim('login_email', { valueType: 'EXPRESSION', value: 'user.email', conditions: { scopes: [] } }),
      claim('groups', { valueType: 'GROUPS', value: '.*', group_filter_type: 'REGEX', conditions: { scopes: [...server.groupsClaimScopes] } }),
    ];
  };
  /** What the stand-in takes from a claim update (`PUT …/claims/{claimId}`): the groups claim's "Include in". */
  const claimUpdateSchema = z.looseObject({
    conditions: z.looseObject({
      scopes: z.array(z.string().refine((scope) => SUPPORTED_SCOPES.includes(scope), 'is not a scope of this authorization server')),
    }),
  });

  const userObject = (user: DirectoryUser) => ({
    id: user.id,
    status: user.status,
    created: iso(user.created),
    activated: iso(user.created),
    statusChanged: iso(user.statusChanged),
    lastLogin: iso(user.lastLogin),
    lastUpdated: iso(user.lastUpdated),
    passwordChanged: iso(user.created),
    type: { id: 'oty00000000000000001' },
    profile: {
      firstName: user.firstName,
      lastName: user.lastName,
      mobilePhone: null,
      secondEmail: null,
      login: user.login,
      email: user.email,
    },
    credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `${deps.origin()}/api/v1/users/${user.id}` } },
  });

  /** Okta sends one Link header per relation, always `self`, `next` when there is more. */
  const linkHeaders = (url: URL, nextAfter: string | undefined, limit: number): string[] => {
    const self = new URL(url.pathname + url.search, deps.origin());
    const links = [`<${self.href}>; rel="self"`];
    if (nextAfter !== undefined) {
      const next = new URL(self);
      next.searchParams.set('after', nextAfter);
      next.searchParams.set('limit', String(limit));
      links.push(`<${next.href}>; rel="next"`);
    }
    return links;
  };

  return async function handleManagementApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let rate: Pick<RateLimitState, 'limit' | 'remaining' | 'reset'>;
    const limit = switches.managementRateLimitPerMinute ?? seed.management_api_rate_limit;
    const fail = (error: OktaError) => sendJson(res, error.status, errorBody(error), rateLimitHeaders(rate));

    const auth = /^SSWS\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1] !== undefined ? tokens.get(auth[1]) : undefined;

    if (switches.rateLimitNextManagementCalls > 0) {
      switches.rateLimitNextManagementCalls -= 1;
      rate = { limit, remaining: 0, reset: Math.ceil(Date.now() / 1000) + FORCED_RESET_SECONDS };
      return fail(rateLimited);
    }
    // Unauthenticated callers share a bucket per address, so a bad token cannot spin freely.
    const bucket = token && auth?.[1] ? `token:${auth[1]}` : `anonymous:${req.socket.remoteAddress ?? ''}`;
    const state = limiter.take(bucket, limit);
    rate = state;
    if (!state.allowed) return fail(rateLimited);
    if (!token) return fail(invalidToken);

    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
    } catch {
      return fail(notFound(url.pathname, 'Resource'));
    }
    const method = req.method ?? 'GET';
    const ok = (body: unknown, headers: Record<string, string | string[]> = {}) =>
      sendJson(res, 200, body, { ...headers, ...rateLimitHeaders(rate) });
    const [collection, id, sub, subId, ...rest] = segments;

    if (collection === 'users' && id !== undefined && sub === 'lifecycle' && subId !== undefined && rest.length === 0) {
      if (method !== 'POST') return fail(methodNotAllowed);
      const operation = Object.hasOwn(LIFECYCLE, subId) ? LIFECYCLE[subId] : undefined;
      if (!operation) return fail(notFound(url.pathname, 'Resource'));
      if (token.readOnly) return fail(forbidden());
      const user = directory.findUser(id);
      if (!user) return fail(notFound(id, 'User'));
      if (operation.from !== undefined && user.status !== operation.from) return fail(wrongStatus(subId, operation.from));
      const status = operation.to;
      if (directory.setStatus(user.id, status)) log.info({ userId: user.id, status }, 'dev IdP user status changed');
      return ok({});
    }

    if (collection === 'users' && id !== undefined && rest.length === 0 && subId === undefined) {
      if (method !== 'GET') return fail(methodNotAllowed);
      const user = directory.findUser(id);
      if (!user) return fail(notFound(id, 'User'));
      if (sub === undefined) return ok(userObject(user));
      if (sub !== 'groups') return fail(notFound(url.pathname, 'Resource'));
      const pageLimit = parseLimit(url.searchParams.get('limit'));
      const page = paginate(directory.groupsOf(user.id), pageLimit, url.searchParams.get('after') ?? undefined);
      return ok(page.items.map(groupObject), { Link: linkHeaders(url, page.nextAfter, pageLimit) });
    }

    if (collection === 'groups' && rest.length === 0) {
      if (id === undefined) {
        if (method !== 'GET') return fail(methodNotAllowed);
        const pageLimit = parseLimit(url.searchParams.get('limit'));
        const matches = directory.searchGroups(url.searchParams.get('q') ?? undefined);
        const page = paginate(matches, pageLimit, url.searchParams.get('after') ?? undefined);
        return ok(page.items.map(groupObject), { Link: linkHeaders(url, page.nextAfter, pageLimit) });
      }
      const group = directory.findGroup(id);
      if (sub === undefined) {
        if (method !== 'GET') return fail(methodNotAllowed);
        return group ? ok(groupObject(group)) : fail(notFound(id, 'UserGroup'));
      }
      if (sub !== 'users') return fail(notFound(url.pathname, 'Resource'));
      if (subId === undefined) {
        if (method !== 'GET') return fail(methodNotAllowed);
        if (!group) return fail(notFound(id, 'UserGroup'));
        const pageLimit = parseLimit(url.searchParams.get('limit'));
        const page = paginate(directory.membersOf(group.id), pageLimit, url.searchParams.get('after') ?? undefined);
        return ok(page.items.map(userObject), { Link: linkHeaders(url, page.nextAfter, pageLimit) });
      }
      if (method !== 'PUT' && method !== 'DELETE') return fail(methodNotAllowed);
      if (token.readOnly) return fail(forbidden());
      if (!group) return fail(notFound(id, 'UserGroup'));
      // Membership paths take the user id only, not the login.
      const user = directory.userById(subId);
      if (!user) return fail(notFound(subId, 'User'));
      if (group.type !== 'OKTA_GROUP') {
        return fail(forbidden('You only can modify memberships for groups of the OKTA_GROUP type.'));
      }
      const changed = method === 'PUT' ? directory.addMember(group.id, user.id) : directory.removeMember(group.id, user.id);
      if (changed) log.info({ groupId: group.id, userId: user.id, change: method === 'PUT' ? 'added' : 'removed' }, 'dev IdP group membership changed');
      res.writeHead(204, { ...rateLimitHeaders(rate), 'Cache-Control': 'no-store' });
      res.end();
      return;
    }

    if (collection === 'authorizationServers' && id !== undefined && sub === 'claims' && rest.length === 0) {
      const server = deps.authorizationServers().find((candidate) => candidate.id === id);
      if (subId === undefined) {
        if (method !== 'GET') return fail(methodNotAllowed);
        return server ? ok(claimObjects(server)) : fail(notFound(id, 'AuthorizationServer'));
      }
      if (method !== 'GET' && method !== 'PUT') return fail(methodNotAllowed);
      if (!server) return fail(notFound(id, 'AuthorizationServer'));
      const claim = claimObjects(server).find((candidate) => candidate.id === subId);
      if (!claim) return fail(notFound(subId, 'Resource'));
      if (method === 'GET') return ok(claim);
      if (token.readOnly) return fail(forbidden());
      if (claim.name !== 'groups') return fail(forbidden("The stand-in changes only the groups claim's conditions.scopes."));
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        return fail(validationFailed('claim', error instanceof BodyTooLargeError ? 'The request body is too large.' : 'The request body is not valid JSON.'));
      }
      const update = claimUpdateSchema.safeParse(body);
      if (!update.success) {
        const issue = update.error.issues[0];
        return fail(validationFailed(issue?.path.join('.') || 'claim', `${issue?.path.join('.') || 'claim'}: ${issue?.message ?? 'invalid'}`));
      }
      server.setGroupsClaimScopes([...new Set(update.data.conditions.scopes)]);
      log.info({ authorizationServer: server.id, scopes: server.groupsClaimScopes }, 'dev IdP groups claim changed');
      return ok(claimObjects(server).find((candidate) => candidate.name === 'groups'));
    }

    return fail(notFound(url.pathname, 'Resource'));
  };
}
