import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRoleMapping, removeRoleMapping, type MappingChange } from '../../identity/role-mappings.js';
import { createRole } from '../../identity/roles.js';
import { createNativeUser, patchUser } from '../../identity/users.js';
import { SchemaViolationError, type FieldIssue } from '../../store/errors.js';
import { findUser, listRoleMappings, listRoles, listUsers, queryAudit, type AuditFilter, type UserFilter } from '../../store/repositories/identity/index.js';
import { actorOf, callerOf, inOrganization } from '../auth.js';
import { NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, filteredListBody, first, pageRequest, type AdminContext } from '../context.js';
import { endSessions } from './organizations.js';

/**
 * The people side of an organization: `…/users`, `…/roles`, `…/role-mappings` and
 * `…/audit-log`.
 */
export function registerPeopleRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/organizations/:org/users', {
    GET: inOrganization(ctx.db, 'users:read', async (organization, request) => {
      const page = await listUsers(ctx.db, organization.id, pageRequest(request), userFilter(request.query as Record<string, unknown>));
      return filteredListBody(request, page);
    }),
    // Native users, before SSO is enabled (afterwards accounts come from Okta).
    POST: inOrganization(ctx.db, 'users:write', async (organization, request, reply) => {
      const created = await createNativeUser(ctx.db, organization, bodyOf(request), actorOf(callerOf(request)));
      return reply.status(201).send({ ...created.user, ...(created.generated_password !== undefined ? { password: created.generated_password } : {}) });
    }),
  });

  endpoint(app, '/organizations/:org/users/:user', {
    GET: inOrganization(ctx.db, 'users:read', async (organization, request, reply) => {
      return (await findUser(ctx.db, organization.id, (request.params as { user: string }).user)) ?? reply.status(404).send(NOT_FOUND_BODY);
    }),
    PATCH: inOrganization(ctx.db, 'users:write', async (organization, request, reply) => {
      const user = await findUser(ctx.db, organization.id, (request.params as { user: string }).user);
      if (!user) return reply.status(404).send(NOT_FOUND_BODY);
      const updated = await patchUser(ctx.db, ctx.accounts, organization, user, bodyOf(request), actorOf(callerOf(request)));
      if (updated.end_sessions) await endSessions(ctx, [user.id], request);
      await ctx.changed();
      return updated.user;
    }),
  });

  endpoint(app, '/organizations/:org/roles', {
    GET: inOrganization(ctx.db, 'roles:read', async (organization) => {
      return { data: await listRoles(ctx.db, organization.id), next: null };
    }),
    POST: inOrganization(ctx.db, 'roles:write', async (organization, request, reply) => {
      const role = await createRole(ctx.db, organization, bodyOf(request), actorOf(callerOf(request)));
      return reply.status(201).send(role);
    }),
  });

  endpoint(app, '/organizations/:org/role-mappings', {
    GET: inOrganization(ctx.db, 'roles:read', async (organization) => {
      return { data: await listRoleMappings(ctx.db, organization.id), next: null };
    }),
    POST: inOrganization(ctx.db, 'roles:write', async (organization, request, reply) => {
      const change = await createRoleMapping(ctx.db, organization, bodyOf(request), actorOf(callerOf(request)));
      await applied(ctx, change, request);
      return reply.status(201).send({ ...change.mapping, users_changed: change.users_changed });
    }),
  });

  endpoint(app, '/organizations/:org/role-mappings/:mapping', {
    GET: inOrganization(ctx.db, 'roles:read', async (organization, request, reply) => {
      const id = (request.params as { mapping: string }).mapping.toLowerCase();
      return (await listRoleMappings(ctx.db, organization.id)).find((mapping) => mapping.id === id) ?? reply.status(404).send(NOT_FOUND_BODY);
    }),
    DELETE: inOrganization(ctx.db, 'roles:write', async (organization, request, reply) => {
      const change = await removeRoleMapping(ctx.db, organization, (request.params as { mapping: string }).mapping, actorOf(callerOf(request)));
      if (!change) return reply.status(404).send(NOT_FOUND_BODY);
      await applied(ctx, change, request);
      return reply.status(204).send();
    }),
  });

  endpoint(app, '/organizations/:org/audit-log', {
    GET: inOrganization(ctx.db, 'audit:read', async (organization, request) => {
      const page = await queryAudit(ctx.db, organization.id, auditFilter(request.query as Record<string, unknown>), pageRequest(request));
      return filteredListBody(request, page);
    }),
  });
}

/** After a mapping change: the sessions of the people whose roles changed end, and the gateway reloads. */
async function applied(ctx: AdminContext, change: MappingChange, request: FastifyRequest): Promise<void> {
  await endSessions(
    ctx,
    change.users_changed.map((user) => user.user_id),
    request,
  );
  await ctx.changed();
}

function userFilter(query: Record<string, unknown>): UserFilter {
  const issues: FieldIssue[] = [];
  const status = first(query.status);
  const source = first(query.source);
  const search = first(query.q) ?? first(query.search);
  if (status !== undefined && status !== 'active' && status !== 'deactivated') issues.push({ path: ['status'], message: 'expected one of: active, deactivated' });
  if (source !== undefined && source !== 'native' && source !== 'sso') issues.push({ path: ['source'], message: 'expected one of: native, sso' });
  if (search !== undefined && search.length > 200) issues.push({ path: ['q'], message: 'length must be at most 200' });
  if (issues.length > 0) throw new SchemaViolationError(issues);
  return {
    status: status as UserFilter['status'],
    source: source as UserFilter['source'],
    search: search === undefined || search.trim() === '' ? undefined : search,
  };
}

/** Epoch seconds, or an ISO 8601 date/time. */
function parseTime(value: string): number | undefined {
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function auditFilter(query: Record<string, unknown>): AuditFilter {
  const issues: FieldIssue[] = [];
  const outcome = first(query.outcome);
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') issues.push({ path: ['outcome'], message: 'expected one of: success, failure' });
  const times: Record<'since' | 'until', number | undefined> = { since: undefined, until: undefined };
  for (const name of ['since', 'until'] as const) {
    const raw = first(query[name]);
    if (raw === undefined) continue;
    const parsed = parseTime(raw);
    if (parsed === undefined) issues.push({ path: [name], message: 'expected epoch seconds or an ISO 8601 time such as 2025-01-31T12:00:00Z' });
    times[name] = parsed;
  }
  if (issues.length > 0) throw new SchemaViolationError(issues);
  return { action: first(query.action), actor: first(query.actor), outcome: outcome as AuditFilter['outcome'], ...times };
}
