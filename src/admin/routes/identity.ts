import type { FastifyInstance } from 'fastify';
import { suggestGroups } from '../../identity/group-suggestions.js';
import { saveIdentitySettings } from '../../identity/identity-settings-saving.js';
import { identityView } from '../../identity/identity-settings-view.js';
import { enableSso } from '../../identity/sso-switch.js';
import { testIdentitySettings } from '../../identity/test-configuration.js';
import { SchemaViolationError } from '../../store/errors.js';
import { actorOf, callerOf, inOrganization } from '../auth.js';
import { bodyOf, endpoint, first, type AdminContext } from '../context.js';
import { organizationBody } from './organizations.js';

/**
 * `GET/PUT/PATCH /organizations/{org}/identity`, `POST …/identity/test`,
 * `POST …/identity/enable` and `GET …/identity/groups?q=`.
 */
export function registerIdentityRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/organizations/:org/identity', {
    GET: inOrganization(ctx.db, 'identity:read', async (organization) => identityView(ctx.identity, organization)),
    PUT: inOrganization(ctx.db, 'identity:write', async (organization, request) => {
      const saved = await saveIdentitySettings(ctx.identity, organization, bodyOf(request), actorOf(callerOf(request)));
      await ctx.changed();
      return saved;
    }),
    PATCH: inOrganization(ctx.db, 'identity:write', async (organization, request) => {
      const saved = await saveIdentitySettings(ctx.identity, organization, bodyOf(request), actorOf(callerOf(request)), { merge: true });
      await ctx.changed();
      return saved;
    }),
  });

  endpoint(app, '/organizations/:org/identity/test', {
    POST: inOrganization(ctx.db, 'identity:write', async (organization, request) => {
      return testIdentitySettings(ctx.identity, organization, bodyOf(request), actorOf(callerOf(request)));
    }),
  });

  endpoint(app, '/organizations/:org/identity/enable', {
    POST: inOrganization(ctx.db, 'identity:write', async (organization, request) => {
      const enabled = await enableSso(ctx.identity, organization, bodyOf(request), actorOf(callerOf(request)));
      if (enabled !== organization) await ctx.changed();
      return {
        ...organizationBody(ctx, enabled),
        message: organization.sso_enabled
          ? 'SSO was already enabled'
          : 'SSO enabled: members sign in with Okta from now on; only the owner keeps password sign-in',
      };
    }),
  });

  endpoint(app, '/organizations/:org/identity/groups', {
    GET: inOrganization(ctx.db, 'identity:read', async (organization, request) => {
      const query = request.query as Record<string, unknown>;
      const q = first(query.q) ?? '';
      const limitText = first(query.limit);
      const limit = limitText === undefined ? 20 : Number(limitText);
      const issues = [];
      if (q.length > 100) issues.push({ path: ['q'], message: 'length must be at most 100' });
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) issues.push({ path: ['limit'], message: 'must be an integer between 1 and 200' });
      if (issues.length > 0) throw new SchemaViolationError(issues);
      return { data: await suggestGroups(ctx.identity, organization, q, limit) };
    }),
  });
}
