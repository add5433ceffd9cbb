import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createOrganization, patchOrganization, removeOrganization } from '../../identity/organizations.js';
import type { Organization } from '../../model/identity.js';
import { endUserSessions } from '../../identity/organization-session.js';
import { listOrganizations } from '../../store/repositories/identity/index.js';
import { actorOf, callerOf, requirePermission, inOrganization } from '../auth.js';
import { bodyOf, endpoint, filteredListBody, pageRequest, type AdminContext } from '../context.js';
import { ADMIN_FORBIDDEN } from '../error-codes.js';

/** An organization as the API shows it, with its sign-in URL. */
export function organizationBody(ctx: AdminContext, organization: Organization): Record<string, unknown> {
  return { ...organization, login_url: `${ctx.identity.publicUrl().replace(/\/+$/, '')}/login/${organization.login_path}` };
}

/** `POST/GET /organizations` and `GET/PATCH/DELETE /organizations/{id or name}`. */
export function registerOrganizationRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/organizations', {
    GET: async (request) => {
      const caller = callerOf(request);
      requirePermission(caller, 'organization:read');
      const page = await listOrganizations(ctx.db, pageRequest(request), caller.kind === 'bootstrap' ? {} : { onlyId: caller.organizationId });
      return filteredListBody(request, { data: page.data.map((organization) => organizationBody(ctx, organization)), offset: page.offset });
    },
    POST: async (request, reply) => {
      const caller = callerOf(request);
      requirePermission(caller, 'organizations:create');
      const created = await createOrganization(ctx.db, bodyOf(request), actorOf(caller));
      await ctx.changed();
      return reply.status(201).send({
        ...organizationBody(ctx, created.organization),
        owner: { id: created.owner.id, email: created.owner.email, name: created.owner.name },
        // Shown once: only its hash is stored.
        ...(created.generated_password !== undefined ? { owner_password: created.generated_password } : {}),
      });
    },
  });

  endpoint(app, '/organizations/:org', {
    GET: inOrganization(ctx.db, 'organization:read', async (organization) => organizationBody(ctx, organization)),
    PATCH: inOrganization(ctx.db, 'organization:write', async (organization, request) => {
      const updated = await patchOrganization(ctx.db, organization, bodyOf(request), actorOf(callerOf(request)));
      if (updated !== organization) await ctx.changed();
      return organizationBody(ctx, updated);
    }),
    DELETE: inOrganization(ctx.db, 'organization:write', async (organization, request, reply) => {
      // Deleting everything is the owner's call (or the operator's), not any Organization Admin's:
      // one Okta group change must not be able to erase an organization.
      const caller = callerOf(request);
      if (caller.kind !== 'bootstrap' && caller.user.id !== organization.owner_user_id) {
        return reply.status(403).send({
          message: 'Forbidden: only the owner of the organization can delete it',
          error_code: ADMIN_FORBIDDEN,
          permission: 'organization:delete',
        });
      }
      const userIds = (await ctx.db.selectFrom('users').select('id').where('organization_id', '=', organization.id).execute()).map((row) => row.id);
      await removeOrganization(ctx.db, organization, actorOf(callerOf(request)));
      await endSessions(ctx, userIds, request);
      await ctx.changed();
      return reply.status(204).send();
    }),
  });
}

/** Ends the live sessions of these users (best effort: the write is committed either way). */
export async function endSessions(ctx: AdminContext, userIds: readonly string[], request: FastifyRequest): Promise<void> {
  if (!ctx.sessions) return;
  for (const userId of userIds) {
    try {
      await endUserSessions(ctx.sessions, userId);
    } catch (error) {
      request.log.error({ err: error, user: userId }, 'ending the sessions of a user failed');
    }
  }
}
